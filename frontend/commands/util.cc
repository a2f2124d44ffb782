// Helpers shared by command handlers.
#include "frontend/commands/util.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "frontend/commands/commands.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

absl::StatusOr<std::vector<SeqUid>> ResolveSet(const MailboxView& view,
                                               const imap::SequenceSet& set, bool uid_mode) {
  std::vector<SeqUid> out;
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
  co_await s.Tagged(cmd, "OK", text);
}

pb::Change ExpungeChange(uint64_t modseq, const google::protobuf::RepeatedField<uint32_t>& uids) {
  pb::Change c;
  c.set_kind(pb::Change::EXPUNGE);
  c.set_modseq(modseq);
  *c.mutable_expunged() = uids;
  return c;
}

std::string CanonicalMailbox(absl::string_view name) {
  if (absl::EqualsIgnoreCase(name, "INBOX")) return "INBOX";
  if (name.size() > 6 && absl::StartsWithIgnoreCase(name, "INBOX/")) {
    return absl::StrCat("INBOX", name.substr(5));
  }
  return std::string(name);
}

}  // namespace hadron::frontend
