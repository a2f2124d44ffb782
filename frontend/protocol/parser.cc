// IMAP command parser: wire form of one command -> typed Command.
#include "absl/status/status.h"
#include "frontend/protocol/reader.h"

namespace hadron::imap {

absl::StatusOr<Command> ParseCommand(std::string_view wire) {
  return absl::UnimplementedError("not yet");
}

}  // namespace hadron::imap
