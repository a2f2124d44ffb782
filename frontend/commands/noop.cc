// NOOP and CHECK (RFC 3501 6.1.2, 6.4.1): a sync point and nothing else.
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdNoop(Session& s, const imap::Command& cmd) {
  co_await Complete(s, cmd, cmd.name == "CHECK" ? "Check completed." : "NOOP completed.");
}

}  // namespace hadron::frontend
