// The state store: mailbox records, hierarchy (create with parents, rename with children), select.
#include <algorithm>

#include "absl/strings/str_cat.h"
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

// Names of every mailbox of `account` that lies under `name` ("name/...").
absl::StatusOr<std::vector<std::string>> ChildNames(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                                    uint64_t account, std::string_view name) {
  std::string prefix = keys::MailboxNameKey(account, std::string(name) + "/");
  std::string end = keys::PrefixEnd(prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf));
  std::vector<std::string> out;
  for (it->Seek(prefix); it->Valid(); it->Next()) out.emplace_back(it->key().ToStringView().substr(8));
  RETURN_IF_ERROR(FromRocks(it->status()));
  return out;
}

}  // namespace

absl::Status Store::CheckAccount(uint64_t account) {
  ASSIGN_OR_RETURN(auto rec, GetValue(db_, cf(kAccounts), keys::AccountKey(account), nullptr));
  if (!rec) return NotFoundOrMoved(account, absl::NotFoundError(absl::StrCat("no account ", account)));
  return absl::OkStatus();
}

absl::StatusOr<MailboxRecord> Store::LoadMailbox(uint64_t account, uint64_t id,
                                                 const rocksdb::Snapshot* snapshot) {
  ASSIGN_OR_RETURN(auto v, GetValue(db_, cf(kMailboxes), keys::MailboxKey(account, id), snapshot));
  if (!v) return NotFoundOrMoved(account, absl::NotFoundError("no such mailbox"));
  ASSIGN_OR_RETURN(MailboxRecord rec, DecodeMailbox(*v));
  rec.info.id = id;
  return rec;
}

absl::StatusOr<MailboxRecord> Store::LoadMailboxByName(uint64_t account, std::string_view name,
                                                       uint64_t* id,
                                                       const rocksdb::Snapshot* snapshot) {
  ASSIGN_OR_RETURN(std::string canonical, CanonicalMailboxName(name));
  ASSIGN_OR_RETURN(auto v, GetValue(db_, cf(kMailboxNames), keys::MailboxNameKey(account, canonical),
                                    snapshot));
  if (!v) return NotFoundOrMoved(account, absl::NotFoundError(absl::StrCat("no mailbox ", canonical)));
  ASSIGN_OR_RETURN(uint64_t mailbox_id, DecodeU64(*v));
  if (id != nullptr) *id = mailbox_id;
  return LoadMailbox(account, mailbox_id, snapshot);
}

absl::Status Store::AddMailboxToBatch(uint64_t account, std::string_view name,
                                      std::string_view special_use, bool subscribed, uint64_t id,
                                      uint32_t uid_validity, rocksdb::WriteBatch& batch,
                                      MailboxInfo* info) {
  MailboxRecord rec;
  rec.info.id = id;
  rec.info.name = std::string(name);
  rec.info.uid_validity = uid_validity;
  rec.info.uid_next = 1;
  rec.info.highest_modseq = 1;
  rec.info.subscribed = subscribed;
  rec.info.special_use = std::string(special_use);
  batch.Put(cf(kMailboxes), keys::MailboxKey(account, id), EncodeMailbox(rec));
  batch.Put(cf(kMailboxNames), keys::MailboxNameKey(account, name), EncodeU64(id));
  *info = rec.info;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<uint32_t, MessageRecord>>> Store::LoadMessages(
    uint64_t account, uint64_t mailbox, const rocksdb::Snapshot* snapshot) {
  std::string prefix = keys::MessagePrefix(account, mailbox);
  std::string end = keys::PrefixEnd(prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kMessages)));
  std::vector<std::pair<uint32_t, MessageRecord>> out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    auto uid = keys::UidFromMessageKey(it->key().ToStringView());
    if (!uid) return absl::DataLossError("malformed message key");
    ASSIGN_OR_RETURN(MessageRecord rec, DecodeMessage(it->value().ToStringView()));
    out.emplace_back(*uid, std::move(rec));
  }
  RETURN_IF_ERROR(FromRocks(it->status()));
  return out;
}

