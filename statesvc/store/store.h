// The state store: accounts, mailboxes, messages, blobs and the change log on one RocksDB.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/metrics/metrics.h"
#include "statesvc/store/column_cache.h"
#include "statesvc/store/login_cache.h"
#include "statesvc/store/password.h"
#include "statesvc/store/records.h"
#include "statesvc/store/types.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Snapshot;
class WriteBatch;
class Statistics;
}  // namespace rocksdb

namespace hadron::store {

// Sharding (issue 7, transfer.cc): an account as it moves between shards.
struct MailboxTransfer {
  MailboxRecord record;  // info (its id: the source's), keywords
  std::vector<std::pair<uint32_t, MessageRecord>> messages;  // UID order, metadata only
};
struct AccountTransfer {
  uint64_t id = 0;  // the source's
  AccountRecord account;
  QuotaLimits limits;
  std::vector<MailboxTransfer> mailboxes;
  bool moving = false;
  std::vector<std::pair<std::string, uint64_t>> thread_index;  // (SHA-256 of a Message-ID, thread)
};
struct ImportedMessage {
  uint32_t uid = 0;
  Flags flags;
  uint64_t modseq = 0;
  int64_t internal_date = 0;
  int32_t internal_date_tz = 0;
  int64_t save_date = 0;
  std::string content;
  uint64_t thread = 0;  // kept as is (0: a record from before threads)
};

// What one Sweep() removed.
struct SweepStats {
  uint64_t expunged_removed = 0;   // expunged messages deleted for good
  uint64_t changes_trimmed = 0;    // change-log records deleted
  uint64_t mailboxes_trimmed = 0;  // mailboxes whose log floor rose
};

struct StoreOptions {
  ScryptParams scrypt;
  // Tests may turn off fsync for speed; production keeps it on.
  bool sync_writes = true;
  // Writes are refused (UNAVAILABLE, "disk full") while the data directory's filesystem has
  // less than this free, so RocksDB itself never meets ENOSPC (Debian's RocksDB can abort on it).
  uint64_t min_free_bytes = 64 << 20;
  // An expunged message stays fetchable (for sessions not yet told) this long, then Sweep()
  // deletes it and drops its blob reference.
  absl::Duration expunged_retention = absl::Hours(1);
  // Sweep() trims a mailbox's change log to the changes of its last `changelog_keep` modseqs,
  // but never a change younger than `changelog_keep_age`; replays from below the trimmed part
  // answer resync. 0 keeps everything.
  uint64_t changelog_keep = 100000;
  absl::Duration changelog_keep_age = absl::Hours(1);
  // How often a background thread runs Sweep(); zero: no thread (call Sweep() yourself).
  absl::Duration sweep_interval = absl::ZeroDuration();
  // The clock for expunge and change times; null means absl::Now. Tests inject their own.
  std::function<absl::Time()> clock;
  // Called by the background sweeper after each Sweep() (e.g. to log); may be null.
  std::function<void(const absl::StatusOr<SweepStats>&)> on_sweep;
  // Checkpoint() writes only inside this directory; empty: checkpoints are refused.
  std::string backup_dir;
  // SELECT's column cache (column_cache.h): at most this many bytes (0: none), for mailboxes of
  // at least select_cache_min_messages messages (smaller ones are read quickly anyway).
  size_t select_cache_bytes = 256u << 20;
  size_t select_cache_min_messages = 5000;
  // Sharding (issue 7): this store is shard `shard_index` of `shard_count` (0: not sharded).
  // CreateAccount (and an import) refuse a name the ring places on another shard.
  size_t shard_index = 0;
  size_t shard_count = 0;
  // Login cache (issue 8, login_cache.h): a successful verification is remembered this long,
  // for at most this many accounts, so a repeated LOGIN skips scrypt. Zero: off.
  absl::Duration login_cache_ttl = absl::Hours(1);
  size_t login_cache_size = 100000;
};

// Result of Store::Checkpoint.
struct CheckpointInfo {
  std::string dir;        // absolute path written
  uint64_t sequence = 0;  // last sequence number included
  uint64_t files = 0;
  uint64_t bytes = 0;
};

class Store {
 public:
  // Opens (creating if needed) the database in `dir`.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& dir,
                                                     const StoreOptions& options = {});
  ~Store();  // flushes and closes the database
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Set before serving; not owned. Called after every committed mutation.
  void SetListener(ChangeListener* listener);

  // --- Accounts. Names are case-insensitive (stored lowercase). ---
  // Creates the account with INBOX, Drafts, Sent, Trash, Junk and Archive. AlreadyExists if taken.
  absl::StatusOr<uint64_t> CreateAccount(std::string_view name, std::string_view password);
  absl::Status DeleteAccount(std::string_view name);
  absl::Status SetPassword(std::string_view name, std::string_view password);
  // Unauthenticated on an unknown name or a wrong password (same message for both).
  absl::StatusOr<Account> Authenticate(std::string_view name, std::string_view password);
  absl::StatusOr<Account> LookupAccount(std::string_view name);

