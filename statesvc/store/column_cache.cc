// ColumnCache and ApplyChanges (see column_cache.h).
#include "statesvc/store/column_cache.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/str_join.h"

namespace hadron::store {

std::shared_ptr<const MailboxColumns> ColumnCache::Find(uint64_t account, uint64_t mailbox) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(std::make_pair(account, mailbox));
  if (it == entries_.end()) return nullptr;
  it->second.last_use = ++clock_;
  return it->second.columns;
}

void ColumnCache::Put(uint64_t account, uint64_t mailbox,
                      std::shared_ptr<const MailboxColumns> columns) {
  const size_t bytes = BytesOf(*columns);
  if (bytes > max_bytes_) return;
  absl::MutexLock lock(&mu_);
  Entry& e = entries_[std::make_pair(account, mailbox)];
  if (e.columns && e.columns->uid_validity == columns->uid_validity &&
      e.columns->modseq > columns->modseq) {
    e.last_use = ++clock_;
    return;  // a newer one is already there
  }
  bytes_ -= e.bytes;
  e.columns = std::move(columns);
  e.bytes = bytes;
  e.last_use = ++clock_;
  bytes_ += bytes;
  while (bytes_ > max_bytes_) {
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.last_use < oldest->second.last_use) oldest = it;
    }
    bytes_ -= oldest->second.bytes;
    entries_.erase(oldest);
  }
}

void ColumnCache::Erase(uint64_t account, uint64_t mailbox) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(std::make_pair(account, mailbox));
  if (it == entries_.end()) return;
  bytes_ -= it->second.bytes;
  entries_.erase(it);
}

size_t ColumnCache::bytes() const {
  absl::MutexLock lock(&mu_);
  return bytes_;
}

size_t ColumnCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

size_t ColumnCache::BytesOf(const MailboxColumns& c) {
  size_t n = sizeof(c) + c.uids.capacity() * sizeof(uint32_t) +
             c.system.capacity() * sizeof(uint32_t) + c.modseqs.capacity() * sizeof(uint64_t) +
             c.keyword_set.capacity() * sizeof(uint32_t);
  for (const auto& set : c.keyword_sets) {
    n += sizeof(set);
    for (const auto& k : set) n += sizeof(k) + k.capacity();
  }
  return n;
}

bool ApplyChanges(MailboxColumns& c, const std::vector<Change>& changes) {
  // Keyword sets by their joined words (keywords are atoms: no spaces), built on first need.
  absl::flat_hash_map<std::string, uint32_t> set_ids;
  bool set_ids_built = false;
  auto set_of = [&](const std::vector<std::string>& words) -> uint32_t {
    if (words.empty()) return 0;
    if (!set_ids_built) {
      for (uint32_t i = 1; i < c.keyword_sets.size(); ++i) {
        set_ids.emplace(absl::StrJoin(c.keyword_sets[i], " "), i);
      }
      set_ids_built = true;
    }
    std::string joined = absl::StrJoin(words, " ");
    auto [it, fresh] = set_ids.emplace(joined, static_cast<uint32_t>(c.keyword_sets.size()));
    if (fresh) c.keyword_sets.push_back(words);
    return it->second;
  };
  auto set_keywords = [&](size_t i, uint32_t set) {
    if (set != 0 && c.keyword_set.empty()) c.keyword_set.assign(c.uids.size(), 0);
    if (!c.keyword_set.empty()) c.keyword_set[i] = set;
  };
  std::vector<bool> gone;
  size_t gone_count = 0;
  auto find = [&](uint32_t uid) -> std::optional<size_t> {
    auto it = std::lower_bound(c.uids.begin(), c.uids.end(), uid);
    if (it == c.uids.end() || *it != uid) return std::nullopt;
    const auto i = static_cast<size_t>(it - c.uids.begin());
    if (i < gone.size() && gone[i]) return std::nullopt;
    return i;
  };
  for (const Change& ch : changes) {
    switch (ch.kind) {
      case Change::kExpunge:
        for (uint32_t uid : ch.expunged) {
          auto i = find(uid);
          if (!i) continue;
          if (gone.size() < c.uids.size()) gone.resize(c.uids.size(), false);
          gone[*i] = true;
          ++gone_count;
        }
        break;
      case Change::kFlags:
        for (const MessageMeta& m : ch.messages) {
          auto i = find(m.uid);
          if (!i) continue;  // expunged since
          c.system[*i] = m.flags.system;
          c.modseqs[*i] = m.modseq;
          set_keywords(*i, set_of(m.flags.keywords));
        }
        break;
      case Change::kAppend:
        for (const MessageMeta& m : ch.messages) {
          if (!c.uids.empty() && m.uid <= c.uids.back()) return false;
          c.uids.push_back(m.uid);
          c.system.push_back(m.flags.system);
          c.modseqs.push_back(m.modseq);
          if (!c.keyword_set.empty()) c.keyword_set.push_back(0);
          set_keywords(c.uids.size() - 1, set_of(m.flags.keywords));
        }
        break;
    }
    c.modseq = std::max(c.modseq, ch.modseq);
  }
  if (gone_count > 0) {
    size_t out = 0;
    for (size_t i = 0; i < c.uids.size(); ++i) {
      if (i < gone.size() && gone[i]) continue;
      c.uids[out] = c.uids[i];
      c.system[out] = c.system[i];
      c.modseqs[out] = c.modseqs[i];
      if (!c.keyword_set.empty()) c.keyword_set[out] = c.keyword_set[i];
      ++out;
    }
    c.uids.resize(out);
    c.system.resize(out);
    c.modseqs.resize(out);
    if (!c.keyword_set.empty()) c.keyword_set.resize(out);
  }
  return true;
}

}  // namespace hadron::store
