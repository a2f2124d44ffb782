// Sharding (issue 7): export and import of a whole account, for moving it to another shard.
#include <openssl/evp.h>

#include <algorithm>

#include "absl/container/flat_hash_set.h"

#include "absl/strings/str_cat.h"
#include "common/mime/mime.h"
#include "common/status.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "statesvc/store/keys.h"
#include "statesvc/store/mutations.h"
#include "statesvc/store/names.h"
#include "statesvc/store/store.h"
#include "statesvc/store/store_internal.h"

namespace hadron::store {
namespace {

std::string Sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> Store::ListAccountNames() {
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kAccountNames)));
  std::vector<std::string> out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) out.push_back(it->key().ToString());
  RETURN_IF_ERROR(FromRocks(it->status()));
  return out;
}

absl::StatusOr<AccountTransfer> Store::ExportAccount(std::string_view name) {
  ASSIGN_OR_RETURN(std::string lower, CanonicalAccountName(name));
  AccountTransfer out;
  ASSIGN_OR_RETURN(out.account, LoadAccountByName(lower, &out.id));
  // One consistent read under the account mutex (a moving account has no writers anyway).
  absl::MutexLock lock(AccountMutex(out.id));
  ASSIGN_OR_RETURN(Quota quota, LoadQuotaLocked(out.id));
  out.limits = quota.limits;
  ASSIGN_OR_RETURN(auto mailboxes, ListMailboxes(out.id));
  for (const auto& info : mailboxes) {
    MailboxTransfer mt;
    ASSIGN_OR_RETURN(mt.record, LoadMailbox(out.id, info.id));
    mt.record.info.id = info.id;
    ASSIGN_OR_RETURN(mt.messages, LoadMessages(out.id, info.id));
    out.mailboxes.push_back(std::move(mt));
  }
  {
    const std::string prefix = keys::ThreadIndexPrefix(out.id);
    const std::string end = keys::PrefixEnd(prefix);
    rocksdb::Slice upper(end);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kMeta)));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      ASSIGN_OR_RETURN(uint64_t thread, DecodeU64(it->value().ToStringView()));
      out.thread_index.emplace_back(it->key().ToString().substr(prefix.size()), thread);
    }
    RETURN_IF_ERROR(FromRocks(it->status()));
  }
  {
    absl::MutexLock l(&moving_mu_);
    out.moving = moving_.contains(out.id);
  }
  return out;
}

