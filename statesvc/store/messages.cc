// The state store: append, fetch, flag changes, expunge, copy/move and the change log.
#include <openssl/evp.h>

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/mime/mime.h"
#include "common/status.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "statesvc/store/keys.h"
#include "statesvc/store/mutations.h"
#include "statesvc/store/names.h"
#include "statesvc/store/objectid.h"
#include "statesvc/store/store.h"
#include "statesvc/store/store_internal.h"

namespace hadron::store {
namespace {

constexpr int32_t kMaxTzMinutes = 24 * 60 - 1;

std::string Sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}

// Ascending, unique copy of `uids`, without 0.
std::vector<uint32_t> SortedUids(absl::Span<const uint32_t> uids) {
  std::vector<uint32_t> out(uids.begin(), uids.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (!out.empty() && out.front() == 0) out.erase(out.begin());
  return out;
}

}  // namespace

absl::StatusOr<AppendResult> Store::Append(uint64_t account, std::string_view mailbox,
                                           const Flags& flags, int64_t internal_date,
                                           int32_t internal_date_tz, std::string_view raw) {
  if (internal_date_tz < -kMaxTzMinutes || internal_date_tz > kMaxTzMinutes) {
    return absl::InvalidArgumentError("time zone offset out of range");
  }
  if (internal_date < 0) return absl::InvalidArgumentError("internal date before 1970");
  if (internal_date == 0) internal_date = absl::ToUnixSeconds(absl::Now());
  // Parse outside the account lock: it is the expensive part.
  std::string content = mime::NormalizeLineEndings(raw);
  mime::MessageStructure structure = mime::ParseMessage(content);
  ParsedRecord parsed{mime::RenderEnvelope(structure), mime::RenderBody(structure),
                      mime::RenderBodyStructure(structure), mime::SerializeStructure(structure)};
  std::string sha = Sha256(content);

  absl::MutexLock lock(AccountMutex(account));
  uint64_t mailbox_id = 0;
  ASSIGN_OR_RETURN(MailboxRecord mb, LoadMailboxByName(account, mailbox, &mailbox_id));
  if (mb.info.uid_next == UINT32_MAX) return absl::ResourceExhaustedError("mailbox UID space exhausted");
  ASSIGN_OR_RETURN(Flags canonical, CanonicalFlags(flags, mb, true));
  ASSIGN_OR_RETURN(Quota quota, LoadQuotaLocked(account));
  RETURN_IF_ERROR(CheckQuota(quota, content.size(), 1));
  rocksdb::WriteBatch batch;
  MessageRecord rec;
  ASSIGN_OR_RETURN(rec.thread, AssignThreadLocked(account, content, sha, batch));
  rec.blob = sha;
  rec.flags = std::move(canonical);
  rec.modseq = mb.info.highest_modseq + 1;
  rec.internal_date = internal_date;
  rec.internal_date_tz = internal_date_tz;
  rec.size = content.size();
  rec.save_date = absl::ToUnixSeconds(absl::Now());
  const uint32_t uid = mb.info.uid_next;
  mb.info.uid_next += 1;
  mb.info.highest_modseq = rec.modseq;
  CountMessage(mb.info, rec, +1);
  quota.usage.storage += rec.size;
  quota.usage.messages += 1;
  PutQuotaUsage(account, quota.usage, batch);

  batch.Put(cf(kMessages), keys::MessageKey(account, mailbox_id, uid), EncodeMessage(rec));
  batch.Put(cf(kMailboxes), keys::MailboxKey(account, mailbox_id), EncodeMailbox(mb));
  Change change{rec.modseq, Change::kAppend, {MessageMeta{uid, rec.flags, rec.modseq}}, {}};
  PutChange(batch, cf(kChanges), account, mailbox_id, change, NowMicros());
  BlobDeltas blobs;
  blobs.delta[sha] = 1;
  blobs.fresh[sha] = NewBlob{std::move(content), EncodeParsed(parsed)};
  RETURN_IF_ERROR(Commit(account, batch, blobs, {Pending{mailbox_id, false, change}}));
  return AppendResult{mailbox_id, mb.info.uid_validity, uid, rec.modseq};
}

absl::StatusOr<std::vector<FetchedMessage>> Store::Fetch(uint64_t account, uint64_t mailbox,
                                                         absl::Span<const uint32_t> uids,
                                                         bool want_structure, bool want_content) {
  ScopedSnapshot snap(db_);
  RETURN_IF_ERROR(LoadMailbox(account, mailbox, snap.get()).status());
  std::vector<FetchedMessage> out;
  out.reserve(uids.size());
  for (uint32_t uid : uids) {
    FetchedMessage f;
    f.uid = uid;
    ASSIGN_OR_RETURN(auto v, GetValue(db_, cf(kMessages), keys::MessageKey(account, mailbox, uid),
                                      snap.get()));
    MessageRecord rec;
    if (v) {
      ASSIGN_OR_RETURN(rec, DecodeMessage(*v));
    } else {
      // Expunged but still retained: a session that has not been told yet may still read it.
      ASSIGN_OR_RETURN(auto e, GetValue(db_, cf(kExpunged), keys::ExpungedKey(account, mailbox, uid),
                                        snap.get()));
      if (!e) {
        f.missing = true;
        out.push_back(std::move(f));
        continue;
      }
      ASSIGN_OR_RETURN(ExpungedRecord expunged, DecodeExpunged(*e));
      rec = std::move(expunged.message);
      f.expunged = true;
    }
    f.flags = std::move(rec.flags);
    f.modseq = rec.modseq;
    f.size = rec.size;
    f.internal_date = rec.internal_date;
    f.internal_date_tz = rec.internal_date_tz;
    // Messages stored before save dates were kept count as saved when they arrived.
    f.save_date = rec.save_date != 0 ? rec.save_date : rec.internal_date;
    f.email_id = EmailId(rec.blob);
    f.thread_id = ThreadId(rec.thread, rec.blob);
    if (want_structure) {
      ASSIGN_OR_RETURN(auto p, GetValue(db_, cf(kParsed), keys::BlobKey(rec.blob), snap.get()));
      if (!p) return absl::DataLossError(absl::StrCat("parsed structure missing for uid ", uid));
      ASSIGN_OR_RETURN(ParsedRecord parsed, DecodeParsed(*p));
      f.envelope = std::move(parsed.envelope);
      f.body = std::move(parsed.body);
      f.bodystructure = std::move(parsed.bodystructure);
      f.structure = std::move(parsed.structure);
    }
    if (want_content) {
      ASSIGN_OR_RETURN(auto c, GetValue(db_, cf(kBlobs), keys::BlobKey(rec.blob), snap.get()));
      if (!c) return absl::DataLossError(absl::StrCat("content missing for uid ", uid));
      f.content = std::move(*c);
    }
    out.push_back(std::move(f));
  }
  return out;
}

absl::StatusOr<StoreResult> Store::StoreFlags(uint64_t account, uint64_t mailbox,
                                              absl::Span<const uint32_t> uids, StoreOp op,
                                              const Flags& flags, uint64_t unchanged_since) {
  absl::MutexLock lock(AccountMutex(account));
  ASSIGN_OR_RETURN(MailboxRecord mb, LoadMailbox(account, mailbox));
  ASSIGN_OR_RETURN(Flags arg, CanonicalFlags(flags, mb, op != StoreOp::kRemove));
  const uint64_t modseq = mb.info.highest_modseq + 1;
  StoreResult result;
  rocksdb::WriteBatch batch;
  Change change{modseq, Change::kFlags, {}, {}};
  for (uint32_t uid : SortedUids(uids)) {
    std::string key = keys::MessageKey(account, mailbox, uid);
    ASSIGN_OR_RETURN(auto v, GetValue(db_, cf(kMessages), key, nullptr));
    if (!v) continue;
    ASSIGN_OR_RETURN(MessageRecord rec, DecodeMessage(*v));
    if (unchanged_since != 0 && rec.modseq > unchanged_since) {
      result.modified.push_back(uid);
      result.unchanged.push_back(MessageMeta{uid, rec.flags, rec.modseq});
      continue;
    }
    Flags next = ApplyFlags(rec.flags, op, arg);
    if (next == rec.flags) {
      result.unchanged.push_back(MessageMeta{uid, rec.flags, rec.modseq});
      continue;
    }
    CountMessage(mb.info, rec, -1);
    rec.flags = std::move(next);
    rec.modseq = modseq;
    CountMessage(mb.info, rec, +1);
    batch.Put(cf(kMessages), key, EncodeMessage(rec));
    result.updated.push_back(MessageMeta{uid, rec.flags, modseq});
  }
  if (result.updated.empty()) {
    // Nothing to commit; keywords new to the mailbox are registered once a message has them.
    result.modseq = mb.info.highest_modseq;
    return result;
  }
  change.messages = result.updated;
  mb.info.highest_modseq = modseq;
  batch.Put(cf(kMailboxes), keys::MailboxKey(account, mailbox), EncodeMailbox(mb));
  PutChange(batch, cf(kChanges), account, mailbox, change, NowMicros());
  RETURN_IF_ERROR(Commit(account, batch, {}, {Pending{mailbox, false, change}}));
  result.modseq = modseq;
  return result;
}

absl::StatusOr<ExpungeResult> Store::Expunge(uint64_t account, uint64_t mailbox,
                                             absl::Span<const uint32_t> uids,
                                             bool restrict_to_uids, bool force) {
  absl::MutexLock lock(AccountMutex(account));
  ASSIGN_OR_RETURN(MailboxRecord mb, LoadMailbox(account, mailbox));
  std::vector<std::pair<uint32_t, MessageRecord>> candidates;
  if (restrict_to_uids) {
    for (uint32_t uid : SortedUids(uids)) {
      ASSIGN_OR_RETURN(auto v, GetValue(db_, cf(kMessages), keys::MessageKey(account, mailbox, uid),
                                        nullptr));
      if (!v) continue;
      ASSIGN_OR_RETURN(MessageRecord rec, DecodeMessage(*v));
      candidates.emplace_back(uid, std::move(rec));
    }
  } else {
    ASSIGN_OR_RETURN(candidates, LoadMessages(account, mailbox));
  }
  ExpungeResult result;
  rocksdb::WriteBatch batch;
  const uint64_t modseq = mb.info.highest_modseq + 1;
  const int64_t now = NowMicros();
  ASSIGN_OR_RETURN(Quota quota, LoadQuotaLocked(account));
  for (const auto& [uid, rec] : candidates) {
    if (!force && !(rec.flags.system & kDeleted)) continue;
    // The message (and its blob reference) moves to the expunged column family, where sessions
    // not yet told can still fetch it until Sweep() deletes it.
    ExpungeToBatch(account, mailbox, uid, rec, modseq, now, batch);
    CountMessage(mb.info, rec, -1);
    quota.usage.storage -= std::min(quota.usage.storage, rec.size);
    quota.usage.messages -= std::min<uint64_t>(quota.usage.messages, 1);
    result.expunged.push_back(uid);
  }
  if (result.expunged.empty()) {
    result.modseq = mb.info.highest_modseq;
    return result;
  }
  PutQuotaUsage(account, quota.usage, batch);
  mb.info.highest_modseq = modseq;
  result.modseq = modseq;
  Change change{result.modseq, Change::kExpunge, {}, result.expunged};
  batch.Put(cf(kMailboxes), keys::MailboxKey(account, mailbox), EncodeMailbox(mb));
  PutChange(batch, cf(kChanges), account, mailbox, change, now);
  RETURN_IF_ERROR(Commit(account, batch, {}, {Pending{mailbox, false, change}}));
  return result;
}

absl::StatusOr<CopyResult> Store::Copy(uint64_t account, uint64_t mailbox,
                                       absl::Span<const uint32_t> uids,
                                       std::string_view destination, bool move) {
  absl::MutexLock lock(AccountMutex(account));
  ASSIGN_OR_RETURN(MailboxRecord src, LoadMailbox(account, mailbox));
  uint64_t dst_id = 0;
  ASSIGN_OR_RETURN(MailboxRecord dst_loaded, LoadMailboxByName(account, destination, &dst_id));
  const bool same = dst_id == mailbox;
  if (same && move) return absl::InvalidArgumentError("cannot move messages into their own mailbox");
  MailboxRecord& dst = same ? src : dst_loaded;

  std::vector<std::pair<uint32_t, MessageRecord>> found;
  for (uint32_t uid : SortedUids(uids)) {
    ASSIGN_OR_RETURN(auto v, GetValue(db_, cf(kMessages), keys::MessageKey(account, mailbox, uid),
                                      nullptr));
    if (!v) continue;
    ASSIGN_OR_RETURN(MessageRecord rec, DecodeMessage(*v));
    found.emplace_back(uid, std::move(rec));
  }
  CopyResult result;
  result.destination_id = dst_id;
  result.uid_validity = dst.info.uid_validity;
  result.source_modseq = src.info.highest_modseq;
  if (found.empty()) return result;
  if (static_cast<uint64_t>(dst.info.uid_next) + found.size() >= UINT32_MAX) {
    return absl::ResourceExhaustedError("destination UID space exhausted");
  }

  rocksdb::WriteBatch batch;
  // QUOTA: a COPY adds its messages to the account's usage; a MOVE leaves it as it was.
  if (!move) {
    ASSIGN_OR_RETURN(Quota quota, LoadQuotaLocked(account));
    uint64_t bytes = 0;
    for (const auto& [uid, rec] : found) bytes += rec.size;
    RETURN_IF_ERROR(CheckQuota(quota, bytes, found.size()));
    quota.usage.storage += bytes;
    quota.usage.messages += found.size();
    PutQuotaUsage(account, quota.usage, batch);
  }
  BlobDeltas blobs;
  std::vector<Pending> pending;
  const uint64_t dst_modseq = dst.info.highest_modseq + 1;
  Change appended{dst_modseq, Change::kAppend, {}, {}};
  const int64_t save_date = absl::ToUnixSeconds(absl::Now());  // RFC 8514: COPY/MOVE save anew
  for (const auto& [uid, rec] : found) {
    MessageRecord copy = rec;
    ASSIGN_OR_RETURN(copy.flags, CanonicalFlags(rec.flags, dst, true));
    copy.modseq = dst_modseq;
    copy.save_date = save_date;
    const uint32_t new_uid = dst.info.uid_next++;
    batch.Put(cf(kMessages), keys::MessageKey(account, dst_id, new_uid), EncodeMessage(copy));
    blobs.delta[copy.blob] += 1;
    CountMessage(dst.info, copy, +1);
    appended.messages.push_back(MessageMeta{new_uid, copy.flags, dst_modseq});
    result.source_uids.push_back(uid);
    result.destination_uids.push_back(new_uid);
  }
  dst.info.highest_modseq = dst_modseq;
  const int64_t now = NowMicros();
  PutChange(batch, cf(kChanges), account, dst_id, appended, now);
  pending.push_back(Pending{dst_id, false, appended});
  if (move) {
    const uint64_t src_modseq = src.info.highest_modseq + 1;
    Change expunged{src_modseq, Change::kExpunge, {}, {}};
    for (const auto& [uid, rec] : found) {
      ExpungeToBatch(account, mailbox, uid, rec, src_modseq, now, batch);
      CountMessage(src.info, rec, -1);
      expunged.expunged.push_back(uid);
    }
    src.info.highest_modseq = src_modseq;
    PutChange(batch, cf(kChanges), account, mailbox, expunged, now);
    pending.push_back(Pending{mailbox, false, expunged});
    result.expunged = expunged.expunged;
  }
  result.source_modseq = src.info.highest_modseq;
  batch.Put(cf(kMailboxes), keys::MailboxKey(account, dst_id), EncodeMailbox(dst));
  if (!same) batch.Put(cf(kMailboxes), keys::MailboxKey(account, mailbox), EncodeMailbox(src));
  RETURN_IF_ERROR(Commit(account, batch, blobs, pending));
  return result;
}

absl::StatusOr<ChangesResult> Store::GetChanges(uint64_t account, uint64_t mailbox,
                                                uint64_t since_modseq) {
  ScopedSnapshot snap(db_);
  ChangesResult result;
  auto mb = LoadMailbox(account, mailbox, snap.get());
  if (absl::IsNotFound(mb.status())) {
    result.mailbox_gone = true;
    return result;
  }
  if (!mb.ok()) return mb.status();
  result.highest_modseq = mb->info.highest_modseq;
  if (since_modseq < mb->log_floor || since_modseq > mb->info.highest_modseq) {
    result.resync = true;
    return result;
  }
  ASSIGN_OR_RETURN(result.changes, LoadChanges(account, mailbox, since_modseq, snap.get()));
  return result;
}

absl::StatusOr<std::vector<Change>> Store::LoadChanges(uint64_t account, uint64_t mailbox,
                                                       uint64_t since_modseq,
                                                       const rocksdb::Snapshot* snapshot) {
  std::string prefix = keys::ChangePrefix(account, mailbox);
  std::string end = keys::PrefixEnd(prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kChanges)));
  std::vector<Change> out;
  for (it->Seek(keys::ChangeKey(account, mailbox, since_modseq + 1)); it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(Change c, DecodeChange(it->value().ToStringView()));
    out.push_back(std::move(c));
  }
  RETURN_IF_ERROR(FromRocks(it->status()));
  return out;
}

}  // namespace hadron::store

