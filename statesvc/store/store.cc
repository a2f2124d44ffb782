// The state store: opening the database, counters, accounts and the commit path.
#include "statesvc/store/store.h"

#include <sys/statvfs.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/shard/ring.h"
#include "common/status.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/statistics.h"
#include "rocksdb/write_batch.h"
#include "statesvc/store/keys.h"
#include "statesvc/store/names.h"
#include "statesvc/store/store_internal.h"

namespace hadron::store {

absl::Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNotFound()) return absl::NotFoundError(s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(s.ToString());
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) return absl::UnavailableError(s.ToString());
  // A full disk is the operator's to fix, not the client's: UNAVAILABLE (a client may retry
  // later), never the path in RocksDB's message. Writes stay refused until a restart (RocksDB
  // keeps its background error); reads go on.
  if (s.IsNoSpace() || (s.IsIOError() && s.subcode() == rocksdb::Status::kNoSpace)) {
    return absl::UnavailableError("the state service's disk is full");
  }
  return absl::InternalError(s.ToString());
}

absl::StatusOr<std::optional<std::string>> GetValue(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                                    const std::string& key,
                                                    const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string value;
  rocksdb::Status s = db->Get(ro, cf, key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s);
  return std::optional<std::string>(std::move(value));
}

namespace {

constexpr const char* kCfNames[] = {
    "default", keys::kAccountsCf, keys::kAccountNamesCf,
    keys::kMailboxesCf, keys::kMailboxNamesCf, keys::kMessagesCf, keys::kBlobsCf, keys::kParsedCf,
    keys::kChangesCf, keys::kMetaCf, keys::kExpungedCf, keys::kExpungedByTimeCf};

struct DefaultMailbox {
  const char* name;
  const char* special_use;
};
constexpr DefaultMailbox kDefaultMailboxes[] = {
    {"INBOX", ""},        {"Drafts", "\\Drafts"}, {"Sent", "\\Sent"},
    {"Trash", "\\Trash"}, {"Junk", "\\Junk"},     {"Archive", "\\Archive"},
};

// Runs scrypt on a fixed dummy so a lookup of an unknown account costs as much as a real one.
void BurnPasswordTime(std::string_view password, const ScryptParams& params) {
  static const PasswordHash* dummy = [] {
    auto* h = new PasswordHash();
    h->salt = std::string(16, 'x');
    h->hash = std::string(32, 'x');
    return h;
  }();
  PasswordHash h = *dummy;
  h.n = params.n;
  h.r = params.r;
  h.p = params.p;
  (void)VerifyPassword(password, h);
}

}  // namespace

Store::Store(const StoreOptions& options, rocksdb::DB* db,
             std::vector<rocksdb::ColumnFamilyHandle*> handles)
    : options_(options),
      db_(db),
      handles_(std::move(handles)),
      login_cache_(LoginCacheOptions{options.login_cache_ttl, options.login_cache_size,
                                     options.clock}) {}

Store::~Store() {
  StopSweeper();
  // A clean close: flush the memtables, so the next start has no WAL to replay.
  rocksdb::FlushOptions flush;
  flush.wait = true;
  rocksdb::Status fs = db_->Flush(flush, handles_);
  (void)fs;
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  rocksdb::Status s = db_->Close();
  (void)s;
  delete db_;
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir,
                                                   const StoreOptions& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.statistics = rocksdb::CreateDBStatistics();  // /metrics (stats.cc)

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int i = 0; i < kNumCfs; ++i) {
    rocksdb::ColumnFamilyOptions cf_options;
    if (i == kBlobs) {
      // Raw messages: large values go to blob files so compaction does not rewrite them.
      cf_options.enable_blob_files = true;
      cf_options.min_blob_size = 4096;
      cf_options.enable_blob_garbage_collection = true;
    }
    descriptors.emplace_back(kCfNames[i], cf_options);
  }
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(db_options, dir, descriptors, &handles, &db);
  if (!s.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot open database in ", dir, ": ", s.ToString()));
  }
  std::unique_ptr<Store> store(new Store(options, db, std::move(handles)));
  store->dir_ = dir;
  store->statistics_ = db_options.statistics;
  RETURN_IF_ERROR(store->InitCounters());
  if (options.sweep_interval > absl::ZeroDuration()) store->StartSweeper();
  return store;
}

void Store::SetListener(ChangeListener* listener) { listener_ = listener; }

int64_t Store::NowMicros() const {
  return absl::ToUnixMicros(options_.clock ? options_.clock() : absl::Now());
}

