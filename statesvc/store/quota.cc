// QUOTA (RFC 9208): per-account usage, kept exactly in the same WriteBatch as each mutation, and
// limits (none by default).
#include "absl/strings/str_cat.h"
#include "common/overquota.h"
#include "common/status.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "statesvc/store/keys.h"
#include "statesvc/store/mutations.h"
#include "statesvc/store/store.h"
#include "statesvc/store/store_internal.h"

namespace hadron::store {

absl::Status CheckQuota(const Quota& quota, uint64_t add_bytes, uint64_t add_messages) {
  if (quota.limits.messages && quota.usage.messages + add_messages > *quota.limits.messages) {
    return OverQuotaError(absl::StrCat("message quota exceeded (", *quota.limits.messages,
                                       " messages)"));
  }
  if (quota.limits.storage_kib &&
      quota.usage.storage + add_bytes > *quota.limits.storage_kib * 1024) {
    return OverQuotaError(absl::StrCat("storage quota exceeded (", *quota.limits.storage_kib,
                                       " KiB)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Quota> Store::LoadQuotaLocked(uint64_t account) {
  Quota q;
  ASSIGN_OR_RETURN(auto usage, GetValue(db_, cf(kMeta), keys::QuotaUsageKey(account), nullptr));
  if (usage) {
    ASSIGN_OR_RETURN(q.usage, DecodeQuotaUsage(*usage));
  } else {
    // An account from before quotas: its usage is what its mailboxes hold; the next mutation
    // stores it.
    ASSIGN_OR_RETURN(auto mailboxes, ListMailboxes(account));
    for (const auto& m : mailboxes) {
      q.usage.storage += m.size;
      q.usage.messages += m.messages;
    }
  }
  ASSIGN_OR_RETURN(auto limits, GetValue(db_, cf(kMeta), keys::QuotaLimitsKey(account), nullptr));
  if (limits) {
    ASSIGN_OR_RETURN(q.limits, DecodeQuotaLimits(*limits));
  }
  return q;
}

void Store::PutQuotaUsage(uint64_t account, const QuotaUsage& usage, rocksdb::WriteBatch& batch) {
  batch.Put(cf(kMeta), keys::QuotaUsageKey(account), EncodeQuotaUsage(usage));
}

absl::StatusOr<Quota> Store::GetQuota(uint64_t account) {
  absl::MutexLock lock(AccountMutex(account));
  RETURN_IF_ERROR(CheckAccount(account));
  return LoadQuotaLocked(account);
}

absl::Status Store::SetQuota(uint64_t account, const QuotaLimits& limits) {
  absl::MutexLock lock(AccountMutex(account));
  RETURN_IF_ERROR(CheckAccount(account));
  // A limit below the usage is allowed (RFC 9208 4.1.3): nothing is removed, new mail is refused.
  rocksdb::WriteBatch batch;
  batch.Put(cf(kMeta), keys::QuotaLimitsKey(account), EncodeQuotaLimits(limits));
  return Commit(account, batch, {}, {});
}

}  // namespace hadron::store