absl::Status Store::RemoveMailboxToBatch(uint64_t account, uint64_t id, std::string_view name,
                                         rocksdb::WriteBatch& batch, BlobDeltas& blobs) {
  ASSIGN_OR_RETURN(auto messages, LoadMessages(account, id));
  for (const auto& [uid, rec] : messages) {
    batch.Delete(cf(kMessages), keys::MessageKey(account, id, uid));
    blobs.delta[rec.blob] -= 1;
  }
  // Expunged messages kept for unsynchronized sessions go at once, with their blob references.
  // Their expunged_by_time entries are left behind; the sweeper drops such orphans.
  {
    std::string eprefix = keys::MessagePrefix(account, id);
    std::string eend = keys::PrefixEnd(eprefix);
    rocksdb::Slice upper(eend);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kExpunged)));
    for (it->Seek(eprefix); it->Valid(); it->Next()) {
      ASSIGN_OR_RETURN(ExpungedRecord rec, DecodeExpunged(it->value().ToStringView()));
      batch.Delete(cf(kExpunged), it->key());
      blobs.delta[rec.message.blob] -= 1;
    }
    RETURN_IF_ERROR(FromRocks(it->status()));
  }
  std::string prefix = keys::ChangePrefix(account, id);
  batch.DeleteRange(cf(kChanges), prefix, keys::PrefixEnd(prefix));
  batch.Delete(cf(kMailboxes), keys::MailboxKey(account, id));
  batch.Delete(cf(kMailboxNames), keys::MailboxNameKey(account, name));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<MailboxInfo>> Store::ListMailboxes(uint64_t account) {
  RETURN_IF_ERROR(CheckAccount(account));
  std::string prefix = keys::MailboxPrefix(account);
  std::string end = keys::PrefixEnd(prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kMailboxes)));
  std::vector<MailboxInfo> out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    auto id = keys::MailboxIdFromKey(it->key().ToStringView());
    if (!id) return absl::DataLossError("malformed mailbox key");
    ASSIGN_OR_RETURN(MailboxRecord rec, DecodeMailbox(it->value().ToStringView()));
    rec.info.id = *id;
    out.push_back(std::move(rec.info));
  }
  RETURN_IF_ERROR(FromRocks(it->status()));
  std::sort(out.begin(), out.end(), [](const MailboxInfo& a, const MailboxInfo& b) {
    // INBOX first, then by name.
    if ((a.name == "INBOX") != (b.name == "INBOX")) return a.name == "INBOX";
    return a.name < b.name;
  });
  return out;
}

absl::StatusOr<MailboxInfo> Store::GetMailbox(uint64_t account, std::string_view name) {
  ScopedSnapshot snap(db_);
  uint64_t id = 0;
  ASSIGN_OR_RETURN(MailboxRecord rec, LoadMailboxByName(account, name, &id, snap.get()));
  // Count the messages no read-write session has claimed as \Recent yet.
  if (rec.info.recent_uid < rec.info.uid_next) {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap.get();
    std::string prefix = keys::MessagePrefix(account, id);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kMessages)));
    for (it->Seek(keys::MessageKey(account, id, rec.info.recent_uid));
         it->Valid() && it->key().starts_with(prefix); it->Next()) {
      ++rec.info.recent;
    }
  }
  rec.info.id = id;
  return rec.info;
}

absl::StatusOr<uint32_t> Store::ClaimRecent(uint64_t account, uint64_t mailbox,
                                            uint32_t up_to_uid) {
  absl::MutexLock lock(AccountMutex(account));
  ASSIGN_OR_RETURN(MailboxRecord rec, LoadMailbox(account, mailbox));
  uint32_t first = rec.info.recent_uid;
  uint32_t next = std::min(up_to_uid, rec.info.uid_next - 1) + 1;
  if (next <= first) return first;  // nothing new to claim
  rec.info.recent_uid = next;
  rocksdb::WriteBatch batch;
  batch.Put(cf(kMailboxes), keys::MailboxKey(account, mailbox), EncodeMailbox(rec));
  RETURN_IF_ERROR(Commit(account, batch, {}, {}));
  return first;
}

