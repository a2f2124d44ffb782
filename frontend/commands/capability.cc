// CAPABILITY (RFC 3501 6.1.1).
#include "absl/strings/str_cat.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdCapability(Session& s, const imap::Command& cmd) {
  co_await s.Send(absl::StrCat("* CAPABILITY ", s.Capabilities(), "\r\n"));
  co_await Complete(s, cmd, "Capability completed.");
}

}  // namespace hadron::frontend
