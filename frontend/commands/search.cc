// SEARCH and UID SEARCH (RFC 3501 6.4.4): the key tree is evaluated by the state service over
// UIDs; sequence-set keys are turned into UID sets against this session's view first.
// Answers: "* SEARCH", or "* ESEARCH" (RFC 4731) for RETURN (...) and always under IMAP4rev2
// (RFC 9051 6.4.4); RETURN (SAVE) keeps the result for "$" (RFC 5182); a MODSEQ key adds the
// highest mod-sequence of what is returned (RFC 7162 3.1.5).
#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/search_translate.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {
namespace {

struct ReturnOptions {
  bool min = false, max = false, all = false, count = false, save = false;
  bool esearch = false;  // answer with ESEARCH rather than SEARCH
};

ReturnOptions Options(const imap::SearchArgs& a, bool imap4rev2) {
  ReturnOptions o;
  for (const std::string& name : a.return_options) {
    if (name == "MIN") o.min = true;
    if (name == "MAX") o.max = true;
    if (name == "ALL") o.all = true;
    if (name == "COUNT") o.count = true;
    if (name == "SAVE") o.save = true;
  }
  o.esearch = a.has_return || imap4rev2;
  // "RETURN ()" means ALL (RFC 4731 3.1); so does a plain SEARCH under IMAP4rev2.
  if (o.esearch && !o.min && !o.max && !o.count && !o.save) o.all = true;
  return o;
}

bool HasModSeqKey(const imap::SearchKey& k) {
  if (k.kind == imap::SearchKey::Kind::kModSeq) return true;
  return std::any_of(k.children.begin(), k.children.end(), HasModSeqKey);
}

struct Hit {
  uint32_t number;  // sequence number, or UID for UID SEARCH
  uint32_t uid;
  uint64_t modseq;
};

}  // namespace

asio::awaitable<void> CmdSearch(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::SearchArgs>(cmd.args);
  MailboxView* v = s.view();
  const ReturnOptions o = Options(a, s.enabled().imap4rev2);
  if (a.charset && *a.charset != "US-ASCII" && *a.charset != "UTF-8") {
    // A SEARCH with SAVE that fails with NO empties "$" (RFC 5182 2.1; BAD leaves it).
    if (o.save) v->set_saved_search({});
    co_await s.Tagged(cmd, "NO", "[BADCHARSET (US-ASCII UTF-8)] Unsupported charset");
    co_return;
  }
  const bool want_modseq = HasModSeqKey(a.key);
  pb::SearchRequest req;
  req.set_account_id(s.auth()->account_id);
  req.set_mailbox_id(v->mailbox_id());
  TranslateSearchKey(*v, a.key, req.mutable_key());
  auto res = co_await s.state().Search(req);
  if (!res.ok()) {
    if (o.save) v->set_saved_search({});
    co_await s.Fail(cmd, res.status());
    co_return;
  }
  std::vector<Hit> hits;
  for (int i = 0; i < res->uids_size(); ++i) {
    const uint32_t uid = res->uids(i);
    // Only messages this client knows about; newer ones arrive with the EXISTS that follows.
    auto seq = v->SeqOf(uid);
    if (!seq) continue;
    const uint64_t modseq = i < res->modseqs_size() ? res->modseqs(i) : 0;
    hits.push_back({cmd.uid ? uid : *seq, uid, modseq});
  }
  std::sort(hits.begin(), hits.end(), [](const Hit& x, const Hit& y) { return x.uid < y.uid; });

  // SEARCH MODSEQ enables CONDSTORE (RFC 7162 3.1): HIGHESTMODSEQ goes out first.
  if (want_modseq) co_await s.EnableCondstore();
  std::string out;
  auto max_modseq = [](auto first, auto last) {
    uint64_t m = 0;
    for (auto it = first; it != last; ++it) m = std::max(m, it->modseq);
    return m;
  };
  if (!o.esearch) {
    out += "* SEARCH";
    for (const Hit& h : hits) absl::StrAppend(&out, " ", h.number);
    if (want_modseq && !hits.empty()) {
      absl::StrAppend(&out, " (MODSEQ ", max_modseq(hits.begin(), hits.end()), ")");
    }
    out += "\r\n";
  } else {
    const bool only_min_max = (o.min || o.max) && !o.all && !o.count;
    const bool only_save = o.save && !o.min && !o.max && !o.all && !o.count;
    // MODSEQ covers the messages returned: just MIN/MAX when only those are (RFC 7162 3.1.5).
    uint64_t modseq = 0;
    if (!hits.empty()) {
      if (only_min_max) {
        if (o.min) modseq = std::max(modseq, hits.front().modseq);
        if (o.max) modseq = std::max(modseq, hits.back().modseq);
      } else {
        modseq = max_modseq(hits.begin(), hits.end());
      }
    }
    const bool send_modseq = want_modseq && !hits.empty();
    // SAVE alone answers nothing (RFC 5182 2.4); with a MODSEQ key Dovecot still sends MODSEQ.
    if (!only_save || send_modseq) {
      absl::StrAppend(&out, "* ESEARCH (TAG \"", cmd.tag, "\")");
      if (cmd.uid) out += " UID";
      if (!hits.empty()) {
        if (o.min) absl::StrAppend(&out, " MIN ", hits.front().number);
        if (o.max) absl::StrAppend(&out, " MAX ", hits.back().number);
        if (o.all) {
          std::vector<uint32_t> numbers;
          numbers.reserve(hits.size());
          for (const Hit& h : hits) numbers.push_back(h.number);
          absl::StrAppend(&out, " ALL ", imap::FormatUidSet(std::move(numbers)));
        }
      }
      if (o.count) absl::StrAppend(&out, " COUNT ", hits.size());
      if (send_modseq) absl::StrAppend(&out, " MODSEQ ", modseq);
      out += "\r\n";
    }
  }
  if (o.save) {
    // With MIN/MAX but neither ALL nor COUNT only those are saved (RFC 5182 2.4).
    std::vector<uint32_t> uids;
    if ((o.min || o.max) && !o.all && !o.count) {
      if (!hits.empty() && o.min) uids.push_back(hits.front().uid);
      if (!hits.empty() && o.max && (!o.min || hits.size() > 1)) uids.push_back(hits.back().uid);
    } else {
      uids.reserve(hits.size());
      for (const Hit& h : hits) uids.push_back(h.uid);
    }
    std::vector<std::pair<uint32_t, uint32_t>> ranges;
    for (uint32_t uid : uids) {
      if (!ranges.empty() && ranges.back().second + 1 == uid) {
        ranges.back().second = uid;
      } else if (ranges.empty() || ranges.back().second < uid) {
        ranges.emplace_back(uid, uid);
      }
    }
    v->set_saved_search(std::move(ranges));
  }
  co_await s.Send(out);
  co_await Complete(s, cmd, "Search completed.");
}

}  // namespace hadron::frontend
