// Small helpers for building a mutation's WriteBatch (counts, change records, flags).
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "statesvc/store/records.h"
#include "statesvc/store/types.h"

namespace hadron::store {

// Adds (sign=+1) or removes (sign=-1) a message's contribution to the mailbox counts.
void CountMessage(MailboxInfo& info, const MessageRecord& m, int sign);

// Appends `change`, committed at `time_us` (microseconds since 1970), to the mailbox's change log.
void PutChange(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* cf, uint64_t account,
               uint64_t mailbox, const Change& change, int64_t time_us);

// Validates flags and maps keywords to the mailbox's spelling (case-insensitive). New keywords
// are added to `mailbox.keywords` when `add_new`; otherwise unknown keywords are dropped.
absl::StatusOr<Flags> CanonicalFlags(const Flags& in, MailboxRecord& mailbox, bool add_new);

// QUOTA (quota.cc): OVERQUOTA if adding `add_bytes` in `add_messages` messages exceeds a limit.
absl::Status CheckQuota(const Quota& quota, uint64_t add_bytes, uint64_t add_messages);

// The flags after applying `op` with `arg` to `cur` (both canonical).
Flags ApplyFlags(const Flags& cur, StoreOp op, const Flags& arg);

}  // namespace hadron::store
