// MailboxView: snapshot application rules (see mailbox_view.h).
#include "frontend/session/mailbox_view.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/match.h"

namespace hadron::frontend {

std::string FormatFlags(uint32_t system, const std::vector<std::string>& keywords) {
  std::vector<absl::string_view> parts;
  if (system & pb::ANSWERED) parts.push_back("\\Answered");
  if (system & pb::FLAGGED) parts.push_back("\\Flagged");
  if (system & pb::DELETED) parts.push_back("\\Deleted");
  if (system & pb::SEEN) parts.push_back("\\Seen");
  if (system & pb::DRAFT) parts.push_back("\\Draft");
  for (const auto& k : keywords) parts.push_back(k);
  return absl::StrCat("(", absl::StrJoin(parts, " "), ")");
}

MailboxView::MailboxView(const pb::SelectResponse& selected, bool read_only)
    : mailbox_id_(selected.info().mailbox_id()),
      name_(selected.info().name()),
      uid_validity_(selected.info().uid_validity()),
      modseq_(selected.info().highest_modseq()),
      read_only_(read_only) {
  keyword_sets_.emplace_back();  // id 0: no keywords
  keyword_set_ids_[""] = 0;
  for (const auto& k : selected.keywords()) all_keywords_.push_back(k);
  entries_.reserve(selected.messages_size());
  for (const auto& m : selected.messages()) {
    entries_.push_back(Entry{m.uid(), m.flags().system(), InternKeywords(m.flags()), m.modseq(),
                             false});
  }
  reported_exists_ = size();
}

uint32_t MailboxView::InternKeywords(const pb::Flags& flags) {
  if (flags.keywords_size() == 0) return 0;
  std::vector<std::string> kws(flags.keywords().begin(), flags.keywords().end());
  std::string key = absl::StrJoin(kws, " ");
  auto it = keyword_set_ids_.find(key);
  if (it != keyword_set_ids_.end()) return it->second;
  for (const auto& k : kws) {
    if (std::none_of(all_keywords_.begin(), all_keywords_.end(),
                     [&](const std::string& a) { return absl::EqualsIgnoreCase(a, k); })) {
      all_keywords_.push_back(k);
    }
  }
  uint32_t id = static_cast<uint32_t>(keyword_sets_.size());
  keyword_sets_.push_back(std::move(kws));
  keyword_set_ids_[key] = id;
  return id;
}

std::optional<uint32_t> MailboxView::SeqOf(uint32_t uid) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), uid,
                             [](const Entry& e, uint32_t u) { return e.uid < u; });
  if (it == entries_.end() || it->uid != uid) return std::nullopt;
  return static_cast<uint32_t>(it - entries_.begin()) + 1;
}

std::string MailboxView::FlagsAt(uint32_t seq) const {
  const Entry& e = entries_[seq - 1];
  std::string out = FormatFlags(e.system, keyword_sets_[e.keywords]);
  if (e.recent) out.insert(out.size() - 1, out.size() > 2 ? " \\Recent" : "\\Recent");
  return out;
}

void MailboxView::MarkRecent(uint32_t first_uid, uint32_t up_to_uid) {
  claimed_up_to_ = std::max(claimed_up_to_, up_to_uid);
  if (first_uid > up_to_uid) return;
  auto it = std::lower_bound(entries_.begin(), entries_.end(), first_uid,
                             [](const Entry& e, uint32_t u) { return e.uid < u; });
  for (; it != entries_.end() && it->uid <= up_to_uid; ++it) {
    if (!it->recent) {
      it->recent = true;
      ++recent_count_;
    }
  }
}

uint32_t MailboxView::CountWithout(uint32_t bit) const {
  uint32_t n = 0;
  for (const auto& e : entries_) n += (e.system & bit) ? 0 : 1;
  return n;
}

std::optional<uint32_t> MailboxView::FirstWithout(uint32_t bit) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (!(entries_[i].system & bit)) return static_cast<uint32_t>(i + 1);
  }
  return std::nullopt;
}

bool MailboxView::ApplyOwnFlags(const pb::MessageMeta& meta) {
  auto seq = SeqOf(meta.uid());
  if (!seq) return false;
  Entry& e = entries_[*seq - 1];
  if (meta.modseq() < e.modseq) return true;  // a newer change already landed
  e.system = meta.flags().system();
  e.keywords = InternKeywords(meta.flags());
  e.modseq = meta.modseq();
  return true;
}

