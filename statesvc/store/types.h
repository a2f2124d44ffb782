// Plain C++ records of the state store's API (no protobuf, no gRPC).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hadron::store {

// System flag bits; the same values as hadron.state.v1.SystemFlag.
enum SystemFlag : uint32_t {
  kSeen = 1,
  kAnswered = 2,
  kFlagged = 4,
  kDeleted = 8,
  kDraft = 16,
};
inline constexpr uint32_t kAllSystemFlags = kSeen | kAnswered | kFlagged | kDeleted | kDraft;

struct Flags {
  uint32_t system = 0;
  std::vector<std::string> keywords;  // case as first stored in the mailbox, sorted, unique
  friend bool operator==(const Flags&, const Flags&) = default;
};

struct MessageMeta {
  uint32_t uid = 0;
  Flags flags;
  uint64_t modseq = 0;
  friend bool operator==(const MessageMeta&, const MessageMeta&) = default;
};

struct Account {
  uint64_t id = 0;
  std::string name;  // canonical (lowercase)
};

struct MailboxInfo {
  uint64_t id = 0;
  std::string name;
  uint32_t uid_validity = 0;
  uint32_t uid_next = 1;
  uint64_t highest_modseq = 1;
  uint32_t messages = 0;
  uint32_t unseen = 0;
  uint64_t size = 0;
  bool subscribed = false;
  std::string special_use;
  uint32_t deleted = 0;
  // \Recent (RFC 3501 2.3.2): UIDs at or above recent_uid have not been seen by any
  // read-write session yet. `recent` counts them (filled in by GetMailbox only).
  uint32_t recent_uid = 1;
  uint32_t recent = 0;
};

struct SelectResult {
  MailboxInfo info;
  std::vector<MessageMeta> messages;  // UID order, read at info.highest_modseq
  std::vector<std::string> keywords;  // every keyword used in the mailbox
};

// A mailbox's messages as columns, a few bytes per message (what SELECT answers frontends with,
// and what the statesvc's ColumnCache keeps): message i has uids[i] (ascending), system[i],
// modseqs[i] and the keywords keyword_sets[keyword_set[i]]. keyword_sets[0] is the empty set;
// keyword_set is left empty while no message has a keyword.
struct MailboxColumns {
  uint32_t uid_validity = 0;
  uint64_t modseq = 0;  // the mailbox's highest modseq the columns are at
  std::vector<uint32_t> uids;
  std::vector<uint32_t> system;
  std::vector<uint64_t> modseqs;
  std::vector<std::vector<std::string>> keyword_sets;
  std::vector<uint32_t> keyword_set;
};

// Store::SelectColumns: the mailbox and its columns, all read at info.highest_modseq.
struct SelectedColumns {
  MailboxInfo info;
  std::vector<std::string> keywords;  // every keyword used in the mailbox
  std::shared_ptr<const MailboxColumns> columns;
};

struct AppendResult {
  uint64_t mailbox_id = 0;
  uint32_t uid_validity = 0;
  uint32_t uid = 0;
  uint64_t modseq = 0;
};

struct FetchedMessage {
  uint32_t uid = 0;
  bool missing = false;
  bool expunged = false;  // expunged, still retained for sessions not yet told
  Flags flags;
  uint64_t modseq = 0;
  uint64_t size = 0;
  int64_t internal_date = 0;
  int32_t internal_date_tz = 0;
  int64_t save_date = 0;      // unix seconds (RFC 8514 SAVEDATE)
  std::string envelope;       // only with want_structure
  std::string body;           // only with want_structure
  std::string bodystructure;  // only with want_structure
  std::string structure;      // only with want_structure: mime::SerializeStructure output
  std::string content;        // only with want_content
  std::string email_id;       // OBJECTID (RFC 8474) EMAILID: from the content's hash
  std::string thread_id;      // OBJECTID THREADID
};

enum class StoreOp { kReplace, kAdd, kRemove };

struct StoreResult {
  std::vector<MessageMeta> updated;
  std::vector<MessageMeta> unchanged;
  std::vector<uint32_t> modified;  // UNCHANGEDSINCE failures
  uint64_t modseq = 0;             // the new modseq, or the current one if nothing changed
};

