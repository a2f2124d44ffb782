// SORT and UID SORT (RFC 5256, RFC 5957 DISPLAYFROM/DISPLAYTO): the state service matches and
// orders; this session turns UIDs into its own sequence numbers.
#include "absl/strings/str_cat.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/search_translate.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdSort(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::SortArgs>(cmd.args);
  if (!SupportedSearchCharset(a.charset)) {
    co_await s.Tagged(cmd, "NO", "[BADCHARSET (US-ASCII UTF-8)] Unsupported charset");
    co_return;
  }
  MailboxView* v = s.view();
  std::string out = "* SORT";
  if (v->size() > 0) {
    pb::SortRequest req;
    req.set_account_id(s.auth()->account_id);
    req.set_mailbox_id(v->mailbox_id());
    RestrictToView(*v, a.key, req.mutable_key());
    for (const auto& c : a.criteria) {
      auto* pc = req.add_criteria();
      pc->set_key(static_cast<pb::SortCriterion::Key>(static_cast<int>(c.key)));
      pc->set_reverse(c.reverse);
    }
    auto res = co_await s.state().Sort(req);
    if (!res.ok()) {
      co_await s.Fail(cmd, res.status());
      co_return;
    }
    for (uint32_t uid : res->uids()) {
      auto seq = v->SeqOf(uid);
      if (!seq) continue;
      absl::StrAppend(&out, " ", cmd.uid ? uid : *seq);
    }
  }
  absl::StrAppend(&out, "\r\n");
  co_await s.Send(out);
  co_await Complete(s, cmd, "Sort completed.");
}

}  // namespace hadron::frontend
