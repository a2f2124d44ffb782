// NAMESPACE (RFC 2342): one personal namespace, "/" separated.
#include "absl/strings/str_cat.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdNamespace(Session& s, const imap::Command& cmd) {
  co_await s.Send("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
  co_await Complete(s, cmd, "Namespace completed.");
}

}  // namespace hadron::frontend
