// The state store's retention: expunged messages kept for unsynchronized sessions, change-log
// trimming, and the background sweeper thread that enforces both.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "statesvc/store/keys.h"
#include "statesvc/store/store.h"
#include "statesvc/store/store_internal.h"

namespace hadron::store {
namespace {

// Upper bounds of one WriteBatch, so the sweeper never holds an account lock for long.
constexpr size_t kExpungedPerBatch = 1000;
constexpr size_t kChangesPerBatch = 10000;

}  // namespace

void Store::ExpungeToBatch(uint64_t account, uint64_t mailbox, uint32_t uid,
                           const MessageRecord& rec, uint64_t modseq, int64_t now_us,
                           rocksdb::WriteBatch& batch) {
  ExpungedRecord e{rec, now_us, modseq};
  batch.Delete(cf(kMessages), keys::MessageKey(account, mailbox, uid));
  batch.Put(cf(kExpunged), keys::ExpungedKey(account, mailbox, uid), EncodeExpunged(e));
  batch.Put(cf(kExpungedByTime), keys::ExpungedTimeKey(now_us, account, mailbox, uid), "");
}

absl::StatusOr<SweepStats> Store::Sweep() {
  SweepStats stats;
  RETURN_IF_ERROR(SweepExpunged(stats));
  RETURN_IF_ERROR(TrimChangeLogs(stats));
  return stats;
}

absl::Status Store::SweepExpunged(SweepStats& stats) {
  const int64_t cutoff = NowMicros() - absl::ToInt64Microseconds(options_.expunged_retention);
  if (cutoff <= 0) return absl::OkStatus();
  // Entries strictly older than the cutoff; each round deletes what it read, so the next round
  // starts from the beginning again.
  const std::string end = keys::ExpungedTimeKey(cutoff, 0, 0, 0);
  while (!stopping_.load()) {
    std::map<uint64_t, std::vector<keys::ExpungedTimeKeyParts>> by_account;
    std::vector<std::string> malformed;
    size_t n = 0;
    {
      rocksdb::Slice upper(end);
      rocksdb::ReadOptions ro;
      ro.iterate_upper_bound = &upper;
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kExpungedByTime)));
      for (it->SeekToFirst(); it->Valid() && n < kExpungedPerBatch; it->Next(), ++n) {
        auto parts = keys::ParseExpungedTimeKey(it->key().ToStringView());
        if (!parts) {
          malformed.push_back(it->key().ToString());
          continue;
        }
        by_account[parts->account].push_back(*parts);
      }
      RETURN_IF_ERROR(FromRocks(it->status()));
    }
    if (n == 0) return absl::OkStatus();
    if (!malformed.empty()) {
      rocksdb::WriteBatch batch;
      for (const auto& k : malformed) batch.Delete(cf(kExpungedByTime), k);
      RETURN_IF_ERROR(Commit(0, batch, {}, {}, true));
    }
    for (const auto& [account, entries] : by_account) {
      // Under the account lock, so a concurrent DeleteMailbox cannot drop the same blob
      // reference twice: the record is re-read and only removed if it is still the one indexed.
      absl::MutexLock lock(AccountMutex(account));
      rocksdb::WriteBatch batch;
      BlobDeltas blobs;
      uint64_t removed = 0;
      for (const auto& p : entries) {
        batch.Delete(cf(kExpungedByTime), keys::ExpungedTimeKey(p.time_us, p.account, p.mailbox, p.uid));
        std::string key = keys::ExpungedKey(p.account, p.mailbox, p.uid);
        ASSIGN_OR_RETURN(auto v, GetValue(db_, cf(kExpunged), key, nullptr));
        if (!v) continue;  // its mailbox or account was deleted meanwhile
        auto rec = DecodeExpunged(*v);
        if (!rec.ok()) {
          batch.Delete(cf(kExpunged), key);  // unreadable: nothing could fetch it anyway
          continue;
        }
        if (rec->expunged_at_us != p.time_us) continue;  // not the record this entry indexed
        batch.Delete(cf(kExpunged), key);
        blobs.delta[rec->message.blob] -= 1;
        ++removed;
      }
      RETURN_IF_ERROR(Commit(account, batch, blobs, {}, true));
      stats.expunged_removed += removed;
    }
  }
  return absl::OkStatus();
}

