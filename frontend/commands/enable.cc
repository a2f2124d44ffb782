// ENABLE (RFC 5161).
#include "absl/strings/str_cat.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdEnable(Session& s, const imap::Command& cmd) {
  // No ENABLE-able extension is advertised yet, so nothing is enabled (RFC 5161 3.1).
  co_await s.Send("* ENABLED\r\n");
  co_await Complete(s, cmd, "Enabled.");
}

}  // namespace hadron::frontend
