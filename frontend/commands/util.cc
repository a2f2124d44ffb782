// Helpers shared by command handlers.
#include "frontend/commands/util.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/imap/seqset.h"
#include "absl/strings/str_join.h"
#include "common/imap/utf7.h"
#include "frontend/commands/commands.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

absl::StatusOr<std::vector<SeqUid>> ResolveSet(const MailboxView& view,
                                               const imap::SequenceSet& set, bool uid_mode) {
  std::vector<SeqUid> out;
  if (set.saved) {
    // "$" (RFC 5182) names the saved messages by UID whether or not the command is a UID
    // command; the ones no longer in the view (their EXPUNGE was reported) are left out.
    imap::SequenceSet uids;
    for (auto [lo, hi] : view.saved_search()) uids.ranges.push_back({lo, hi});
    if (uids.ranges.empty()) return out;
    return ResolveSet(view, uids, /*uid_mode=*/true);
  }
  if (uid_mode) {
    if (view.size() == 0) return out;
    for (auto [lo, hi] : imap::Resolve(set, view.MaxUid())) {
      // Walk the view from the first UID >= lo.
      uint32_t seq = 1;
      {
        uint32_t a = 1, b = view.size() + 1;
        while (a < b) {
          uint32_t m = a + (b - a) / 2;
          if (view.UidAt(m) < lo) a = m + 1; else b = m;
        }
        seq = a;
      }
      for (; seq <= view.size() && view.UidAt(seq) <= hi; ++seq) {
        out.push_back({seq, view.UidAt(seq)});
      }
    }
    return out;
  }
  for (auto [lo, hi] : imap::Resolve(set, view.size())) {
    if (lo == 0 || hi > view.size()) {
      return absl::InvalidArgumentError("Invalid messageset");
    }
    for (uint32_t seq = lo; seq <= hi; ++seq) out.push_back({seq, view.UidAt(seq)});
  }
  return out;
}

pb::Flags ToFlags(const std::vector<std::string>& names) {
  pb::Flags f;
  for (const auto& n : names) {
    if (absl::EqualsIgnoreCase(n, "\\Seen")) f.set_system(f.system() | pb::SEEN);
    else if (absl::EqualsIgnoreCase(n, "\\Answered")) f.set_system(f.system() | pb::ANSWERED);
    else if (absl::EqualsIgnoreCase(n, "\\Flagged")) f.set_system(f.system() | pb::FLAGGED);
    else if (absl::EqualsIgnoreCase(n, "\\Deleted")) f.set_system(f.system() | pb::DELETED);
    else if (absl::EqualsIgnoreCase(n, "\\Draft")) f.set_system(f.system() | pb::DRAFT);
    else if (!n.empty() && n[0] == '\\') continue;  // \Recent and unknown system flags
    else if (std::none_of(f.keywords().begin(), f.keywords().end(),
                          [&](const std::string& k) { return absl::EqualsIgnoreCase(k, n); }))
      f.add_keywords(n);
  }
  return f;
}

asio::awaitable<void> Complete(Session& s, const imap::Command& cmd, std::string_view text,
                               bool poll) {
  co_await s.Sync(AllowsExpunge(cmd), poll);
  MailboxView* v = s.view();
  if (v != nullptr && s.enabled().qresync && v->TakeReportedChanges() &&
      (text.empty() || text[0] != '[')) {
    // After VANISHED or flag FETCHes, the modseq the client is now in step with (Dovecot
    // sends it the same way; RFC 7162 3.2.5.2 lets a client keep it).
    std::string with_code =
        absl::StrCat("[HIGHESTMODSEQ ", v->modseq(), "] ", absl::string_view(text.data(), text.size()));
    co_await s.Tagged(cmd, "OK", with_code);
    co_return;
  }
  co_await s.Tagged(cmd, "OK", text);
}

bool InRanges(const std::vector<std::pair<uint32_t, uint32_t>>& ranges, uint32_t v) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), v,
                             [](uint32_t x, const std::pair<uint32_t, uint32_t>& r) {
                               return x < r.first;
                             });
  return it != ranges.begin() && std::prev(it)->second >= v;
}

std::string MissingUids(const MailboxView& v,
                        const std::vector<std::pair<uint32_t, uint32_t>>& ranges,
                        uint32_t uid_limit) {
  std::vector<std::pair<uint32_t, uint32_t>> gaps;
  auto add = [&](uint32_t lo, uint32_t hi) {
    if (lo > hi) return;
    if (!gaps.empty() && gaps.back().second + 1 == lo) gaps.back().second = hi;
    else gaps.emplace_back(lo, hi);
  };
  for (auto [lo, hi] : ranges) {
    if (lo == 0) lo = 1;
    if (lo > uid_limit) break;
    hi = std::min(hi, uid_limit);
    uint32_t a = 1, b = v.size() + 1;  // first message with uid >= lo
    while (a < b) {
      uint32_t m = a + (b - a) / 2;
      if (v.UidAt(m) < lo) a = m + 1; else b = m;
    }
    uint64_t next = lo;
    for (uint32_t seq = a; seq <= v.size() && v.UidAt(seq) <= hi; ++seq) {
      if (v.UidAt(seq) > next) add(static_cast<uint32_t>(next), v.UidAt(seq) - 1);
      next = static_cast<uint64_t>(v.UidAt(seq)) + 1;
    }
    if (next <= hi) add(static_cast<uint32_t>(next), hi);
  }
  std::string out;
  for (const auto& [lo, hi] : gaps) {
    if (!out.empty()) out += ',';
    if (lo == hi) absl::StrAppend(&out, lo);
    else absl::StrAppend(&out, lo, ":", hi);
  }
  return out;
}