namespace hadron::store {

absl::StatusOr<uint64_t> Store::BlobRefCount(std::string_view raw) {
  std::string sha = Sha256(mime::NormalizeLineEndings(raw));
  ASSIGN_OR_RETURN(auto v, GetValue(db_, cf(kMeta), keys::BlobRefKey(sha), nullptr));
  if (!v) return uint64_t{0};
  return DecodeU64(*v);
}

absl::StatusOr<AppendBatchResult> Store::AppendBatch(uint64_t account, std::string_view mailbox,
                                                     absl::Span<const AppendItem> items) {
  if (items.empty()) return absl::InvalidArgumentError("no messages to append");
  struct Prepared {
    std::string content;
    std::string parsed;
    std::string sha;
    int64_t internal_date;
  };
  std::vector<Prepared> prepared;
  prepared.reserve(items.size());
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  // Validate and parse everything before taking the lock: one bad item fails the whole batch.
  for (const AppendItem& item : items) {
    if (item.internal_date_tz < -kMaxTzMinutes || item.internal_date_tz > kMaxTzMinutes) {
      return absl::InvalidArgumentError("time zone offset out of range");
    }
    if (item.internal_date < 0) return absl::InvalidArgumentError("internal date before 1970");
    Prepared p;
    p.content = mime::NormalizeLineEndings(item.raw);
    mime::MessageStructure structure = mime::ParseMessage(p.content);
    ParsedRecord parsed{mime::RenderEnvelope(structure), mime::RenderBody(structure),
                        mime::RenderBodyStructure(structure), mime::SerializeStructure(structure)};
    p.parsed = EncodeParsed(parsed);
    p.sha = Sha256(p.content);
    p.internal_date = item.internal_date == 0 ? now : item.internal_date;
    prepared.push_back(std::move(p));
  }

  absl::MutexLock lock(AccountMutex(account));
  uint64_t mailbox_id = 0;
  ASSIGN_OR_RETURN(MailboxRecord mb, LoadMailboxByName(account, mailbox, &mailbox_id));
  if (static_cast<uint64_t>(mb.info.uid_next) + items.size() >= UINT32_MAX) {
    return absl::ResourceExhaustedError("mailbox UID space exhausted");
  }
  // QUOTA (RFC 9208) for the batch as a whole: over the limit, nothing is stored (RFC 3502 is
  // all or none).
  ASSIGN_OR_RETURN(Quota quota, LoadQuotaLocked(account));
  uint64_t add_bytes = 0;
  for (const Prepared& p : prepared) add_bytes += p.content.size();
  RETURN_IF_ERROR(CheckQuota(quota, add_bytes, prepared.size()));
  const int64_t save_date = absl::ToUnixSeconds(absl::Now());
  absl::flat_hash_map<std::string, uint64_t> thread_index;  // entries put into `batch` so far
  const uint64_t modseq = mb.info.highest_modseq + 1;
  AppendBatchResult result;
  result.mailbox_id = mailbox_id;
  result.uid_validity = mb.info.uid_validity;
  result.modseq = modseq;
  rocksdb::WriteBatch batch;
  BlobDeltas blobs;
  Change change{modseq, Change::kAppend, {}, {}};
  for (size_t i = 0; i < items.size(); ++i) {
    Prepared& p = prepared[i];
    MessageRecord rec;
    ASSIGN_OR_RETURN(rec.thread,
                     AssignThreadLocked(account, p.content, p.sha, batch, &thread_index));
    rec.blob = p.sha;
    ASSIGN_OR_RETURN(rec.flags, CanonicalFlags(items[i].flags, mb, true));
    rec.modseq = modseq;
    rec.save_date = save_date;
    rec.internal_date = p.internal_date;
    rec.internal_date_tz = items[i].internal_date_tz;
    rec.size = p.content.size();
    const uint32_t uid = mb.info.uid_next++;
    CountMessage(mb.info, rec, +1);
    quota.usage.storage += rec.size;
    quota.usage.messages += 1;
    batch.Put(cf(kMessages), keys::MessageKey(account, mailbox_id, uid), EncodeMessage(rec));
    change.messages.push_back(MessageMeta{uid, rec.flags, modseq});
    result.uids.push_back(uid);
    blobs.delta[p.sha] += 1;
    if (!blobs.fresh.contains(p.sha)) {
      blobs.fresh[p.sha] = NewBlob{std::move(p.content), std::move(p.parsed)};
    }
  }
  mb.info.highest_modseq = modseq;
  PutQuotaUsage(account, quota.usage, batch);
  batch.Put(cf(kMailboxes), keys::MailboxKey(account, mailbox_id), EncodeMailbox(mb));
  PutChange(batch, cf(kChanges), account, mailbox_id, change, NowMicros());
  RETURN_IF_ERROR(Commit(account, batch, blobs, {Pending{mailbox_id, false, change}}));
  return result;
}

}  // namespace hadron::store
