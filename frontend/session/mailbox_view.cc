// MailboxView: snapshot application rules over a shared base and a per-session delta (see
// mailbox_view.h).
#include "frontend/session/mailbox_view.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/imap/seqset.h"

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

namespace {

// Base index of the i-th (0-based) base message still in the view, given the removed base
// indices (ascending). removed[j] - j counts the live messages before removed[j] and never
// decreases, so the removed indices at or below the answer are found by binary search.
uint32_t NthLive(const std::vector<uint32_t>& removed, uint32_t i) {
  size_t lo = 0, hi = removed.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (removed[mid] - mid <= i) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return i + static_cast<uint32_t>(lo);
}

uint32_t RemovedBelow(const std::vector<uint32_t>& removed, uint32_t index) {
  return static_cast<uint32_t>(std::lower_bound(removed.begin(), removed.end(), index) -
                               removed.begin());
}

}  // namespace

MailboxView::MailboxView(const pb::SelectResponse& selected, bool read_only)
    : MailboxView(SnapshotBase::FromSelect(selected), selected.info(), read_only) {}

MailboxView::MailboxView(std::shared_ptr<const SnapshotBase> base, const pb::MailboxInfo& info,
                         bool read_only)
    : mailbox_id_(base->mailbox_id()),
      name_(info.name()),
      uid_validity_(base->uid_validity()),
      modseq_(base->modseq()),
      read_only_(read_only),
      base_(std::move(base)),
      all_keywords_(base_->keywords().all) {
  reported_exists_ = size();
}

void MailboxView::AttachCache(std::shared_ptr<SnapshotCache> cache, uint64_t account_id) {
  cache_ = std::move(cache);
  account_id_ = account_id;
}

void MailboxView::Settle() {
  ApplyPending();
  if (expunged_count_ > 0) RemovePositions(ExpungedPositions());
  changed_flags_.clear();
  reported_exists_ = size();
  MaybeRebase();
}

// --- lookups ---

MailboxView::Ref MailboxView::Locate(uint32_t seq) const {
  const uint32_t i = seq - 1;
  const uint32_t live = BaseLive();
  if (i >= live) return Ref{false, i - live};
  return Ref{true, removed_.empty() ? i : NthLive(removed_, i)};
}

MailboxView::Entry MailboxView::Get(Ref ref) const {
  if (!ref.in_base) return tail_[ref.index];
  if (!changed_.empty()) {
    auto it = changed_.find(ref.index);
    if (it != changed_.end()) return it->second;
  }
  const SnapshotBase::Entry& b = base_->entries()[ref.index];
  return Entry{b.modseq, b.uid, b.system, b.keywords, false};
}

void MailboxView::Put(Ref ref, const Entry& e) {
  if (ref.in_base) {
    changed_[ref.index] = e;
  } else {
    tail_[ref.index] = e;
  }
}

std::optional<MailboxView::Ref> MailboxView::FindUid(uint32_t uid) const {
  const auto& entries = base_->entries();
  auto it = std::lower_bound(entries.begin(), entries.end(), uid,
                             [](const SnapshotBase::Entry& e, uint32_t u) { return e.uid < u; });
  if (it != entries.end()) {
    if (it->uid != uid) return std::nullopt;
    uint32_t index = static_cast<uint32_t>(it - entries.begin());
    if (std::binary_search(removed_.begin(), removed_.end(), index)) return std::nullopt;
    return Ref{true, index};
  }
  auto t = std::lower_bound(tail_.begin(), tail_.end(), uid,
                            [](const Entry& e, uint32_t u) { return e.uid < u; });
  if (t == tail_.end() || t->uid != uid) return std::nullopt;
  return Ref{false, static_cast<uint32_t>(t - tail_.begin())};
}

uint32_t MailboxView::SeqOfRef(Ref ref) const {
  if (!ref.in_base) return BaseLive() + ref.index + 1;
  return ref.index - RemovedBelow(removed_, ref.index) + 1;
}

std::optional<uint32_t> MailboxView::SeqOf(uint32_t uid) const {
  auto ref = FindUid(uid);
  if (!ref) return std::nullopt;
  return SeqOfRef(*ref);
}

uint32_t MailboxView::MaxUid() const {
  if (!tail_.empty()) return tail_.back().uid;
  uint32_t live = BaseLive();
  return live == 0 ? 0 : UidAt(live);
}