struct ExpungeResult {
  std::vector<uint32_t> expunged;
  uint64_t modseq = 0;
};

struct CopyResult {
  uint64_t destination_id = 0;
  uint32_t uid_validity = 0;
  std::vector<uint32_t> source_uids;
  std::vector<uint32_t> destination_uids;
  std::vector<uint32_t> expunged;  // move only
  uint64_t source_modseq = 0;
};

struct SearchKey {
  // Same values as hadron.state.v1.SearchKey.Kind.
  enum Kind {
    kAll = 0,
    kAnd = 1,
    kOr = 2,
    kNot = 3,
    kUidSet = 4,
    kFlagSet = 5,
    kFlagUnset = 6,
    kKeyword = 7,
    kUnkeyword = 8,
    kBefore = 9,
    kOn = 10,
    kSince = 11,
    kSentBefore = 12,
    kSentOn = 13,
    kSentSince = 14,
    kLarger = 15,
    kSmaller = 16,
    kHeader = 17,
    kBody = 18,
    kText = 19,
    kNone = 20,
    kModseq = 21,
    kOlder = 100,  // WITHIN (RFC 5032): date is unix seconds
    kYounger = 101,
    kSavedBefore = 102,  // SAVEDATE (RFC 8514): date is days, the save date's UTC day
    kSavedOn = 103,
    kSavedSince = 104,
    kSaveDateSupported = 105,
    kEmailId = 120,   // OBJECTID (RFC 8474): value = EMAILID
    kThreadId = 121,  // OBJECTID: value = THREADID
  };
  Kind kind = kAll;
  std::vector<SearchKey> children;
  std::vector<std::pair<uint32_t, uint32_t>> uids;  // inclusive ranges
  uint32_t flag = 0;
  std::string header_name;
  bool literal_header = false;  // HEADER as written (see state.proto)
  std::string value;
  int64_t date = 0;  // days since 1970-01-01
  uint64_t size = 0;
};

struct Change {
  enum Kind { kAppend = 0, kFlags = 1, kExpunge = 2 };
  uint64_t modseq = 0;
  Kind kind = kAppend;
  std::vector<MessageMeta> messages;
  std::vector<uint32_t> expunged;
  friend bool operator==(const Change&, const Change&) = default;
};

struct ChangesResult {
  std::vector<Change> changes;  // modseq > since, ascending
  uint64_t highest_modseq = 0;
  bool resync = false;
  bool mailbox_gone = false;
};

// QUOTA (RFC 9208): one quota root per account, resources STORAGE and MESSAGE.
struct QuotaUsage {
  uint64_t storage = 0;   // bytes: the sum of RFC822.SIZE of every live message
  uint64_t messages = 0;  // live messages in all mailboxes
  friend bool operator==(const QuotaUsage&, const QuotaUsage&) = default;
};
struct QuotaLimits {  // absent: no limit (the default)
  std::optional<uint64_t> storage_kib;  // in units of 1024 octets, as RFC 9208 counts STORAGE
  std::optional<uint64_t> messages;
};
struct Quota {
  QuotaUsage usage;
  QuotaLimits limits;
};

// Called after a mutation has committed, while the account's mutations are still serialized, so
// calls for one mailbox arrive in modseq order. Implementations must not block.
class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
  virtual void OnChange(uint64_t account, uint64_t mailbox, const Change& change) = 0;
  virtual void OnMailboxGone(uint64_t account, uint64_t mailbox) = 0;
  // notify: after every commit of the account (mailbox list, subscriptions or messages).
  virtual void OnAccountChanged(uint64_t /*account*/) {}
};

// One message of Store::AppendBatch (MULTIAPPEND).
struct AppendItem {
  Flags flags;
  int64_t internal_date = 0;  // 0 = now
  int32_t internal_date_tz = 0;
  std::string_view raw;
};
struct AppendBatchResult {
  uint64_t mailbox_id = 0;
  uint32_t uid_validity = 0;
  std::vector<uint32_t> uids;  // one per item, in order
  uint64_t modseq = 0;
};

}  // namespace hadron::store
