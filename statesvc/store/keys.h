// RocksDB key layout of the state store: every key in one place, fixed-width big-endian.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace hadron::store::keys {

// Column family names.
inline constexpr char kAccountsCf[] = "accounts";
inline constexpr char kAccountNamesCf[] = "account_names";
inline constexpr char kMailboxesCf[] = "mailboxes";
inline constexpr char kMailboxNamesCf[] = "mailbox_names";
inline constexpr char kMessagesCf[] = "messages";
inline constexpr char kBlobsCf[] = "blobs";
inline constexpr char kParsedCf[] = "parsed";
inline constexpr char kChangesCf[] = "changes";
inline constexpr char kMetaCf[] = "meta";
inline constexpr char kExpungedCf[] = "expunged";
inline constexpr char kExpungedByTimeCf[] = "expunged_by_time";

// Big-endian fixed-width encoders/decoders (byte order == numeric order).
void PutU32(std::string* out, uint32_t v);
void PutU64(std::string* out, uint64_t v);
uint32_t GetU32(std::string_view in);  // requires in.size() >= 4
uint64_t GetU64(std::string_view in);  // requires in.size() >= 8

// accounts: account id.
std::string AccountKey(uint64_t account);
// account_names: lowercase account name.
std::string AccountNameKey(std::string_view lower_name);
// mailboxes: (account, mailbox id).
std::string MailboxKey(uint64_t account, uint64_t mailbox);
std::string MailboxPrefix(uint64_t account);
// Returns the mailbox id of a mailboxes key, or nullopt if malformed.
std::optional<uint64_t> MailboxIdFromKey(std::string_view key);
// mailbox_names: (account, full name).
std::string MailboxNameKey(uint64_t account, std::string_view name);
// messages: (account, mailbox, uid).
std::string MessageKey(uint64_t account, uint64_t mailbox, uint32_t uid);
std::string MessagePrefix(uint64_t account, uint64_t mailbox);
std::optional<uint32_t> UidFromMessageKey(std::string_view key);
// blobs and parsed: the 32-byte SHA-256 of the raw message.
std::string BlobKey(std::string_view sha256);
// changes: (account, mailbox, modseq).
std::string ChangeKey(uint64_t account, uint64_t mailbox, uint64_t modseq);
std::string ChangePrefix(uint64_t account, uint64_t mailbox);
std::optional<uint64_t> ModseqFromChangeKey(std::string_view key);
// expunged: (account, mailbox, uid), the same layout as messages.
std::string ExpungedKey(uint64_t account, uint64_t mailbox, uint32_t uid);
// expunged_by_time: (expunge time in microseconds since 1970, account, mailbox, uid), so the
// sweeper reads the oldest first.
std::string ExpungedTimeKey(int64_t time_us, uint64_t account, uint64_t mailbox, uint32_t uid);
struct ExpungedTimeKeyParts {
  int64_t time_us = 0;
  uint64_t account = 0;
  uint64_t mailbox = 0;
  uint32_t uid = 0;
};
std::optional<ExpungedTimeKeyParts> ParseExpungedTimeKey(std::string_view key);
// Parses a mailboxes key into (account, mailbox id).
std::optional<std::pair<uint64_t, uint64_t>> AccountMailboxFromKey(std::string_view key);
// meta: counters and blob reference counts.
std::string NextAccountIdKey();
std::string NextMailboxIdKey();
std::string NextUidValidityKey();
std::string BlobRefKey(std::string_view sha256);
// meta: an account that moved to another shard (issue 7), by lower-case name.
std::string MovedAccountKey(std::string_view lower_name);
// meta: the same by the account's id there, so a session still holding it gets "moved".
std::string MovedAccountIdKey(uint64_t account);
// meta: QUOTA usage and limits of an account (RFC 9208).
std::string QuotaUsageKey(uint64_t account);
std::string QuotaLimitsKey(uint64_t account);
// meta: OBJECTID thread index: (account, SHA-256 of a Message-ID) -> thread id.
std::string ThreadIndexKey(uint64_t account, std::string_view message_id_sha256);
std::string ThreadIndexPrefix(uint64_t account);

// The smallest key greater than every key starting with `prefix` (for iterate_upper_bound).
std::string PrefixEnd(std::string_view prefix);

}  // namespace hadron::store::keys