absl::StatusOr<MailboxInfo> Store::GetMailboxById(uint64_t account, uint64_t mailbox) {
  ASSIGN_OR_RETURN(MailboxRecord rec, LoadMailbox(account, mailbox));
  return rec.info;
}

absl::Status Store::CreateMailboxLocked(uint64_t account, std::string_view name,
                                        std::string_view special_use, MailboxInfo* info) {
  ASSIGN_OR_RETURN(std::string canonical, CanonicalMailboxName(name));
  ASSIGN_OR_RETURN(std::string use, CanonicalSpecialUse(special_use));
  ASSIGN_OR_RETURN(auto existing, GetValue(db_, cf(kMailboxNames),
                                           keys::MailboxNameKey(account, canonical), nullptr));
  if (existing) return absl::AlreadyExistsError(absl::StrCat("mailbox ", canonical, " exists"));
  std::vector<std::string> missing;
  for (const auto& parent : ParentNames(canonical)) {
    ASSIGN_OR_RETURN(auto p, GetValue(db_, cf(kMailboxNames), keys::MailboxNameKey(account, parent),
                                      nullptr));
    if (!p) missing.push_back(parent);
  }
  ASSIGN_OR_RETURN(auto ids, AllocateMailboxIds(missing.size() + 1));
  rocksdb::WriteBatch batch;
  MailboxInfo parent_info;
  for (size_t i = 0; i < missing.size(); ++i) {
    RETURN_IF_ERROR(AddMailboxToBatch(account, missing[i], "", false, ids[i].first, ids[i].second,
                                      batch, &parent_info));
  }
  RETURN_IF_ERROR(AddMailboxToBatch(account, canonical, use, false, ids.back().first,
                                    ids.back().second, batch, info));
  return Commit(account, batch, {}, {});
}

absl::StatusOr<MailboxInfo> Store::CreateMailbox(uint64_t account, std::string_view name,
                                                 std::string_view special_use) {
  absl::MutexLock lock(AccountMutex(account));
  RETURN_IF_ERROR(CheckAccount(account));
  MailboxInfo info;
  RETURN_IF_ERROR(CreateMailboxLocked(account, name, special_use, &info));
  return info;
}

absl::Status Store::DeleteMailbox(uint64_t account, std::string_view name) {
  ASSIGN_OR_RETURN(std::string canonical, CanonicalMailboxName(name));
  if (canonical == "INBOX") return absl::InvalidArgumentError("INBOX cannot be deleted");
  absl::MutexLock lock(AccountMutex(account));
  uint64_t id = 0;
  ASSIGN_OR_RETURN(MailboxRecord rec, LoadMailboxByName(account, canonical, &id));
  // RFC 3501 6.3.4: a mailbox with children may be deleted; its messages go and its name
  // survives only as the (\Noselect) parent of the children, which LIST derives.
  rocksdb::WriteBatch batch;
  BlobDeltas blobs;
  ASSIGN_OR_RETURN(Quota quota, LoadQuotaLocked(account));
  quota.usage.storage -= std::min(quota.usage.storage, rec.info.size);
  quota.usage.messages -= std::min<uint64_t>(quota.usage.messages, rec.info.messages);
  PutQuotaUsage(account, quota.usage, batch);
  RETURN_IF_ERROR(RemoveMailboxToBatch(account, id, canonical, batch, blobs));
  return Commit(account, batch, blobs, {Pending{id, true, {}}});
}