  // --- Mailboxes. Names use "/"; any case of INBOX means INBOX. ---
  absl::StatusOr<std::vector<MailboxInfo>> ListMailboxes(uint64_t account);  // sorted by name
  absl::StatusOr<MailboxInfo> GetMailbox(uint64_t account, std::string_view name);
  absl::StatusOr<MailboxInfo> GetMailboxById(uint64_t account, uint64_t mailbox);
  // Creates missing parents too. AlreadyExists if `name` exists.
  absl::StatusOr<MailboxInfo> CreateMailbox(uint64_t account, std::string_view name,
                                            std::string_view special_use = "");
  // InvalidArgument for INBOX, FailedPrecondition if it has children; its messages go.
  absl::Status DeleteMailbox(uint64_t account, std::string_view name);
  // Moves children along; renaming INBOX moves its messages to a new mailbox and empties INBOX.
  absl::Status RenameMailbox(uint64_t account, std::string_view from, std::string_view to);
  absl::Status SetSubscribed(uint64_t account, std::string_view name, bool subscribed);
  absl::StatusOr<SelectResult> Select(uint64_t account, std::string_view name);
  // The same answer as columns (what frontends use): from the column cache when it has the
  // mailbox (brought forward by the change log if older), else read without decoding whole
  // records, and cached if the mailbox has select_cache_min_messages or more.
  absl::StatusOr<SelectedColumns> SelectColumns(uint64_t account, std::string_view name);
  // SelectColumns answers from the cache / by reading every message (metrics and tests).
  uint64_t select_cache_hits() const { return select_cache_hits_.load(std::memory_order_relaxed); }
  uint64_t select_cache_misses() const {
    return select_cache_misses_.load(std::memory_order_relaxed);
  }
  const ColumnCache& column_cache() const { return column_cache_; }
  // Claims \Recent for the messages up to `up_to_uid` that no session claimed before; returns
  // the first UID claimed now (claimed are [result, up_to_uid]; none if result > up_to_uid).
  absl::StatusOr<uint32_t> ClaimRecent(uint64_t account, uint64_t mailbox, uint32_t up_to_uid);

  // --- Messages. ---
  // internal_date 0 = now; tz in minutes east of UTC.
  absl::StatusOr<AppendResult> Append(uint64_t account, std::string_view mailbox, const Flags& flags,
                                      int64_t internal_date, int32_t internal_date_tz,
                                      std::string_view raw);
  // MULTIAPPEND: every item into `mailbox` in one WriteBatch at one modseq, or none of them.
  absl::StatusOr<AppendBatchResult> AppendBatch(uint64_t account, std::string_view mailbox,
                                                absl::Span<const AppendItem> items);
  absl::StatusOr<std::vector<FetchedMessage>> Fetch(uint64_t account, uint64_t mailbox,
                                                    absl::Span<const uint32_t> uids,
                                                    bool want_structure, bool want_content);
  absl::StatusOr<StoreResult> StoreFlags(uint64_t account, uint64_t mailbox,
                                         absl::Span<const uint32_t> uids, StoreOp op,
                                         const Flags& flags, uint64_t unchanged_since);
  absl::StatusOr<ExpungeResult> Expunge(uint64_t account, uint64_t mailbox,
                                        absl::Span<const uint32_t> uids, bool restrict_to_uids,
                                        bool force);
  absl::StatusOr<CopyResult> Copy(uint64_t account, uint64_t mailbox,
                                  absl::Span<const uint32_t> uids, std::string_view destination,
                                  bool move);
  // UIDs of the matching messages, ascending; with `modseqs`, their modseqs alongside.
  absl::StatusOr<std::vector<uint32_t>> Search(uint64_t account, uint64_t mailbox,
                                               const SearchKey& key,
                                               std::vector<uint64_t>* modseqs = nullptr);
  absl::StatusOr<ChangesResult> GetChanges(uint64_t account, uint64_t mailbox,
                                           uint64_t since_modseq);

  // --- QUOTA (RFC 9208, quota.cc): one quota root per account; no limit by default. ---
  absl::StatusOr<Quota> GetQuota(uint64_t account);
  // Replaces the account's limits (an absent limit: none).
  absl::Status SetQuota(uint64_t account, const QuotaLimits& limits);

