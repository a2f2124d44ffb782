// RocksDB key layout of the state store.
#include "statesvc/store/keys.h"

namespace hadron::store::keys {

void PutU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}

void PutU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}

uint32_t GetU32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

uint64_t GetU64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

std::string AccountKey(uint64_t account) {
  std::string k;
  PutU64(&k, account);
  return k;
}

std::string AccountNameKey(std::string_view lower_name) { return std::string(lower_name); }

std::string MailboxKey(uint64_t account, uint64_t mailbox) {
  std::string k;
  PutU64(&k, account);
  PutU64(&k, mailbox);
  return k;
}

std::string MailboxPrefix(uint64_t account) { return AccountKey(account); }

std::optional<uint64_t> MailboxIdFromKey(std::string_view key) {
  if (key.size() != 16) return std::nullopt;
  return GetU64(key.substr(8));
}

std::string MailboxNameKey(uint64_t account, std::string_view name) {
  std::string k;
  PutU64(&k, account);
  k.append(name);
  return k;
}

std::string MessageKey(uint64_t account, uint64_t mailbox, uint32_t uid) {
  std::string k = MailboxKey(account, mailbox);
  PutU32(&k, uid);
  return k;
}

std::string MessagePrefix(uint64_t account, uint64_t mailbox) { return MailboxKey(account, mailbox); }

std::optional<uint32_t> UidFromMessageKey(std::string_view key) {
  if (key.size() != 20) return std::nullopt;
  return GetU32(key.substr(16));
}

std::string BlobKey(std::string_view sha256) { return std::string(sha256); }

std::string ChangeKey(uint64_t account, uint64_t mailbox, uint64_t modseq) {
  std::string k = MailboxKey(account, mailbox);
  PutU64(&k, modseq);
  return k;
}

std::string ChangePrefix(uint64_t account, uint64_t mailbox) { return MailboxKey(account, mailbox); }

std::optional<uint64_t> ModseqFromChangeKey(std::string_view key) {
  if (key.size() != 24) return std::nullopt;
  return GetU64(key.substr(16));
}

std::string ExpungedKey(uint64_t account, uint64_t mailbox, uint32_t uid) {
  return MessageKey(account, mailbox, uid);
}

std::string ExpungedTimeKey(int64_t time_us, uint64_t account, uint64_t mailbox, uint32_t uid) {
  std::string k;
  PutU64(&k, static_cast<uint64_t>(time_us < 0 ? 0 : time_us));
  PutU64(&k, account);
  PutU64(&k, mailbox);
  PutU32(&k, uid);
  return k;
}

std::optional<ExpungedTimeKeyParts> ParseExpungedTimeKey(std::string_view key) {
  if (key.size() != 28) return std::nullopt;
  ExpungedTimeKeyParts p;
  p.time_us = static_cast<int64_t>(GetU64(key));
  p.account = GetU64(key.substr(8));
  p.mailbox = GetU64(key.substr(16));
  p.uid = GetU32(key.substr(24));
  return p;
}

std::optional<std::pair<uint64_t, uint64_t>> AccountMailboxFromKey(std::string_view key) {
  if (key.size() != 16) return std::nullopt;
  return std::make_pair(GetU64(key), GetU64(key.substr(8)));
}

std::string NextAccountIdKey() { return "counter/next_account_id"; }
std::string NextMailboxIdKey() { return "counter/next_mailbox_id"; }
std::string NextUidValidityKey() { return "counter/next_uid_validity"; }

std::string BlobRefKey(std::string_view sha256) { return "blobref/" + std::string(sha256); }
std::string MovedAccountKey(std::string_view lower_name) {
  return "shard/moved/" + std::string(lower_name);
}

std::string MovedAccountIdKey(uint64_t account) {
  std::string k = "shard/moved-id/";
  PutU64(&k, account);
  return k;
}

std::string QuotaUsageKey(uint64_t account) {
  std::string k = "quota/usage/";
  PutU64(&k, account);
  return k;
}

std::string QuotaLimitsKey(uint64_t account) {
  std::string k = "quota/limits/";
  PutU64(&k, account);
  return k;
}

std::string ThreadIndexPrefix(uint64_t account) {
  std::string k = "thread/";
  PutU64(&k, account);
  return k;
}

std::string ThreadIndexKey(uint64_t account, std::string_view message_id_sha256) {
  return ThreadIndexPrefix(account) + std::string(message_id_sha256);
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(end.back());
    if (c != 0xff) {
      ++c;
      return end;
    }
    end.pop_back();
  }
  return end;  // empty: no upper bound
}

}  // namespace hadron::store::keys