absl::Status Store::RenameMailbox(uint64_t account, std::string_view from, std::string_view to) {
  ASSIGN_OR_RETURN(std::string src, CanonicalMailboxName(from));
  ASSIGN_OR_RETURN(std::string dst, CanonicalMailboxName(to));
  absl::MutexLock lock(AccountMutex(account));
  uint64_t src_id = 0;
  ASSIGN_OR_RETURN(MailboxRecord src_rec, LoadMailboxByName(account, src, &src_id));
  ASSIGN_OR_RETURN(auto existing, GetValue(db_, cf(kMailboxNames), keys::MailboxNameKey(account, dst),
                                           nullptr));
  if (existing) return absl::AlreadyExistsError(absl::StrCat("mailbox ", dst, " exists"));
  if (src == "INBOX") return MoveInboxLocked(account, dst);
  if (dst.starts_with(src + "/")) {
    return absl::InvalidArgumentError("cannot rename a mailbox into its own child");
  }
  ASSIGN_OR_RETURN(auto children, ChildNames(db_, cf(kMailboxNames), account, src));
  std::vector<std::pair<std::string, std::string>> moves = {{src, dst}};
  for (const auto& child : children) moves.emplace_back(child, dst + child.substr(src.size()));
  for (size_t i = 1; i < moves.size(); ++i) {
    if (moves[i].second.size() > kMaxMailboxNameBytes) return absl::InvalidArgumentError("name too long");
    ASSIGN_OR_RETURN(auto taken, GetValue(db_, cf(kMailboxNames),
                                          keys::MailboxNameKey(account, moves[i].second), nullptr));
    if (taken) return absl::AlreadyExistsError(absl::StrCat("mailbox ", moves[i].second, " exists"));
  }
  std::vector<std::string> missing;
  for (const auto& parent : ParentNames(dst)) {
    ASSIGN_OR_RETURN(auto p, GetValue(db_, cf(kMailboxNames), keys::MailboxNameKey(account, parent),
                                      nullptr));
    if (!p && parent != src) missing.push_back(parent);
  }
  rocksdb::WriteBatch batch;
  if (!missing.empty()) {
    ASSIGN_OR_RETURN(auto ids, AllocateMailboxIds(missing.size()));
    MailboxInfo info;
    for (size_t i = 0; i < missing.size(); ++i) {
      RETURN_IF_ERROR(AddMailboxToBatch(account, missing[i], "", false, ids[i].first, ids[i].second,
                                        batch, &info));
    }
  }
  for (const auto& [old_name, new_name] : moves) {
    uint64_t id = 0;
    ASSIGN_OR_RETURN(MailboxRecord rec, LoadMailboxByName(account, old_name, &id));
    rec.info.name = new_name;
    batch.Delete(cf(kMailboxNames), keys::MailboxNameKey(account, old_name));
    batch.Put(cf(kMailboxNames), keys::MailboxNameKey(account, new_name), EncodeU64(id));
    batch.Put(cf(kMailboxes), keys::MailboxKey(account, id), EncodeMailbox(rec));
  }
  return Commit(account, batch, {}, {});
}

