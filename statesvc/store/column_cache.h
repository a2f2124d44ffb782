// ColumnCache: the SELECT columns (MailboxColumns) of recently selected big mailboxes, kept in
// the statesvc's memory as Dovecot keeps its index files mapped, so that a SELECT with no other
// session on the mailbox does not read and decode every message record again. An entry is the
// mailbox at one modseq; Store::SelectColumns brings an older entry forward with the mailbox's
// change log (ApplyChanges) instead of scanning. Bounded by bytes; the least recently used entry
// goes first. Thread-safe; entries are immutable and shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "statesvc/store/types.h"

namespace hadron::store {

class ColumnCache {
 public:
  // max_bytes 0: nothing is kept.
  explicit ColumnCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The cached columns of the mailbox (at whatever modseq they were put), or null.
  std::shared_ptr<const MailboxColumns> Find(uint64_t account, uint64_t mailbox);
  // Keeps `columns` unless an entry at a newer modseq of the same UIDVALIDITY is there, then
  // drops least recently used entries until the total fits.
  void Put(uint64_t account, uint64_t mailbox, std::shared_ptr<const MailboxColumns> columns);
  void Erase(uint64_t account, uint64_t mailbox);

  size_t bytes() const;
  size_t size() const;
  // Heap bytes of one entry (what counts against max_bytes).
  static size_t BytesOf(const MailboxColumns& c);

 private:
  struct Entry {
    std::shared_ptr<const MailboxColumns> columns;
    size_t bytes = 0;
    uint64_t last_use = 0;
  };
  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, Entry> entries_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t clock_ ABSL_GUARDED_BY(mu_) = 0;
};

// Brings `c` forward by `changes` (the mailbox's change log above c.modseq, modseqs ascending).
// False when they cannot be applied (an APPEND at or below a UID already there): scan instead.
bool ApplyChanges(MailboxColumns& c, const std::vector<Change>& changes);

}  // namespace hadron::store