uint32_t MailboxView::CountBelow(uint32_t uid) const {
  const auto& entries = base_->entries();
  uint32_t p = static_cast<uint32_t>(
      std::lower_bound(entries.begin(), entries.end(), uid,
                       [](const SnapshotBase::Entry& e, uint32_t u) { return e.uid < u; }) -
      entries.begin());
  uint32_t t = static_cast<uint32_t>(
      std::lower_bound(tail_.begin(), tail_.end(), uid,
                       [](const Entry& e, uint32_t u) { return e.uid < u; }) -
      tail_.begin());
  return p - RemovedBelow(removed_, p) + t;
}

template <typename F>
void MailboxView::ForEach(F&& f) const {
  const auto& entries = base_->entries();
  size_t r = 0;
  uint32_t seq = 0;
  for (uint32_t p = 0; p < entries.size(); ++p) {
    if (r < removed_.size() && removed_[r] == p) {
      ++r;
      continue;
    }
    if (!f(++seq, Get(Ref{true, p}))) return;
  }
  for (const Entry& e : tail_) {
    if (!f(++seq, e)) return;
  }
}

const std::vector<std::string>& MailboxView::KeywordSet(uint32_t id) const {
  const auto& sets = base_->keywords().sets;
  if (id < sets.size()) return sets[id];
  return local_sets_[id - sets.size()];
}

uint32_t MailboxView::InternKeywords(const pb::Flags& flags) {
  if (flags.keywords_size() == 0) return 0;
  std::vector<std::string> kws(flags.keywords().begin(), flags.keywords().end());
  std::string key = absl::StrJoin(kws, " ");
  if (auto id = base_->keywords().Find(key)) return *id;
  auto it = local_ids_.find(key);
  if (it != local_ids_.end()) return it->second;
  for (const auto& k : kws) {
    if (std::none_of(all_keywords_.begin(), all_keywords_.end(),
                     [&](const std::string& a) { return absl::EqualsIgnoreCase(a, k); })) {
      all_keywords_.push_back(k);
    }
  }
  uint32_t id = static_cast<uint32_t>(base_->keywords().sets.size() + local_sets_.size());
  local_sets_.push_back(std::move(kws));
  local_ids_[key] = id;
  return id;
}

std::string MailboxView::FlagsAt(uint32_t seq) const {
  const Entry e = At(seq);
  std::string out = FormatFlags(e.system, KeywordSet(e.keywords));
  if (!mode_.no_recent && InRecent(e.uid)) {
    out.insert(out.size() - 1, out.size() > 2 ? " \\Recent" : "\\Recent");
  }
  return out;
}

std::vector<uint32_t> MailboxView::ChangedSince(uint64_t modseq) const {
  std::vector<uint32_t> out;
  ForEach([&](uint32_t seq, const Entry& e) {
    if (e.modseq > modseq && !e.expunged) out.push_back(seq);
    return true;
  });
  return out;
}

std::string MailboxView::FetchHead(uint32_t seq) const {
  if (mode_.uidonly) return absl::StrCat("* ", UidAt(seq), " UIDFETCH (");
  if (mode_.qresync) return absl::StrCat("* ", seq, " FETCH (UID ", UidAt(seq), " ");
  return absl::StrCat("* ", seq, " FETCH (");
}

uint32_t MailboxView::CountWithout(uint32_t bit) const {
  uint32_t n = 0;
  ForEach([&](uint32_t, const Entry& e) {
    n += (e.system & bit) ? 0 : 1;
    return true;
  });
  return n;
}

std::optional<uint32_t> MailboxView::FirstWithout(uint32_t bit) const {
  std::optional<uint32_t> found;
  ForEach([&](uint32_t seq, const Entry& e) {
    if (e.system & bit) return true;
    found = seq;
    return false;
  });
  return found;
}

// --- \Recent ---

bool MailboxView::InRecent(uint32_t uid) const {
  if (recent_.empty()) return false;
  auto it = std::upper_bound(recent_.begin(), recent_.end(), uid,
                             [](uint32_t u, const std::pair<uint32_t, uint32_t>& r) {
                               return u < r.first;
                             });
  if (it == recent_.begin()) return false;
  return std::prev(it)->second >= uid;
}