absl::Status Store::MoveInboxLocked(uint64_t account, std::string_view to) {
  uint64_t inbox_id = 0;
  ASSIGN_OR_RETURN(MailboxRecord inbox, LoadMailboxByName(account, "INBOX", &inbox_id));
  std::vector<std::string> missing;
  for (const auto& parent : ParentNames(to)) {
    ASSIGN_OR_RETURN(auto p, GetValue(db_, cf(kMailboxNames), keys::MailboxNameKey(account, parent),
                                      nullptr));
    if (!p) missing.push_back(parent);
  }
  ASSIGN_OR_RETURN(auto ids, AllocateMailboxIds(missing.size() + 1));
  rocksdb::WriteBatch batch;
  MailboxInfo info;
  for (size_t i = 0; i < missing.size(); ++i) {
    RETURN_IF_ERROR(AddMailboxToBatch(account, missing[i], "", false, ids[i].first, ids[i].second,
                                      batch, &info));
  }
  const uint64_t dst_id = ids.back().first;
  MailboxRecord dst;
  dst.info.id = dst_id;
  dst.info.name = std::string(to);
  dst.info.uid_validity = ids.back().second;
  dst.info.uid_next = inbox.info.uid_next;
  dst.info.highest_modseq = 2;
  dst.info.subscribed = inbox.info.subscribed;
  dst.keywords = inbox.keywords;
  ASSIGN_OR_RETURN(auto messages, LoadMessages(account, inbox_id));
  std::vector<Pending> pending;
  BlobDeltas blobs;
  const int64_t now = NowMicros();
  Change appended{dst.info.highest_modseq, Change::kAppend, {}, {}};
  const uint64_t inbox_modseq = inbox.info.highest_modseq + 1;
  Change expunged{inbox_modseq, Change::kExpunge, {}, {}};
  for (auto& [uid, rec] : messages) {
    // INBOX sessions not yet told keep reading it from INBOX's expunged records, which hold a
    // blob reference of their own.
    ExpungeToBatch(account, inbox_id, uid, rec, inbox_modseq, now, batch);
    blobs.delta[rec.blob] += 1;
    rec.modseq = dst.info.highest_modseq;
    batch.Put(cf(kMessages), keys::MessageKey(account, dst_id, uid), EncodeMessage(rec));
    CountMessage(dst.info, rec, +1);
    appended.messages.push_back(MessageMeta{uid, rec.flags, rec.modseq});
    expunged.expunged.push_back(uid);
  }
  batch.Put(cf(kMailboxes), keys::MailboxKey(account, dst_id), EncodeMailbox(dst));
  batch.Put(cf(kMailboxNames), keys::MailboxNameKey(account, to), EncodeU64(dst_id));
  if (!appended.messages.empty()) {
    PutChange(batch, cf(kChanges), account, dst_id, appended, now);
    inbox.info.highest_modseq = inbox_modseq;
    inbox.info.messages = 0;
    inbox.info.unseen = 0;
    inbox.info.deleted = 0;
    inbox.info.size = 0;
    PutChange(batch, cf(kChanges), account, inbox_id, expunged, now);
    batch.Put(cf(kMailboxes), keys::MailboxKey(account, inbox_id), EncodeMailbox(inbox));
    pending.push_back(Pending{dst_id, false, appended});
    pending.push_back(Pending{inbox_id, false, expunged});
  }
  return Commit(account, batch, blobs, pending);
}

absl::Status Store::SetSubscribed(uint64_t account, std::string_view name, bool subscribed) {
  absl::MutexLock lock(AccountMutex(account));
  uint64_t id = 0;
  ASSIGN_OR_RETURN(MailboxRecord rec, LoadMailboxByName(account, name, &id));
  if (rec.info.subscribed == subscribed) return absl::OkStatus();
  rec.info.subscribed = subscribed;
  rocksdb::WriteBatch batch;
  batch.Put(cf(kMailboxes), keys::MailboxKey(account, id), EncodeMailbox(rec));
  return Commit(account, batch, {}, {});
}

absl::StatusOr<SelectResult> Store::Select(uint64_t account, std::string_view name) {
  ScopedSnapshot snap(db_);
  uint64_t id = 0;
  ASSIGN_OR_RETURN(MailboxRecord rec, LoadMailboxByName(account, name, &id, snap.get()));
  ASSIGN_OR_RETURN(auto messages, LoadMessages(account, id, snap.get()));
  SelectResult out;
  out.info = std::move(rec.info);
  out.keywords = std::move(rec.keywords);
  out.messages.reserve(messages.size());
  for (auto& [uid, m] : messages) out.messages.push_back(MessageMeta{uid, std::move(m.flags), m.modseq});
  return out;
}

