// NOOP and CHECK (RFC 3501 6.1.2, 6.4.1): a sync point and nothing else.
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdNoop(Session& s, const imap::Command& cmd) {
  // NOOP is how clients poll: read the log so a change committed a moment ago is seen even if
  // its event is still on the way.
  co_await s.Sync(/*allow_expunge=*/true, /*poll=*/true);
  co_await s.Tagged(cmd, "OK", cmd.name == "CHECK" ? "Check completed." : "NOOP completed.");
}

}  // namespace hadron::frontend
