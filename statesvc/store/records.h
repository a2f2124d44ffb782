// Value encodings of the state store's records (a versioned, varint-based binary format).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "statesvc/store/types.h"

namespace hadron::store {

struct AccountRecord {
  std::string name;
  // scrypt parameters and output, stored with the hash so they can change later.
  uint64_t scrypt_n = 0;
  uint32_t scrypt_r = 0;
  uint32_t scrypt_p = 0;
  std::string salt;
  std::string hash;
};

struct MailboxRecord {
  MailboxInfo info;                   // info.id is not encoded; it comes from the key
  std::vector<std::string> keywords;  // every keyword ever used, in first-use order
  uint64_t log_floor = 0;             // changes after this modseq are all in the log
};

struct MessageRecord {
  std::string blob;  // SHA-256 of the raw message (32 bytes)
  Flags flags;
  uint64_t modseq = 0;
  int64_t internal_date = 0;
  int32_t internal_date_tz = 0;
  uint64_t size = 0;
  int64_t save_date = 0;  // unix seconds it was saved into this mailbox; 0: before SAVEDATE
  uint64_t thread = 0;  // OBJECTID THREADID (0 in records from before threads: see objectid.h)
};

// A message expunged but kept fetchable for sessions not yet told (see Store::Sweep).
struct ExpungedRecord {
  MessageRecord message;    // as it was when expunged; it keeps its blob reference
  int64_t expunged_at_us = 0;  // microseconds since 1970
  uint64_t modseq = 0;         // the mailbox modseq of the expunge
};

struct ParsedRecord {
  std::string envelope;
  std::string body;
  std::string bodystructure;
  std::string structure;  // mime::SerializeStructure
};

std::string EncodeAccount(const AccountRecord& r);
absl::StatusOr<AccountRecord> DecodeAccount(std::string_view in);
std::string EncodeMailbox(const MailboxRecord& r);
absl::StatusOr<MailboxRecord> DecodeMailbox(std::string_view in);
std::string EncodeMessage(const MessageRecord& r);
absl::StatusOr<MessageRecord> DecodeMessage(std::string_view in);
// What SELECT needs of a message record, decoded without copying or allocating: the keywords
// stay encoded, as a view into `in`. Checks only the fields it reads.
struct MessageMetaView {
  uint32_t system = 0;
  uint64_t modseq = 0;
  std::string_view keywords_raw;  // the encoded keyword list: equal bytes, equal sets
};
absl::Status DecodeMessageMeta(std::string_view in, MessageMetaView* out);
// The keywords of an encoded keyword list (MessageMetaView::keywords_raw).
absl::StatusOr<std::vector<std::string>> DecodeKeywordList(std::string_view raw);
std::string EncodeParsed(const ParsedRecord& r);
absl::StatusOr<ParsedRecord> DecodeParsed(std::string_view in);
std::string EncodeExpunged(const ExpungedRecord& r);
absl::StatusOr<ExpungedRecord> DecodeExpunged(std::string_view in);
// `time_us` (when the change was committed, microseconds since 1970) drives change-log trimming;
// records written without it decode with *time_us = 0.
std::string EncodeChange(const Change& c, int64_t time_us = 0);
absl::StatusOr<Change> DecodeChange(std::string_view in, int64_t* time_us = nullptr);
std::string EncodeQuotaUsage(const QuotaUsage& u);
absl::StatusOr<QuotaUsage> DecodeQuotaUsage(std::string_view in);
std::string EncodeQuotaLimits(const QuotaLimits& l);
absl::StatusOr<QuotaLimits> DecodeQuotaLimits(std::string_view in);
std::string EncodeU64(uint64_t v);
absl::StatusOr<uint64_t> DecodeU64(std::string_view in);

}  // namespace hadron::store
