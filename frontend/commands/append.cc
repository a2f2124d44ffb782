// APPEND (RFC 3501 6.3.11) with UIDPLUS's APPENDUID (RFC 4315), MULTIAPPEND (RFC 3502: several
// messages, all stored or none) and the UTF8 data item (RFC 6855 section 4).
#include <ctime>

#include "absl/strings/str_cat.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {
namespace {

void FillMessage(const imap::AppendMessage& m, pb::AppendRequest* req) {
  *req->mutable_flags() = ToFlags(m.flags);
  if (m.date) {
    req->set_internal_date(m.date->unix_seconds);
    req->set_internal_date_tz(m.date->tz_minutes);
  } else {
    req->set_internal_date(std::time(nullptr));
  }
  req->set_message(m.message);
}

// RFC 4315 uid-set of ascending UIDs: "4:6,9".
std::string UidSet(const google::protobuf::RepeatedField<uint32_t>& uids) {
  std::string out;
  for (int i = 0; i < uids.size();) {
    int j = i;
    while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
    absl::StrAppend(&out, out.empty() ? "" : ",", uids[i]);
    if (j > i) absl::StrAppend(&out, ":", uids[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace

asio::awaitable<void> CmdAppend(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::AppendArgs>(cmd.args);
  // Everything is checked before anything is stored: one bad message fails them all.
  for (const imap::AppendMessage& m : a.messages) {
    if (m.utf8 && !s.enabled().utf8_accept) {
      co_await s.Tagged(cmd, "BAD", "UTF8 data needs ENABLE UTF8=ACCEPT first");
      co_return;
    }
    if (m.message.empty()) {
      co_await s.Tagged(cmd, "NO", "Can't save a zero byte message.");
      co_return;
    }
  }
  uint64_t mailbox_id = 0;
  std::string code;
  absl::Status status;
  if (a.messages.size() == 1) {
    pb::AppendRequest req;
    req.set_account_id(s.auth()->account_id);
    req.set_mailbox(CanonicalMailbox(a.mailbox));
    FillMessage(a.messages[0], &req);
    auto res = co_await s.state().Append(req);
    if (res.ok()) {
      mailbox_id = res->mailbox_id();
      code = absl::StrCat("[APPENDUID ", res->uid_validity(), " ", res->uid(), "]");
    }
    status = res.status();
  } else {
    pb::AppendBatchRequest req;
    req.set_account_id(s.auth()->account_id);
    req.set_mailbox(CanonicalMailbox(a.mailbox));
    for (const imap::AppendMessage& m : a.messages) FillMessage(m, req.add_messages());
    auto res = co_await s.state().AppendBatch(req);
    if (res.ok()) {
      mailbox_id = res->mailbox_id();
      code = absl::StrCat("[APPENDUID ", res->uid_validity(), " ", UidSet(res->uids()), "]");
    }
    status = res.status();
  }
  if (!status.ok()) {
    if (status.code() == absl::StatusCode::kNotFound) {
      co_await s.Tagged(cmd, "NO", "[TRYCREATE] Mailbox doesn't exist");
    } else {
      co_await s.Fail(cmd, status);
    }
    co_return;
  }
  bool into_selected = s.view() && s.view()->mailbox_id() == mailbox_id;
  co_await Complete(s, cmd, absl::StrCat(code, " Append completed."), into_selected);
}

}  // namespace hadron::frontend
