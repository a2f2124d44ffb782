// IDLE (RFC 2177): changes are pushed as their events arrive from the Watch stream; DONE ends
// it. A keep-alive "* OK" goes out when nothing else was sent for config().idle_keepalive.
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"
#include "frontend/session/session_metrics.h"

namespace hadron::frontend {

asio::awaitable<void> CmdIdle(Session& s, const imap::Command& cmd) {
  co_await s.Send("+ idling\r\n");
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + s.config().idle_timeout;
  auto keepalive_at = Clock::now() + s.config().idle_keepalive;
  for (;;) {
    if (s.draining()) {  // operations: an IDLE session is idle; the frontend is shutting down
      co_await s.Send("* BYE Server shutting down\r\n");
      Metrics().drain_byes.Inc();
      s.set_logout();
      co_return;
    }
    if (auto line = s.reader().NextLine()) {
      if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(*line), "DONE")) break;
      co_await s.Tagged(cmd, "BAD", "Expected DONE.");
      co_return;
    }
    if (s.view()) co_await s.Sync(/*allow_expunge=*/true);
    co_await s.FlushNotifications();  // NOTIFY (RFC 5465): STATUS/LIST for other mailboxes
    auto now = Clock::now();
    if (now >= deadline) {
      co_await s.Send("* BYE Autologout; idle for too long\r\n");
      s.set_logout();
      co_return;
    }
    if (now >= keepalive_at) {
      co_await s.Send("* OK Still here\r\n");
      keepalive_at = now + s.config().idle_keepalive;
    }
    auto wait = std::min(keepalive_at, deadline) - now;
    co_await s.WaitInput(std::chrono::duration_cast<std::chrono::milliseconds>(wait) +
                         std::chrono::milliseconds(1));
  }
  co_await Complete(s, cmd, "Idle completed.");
}

}  // namespace hadron::frontend
