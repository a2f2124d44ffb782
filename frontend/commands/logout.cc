// LOGOUT (RFC 3501 6.1.3).
#include "frontend/commands/commands.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdLogout(Session& s, const imap::Command& cmd) {
  co_await s.Send("* BYE Logging out\r\n");
  co_await s.Tagged(cmd, "OK", "Logout completed.");
  s.set_logout();
}

}  // namespace hadron::frontend