absl::StatusOr<SelectedColumns> Store::SelectColumns(uint64_t account, std::string_view name) {
  ScopedSnapshot snap(db_);
  uint64_t id = 0;
  ASSIGN_OR_RETURN(MailboxRecord rec, LoadMailboxByName(account, name, &id, snap.get()));
  SelectedColumns out;
  out.info = std::move(rec.info);
  out.keywords = std::move(rec.keywords);
  const uint64_t modseq = out.info.highest_modseq;
  const uint32_t validity = out.info.uid_validity;

  // The cache first: the columns at this very modseq, or older ones the change log brings here.
  if (auto cached = column_cache_.Find(account, id);
      cached && cached->uid_validity == validity && cached->modseq <= modseq) {
    // The count guards against writers that add messages without a change (an account import:
    // see ImportMessages).
    if (cached->modseq == modseq && cached->uids.size() == out.info.messages) {
      out.columns = std::move(cached);
      select_cache_hits_.fetch_add(1, std::memory_order_relaxed);
      return out;
    }
    if (cached->modseq < modseq && cached->modseq >= rec.log_floor) {
      ASSIGN_OR_RETURN(std::vector<Change> changes,
                       LoadChanges(account, id, cached->modseq, snap.get()));
      auto forward = std::make_shared<MailboxColumns>(*cached);
      if (ApplyChanges(*forward, changes) && forward->uids.size() == out.info.messages) {
        forward->modseq = modseq;
        column_cache_.Put(account, id, forward);
        out.columns = std::move(forward);
        select_cache_hits_.fetch_add(1, std::memory_order_relaxed);
        return out;
      }
    }
  }
  select_cache_misses_.fetch_add(1, std::memory_order_relaxed);

  auto cols = std::make_shared<MailboxColumns>();
  cols->uid_validity = validity;
  cols->modseq = modseq;
  cols->uids.reserve(out.info.messages);
  cols->system.reserve(out.info.messages);
  cols->modseqs.reserve(out.info.messages);
  cols->keyword_sets.emplace_back();
  // Distinct encoded keyword lists -> index in keyword_sets. The common case, no keyword, is the
  // one-byte empty list and never reaches the map.
  absl::flat_hash_map<std::string, uint32_t> sets;
  bool any_keyword = false;

  std::string prefix = keys::MessagePrefix(account, id);
  std::string end = keys::PrefixEnd(prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  ro.iterate_upper_bound = &upper;
  ro.readahead_size = 2 << 20;  // one mailbox's records are contiguous: read them in big steps
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kMessages)));
  MessageMetaView m;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    auto uid = keys::UidFromMessageKey(it->key().ToStringView());
    if (!uid) return absl::DataLossError("malformed message key");
    RETURN_IF_ERROR(DecodeMessageMeta(it->value().ToStringView(), &m));
    uint32_t set = 0;
    if (!(m.keywords_raw.size() == 1 && m.keywords_raw[0] == 0)) {
      auto found = sets.find(absl::string_view(m.keywords_raw.data(), m.keywords_raw.size()));
      if (found != sets.end()) {
        set = found->second;
      } else {
        ASSIGN_OR_RETURN(std::vector<std::string> words, DecodeKeywordList(m.keywords_raw));
        if (!words.empty()) {
          set = static_cast<uint32_t>(cols->keyword_sets.size());
          cols->keyword_sets.push_back(std::move(words));
        }
        sets.emplace(std::string(m.keywords_raw), set);
      }
    }
    if (set != 0 && !any_keyword) {
      // The first message with a keyword: the ones before it had none.
      any_keyword = true;
      cols->keyword_set.reserve(out.info.messages);
      cols->keyword_set.assign(cols->uids.size(), 0);
    }
    if (any_keyword) cols->keyword_set.push_back(set);
    cols->uids.push_back(*uid);
    cols->system.push_back(m.system);
    cols->modseqs.push_back(m.modseq);
  }
  RETURN_IF_ERROR(FromRocks(it->status()));
  if (cols->uids.size() >= options_.select_cache_min_messages) column_cache_.Put(account, id, cols);
  out.columns = std::move(cols);
  return out;
}

}  // namespace hadron::store