asio::awaitable<std::string> VanishedSince(
    Session& s, const MailboxView& v, const std::vector<std::pair<uint32_t, uint32_t>>& ranges,
    uint64_t modseq, uint32_t uid_limit) {
  pb::GetChangesRequest req;
  req.set_account_id(s.auth()->account_id);
  req.set_mailbox_id(v.mailbox_id());
  req.set_since_modseq(modseq);
  auto changes = co_await s.state().GetChanges(req);
  if (!changes.ok() || changes->resync() || changes->mailbox_gone()) {
    // The log does not reach back that far: every UID of the ranges that is not here, up to
    // the last UID the mailbox gave out.
    pb::MailboxRef ref;
    ref.set_account_id(s.auth()->account_id);
    ref.set_name(v.name());
    auto info = co_await s.state().GetMailbox(ref);
    uint32_t last = v.MaxUid();
    if (info.ok() && info->mailbox_id() == v.mailbox_id() && info->uid_next() > 0) {
      last = std::max(last, info->uid_next() - 1);
    }
    co_return MissingUids(v, ranges, std::min(uid_limit, last));
  }
  std::vector<uint32_t> uids;
  for (const auto& c : changes->changes()) {
    for (uint32_t uid : c.expunged()) {
      if (uid > uid_limit || v.SeqOf(uid)) continue;  // unknown to the client, or still here
      if (InRanges(ranges, uid)) uids.push_back(uid);
    }
  }
  std::sort(uids.begin(), uids.end());
  co_return imap::FormatUidSet(std::move(uids));
}

pb::Change ExpungeChange(uint64_t modseq, const google::protobuf::RepeatedField<uint32_t>& uids) {
  pb::Change c;
  c.set_kind(pb::Change::EXPUNGE);
  c.set_modseq(modseq);
  *c.mutable_expunged() = uids;
  return c;
}

bool Utf8Names(const Session& s) { return s.enabled().utf8_accept || s.enabled().imap4rev2; }

std::string MailboxToWire(const Session& s, std::string_view stored) {
  if (!Utf8Names(s)) return std::string(stored);
  auto utf8 = imap::Mutf7ToUtf8(stored);
  return utf8.ok() ? *std::move(utf8) : std::string(stored);
}

absl::Status MailboxesFromWire(const Session& s, imap::Command& cmd) {
  if (!Utf8Names(s)) return absl::OkStatus();
  absl::Status status;
  auto convert = [&status](std::string& name) {
    auto m = imap::Utf8ToMutf7(name);
    if (m.ok()) {
      name = *std::move(m);
    } else if (status.ok()) {
      status = m.status();
    }
  };
  if (auto* a = std::get_if<imap::MailboxArgs>(&cmd.args)) convert(a->mailbox);
  if (auto* a = std::get_if<imap::RenameArgs>(&cmd.args)) {
    convert(a->from);
    convert(a->to);
  }
  if (auto* a = std::get_if<imap::StatusArgs>(&cmd.args)) convert(a->mailbox);
  if (auto* a = std::get_if<imap::AppendArgs>(&cmd.args)) convert(a->mailbox);
  if (auto* a = std::get_if<imap::CopyArgs>(&cmd.args)) convert(a->mailbox);
  if (auto* a = std::get_if<imap::NotifyArgs>(&cmd.args)) {  // notify: SUBTREE/MAILBOXES names
    for (auto& g : a->groups) {
      for (std::string& m : g.mailboxes) convert(m);
    }
  }
  if (auto* a = std::get_if<imap::ListArgs>(&cmd.args)) {
    convert(a->reference);
    convert(a->pattern);
    for (std::string& p : a->patterns) convert(p);
  }
  if (!s.enabled().utf8_accept) return status;  // IMAP4rev2 alone keeps SEARCH CHARSET
  if (auto* a = std::get_if<imap::SearchArgs>(&cmd.args); a && a->charset) {
    return absl::InvalidArgumentError("SEARCH CHARSET is not allowed after ENABLE UTF8=ACCEPT");
  }
  if (auto* a = std::get_if<imap::SortArgs>(&cmd.args); a && a->charset != "UTF-8") {
    return absl::InvalidArgumentError("Only CHARSET UTF-8 is allowed after ENABLE UTF8=ACCEPT");
  }
  if (auto* a = std::get_if<imap::ThreadArgs>(&cmd.args); a && a->charset != "UTF-8") {
    return absl::InvalidArgumentError("Only CHARSET UTF-8 is allowed after ENABLE UTF8=ACCEPT");
  }
  return status;
}

std::string CanonicalMailbox(absl::string_view name) {
  if (absl::EqualsIgnoreCase(name, "INBOX")) return "INBOX";
  if (name.size() > 6 && absl::StartsWithIgnoreCase(name, "INBOX/")) {
    return absl::StrCat("INBOX", name.substr(5));
  }
  return std::string(name);
}

std::string MailboxObjectId(uint64_t mailbox_id, uint32_t uid_validity) {
  return absl::StrCat("F", absl::Hex(uid_validity, absl::kZeroPad8), absl::Hex(mailbox_id));
}

std::string QuotaResponse(const pb::QuotaInfo& q) {
  std::vector<std::string> resources;
  if (q.has_storage_limit_kib()) {
    // Units of 1024 octets, rounded down as Dovecot does.
    resources.push_back(
        absl::StrCat("STORAGE ", q.storage_used() / 1024, " ", q.storage_limit_kib()));
  }
  if (q.has_message_limit()) {
    resources.push_back(absl::StrCat("MESSAGE ", q.messages_used(), " ", q.message_limit()));
  }
  if (resources.empty()) return "";
  return absl::StrCat("* QUOTA \"", kQuotaRoot, "\" (", absl::StrJoin(resources, " "), ")\r\n");
}

}  // namespace hadron::frontend