void MailboxView::MarkRecent(uint32_t first_uid, uint32_t up_to_uid) {
  claimed_up_to_ = std::max(claimed_up_to_, up_to_uid);
  if (first_uid > up_to_uid) return;
  // Count the messages of the range not already recent, then merge the range in.
  auto count = [this](uint64_t a, uint64_t b) {  // messages with a <= uid <= b
    uint32_t hi = b >= UINT32_MAX ? size() : CountBelow(static_cast<uint32_t>(b + 1));
    return hi - CountBelow(static_cast<uint32_t>(a));
  };
  uint64_t cur = first_uid;
  for (const auto& [a, b] : recent_) {
    if (b < cur) continue;
    if (a > up_to_uid) break;
    if (a > cur) recent_count_ += count(cur, a - 1);
    cur = static_cast<uint64_t>(b) + 1;
    if (cur > up_to_uid) break;
  }
  if (cur <= up_to_uid) recent_count_ += count(cur, up_to_uid);
  recent_.emplace_back(first_uid, up_to_uid);
  std::sort(recent_.begin(), recent_.end());
  std::vector<std::pair<uint32_t, uint32_t>> merged;
  for (const auto& r : recent_) {
    if (!merged.empty() && static_cast<uint64_t>(merged.back().second) + 1 >= r.first) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  recent_ = std::move(merged);
}

// --- changes ---

bool MailboxView::ApplyOwnFlags(const pb::MessageMeta& meta) {
  auto ref = FindUid(meta.uid());
  if (!ref) return false;
  Entry e = Get(*ref);
  if (meta.modseq() < e.modseq) return true;  // a newer change already landed
  e.system = meta.flags().system();
  e.keywords = InternKeywords(meta.flags());
  e.modseq = meta.modseq();
  Put(*ref, e);
  max_own_modseq_ = std::max(max_own_modseq_, meta.modseq());
  return true;
}

void MailboxView::Apply(const pb::Change& change, bool own) {
  // The view holds every change up to modseq() (changes are applied in modseq order, and a
  // poll fills any gap before the stream's events are applied), so one at or below it is a
  // duplicate: a shared Watch subscription runs behind a view selected from a newer base, and
  // a poll repeats our own changes. Applying it again would be wrong, not just redundant: an
  // APPEND of a message expunged since then would come back (its UID is above MaxUid() once
  // the top messages are gone) and stay for good, as no later change names it again.
  if (!own && change.modseq() <= modseq_) return;
  switch (change.kind()) {
    case pb::Change::APPEND:
      for (const auto& m : change.messages()) {
        if (m.uid() <= MaxUid()) continue;  // already known
        tail_.push_back(
            Entry{m.modseq(), m.uid(), m.flags().system(), InternKeywords(m.flags()), false});
      }
      break;
    case pb::Change::FLAGS:
      for (const auto& m : change.messages()) {
        auto ref = FindUid(m.uid());
        if (!ref) continue;
        Entry e = Get(*ref);
        if (m.modseq() <= e.modseq) continue;  // our own change, already answered
        uint32_t kw = InternKeywords(m.flags());
        bool differs = e.system != m.flags().system() || e.keywords != kw;
        e.system = m.flags().system();
        e.keywords = kw;
        e.modseq = m.modseq();
        Put(*ref, e);
        // Under CONDSTORE a new modseq is news even when the flags read the same.
        if (differs || mode_.condstore) changed_flags_.push_back(m.uid());
      }
      break;
    case pb::Change::EXPUNGE:
      for (uint32_t uid : change.expunged()) {
        auto ref = FindUid(uid);
        if (!ref) continue;
        Entry e = Get(*ref);
        if (e.expunged) continue;
        e.expunged = true;
        Put(*ref, e);
        ++expunged_count_;
      }
      break;
    default:
      break;
  }
  if (own) {
    max_own_modseq_ = std::max(max_own_modseq_, change.modseq());
  } else {
    modseq_ = std::max(modseq_, change.modseq());
  }
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
  // Walk the view (ascending UIDs) beside fresh's messages (ascending too).
  std::vector<std::pair<uint32_t, uint64_t>> known;  // uid, modseq
  known.reserve(size());
  ForEach([&](uint32_t, const Entry& e) {
    known.emplace_back(e.uid, e.modseq);
    return true;
  });
  size_t i = 0;
  const uint32_t max_known = MaxUid();
  bool placeable = true;
  auto meta = [](pb::Change& c, uint32_t uid, uint32_t system, uint64_t modseq,
                 const auto& keywords) {
    pb::MessageMeta* m = c.add_messages();
    m->set_uid(uid);
    m->set_modseq(modseq);
    m->mutable_flags()->set_system(system);
    m->mutable_flags()->mutable_keywords()->CopyFrom(keywords);
  };
  ForEachSelected(fresh, [&](uint32_t uid, uint32_t system, uint64_t modseq, const auto& keywords) {
    if (!placeable) return;
    while (i < known.size() && known[i].first < uid) {
      expunge.add_expunged(known[i].first);
      ++i;
    }
    if (i < known.size() && known[i].first == uid) {
      if (modseq > known[i].second) meta(flags, uid, system, modseq, keywords);
      ++i;
    } else if (uid > max_known) {
      meta(append, uid, system, modseq, keywords);
    } else {
      placeable = false;  // a UID below ours that we never saw: cannot be placed
    }
  });
  if (!placeable) return false;
  for (; i < known.size(); ++i) expunge.add_expunged(known[i].first);
  // Applied directly, in this order: the three share one modseq, which the view has reached
  // once the first is applied.
  for (const pb::Change* c : {&expunge, &flags, &append}) Apply(*c, /*own=*/true);
  modseq_ = modseq;
  return true;
}

void MailboxView::ApplyPending() {
  // Changes can be queued out of order: a poll's answer lands behind stream events that are
  // newer (a Watch subscription shared with another session of this frontend runs ahead of a
  // new snapshot). Applied as queued, an APPEND below the highest UID already seen would be
  // dropped for good. So apply in modseq order (stable: our own change and its echo from the
  // log share a modseq).
  std::stable_sort(pending_.begin(), pending_.end(), [](const auto& a, const auto& b) {
    return a.first.modseq() < b.first.modseq();
  });
  while (!pending_.empty()) {
    Apply(pending_.front().first, pending_.front().second);
    pending_.pop_front();
  }
}

std::vector<uint32_t> MailboxView::ExpungedPositions() const {
  std::vector<uint32_t> out;
  if (expunged_count_ == 0) return out;
  for (const auto& [index, e] : changed_) {
    if (e.expunged) out.push_back(SeqOfRef(Ref{true, index}) - 1);
  }
  std::sort(out.begin(), out.end());
  const uint32_t live = BaseLive();
  for (uint32_t t = 0; t < tail_.size(); ++t) {
    if (tail_[t].expunged) out.push_back(live + t);
  }
  return out;
}

void MailboxView::RemovePositions(const std::vector<uint32_t>& positions) {
  if (positions.empty()) return;
  std::vector<uint32_t> base_gone;
  std::vector<bool> tail_gone(tail_.size(), false);
  bool any_tail = false;
  for (uint32_t pos : positions) {
    Ref ref = Locate(pos + 1);
    Entry e = Get(ref);
    if (e.expunged) --expunged_count_;
    if (InRecent(e.uid)) --recent_count_;
    if (ref.in_base) {
      base_gone.push_back(ref.index);
    } else {
      tail_gone[ref.index] = true;
      any_tail = true;
    }
  }
  if (!base_gone.empty()) {
    for (uint32_t index : base_gone) changed_.erase(index);
    size_t mid = removed_.size();
    removed_.insert(removed_.end(), base_gone.begin(), base_gone.end());
    std::inplace_merge(removed_.begin(), removed_.begin() + mid, removed_.end());
  }
  if (any_tail) {
    size_t out = 0;
    for (size_t t = 0; t < tail_.size(); ++t) {
      if (!tail_gone[t]) tail_[out++] = tail_[t];
    }
    tail_.resize(out);
  }
}

std::string MailboxView::Render(bool allow_expunge) {
  std::string out;
  if (expunged_count_ > 0) {
    std::vector<uint32_t> positions = ExpungedPositions();
    // Messages the client never heard of can go silently, whatever the command.
    auto first_new = std::lower_bound(positions.begin(), positions.end(), reported_exists_);
    std::vector<uint32_t> unseen(first_new, positions.end());
    positions.erase(first_new, positions.end());
    RemovePositions(unseen);
    if (allow_expunge && !positions.empty()) {
      if (mode_.qresync || mode_.uidonly) {
        // VANISHED replaces EXPUNGE (RFC 7162 3.2.10, RFC 9586 3.3): one response of UIDs.
        std::vector<uint32_t> uids;
        uids.reserve(positions.size());
        for (uint32_t pos : positions) uids.push_back(UidAt(pos + 1));
        absl::StrAppend(&out, "* VANISHED ", imap::FormatUidSet(std::move(uids)), "\r\n");
        reported_exists_ -= static_cast<uint32_t>(positions.size());
      } else {
        // Highest first, so each number is still what the client believes.
        for (size_t i = positions.size(); i-- > 0;) {
          absl::StrAppend(&out, "* ", positions[i] + 1, " EXPUNGE\r\n");
          --reported_exists_;
        }
      }
      reported_changes_ = true;
      RemovePositions(positions);
    }
  }
  if (size() != reported_exists_) {
    absl::StrAppend(&out, "* ", size(), " EXISTS\r\n");
    reported_exists_ = size();
    // RECENT goes with EXISTS (as Dovecot sends it); an EXPUNGE alone does not repeat it.
    if (!mode_.no_recent) absl::StrAppend(&out, "* ", recent_count_, " RECENT\r\n");
    reported_recent_ = recent_count_;
  }
  std::sort(changed_flags_.begin(), changed_flags_.end());
  changed_flags_.erase(std::unique(changed_flags_.begin(), changed_flags_.end()),
                       changed_flags_.end());
  for (uint32_t uid : changed_flags_) {
    auto seq = SeqOf(uid);
    if (!seq || ExpungedAt(*seq)) continue;
    absl::StrAppend(&out, FetchHead(*seq));
    if (mode_.condstore) absl::StrAppend(&out, "MODSEQ (", ModSeqAt(*seq), ") ");
    absl::StrAppend(&out, "FLAGS ", FlagsAt(*seq), ")\r\n");
    reported_changes_ = true;
  }
  changed_flags_.clear();
  MaybeRebase();
  return out;
}

// --- the shared base ---

void MailboxView::MaybeRebase() {
  size_t limit = std::max(kRebaseMinimum, base_->size() / kRebaseFraction);
  if (DeltaSize() > limit) Rebase();
}

bool MailboxView::Rebase() {
  // Only a view that is exactly the mailbox at modseq_ may become a base other sessions start
  // from: they will replay the change log after modseq_ on top of it.
  if (expunged_count_ > 0 || !pending_.empty() || max_own_modseq_ > modseq_) return false;
  if (cache_) {
    auto cached = cache_->Find(account_id_, mailbox_id_);
    if (cached && cached != base_ && cached->uid_validity() == uid_validity_ &&
        cached->modseq() == modseq_ && cached->size() == size()) {
      AdoptBase(std::move(cached));
      return true;
    }
  }
  std::vector<SnapshotBase::Entry> entries;
  entries.reserve(size());
  ForEach([&](uint32_t, const Entry& e) {
    entries.push_back(SnapshotBase::Entry{e.modseq, e.uid, e.system, e.keywords});
    return true;
  });
  // Keyword ids stay valid: the local sets follow the old base's, in id order.
  KeywordTable keywords = base_->keywords();
  for (auto& set : local_sets_) {
    keywords.ids[absl::StrJoin(set, " ")] = static_cast<uint32_t>(keywords.sets.size());
    keywords.sets.push_back(std::move(set));
  }
  keywords.all = all_keywords_;
  auto fresh = std::make_shared<const SnapshotBase>(mailbox_id_, uid_validity_, modseq_,
                                                    std::move(entries), std::move(keywords));
  AdoptBase(fresh);
  if (cache_) cache_->Publish(account_id_, fresh);
  return true;
}

void MailboxView::AdoptBase(std::shared_ptr<const SnapshotBase> base) {
  base_ = std::move(base);
  removed_ = {};
  changed_ = {};
  tail_ = {};
  local_sets_ = {};
  local_ids_ = {};
}

size_t MailboxView::BytesOwned() const {
  size_t n = sizeof(MailboxView) + removed_.capacity() * sizeof(uint32_t) +
             changed_.capacity() * (sizeof(std::pair<const uint32_t, Entry>) + 1) +
             tail_.capacity() * sizeof(Entry) + recent_.capacity() * sizeof(recent_[0]) +
             changed_flags_.capacity() * sizeof(uint32_t) +
             local_ids_.capacity() * (sizeof(std::pair<const std::string, uint32_t>) + 1) +
             all_keywords_.capacity() * sizeof(std::string) + name_.capacity();
  for (const auto& s : local_sets_) n += sizeof(s) + s.capacity() * sizeof(std::string);
  for (const auto& p : pending_) n += sizeof(p) + p.first.SpaceUsedLong();
  return n;
}

}  // namespace hadron::frontend
