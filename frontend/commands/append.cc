// APPEND (RFC 3501 6.3.11) with UIDPLUS's APPENDUID (RFC 4315).
#include <ctime>

#include "absl/strings/str_cat.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdAppend(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::AppendArgs>(cmd.args);
  if (a.message.empty()) {
    co_await s.Tagged(cmd, "NO", "Can't save a zero byte message.");
    co_return;
  }
  pb::AppendRequest req;
  req.set_account_id(s.auth()->account_id);
  req.set_mailbox(CanonicalMailbox(a.mailbox));
  *req.mutable_flags() = ToFlags(a.flags);
  if (a.date) {
    req.set_internal_date(a.date->unix_seconds);
    req.set_internal_date_tz(a.date->tz_minutes);
  } else {
    req.set_internal_date(std::time(nullptr));
  }
  req.set_message(a.message);
  auto res = co_await s.state().Append(req);
  if (!res.ok()) {
    if (res.status().code() == absl::StatusCode::kNotFound) {
      co_await s.Tagged(cmd, "NO", "[TRYCREATE] Mailbox doesn't exist");
    } else {
      co_await s.Fail(cmd, res.status());
    }
    co_return;
  }
  bool into_selected = s.view() && s.view()->mailbox_id() == res->mailbox_id();
  co_await Complete(s, cmd,
                    absl::StrCat("[APPENDUID ", res->uid_validity(), " ", res->uid(),
                                 "] Append completed."),
                    into_selected);
}

}  // namespace hadron::frontend
