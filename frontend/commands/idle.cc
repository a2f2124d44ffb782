// IDLE (RFC 2177): changes are pushed while the client waits; DONE ends it. A keep-alive
// "* OK" goes out at least every config().idle_keepalive.
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdIdle(Session& s, const imap::Command& cmd) {
  co_await s.Send("+ idling\r\n");
  auto start = std::chrono::steady_clock::now();
  auto last_sent = start;
  for (;;) {
    if (auto line = s.reader().NextLine()) {
      if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(*line), "DONE")) break;
      co_await s.Tagged(cmd, "BAD", "Expected DONE.");
      co_return;
    }
    auto now = std::chrono::steady_clock::now();
    if (now - start > s.config().idle_timeout) {
      co_await s.Send("* BYE Autologout; idle for too long\r\n");
      s.set_logout();
      co_return;
    }
    if (s.view()) co_await s.Sync(/*allow_expunge=*/true);
    if (now - last_sent >= s.config().idle_keepalive) {
      co_await s.Send("* OK Still here\r\n");
      last_sent = now;
    }
    co_await s.WaitInput(s.config().idle_poll);
  }
  co_await Complete(s, cmd, "Idle completed.");
}

}  // namespace hadron::frontend
