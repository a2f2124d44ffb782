// UNAUTHENTICATE (RFC 8437): back to the not-authenticated state on the same connection. The
// selected mailbox is closed without expunging (as UNSELECT), its change subscription dropped,
// ENABLEd extensions forgotten; TLS and COMPRESS stay.
#include "frontend/commands/commands.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdUnauthenticate(Session& s, const imap::Command& cmd) {
  s.Unauthenticate();
  co_await s.Tagged(cmd, "OK", "Unauthenticate completed.");
}

}  // namespace hadron::frontend