  // --- Sharding (issue 7, transfer.cc): moving an account to another shard. ---
  // Every account name (lower case, sorted).
  absl::StatusOr<std::vector<std::string>> ListAccountNames();
  // The account with its password hash, quota limits, mailboxes and message metadata.
  absl::StatusOr<AccountTransfer> ExportAccount(std::string_view name);
  // Creates the account as exported (same hash, mailbox ids, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ,
  // keywords, subscriptions, special use, limits, thread index), without messages. AlreadyExists if
  // the name is taken. Returns the new account id and mailboxes.
  absl::StatusOr<std::pair<uint64_t, std::vector<MailboxInfo>>> ImportAccount(
      const AccountTransfer& transfer);
  // Stores messages at their UIDs (below the mailbox's UIDNEXT, not present yet).
  absl::Status ImportMessages(uint64_t account, uint64_t mailbox,
                              std::vector<ImportedMessage> messages);
  // While moving, every mutation of the account fails with UNAVAILABLE (reads go on). In memory:
  // a restart of this statesvc unlocks.
  absl::Status SetAccountMoving(std::string_view name, bool moving);
  // Deletes a moving account and remembers the name moved: Authenticate then answers
  // UNAVAILABLE (a frontend with an old shard list) rather than "invalid credentials".
  absl::Status RemoveMovedAccount(std::string_view name);

  // Number of stored blobs (distinct message contents); for tests and stats.
  absl::StatusOr<uint64_t> CountBlobs();
  // Reference count of the blob holding `raw` (after line-ending normalization); for tests.
  absl::StatusOr<uint64_t> BlobRefCount(std::string_view raw);
  // Number of expunged messages still kept; for tests and stats.
  absl::StatusOr<uint64_t> CountExpunged();

  // --- Retention (retention.cc). ---
  // Deletes expunged messages older than options.expunged_retention (dropping their blob
  // references) and trims change logs (options.changelog_keep / changelog_keep_age), raising
  // each trimmed mailbox's log floor in the same WriteBatch. Safe to call concurrently with
  // anything; the background sweeper (options.sweep_interval) calls it.
  absl::StatusOr<SweepStats> Sweep();

  // --- Backups (checkpoint.cc). ---
  // Writes a consistent, openable copy of the whole database (a RocksDB checkpoint: memtables
  // flushed, table files hard-linked when on the same filesystem, else copied) to `dir`, relative
  // to options.backup_dir or absolute inside it. Safe while serving.
  absl::StatusOr<CheckpointInfo> Checkpoint(std::string_view dir);

  // Operations (stats.cc): RocksDB statistics and properties as Prometheus families.
  void CollectMetrics(std::vector<metrics::CollectedFamily>& out);

 private:
  // FAILED_PRECONDITION when the shard ring places `lower_name` on another shard (issue 7).
  absl::Status CheckShardOwner(std::string_view lower_name) const;
  // UNAVAILABLE when writing `incoming` bytes would leave less than min_free_bytes free.
  absl::Status CheckFreeSpace(size_t incoming) const;
  struct NewBlob {
    std::string raw;
    std::string parsed;  // EncodeParsed
  };
  // Blob reference deltas of one mutation, with the content of blobs it may create.
  struct BlobDeltas {
    absl::flat_hash_map<std::string, int64_t> delta;
    absl::flat_hash_map<std::string, NewBlob> fresh;
  };
  struct Pending {  // a change to publish after commit
    uint64_t mailbox = 0;
    bool gone = false;
    Change change;
  };
  Store(const StoreOptions& options, rocksdb::DB* db,
        std::vector<rocksdb::ColumnFamilyHandle*> handles);

  // The store's clock, in microseconds since 1970.
  int64_t NowMicros() const;
  // Moves a message (account mutex held) from messages to expunged in `batch`; its blob
  // reference moves along with it (no delta).
  void ExpungeToBatch(uint64_t account, uint64_t mailbox, uint32_t uid, const MessageRecord& rec,
                      uint64_t modseq, int64_t now_us, rocksdb::WriteBatch& batch);
  // Retention: one pass over expired expunged records / over the mailboxes' change logs.
  absl::Status SweepExpunged(SweepStats& stats);
  absl::Status TrimChangeLogs(SweepStats& stats);
  absl::Status TrimChangeLog(uint64_t account, uint64_t mailbox, SweepStats& stats);
  void StartSweeper();
  void StopSweeper();

  // QUOTA (quota.cc), account mutex held: usage and limits (usage computed from the mailboxes
  // when the account has no usage record yet), and the usage record into a mutation's batch.
  absl::StatusOr<Quota> LoadQuotaLocked(uint64_t account);
  void PutQuotaUsage(uint64_t account, const QuotaUsage& usage, rocksdb::WriteBatch& batch);
  // OBJECTID (objectid.cc), account mutex held: the thread of a new message from its
  // References / In-Reply-To / Message-ID and the account's thread index, whose new entries go
  // into `batch`. `pending`, when given, holds index entries already put into `batch` (earlier
  // messages of one MULTIAPPEND, not yet readable from the database) and gains the new ones.
  absl::StatusOr<uint64_t> AssignThreadLocked(
      uint64_t account, std::string_view content, std::string_view blob_sha,
      rocksdb::WriteBatch& batch, absl::flat_hash_map<std::string, uint64_t>* pending = nullptr);