absl::StatusOr<std::pair<uint64_t, std::vector<MailboxInfo>>> Store::ImportAccount(
    const AccountTransfer& transfer) {
  ASSIGN_OR_RETURN(std::string lower, CanonicalAccountName(transfer.account.name));
  RETURN_IF_ERROR(CheckShardOwner(lower));
  if (transfer.account.hash.empty() || transfer.account.salt.empty()) {
    return absl::InvalidArgumentError("no password hash");
  }
  bool has_inbox = false;
  uint32_t max_validity = 0;
  uint64_t max_mailbox_id = 0;
  absl::flat_hash_set<uint64_t> seen_ids;
  for (const auto& mb : transfer.mailboxes) {
    ASSIGN_OR_RETURN(std::string canonical, CanonicalMailboxName(mb.record.info.name));
    if (canonical != mb.record.info.name) {
      return absl::InvalidArgumentError("mailbox name not canonical: " + mb.record.info.name);
    }
    if (canonical == "INBOX") has_inbox = true;
    if (mb.record.info.uid_validity == 0 || mb.record.info.uid_next == 0) {
      return absl::InvalidArgumentError("mailbox without UIDVALIDITY/UIDNEXT: " + canonical);
    }
    max_validity = std::max(max_validity, mb.record.info.uid_validity);
    // The mailbox keeps its id (OBJECTID MAILBOXID is made of the id and the UIDVALIDITY, and
    // must not change, RFC 8474 4.1). Ids are per account in every key, so the source's ids
    // cannot collide with other accounts' here.
    if (mb.record.info.id == 0 || !seen_ids.insert(mb.record.info.id).second) {
      return absl::InvalidArgumentError("mailbox without a distinct id: " + canonical);
    }
    max_mailbox_id = std::max(max_mailbox_id, mb.record.info.id);
  }
  for (const auto& [sha, thread] : transfer.thread_index) {
    if (sha.size() != 32 || thread == 0) return absl::InvalidArgumentError("bad thread index entry");
  }
  if (!has_inbox) return absl::InvalidArgumentError("no INBOX");
  {
    // Mailboxes created here later must never reuse an imported UIDVALIDITY (RFC 9051 2.3.1.1)
    // nor an imported mailbox id.
    absl::MutexLock l(&counters_mu_);
    if (next_uid_validity_ <= max_validity || next_mailbox_id_ <= max_mailbox_id) {
      if (max_validity == UINT32_MAX) return absl::ResourceExhaustedError("UIDVALIDITY space");
      const uint32_t validity = std::max<uint32_t>(next_uid_validity_, max_validity + 1);
      const uint64_t mailbox_id = std::max<uint64_t>(next_mailbox_id_, max_mailbox_id + 1);
      rocksdb::WriteBatch batch;
      batch.Put(cf(kMeta), keys::NextUidValidityKey(), EncodeU64(validity));
      batch.Put(cf(kMeta), keys::NextMailboxIdKey(), EncodeU64(mailbox_id));
      rocksdb::WriteOptions wo;
      wo.sync = options_.sync_writes;
      RETURN_IF_ERROR(FromRocks(db_->Write(wo, &batch)));
      next_uid_validity_ = validity;
      next_mailbox_id_ = mailbox_id;
    }
  }

  absl::MutexLock lock(&accounts_mu_);
  ASSIGN_OR_RETURN(auto existing,
                   GetValue(db_, cf(kAccountNames), keys::AccountNameKey(lower), nullptr));
  if (existing) return absl::AlreadyExistsError(absl::StrCat("account ", lower, " exists"));
  ASSIGN_OR_RETURN(auto next, GetValue(db_, cf(kMeta), keys::NextAccountIdKey(), nullptr));
  uint64_t account_id = 1;
  if (next) {
    ASSIGN_OR_RETURN(account_id, DecodeU64(*next));
  }
  rocksdb::WriteBatch batch;
  batch.Put(cf(kMeta), keys::NextAccountIdKey(), EncodeU64(account_id + 1));
  AccountRecord rec = transfer.account;
  rec.name = lower;
  batch.Put(cf(kAccounts), keys::AccountKey(account_id), EncodeAccount(rec));
  batch.Put(cf(kAccountNames), keys::AccountNameKey(lower), EncodeU64(account_id));
  batch.Delete(cf(kMeta), keys::MovedAccountKey(lower));
  std::vector<MailboxInfo> created;
  for (size_t i = 0; i < transfer.mailboxes.size(); ++i) {
    MailboxRecord mb;
    const MailboxInfo& in = transfer.mailboxes[i].record.info;
    mb.info.id = in.id;
    mb.info.name = in.name;
    mb.info.uid_validity = in.uid_validity;
    mb.info.uid_next = in.uid_next;
    mb.info.highest_modseq = std::max<uint64_t>(in.highest_modseq, 1);
    mb.info.subscribed = in.subscribed;
    mb.info.special_use = in.special_use;
    mb.info.recent_uid = in.uid_next;  // \Recent is per session: nothing is recent after a move
    mb.keywords = transfer.mailboxes[i].record.keywords;
    // The change log starts empty here: replays from before the move answer resync.
    mb.log_floor = mb.info.highest_modseq;
    batch.Put(cf(kMailboxes), keys::MailboxKey(account_id, mb.info.id), EncodeMailbox(mb));
    batch.Put(cf(kMailboxNames), keys::MailboxNameKey(account_id, mb.info.name),
              EncodeU64(mb.info.id));
    created.push_back(mb.info);
  }
  if (transfer.limits.storage_kib || transfer.limits.messages) {
    batch.Put(cf(kMeta), keys::QuotaLimitsKey(account_id), EncodeQuotaLimits(transfer.limits));
  }
  for (const auto& [sha, thread] : transfer.thread_index) {
    batch.Put(cf(kMeta), keys::ThreadIndexKey(account_id, sha), EncodeU64(thread));
  }
  PutQuotaUsage(account_id, QuotaUsage{}, batch);
  RETURN_IF_ERROR(Commit(account_id, batch, {}, {}));
  return std::make_pair(account_id, std::move(created));
}