absl::Status Store::TrimChangeLogs(SweepStats& stats) {
  if (options_.changelog_keep == 0) return absl::OkStatus();
  // A cheap first pass over the mailbox records: a log spans at most highest_modseq - log_floor
  // records (one per modseq at most), so only mailboxes over the limit are looked at closely.
  std::vector<std::pair<uint64_t, uint64_t>> over;
  {
    rocksdb::ReadOptions ro;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kMailboxes)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto ids = keys::AccountMailboxFromKey(it->key().ToStringView());
      if (!ids) continue;
      auto rec = DecodeMailbox(it->value().ToStringView());
      if (!rec.ok()) continue;
      if (rec->info.highest_modseq > rec->log_floor &&
          rec->info.highest_modseq - rec->log_floor > options_.changelog_keep) {
        over.push_back(*ids);
      }
    }
    RETURN_IF_ERROR(FromRocks(it->status()));
  }
  for (const auto& [account, mailbox] : over) {
    if (stopping_.load()) break;
    RETURN_IF_ERROR(TrimChangeLog(account, mailbox, stats));
  }
  return absl::OkStatus();
}

absl::Status Store::TrimChangeLog(uint64_t account, uint64_t mailbox, SweepStats& stats) {
  const int64_t young = NowMicros() - absl::ToInt64Microseconds(options_.changelog_keep_age);
  bool raised = false;
  while (!stopping_.load()) {
    absl::MutexLock lock(AccountMutex(account));
    auto mb = LoadMailbox(account, mailbox);
    if (absl::IsNotFound(mb.status())) break;  // deleted meanwhile
    RETURN_IF_ERROR(mb.status());
    const uint64_t highest = mb->info.highest_modseq;
    if (highest <= mb->log_floor || highest - mb->log_floor <= options_.changelog_keep) break;
    // Records with a modseq up to `limit` are beyond the last changelog_keep modseqs.
    const uint64_t limit = highest - options_.changelog_keep;
    const std::string prefix = keys::ChangePrefix(account, mailbox);
    const std::string end = keys::ChangeKey(account, mailbox, limit + 1);
    rocksdb::Slice upper(end);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kChanges)));
    rocksdb::WriteBatch batch;
    uint64_t floor = mb->log_floor;
    size_t n = 0;
    bool more = false;
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      auto modseq = keys::ModseqFromChangeKey(it->key().ToStringView());
      if (!modseq) return absl::DataLossError("malformed change key");
      int64_t time_us = 0;
      auto change = DecodeChange(it->value().ToStringView(), &time_us);
      // An unreadable record cannot be replayed anyway; a young one stays (and so does all
      // that follows: times only grow with modseqs).
      if (change.ok() && time_us > young) break;
      if (n == kChangesPerBatch) {
        more = true;
        break;
      }
      batch.Delete(cf(kChanges), it->key());
      floor = std::max(floor, *modseq);
      ++n;
    }
    RETURN_IF_ERROR(FromRocks(it->status()));
    it.reset();
    if (n == 0) break;
    // The floor rises in the same batch: a replay from below it answers resync, never a gap.
    MailboxRecord rec = *std::move(mb);
    rec.log_floor = floor;
    batch.Put(cf(kMailboxes), keys::MailboxKey(account, mailbox), EncodeMailbox(rec));
    RETURN_IF_ERROR(Commit(account, batch, {}, {}, true));
    stats.changes_trimmed += n;
    raised = true;
    if (!more) break;
  }
  if (raised) ++stats.mailboxes_trimmed;
  return absl::OkStatus();
}

void Store::StartSweeper() {
  sweeper_ = std::thread([this] {
    sweep_mu_.Lock();
    while (!sweep_stop_) {
      const absl::Time deadline = absl::Now() + options_.sweep_interval;
      // WaitWithDeadline is true on timeout; a wake-up without the stop flag waits on.
      while (!sweep_stop_ && !sweep_cv_.WaitWithDeadline(&sweep_mu_, deadline)) {
      }
      if (sweep_stop_) break;
      sweep_mu_.Unlock();
      absl::StatusOr<SweepStats> result = Sweep();
      if (options_.on_sweep) options_.on_sweep(result);
      sweep_mu_.Lock();
    }
    sweep_mu_.Unlock();
  });
}

void Store::StopSweeper() {
  stopping_.store(true);
  {
    absl::MutexLock lock(&sweep_mu_);
    sweep_stop_ = true;
    sweep_cv_.SignalAll();
  }
  if (sweeper_.joinable()) sweeper_.join();
}

}  // namespace hadron::store