  absl::Mutex* AccountMutex(uint64_t account);
  absl::Status InitCounters();
  // Allocates `n` (mailbox id, uid validity) pairs, persisted before returning.
  absl::StatusOr<std::vector<std::pair<uint64_t, uint32_t>>> AllocateMailboxIds(size_t n);
  // Commits `batch` plus the blob reference changes, synced; then publishes `pending`.
  // `maintenance`: retention and the removal of a moved account, which may write to an account
  // locked for a move; every other mutation of such an account gets UNAVAILABLE.
  absl::Status Commit(uint64_t account, rocksdb::WriteBatch& batch, const BlobDeltas& blobs,
                      const std::vector<Pending>& pending, bool maintenance = false);
  absl::Status DeleteAccountImpl(std::string_view name, bool moved);
  // `not_found`, or UNAVAILABLE ("moved") if the account was moved away from this shard.
  absl::Status NotFoundOrMoved(uint64_t account, absl::Status not_found);

  // Helpers that expect the account mutex held by the caller.
  absl::StatusOr<MailboxRecord> LoadMailboxByName(uint64_t account, std::string_view name,
                                                  uint64_t* id,
                                                  const rocksdb::Snapshot* snapshot = nullptr);
  absl::StatusOr<MailboxRecord> LoadMailbox(uint64_t account, uint64_t id,
                                            const rocksdb::Snapshot* snapshot = nullptr);
  absl::Status CheckAccount(uint64_t account);
  absl::Status MoveInboxLocked(uint64_t account, std::string_view to);
  absl::Status AddMailboxToBatch(uint64_t account, std::string_view name,
                                 std::string_view special_use, bool subscribed, uint64_t id,
                                 uint32_t uid_validity, rocksdb::WriteBatch& batch,
                                 MailboxInfo* info);
  // The mailbox's change log above `since_modseq`, ascending (GetChanges without its checks).
  absl::StatusOr<std::vector<Change>> LoadChanges(uint64_t account, uint64_t mailbox,
                                                  uint64_t since_modseq,
                                                  const rocksdb::Snapshot* snapshot);
  absl::StatusOr<std::vector<std::pair<uint32_t, MessageRecord>>> LoadMessages(
      uint64_t account, uint64_t mailbox, const rocksdb::Snapshot* snapshot = nullptr);
  absl::Status RemoveMailboxToBatch(uint64_t account, uint64_t id, std::string_view name,
                                    rocksdb::WriteBatch& batch, BlobDeltas& blobs);
  absl::Status CreateMailboxLocked(uint64_t account, std::string_view name,
                                   std::string_view special_use, MailboxInfo* info);
  absl::StatusOr<AccountRecord> LoadAccountByName(std::string_view lower_name, uint64_t* id);

  rocksdb::ColumnFamilyHandle* cf(int i) const { return handles_[i]; }

  const StoreOptions options_;
  std::string dir_;  // the data directory (free-space checks)
  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::shared_ptr<rocksdb::Statistics> statistics_;  // operations metrics (stats.cc)
  ChangeListener* listener_ = nullptr;
  LoginCache login_cache_;  // successful password verifications (issue 8)

  absl::Mutex accounts_mu_;  // serializes account creation and deletion
  absl::Mutex locks_mu_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<absl::Mutex>> account_locks_
      ABSL_GUARDED_BY(locks_mu_);
  absl::Mutex moving_mu_;  // sharding: accounts locked for a move
  absl::flat_hash_set<uint64_t> moving_ ABSL_GUARDED_BY(moving_mu_);
  absl::Mutex counters_mu_;
  uint64_t next_mailbox_id_ ABSL_GUARDED_BY(counters_mu_) = 1;
  uint32_t next_uid_validity_ ABSL_GUARDED_BY(counters_mu_) = 1;
  // Blob reference counts are shared across accounts; stripes serialize their read-modify-write.
  static constexpr size_t kBlobStripes = 64;
  std::array<absl::Mutex, kBlobStripes> blob_mu_;

  // The background sweeper (retention.cc).
  absl::Mutex sweep_mu_;
  absl::CondVar sweep_cv_;
  bool sweep_stop_ ABSL_GUARDED_BY(sweep_mu_) = false;
  std::atomic<bool> stopping_{false};  // lets a running Sweep() end early on shutdown
  std::thread sweeper_;

  // SELECT's columns of recently selected big mailboxes (column_cache.h).
  ColumnCache column_cache_{options_.select_cache_bytes};
  std::atomic<uint64_t> select_cache_hits_{0};
  std::atomic<uint64_t> select_cache_misses_{0};
};

}  // namespace hadron::store