absl::Status Store::ImportMessages(uint64_t account, uint64_t mailbox,
                                   std::vector<ImportedMessage> messages) {
  struct Prepared {
    std::string content;
    std::string sha;
    std::string parsed;
  };
  // Parse outside the account lock, as Append does.
  std::vector<Prepared> prepared;
  prepared.reserve(messages.size());
  for (auto& m : messages) {
    Prepared p;
    p.content = mime::NormalizeLineEndings(m.content);
    mime::MessageStructure structure = mime::ParseMessage(p.content);
    ParsedRecord parsed{mime::RenderEnvelope(structure), mime::RenderBody(structure),
                        mime::RenderBodyStructure(structure), mime::SerializeStructure(structure)};
    p.parsed = EncodeParsed(parsed);
    p.sha = Sha256(p.content);
    m.content.clear();
    prepared.push_back(std::move(p));
  }
  absl::MutexLock lock(AccountMutex(account));
  ASSIGN_OR_RETURN(MailboxRecord mb, LoadMailbox(account, mailbox));
  ASSIGN_OR_RETURN(Quota quota, LoadQuotaLocked(account));
  rocksdb::WriteBatch batch;
  BlobDeltas blobs;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ImportedMessage& m = messages[i];
    Prepared& p = prepared[i];
    if (m.uid == 0 || m.uid >= mb.info.uid_next) {
      return absl::InvalidArgumentError(absl::StrCat("UID ", m.uid, " not below UIDNEXT"));
    }
    const std::string key = keys::MessageKey(account, mailbox, m.uid);
    ASSIGN_OR_RETURN(auto present, GetValue(db_, cf(kMessages), key, nullptr));
    if (present) return absl::AlreadyExistsError(absl::StrCat("UID ", m.uid, " exists"));
    MessageRecord rec;
    ASSIGN_OR_RETURN(rec.flags, CanonicalFlags(m.flags, mb, true));
    // The thread number as on the source (the thread index came with ImportAccount).
    rec.thread = m.thread;
    rec.blob = p.sha;
    rec.modseq = std::min<uint64_t>(std::max<uint64_t>(m.modseq, 1), mb.info.highest_modseq);
    rec.internal_date = m.internal_date;
    rec.internal_date_tz = m.internal_date_tz;
    rec.size = p.content.size();
    rec.save_date = m.save_date;
    CountMessage(mb.info, rec, +1);
    quota.usage.storage += rec.size;
    quota.usage.messages += 1;
    batch.Put(cf(kMessages), key, EncodeMessage(rec));
    blobs.delta[p.sha] += 1;
    if (!blobs.fresh.contains(p.sha)) {
      blobs.fresh[p.sha] = NewBlob{std::move(p.content), std::move(p.parsed)};
    }
  }
  batch.Put(cf(kMailboxes), keys::MailboxKey(account, mailbox), EncodeMailbox(mb));
  PutQuotaUsage(account, quota.usage, batch);
  // No change-log records and no events: nobody can have this mailbox selected yet (the
  // account is not reachable here until the frontends' shard list says so). For the same
  // reason the modseq stays; SELECT's column cache checks the message count too.
  RETURN_IF_ERROR(Commit(account, batch, blobs, {}));
  column_cache_.Erase(account, mailbox);
  return absl::OkStatus();
}

absl::Status Store::SetAccountMoving(std::string_view name, bool moving) {
  ASSIGN_OR_RETURN(Account account, LookupAccount(name));
  // Taking the account mutex waits for a mutation in progress to commit first.
  absl::MutexLock lock(AccountMutex(account.id));
  absl::MutexLock l(&moving_mu_);
  if (moving) {
    moving_.insert(account.id);
  } else {
    moving_.erase(account.id);
  }
  return absl::OkStatus();
}

absl::Status Store::NotFoundOrMoved(uint64_t account, absl::Status not_found) {
  auto moved = GetValue(db_, cf(kMeta), keys::MovedAccountIdKey(account), nullptr);
  if (moved.ok() && *moved) {
    return absl::UnavailableError(
        "the account moved to another shard: this frontend's shard list is out of date");
  }
  return not_found;
}

absl::Status Store::RemoveMovedAccount(std::string_view name) {
  return DeleteAccountImpl(name, true);
}

}  // namespace hadron::store
