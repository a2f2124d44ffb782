// NOTIFY (RFC 5465): NOTIFY SET [STATUS] event-groups, NOTIFY NONE. What is sent and when is
// the session's (session_notify.cc); the validation and the responses are notify.cc's.
#include "absl/strings/str_cat.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdNotify(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::NotifyArgs>(cmd.args);
  if (a.none) {
    s.ClearNotify();
    co_await Complete(s, cmd, "NOTIFY completed.");
    co_return;
  }
  auto spec = BuildNotifySpec(a);
  if (!spec.ok()) {
    if (absl::IsUnimplemented(spec.status())) {
      // RFC 5465 3.1: NO, with BADEVENT naming every event this server supports.
      std::string text = absl::StrCat("[BADEVENT (", kNotifySupportedEvents,
                                      ")] Unsupported NOTIFY events.");
      co_await s.Tagged(cmd, "NO", text);
    } else {
      std::string text(spec.status().message());
      co_await s.Tagged(cmd, "BAD", text);
    }
    co_return;
  }
  absl::Status st = co_await s.SetNotify(std::move(*spec), a.status);
  if (!st.ok()) {
    co_await s.Fail(cmd, st);
    co_return;
  }
  co_await Complete(s, cmd, "NOTIFY completed.");
}

}  // namespace hadron::frontend
