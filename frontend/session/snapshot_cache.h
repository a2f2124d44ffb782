// SnapshotBase and SnapshotCache: one immutable copy of a mailbox's messages that every session on
// this frontend with the mailbox selected shares; each MailboxView keeps only its own delta.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "hadron/state/v1/state.pb.h"

namespace hadron::frontend {

// Distinct keyword sets, numbered: messages store a set's id instead of the strings.
struct KeywordTable {
  std::vector<std::vector<std::string>> sets;  // id 0 is the empty set
  absl::flat_hash_map<std::string, uint32_t> ids;  // joined set -> id
  std::vector<std::string> all;  // every keyword, first spelling wins (the FLAGS response)

  KeywordTable();
  // The id of `keywords` if this table has it.
  std::optional<uint32_t> Find(const std::string& joined) const;
  size_t BytesOwned() const;
};

// Calls f(uid, system, modseq, keywords) for each message of a statesvc Select answer, in UID
// order, whichever form the answer has (columns, or one `messages` entry each); `keywords` is a
// `const google::protobuf::RepeatedPtrField<std::string>&`. Messages whose UID does not ascend are
// skipped (the statesvc never sends them; every lookup would break on them). Columns of unequal
// length count as far as the shortest; a keyword set index out of range counts as no keyword.
template <typename F>
void ForEachSelected(const hadron::state::v1::SelectResponse& r, F&& f) {
  if (!r.columnar()) {
    uint32_t last_uid = 0;
    for (const auto& m : r.messages()) {
      if (m.uid() <= last_uid) continue;
      last_uid = m.uid();
      f(m.uid(), m.flags().system(), m.modseq(), m.flags().keywords());
    }
    return;
  }
  static const google::protobuf::RepeatedPtrField<std::string> kNone;
  const int n = std::min({r.uid_deltas_size(), r.system_flags_size(), r.modseqs_size()});
  const bool with_keywords = r.keyword_set_size() >= n;
  uint32_t uid = 0;
  for (int i = 0; i < n; ++i) {
    const uint32_t delta = r.uid_deltas(i);
    if (delta == 0 || uid + delta < uid) continue;
    uid += delta;
    const auto* keywords = &kNone;
    if (with_keywords) {
      const uint32_t set = r.keyword_set(i);
      if (set > 0 && set < static_cast<uint32_t>(r.keyword_sets_size())) {
        keywords = &r.keyword_sets(static_cast<int>(set)).keywords();
      }
    }
    f(uid, r.system_flags(i), r.modseqs(i), *keywords);
  }
}

// The messages of one mailbox as of `modseq`, UID order. Never changes once built.
class SnapshotBase {
 public:
  struct Entry {
    uint64_t modseq;
    uint32_t uid;
    uint32_t system;    // pb::SystemFlag bits
    uint32_t keywords;  // id in keywords()
  };

  SnapshotBase(uint64_t mailbox_id, uint32_t uid_validity, uint64_t modseq,
               std::vector<Entry> entries, KeywordTable keywords)
      : mailbox_id_(mailbox_id),
        uid_validity_(uid_validity),
        modseq_(modseq),
        entries_(std::move(entries)),
        keywords_(std::move(keywords)) {}
  // From a statesvc Select answer.
  static std::shared_ptr<const SnapshotBase> FromSelect(const hadron::state::v1::SelectResponse& r);

  uint64_t mailbox_id() const { return mailbox_id_; }
  uint32_t uid_validity() const { return uid_validity_; }
  uint64_t modseq() const { return modseq_; }
  const std::vector<Entry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  const KeywordTable& keywords() const { return keywords_; }
  // Heap bytes held by this base (its entries and keyword table).
  size_t BytesOwned() const;

 private:
  uint64_t mailbox_id_;
  uint32_t uid_validity_;
  uint64_t modseq_;
  std::vector<Entry> entries_;
  KeywordTable keywords_;
};

// Per-frontend index of live bases by (account, mailbox). Holds weak references only: a base
// lives as long as some view uses it. Thread-safe.
class SnapshotCache {
 public:
  // The newest live base of the mailbox, or null.
  std::shared_ptr<const SnapshotBase> Find(uint64_t account_id, uint64_t mailbox_id) const;
  // Makes `base` the one later sessions get, unless a newer live base is already there.
  void Publish(uint64_t account_id, const std::shared_ptr<const SnapshotBase>& base);
  // Keys with a live base (for tests and metrics).
  size_t LiveCount() const;

 private:
  using Key = std::pair<uint64_t, uint64_t>;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<Key, std::weak_ptr<const SnapshotBase>> bases_ ABSL_GUARDED_BY(mu_);
  size_t sweep_at_ ABSL_GUARDED_BY(mu_) = 64;  // drop dead keys when the map grows past this
};

}  // namespace hadron::frontend