absl::Status Store::InitCounters() {
  absl::MutexLock lock(&counters_mu_);
  ASSIGN_OR_RETURN(auto mb, GetValue(db_, cf(kMeta), keys::NextMailboxIdKey(), nullptr));
  if (mb) {
    ASSIGN_OR_RETURN(next_mailbox_id_, DecodeU64(*mb));
  }
  ASSIGN_OR_RETURN(auto uv, GetValue(db_, cf(kMeta), keys::NextUidValidityKey(), nullptr));
  uint64_t stored_uv = 1;
  if (uv) {
    ASSIGN_OR_RETURN(stored_uv, DecodeU64(*uv));
  }
  // Seeded by the clock so a database made anew does not reuse a previous one's UIDVALIDITYs.
  uint64_t now = static_cast<uint64_t>(absl::ToUnixSeconds(absl::Now()));
  next_uid_validity_ = static_cast<uint32_t>(std::clamp<uint64_t>(std::max(stored_uv, now), 1, UINT32_MAX));
  return absl::OkStatus();
}

absl::Status Store::CheckFreeSpace(size_t incoming) const {
  if (options_.min_free_bytes == 0 || dir_.empty()) return absl::OkStatus();
  struct statvfs st;
  if (statvfs(dir_.c_str(), &st) != 0) return absl::OkStatus();  // cannot tell: let RocksDB try
  uint64_t free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  // The WAL and the memtable's later flush each take about the batch's size.
  if (free_bytes < options_.min_free_bytes + 2 * static_cast<uint64_t>(incoming)) {
    return absl::UnavailableError("the state service's disk is full");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<uint64_t, uint32_t>>> Store::AllocateMailboxIds(size_t n) {
  absl::MutexLock lock(&counters_mu_);
  if (static_cast<uint64_t>(next_uid_validity_) + n >= UINT32_MAX) {
    return absl::ResourceExhaustedError("UIDVALIDITY space exhausted");
  }
  RETURN_IF_ERROR(CheckFreeSpace(64));
  std::vector<std::pair<uint64_t, uint32_t>> out;
  for (size_t i = 0; i < n; ++i) out.emplace_back(next_mailbox_id_ + i, next_uid_validity_ + i);
  rocksdb::WriteBatch batch;
  batch.Put(cf(kMeta), keys::NextMailboxIdKey(), EncodeU64(next_mailbox_id_ + n));
  batch.Put(cf(kMeta), keys::NextUidValidityKey(), EncodeU64(next_uid_validity_ + n));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  RETURN_IF_ERROR(FromRocks(db_->Write(wo, &batch)));
  next_mailbox_id_ += n;
  next_uid_validity_ += static_cast<uint32_t>(n);
  return out;
}

absl::Mutex* Store::AccountMutex(uint64_t account) {
  absl::MutexLock lock(&locks_mu_);
  auto& m = account_locks_[account];
  if (!m) m = std::make_unique<absl::Mutex>();
  return m.get();
}

absl::Status Store::Commit(uint64_t account, rocksdb::WriteBatch& batch, const BlobDeltas& blobs,
                           const std::vector<Pending>& pending, bool maintenance) {
  if (!maintenance) {
    absl::MutexLock lock(&moving_mu_);
    if (moving_.contains(account)) {
      return absl::UnavailableError("the account is being moved to another shard; try again shortly");
    }
  }
  RETURN_IF_ERROR(CheckFreeSpace(batch.GetDataSize() + [&] {
    size_t n = 0;
    for (const auto& [sha, b] : blobs.fresh) n += b.raw.size() + b.parsed.size();
    return n;
  }()));
  // Lock the blob stripes this mutation touches, in index order so two commits cannot deadlock.
  std::vector<size_t> stripes;
  for (const auto& [sha, d] : blobs.delta) {
    if (d != 0) stripes.push_back(static_cast<unsigned char>(sha.empty() ? 0 : sha[0]) % kBlobStripes);
  }
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  for (size_t i : stripes) blob_mu_[i].Lock();
  absl::Status status = [&]() -> absl::Status {
    for (const auto& [sha, d] : blobs.delta) {
      if (d == 0) continue;
      std::string ref_key = keys::BlobRefKey(sha);
      ASSIGN_OR_RETURN(auto cur, GetValue(db_, cf(kMeta), ref_key, nullptr));
      uint64_t count = 0;
      if (cur) {
        ASSIGN_OR_RETURN(count, DecodeU64(*cur));
      }
      int64_t next = static_cast<int64_t>(count) + d;
      if (next <= 0) {
        batch.Delete(cf(kMeta), ref_key);
        batch.Delete(cf(kBlobs), keys::BlobKey(sha));
        batch.Delete(cf(kParsed), keys::BlobKey(sha));
        continue;
      }
      if (count == 0) {
        auto it = blobs.fresh.find(sha);
        if (it == blobs.fresh.end()) return absl::InternalError("blob reference to a missing blob");
        batch.Put(cf(kBlobs), keys::BlobKey(sha), it->second.raw);
        batch.Put(cf(kParsed), keys::BlobKey(sha), it->second.parsed);
      }
      batch.Put(cf(kMeta), ref_key, EncodeU64(static_cast<uint64_t>(next)));
    }
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync_writes;
    return FromRocks(db_->Write(wo, &batch));
  }();
  for (auto it = stripes.rbegin(); it != stripes.rend(); ++it) blob_mu_[*it].Unlock();
  if (!status.ok()) return status;
  if (listener_ != nullptr) {
    for (const auto& p : pending) {
      if (p.gone) {
        listener_->OnMailboxGone(account, p.mailbox);
      } else {
        listener_->OnChange(account, p.mailbox, p.change);
      }
    }
    listener_->OnAccountChanged(account);  // notify (RFC 5465)
  }
  return absl::OkStatus();
}

absl::StatusOr<AccountRecord> Store::LoadAccountByName(std::string_view lower_name, uint64_t* id) {
  ASSIGN_OR_RETURN(auto idv, GetValue(db_, cf(kAccountNames), keys::AccountNameKey(lower_name), nullptr));
  if (!idv) return absl::NotFoundError("no account " + std::string(lower_name));
  ASSIGN_OR_RETURN(uint64_t account_id, DecodeU64(*idv));
  ASSIGN_OR_RETURN(auto rec, GetValue(db_, cf(kAccounts), keys::AccountKey(account_id), nullptr));
  if (!rec) return absl::DataLossError("account name without account record");
  if (id != nullptr) *id = account_id;
  return DecodeAccount(*rec);
}

absl::Status Store::CheckShardOwner(std::string_view lower_name) const {
  if (options_.shard_count <= 1) return absl::OkStatus();
  size_t owner = shard::OwnerOf(lower_name, options_.shard_count);
  if (owner == options_.shard_index) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("account ", absl::string_view(lower_name.data(), lower_name.size()),
                   " belongs to shard ", owner, " of ",
                   options_.shard_count, ", not to this one (shard ", options_.shard_index,
                   "): check the client's shard list"));
}

absl::StatusOr<uint64_t> Store::CreateAccount(std::string_view name, std::string_view password) {
  ASSIGN_OR_RETURN(std::string lower, CanonicalAccountName(name));
  RETURN_IF_ERROR(CheckShardOwner(lower));
  if (password.empty()) return absl::InvalidArgumentError("empty password");
  ASSIGN_OR_RETURN(PasswordHash hash, HashPassword(password, options_.scrypt));
  ASSIGN_OR_RETURN(auto ids, AllocateMailboxIds(std::size(kDefaultMailboxes)));

  absl::MutexLock lock(&accounts_mu_);
  ASSIGN_OR_RETURN(auto existing, GetValue(db_, cf(kAccountNames), keys::AccountNameKey(lower), nullptr));
  if (existing) return absl::AlreadyExistsError(absl::StrCat("account ", lower, " exists"));
  ASSIGN_OR_RETURN(auto next, GetValue(db_, cf(kMeta), keys::NextAccountIdKey(), nullptr));
  uint64_t account_id = 1;
  if (next) {
    ASSIGN_OR_RETURN(account_id, DecodeU64(*next));
  }
  rocksdb::WriteBatch batch;
  batch.Put(cf(kMeta), keys::NextAccountIdKey(), EncodeU64(account_id + 1));
  AccountRecord rec{lower, hash.n, hash.r, hash.p, hash.salt, hash.hash};
  batch.Put(cf(kAccounts), keys::AccountKey(account_id), EncodeAccount(rec));
  batch.Put(cf(kAccountNames), keys::AccountNameKey(lower), EncodeU64(account_id));
  batch.Delete(cf(kMeta), keys::MovedAccountKey(lower));
  for (size_t i = 0; i < std::size(kDefaultMailboxes); ++i) {
    MailboxInfo info;
    RETURN_IF_ERROR(AddMailboxToBatch(account_id, kDefaultMailboxes[i].name,
                                      kDefaultMailboxes[i].special_use, true, ids[i].first,
                                      ids[i].second, batch, &info));
  }
  RETURN_IF_ERROR(Commit(account_id, batch, {}, {}));
  return account_id;
}

absl::Status Store::DeleteAccount(std::string_view name) { return DeleteAccountImpl(name, false); }

absl::Status Store::DeleteAccountImpl(std::string_view name, bool moved) {
  ASSIGN_OR_RETURN(std::string lower, CanonicalAccountName(name));
  absl::MutexLock lock(&accounts_mu_);
  uint64_t account_id = 0;
  ASSIGN_OR_RETURN(AccountRecord rec, LoadAccountByName(lower, &account_id));
  absl::MutexLock account_lock(AccountMutex(account_id));
  rocksdb::WriteBatch batch;
  BlobDeltas blobs;
  std::vector<Pending> pending;
  ASSIGN_OR_RETURN(auto mailboxes, ListMailboxes(account_id));
  for (const auto& mb : mailboxes) {
    RETURN_IF_ERROR(RemoveMailboxToBatch(account_id, mb.id, mb.name, batch, blobs));
    pending.push_back(Pending{mb.id, true, {}});
  }
  batch.Delete(cf(kAccounts), keys::AccountKey(account_id));
  batch.Delete(cf(kAccountNames), keys::AccountNameKey(lower));
  batch.Delete(cf(kMeta), keys::QuotaUsageKey(account_id));
  batch.Delete(cf(kMeta), keys::QuotaLimitsKey(account_id));
  const std::string threads = keys::ThreadIndexPrefix(account_id);
  batch.DeleteRange(cf(kMeta), threads, keys::PrefixEnd(threads));
  if (moved) {
    {
      absl::MutexLock l(&moving_mu_);
      if (!moving_.contains(account_id)) {
        return absl::FailedPreconditionError("the account is not locked for a move");
      }
    }
    batch.Put(cf(kMeta), keys::MovedAccountKey(lower), "");
    batch.Put(cf(kMeta), keys::MovedAccountIdKey(account_id), "");
  }
  RETURN_IF_ERROR(Commit(account_id, batch, blobs, pending, moved));
  login_cache_.Forget(lower);
  if (moved) {
    absl::MutexLock l(&moving_mu_);
    moving_.erase(account_id);
  }
  return absl::OkStatus();
}

absl::Status Store::SetPassword(std::string_view name, std::string_view password) {
  ASSIGN_OR_RETURN(std::string lower, CanonicalAccountName(name));
  RETURN_IF_ERROR(CheckShardOwner(lower));
  if (password.empty()) return absl::InvalidArgumentError("empty password");
  ASSIGN_OR_RETURN(PasswordHash hash, HashPassword(password, options_.scrypt));
  absl::MutexLock lock(&accounts_mu_);
  uint64_t account_id = 0;
  ASSIGN_OR_RETURN(AccountRecord rec, LoadAccountByName(lower, &account_id));
  rec.scrypt_n = hash.n;
  rec.scrypt_r = hash.r;
  rec.scrypt_p = hash.p;
  rec.salt = hash.salt;
  rec.hash = hash.hash;
  rocksdb::WriteBatch batch;
  batch.Put(cf(kAccounts), keys::AccountKey(account_id), EncodeAccount(rec));
  absl::Status committed = Commit(account_id, batch, {}, {});
  login_cache_.Forget(lower);  // the new hash would not match it anyway
  return committed;
}

absl::StatusOr<Account> Store::Authenticate(std::string_view name, std::string_view password) {
  const auto fail = absl::UnauthenticatedError("invalid credentials");
  auto lower = CanonicalAccountName(name);
  if (!lower.ok()) {
    BurnPasswordTime(password, options_.scrypt);
    return fail;
  }
  uint64_t account_id = 0;
  auto rec = LoadAccountByName(*lower, &account_id);
  if (absl::IsNotFound(rec.status())) {
    BurnPasswordTime(password, options_.scrypt);
    ASSIGN_OR_RETURN(auto moved, GetValue(db_, cf(kMeta), keys::MovedAccountKey(*lower), nullptr));
    if (moved) {
      return absl::UnavailableError(
          "the account moved to another shard: this frontend's shard list is out of date");
    }
    return fail;
  }
  if (!rec.ok()) return rec.status();
  PasswordHash stored{rec->scrypt_n, rec->scrypt_r, rec->scrypt_p, rec->salt, rec->hash};
  // The login cache answers only for a password verified before against this very hash; any
  // miss (a wrong password included) runs scrypt as before.
  if (login_cache_.Check(*lower, password, stored)) return Account{account_id, rec->name};
  if (!VerifyPassword(password, stored)) return fail;
  login_cache_.Remember(*lower, password, stored);
  return Account{account_id, rec->name};
}

absl::StatusOr<Account> Store::LookupAccount(std::string_view name) {
  ASSIGN_OR_RETURN(std::string lower, CanonicalAccountName(name));
  uint64_t account_id = 0;
  ASSIGN_OR_RETURN(AccountRecord rec, LoadAccountByName(lower, &account_id));
  return Account{account_id, rec.name};
}

absl::StatusOr<uint64_t> Store::CountBlobs() {
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kBlobs)));
  uint64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  RETURN_IF_ERROR(FromRocks(it->status()));
  return n;
}

absl::StatusOr<uint64_t> Store::CountExpunged() {
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kExpunged)));
  uint64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  RETURN_IF_ERROR(FromRocks(it->status()));
  return n;
}

}  // namespace hadron::store
