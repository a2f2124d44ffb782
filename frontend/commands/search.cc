// SEARCH and UID SEARCH (RFC 3501 6.4.4): the key tree is evaluated by the state service over
// UIDs; sequence-set keys are turned into UID sets against this session's view first.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/search_translate.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdSearch(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::SearchArgs>(cmd.args);
  if (a.charset && *a.charset != "US-ASCII" && *a.charset != "UTF-8") {
    co_await s.Tagged(cmd, "NO", "[BADCHARSET (US-ASCII UTF-8)] Unsupported charset");
    co_return;
  }
  MailboxView* v = s.view();
  pb::SearchRequest req;
  req.set_account_id(s.auth()->account_id);
  req.set_mailbox_id(v->mailbox_id());
  TranslateSearchKey(*v, a.key, req.mutable_key());
  auto res = co_await s.state().Search(req);
  if (!res.ok()) {
    co_await s.Fail(cmd, res.status());
    co_return;
  }
  std::string out = "* SEARCH";
  std::vector<uint32_t> hits;
  for (uint32_t uid : res->uids()) {
    // Only messages this client knows about; newer ones arrive with the EXISTS that follows.
    auto seq = v->SeqOf(uid);
    if (!seq) continue;
    hits.push_back(cmd.uid ? uid : *seq);
  }
  std::sort(hits.begin(), hits.end());
  for (uint32_t h : hits) absl::StrAppend(&out, " ", h);
  absl::StrAppend(&out, "\r\n");
  co_await s.Send(out);
  co_await Complete(s, cmd, "Search completed.");
}

}  // namespace hadron::frontend