void MailboxView::Apply(const pb::Change& change, bool own) {
  switch (change.kind()) {
    case pb::Change::APPEND:
      for (const auto& m : change.messages()) {
        if (!entries_.empty() && m.uid() <= entries_.back().uid) continue;  // already known
        entries_.push_back(
            Entry{m.uid(), m.flags().system(), InternKeywords(m.flags()), m.modseq(), false});
      }
      break;
    case pb::Change::FLAGS:
      for (const auto& m : change.messages()) {
        auto seq = SeqOf(m.uid());
        if (!seq) continue;
        Entry& e = entries_[*seq - 1];
        if (m.modseq() <= e.modseq) continue;  // our own change, already answered
        uint32_t kw = InternKeywords(m.flags());
        bool differs = e.system != m.flags().system() || e.keywords != kw;
        e.system = m.flags().system();
        e.keywords = kw;
        e.modseq = m.modseq();
        if (differs) changed_flags_.push_back(m.uid());
      }
      break;
    case pb::Change::EXPUNGE:
      for (uint32_t uid : change.expunged()) {
        auto seq = SeqOf(uid);
        if (seq) entries_[*seq - 1].expunged = true;
      }
      break;
    default:
      break;
  }
  if (!own) modseq_ = std::max(modseq_, change.modseq());
}

bool MailboxView::Resync(const pb::SelectResponse& fresh) {
  if (fresh.info().uid_validity() != uid_validity_) return false;
  ApplyPending();
  pb::Change expunge, append, flags;
  expunge.set_kind(pb::Change::EXPUNGE);
  append.set_kind(pb::Change::APPEND);
  flags.set_kind(pb::Change::FLAGS);
  const uint64_t modseq = fresh.info().highest_modseq();
  for (pb::Change* c : {&expunge, &append, &flags}) c->set_modseq(modseq);
  size_t i = 0;  // walks entries_ (ascending UIDs) beside fresh.messages() (ascending too)
  const uint32_t max_known = MaxUid();
  for (const auto& m : fresh.messages()) {
    while (i < entries_.size() && entries_[i].uid < m.uid()) {
      expunge.add_expunged(entries_[i].uid);
      ++i;
    }
    if (i < entries_.size() && entries_[i].uid == m.uid()) {
      const Entry& e = entries_[i];
      if (m.modseq() > e.modseq) *flags.add_messages() = m;
      ++i;
    } else if (m.uid() > max_known) {
      *append.add_messages() = m;
    } else {
      return false;  // a UID below ours that we never saw: cannot be placed
    }
  }
  for (; i < entries_.size(); ++i) expunge.add_expunged(entries_[i].uid);
  if (expunge.expunged_size() > 0) Enqueue(expunge);
  if (flags.messages_size() > 0) Enqueue(flags);
  if (append.messages_size() > 0) Enqueue(append);
  ApplyPending();
  modseq_ = modseq;
  return true;
}

void MailboxView::ApplyPending() {
  while (!pending_.empty()) {
    Apply(pending_.front().first, pending_.front().second);
    pending_.pop_front();
  }
}

std::string MailboxView::Render(bool allow_expunge) {
  std::string out;
  // Messages the client never heard of can go silently, whatever the command.
  auto first_new = entries_.begin() + std::min<size_t>(reported_exists_, entries_.size());
  auto drop = [this](const Entry& e) {
    if (e.expunged && e.recent) --recent_count_;
    return e.expunged;
  };
  entries_.erase(std::remove_if(first_new, entries_.end(), drop), entries_.end());
  if (allow_expunge) {
    // Highest first, so each number is still what the client believes.
    for (size_t i = entries_.size(); i-- > 0;) {
      if (entries_[i].expunged) {
        absl::StrAppend(&out, "* ", i + 1, " EXPUNGE\r\n");
        --reported_exists_;
      }
    }
    entries_.erase(std::remove_if(entries_.begin(), entries_.end(), drop), entries_.end());
  }
  if (size() != reported_exists_) {
    absl::StrAppend(&out, "* ", size(), " EXISTS\r\n");
    reported_exists_ = size();
  }
  if (recent_count_ != reported_recent_) {
    absl::StrAppend(&out, "* ", recent_count_, " RECENT\r\n");
    reported_recent_ = recent_count_;
  }
  std::sort(changed_flags_.begin(), changed_flags_.end());
  changed_flags_.erase(std::unique(changed_flags_.begin(), changed_flags_.end()),
                       changed_flags_.end());
  for (uint32_t uid : changed_flags_) {
    auto seq = SeqOf(uid);
    if (!seq || entries_[*seq - 1].expunged) continue;
    absl::StrAppend(&out, "* ", *seq, " FETCH (FLAGS ", FlagsAt(*seq), ")\r\n");
  }
  changed_flags_.clear();
  return out;
}

}  // namespace hadron::frontend
