// SnapshotBase and SnapshotCache (see snapshot_cache.h).
#include "frontend/session/snapshot_cache.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"

namespace hadron::frontend {

KeywordTable::KeywordTable() {
  sets.emplace_back();
  ids[""] = 0;
}

std::optional<uint32_t> KeywordTable::Find(const std::string& joined) const {
  auto it = ids.find(joined);
  if (it == ids.end()) return std::nullopt;
  return it->second;
}

size_t KeywordTable::BytesOwned() const {
  size_t n = sets.capacity() * sizeof(sets[0]) + all.capacity() * sizeof(std::string) +
             ids.capacity() * (sizeof(std::pair<const std::string, uint32_t>) + 1);
  for (const auto& s : sets) {
    n += s.capacity() * sizeof(std::string);
    for (const auto& k : s) n += k.capacity() > 15 ? k.capacity() : 0;
  }
  return n;
}

std::shared_ptr<const SnapshotBase> SnapshotBase::FromSelect(
    const hadron::state::v1::SelectResponse& r) {
  KeywordTable kw;
  for (const auto& k : r.keywords()) kw.all.push_back(k);
  // The id in `kw` of a set of keywords, added if new.
  auto id_of = [&kw](const google::protobuf::RepeatedPtrField<std::string>& keywords) {
    if (keywords.empty()) return uint32_t{0};
    std::vector<std::string> set(keywords.begin(), keywords.end());
    std::string joined = absl::StrJoin(set, " ");
    if (auto found = kw.Find(joined)) return *found;
    for (const auto& k : set) {
      if (std::none_of(kw.all.begin(), kw.all.end(),
                       [&](const std::string& a) { return absl::EqualsIgnoreCase(a, k); })) {
        kw.all.push_back(k);
      }
    }
    const auto id = static_cast<uint32_t>(kw.sets.size());
    kw.sets.push_back(std::move(set));
    kw.ids[joined] = id;
    return id;
  };
  // In the columnar form every message with the same set points at the same keyword_sets entry:
  // each distinct set is interned once, by address.
  absl::flat_hash_map<const void*, uint32_t> by_address;
  std::vector<Entry> entries;
  entries.reserve(r.columnar() ? r.uid_deltas_size() : r.messages_size());
  ForEachSelected(r, [&](uint32_t uid, uint32_t system, uint64_t modseq, const auto& keywords) {
    uint32_t id = 0;
    if (keywords.empty()) {
      // no keyword: set 0
    } else if (!r.columnar()) {
      id = id_of(keywords);  // each message has its own copy of its set
    } else {
      auto [it, fresh] = by_address.try_emplace(&keywords, 0);
      if (fresh) it->second = id_of(keywords);
      id = it->second;
    }
    entries.push_back(Entry{modseq, uid, system, id});
  });
  return std::make_shared<const SnapshotBase>(r.info().mailbox_id(), r.info().uid_validity(),
                                              r.info().highest_modseq(), std::move(entries),
                                              std::move(kw));
}

size_t SnapshotBase::BytesOwned() const {
  return entries_.capacity() * sizeof(Entry) + keywords_.BytesOwned();
}

std::shared_ptr<const SnapshotBase> SnapshotCache::Find(uint64_t account_id,
                                                        uint64_t mailbox_id) const {
  absl::MutexLock lock(&mu_);
  auto it = bases_.find(Key{account_id, mailbox_id});
  if (it == bases_.end()) return nullptr;
  return it->second.lock();
}

void SnapshotCache::Publish(uint64_t account_id,
                            const std::shared_ptr<const SnapshotBase>& base) {
  if (!base) return;
  absl::MutexLock lock(&mu_);
  auto& slot = bases_[Key{account_id, base->mailbox_id()}];
  auto current = slot.lock();
  // A base of another UIDVALIDITY is stale whatever its modseq.
  if (!current || current->uid_validity() != base->uid_validity() ||
      current->modseq() < base->modseq()) {
    slot = base;
  }
  // Drop the keys of mailboxes nobody has selected any more, now and then.
  if (bases_.size() >= sweep_at_) {
    absl::erase_if(bases_, [](const auto& kv) { return kv.second.expired(); });
    sweep_at_ = std::max<size_t>(64, bases_.size() * 2);
  }
}

size_t SnapshotCache::LiveCount() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [key, weak] : bases_) n += weak.expired() ? 0 : 1;
  return n;
}

}  // namespace hadron::frontend
