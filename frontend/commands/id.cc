// ID (RFC 2971).
#include "absl/strings/str_cat.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdId(Session& s, const imap::Command& cmd) {
  co_await s.Send("* ID (\"name\" \"Hadron\" \"vendor\" \"Hadron\" \"version\" \"0.1\")\r\n");
  co_await Complete(s, cmd, "ID completed.");
}

}  // namespace hadron::frontend
