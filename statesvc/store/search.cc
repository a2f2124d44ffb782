// The state store: SEARCH over a mailbox, evaluating the key tree per message.
#include <optional>

#include "statesvc/store/names.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/mime/mime.h"
#include "common/status.h"
#include "rocksdb/db.h"
#include "statesvc/store/keys.h"
#include "statesvc/store/objectid.h"
#include "statesvc/store/store.h"
#include "statesvc/store/store_internal.h"

namespace hadron::store {
namespace {

constexpr int kMaxSearchDepth = 64;

int64_t DaysSinceEpoch(absl::CivilDay day) { return day - absl::CivilDay(1970, 1, 1); }

// One message under evaluation; loads content and structure only when a key needs them.
class Candidate {
 public:
  Candidate(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* blobs, rocksdb::ColumnFamilyHandle* parsed,
            const rocksdb::Snapshot* snap, uint32_t uid, const MessageRecord& rec)
      : db_(db), blobs_(blobs), parsed_(parsed), snap_(snap), uid_(uid), rec_(rec) {}

  uint32_t uid() const { return uid_; }
  const MessageRecord& rec() const { return rec_; }

  int64_t InternalDay() const {
    absl::TimeZone tz = absl::FixedTimeZone(rec_.internal_date_tz * 60);
    return DaysSinceEpoch(absl::ToCivilDay(absl::FromUnixSeconds(rec_.internal_date), tz));
  }

  // The UTC day the message was saved into the mailbox (records older than SAVEDATE support
  // count as saved at their internal date, as FETCH SAVEDATE reports them).
  int64_t SaveDay() const {
    int64_t t = rec_.save_date != 0 ? rec_.save_date : rec_.internal_date;
    return DaysSinceEpoch(absl::ToCivilDay(absl::FromUnixSeconds(t), absl::UTCTimeZone()));
  }

  absl::StatusOr<std::string_view> Raw() {
    if (!raw_) {
      ASSIGN_OR_RETURN(auto v, GetValue(db_, blobs_, keys::BlobKey(rec_.blob), snap_));
      if (!v) return absl::DataLossError("message content missing");
      raw_ = std::move(*v);
    }
    return std::string_view(*raw_);
  }

  absl::StatusOr<const mime::MessageStructure*> Structure() {
    if (!structure_) {
      ASSIGN_OR_RETURN(auto v, GetValue(db_, parsed_, keys::BlobKey(rec_.blob), snap_));
      if (!v) return absl::DataLossError("message structure missing");
      ASSIGN_OR_RETURN(ParsedRecord p, DecodeParsed(*v));
      ASSIGN_OR_RETURN(mime::MessageStructure s, mime::DeserializeStructure(p.structure));
      structure_ = std::move(s);
    }
    return &*structure_;
  }

  // Normalized per-part texts: bodies only (BODY) or headers and bodies (TEXT).
  absl::StatusOr<const std::vector<std::string>*> Texts(bool with_headers) {
    auto& cache = with_headers ? full_texts_ : body_texts_;
    if (!cache) {
      ASSIGN_OR_RETURN(std::string_view raw, Raw());
      ASSIGN_OR_RETURN(const mime::MessageStructure* s, Structure());
      cache = mime::SearchTexts(raw, *s, with_headers);
    }
    return &*cache;
  }

  absl::StatusOr<int64_t> SentDay() {
    if (!sent_day_) {
      ASSIGN_OR_RETURN(std::string_view raw, Raw());
      auto day = mime::SentDate(raw);
      // Like Dovecot: a missing or unparsable Date: header counts as 1970-01-01 (sent date 0).
      sent_day_ = day ? DaysSinceEpoch(*day) : 0;
    }
    return *sent_day_;
  }

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* blobs_;
  rocksdb::ColumnFamilyHandle* parsed_;
  const rocksdb::Snapshot* snap_;
  uint32_t uid_;
  const MessageRecord& rec_;
  std::optional<std::string> raw_;
  std::optional<mime::MessageStructure> structure_;
  std::optional<std::vector<std::string>> body_texts_;
  std::optional<std::vector<std::string>> full_texts_;
  std::optional<int64_t> sent_day_;
};

bool HasKeyword(const Flags& f, std::string_view kw) {
  for (const auto& k : f.keywords) {
    if (EqualsIgnoreCase(k, kw)) return true;
  }
  return false;
}

absl::StatusOr<bool> Matches(const SearchKey& key, Candidate& c, int depth) {
  if (depth > kMaxSearchDepth) return absl::InvalidArgumentError("search key nested too deeply");
  const MessageRecord& r = c.rec();
  switch (key.kind) {
    case SearchKey::kAll:
      return true;
    case SearchKey::kNone:
      return false;
    case SearchKey::kAnd:
      for (const auto& child : key.children) {
        ASSIGN_OR_RETURN(bool m, Matches(child, c, depth + 1));
        if (!m) return false;
      }
      return true;
    case SearchKey::kOr: {
      if (key.children.size() != 2) return absl::InvalidArgumentError("OR needs two keys");
      ASSIGN_OR_RETURN(bool a, Matches(key.children[0], c, depth + 1));
      if (a) return true;
      return Matches(key.children[1], c, depth + 1);
    }
    case SearchKey::kNot: {
      if (key.children.size() != 1) return absl::InvalidArgumentError("NOT needs one key");
      ASSIGN_OR_RETURN(bool a, Matches(key.children[0], c, depth + 1));
      return !a;
    }
    case SearchKey::kUidSet:
      for (const auto& [first, last] : key.uids) {
        uint32_t lo = std::min(first, last), hi = std::max(first, last);
        if (c.uid() >= lo && c.uid() <= hi) return true;
      }
      return false;
    case SearchKey::kFlagSet:
      return (r.flags.system & key.flag) == key.flag;
    case SearchKey::kFlagUnset:
      return (r.flags.system & key.flag) == 0;
    case SearchKey::kKeyword:
      return HasKeyword(r.flags, key.value);
    case SearchKey::kUnkeyword:
      return !HasKeyword(r.flags, key.value);
    case SearchKey::kBefore:
      return c.InternalDay() < key.date;
    case SearchKey::kOn:
      return c.InternalDay() == key.date;
    case SearchKey::kSince:
      return c.InternalDay() >= key.date;
    case SearchKey::kSentBefore: {
      ASSIGN_OR_RETURN(int64_t d, c.SentDay());
      return d < key.date;
    }
    case SearchKey::kSentOn: {
      ASSIGN_OR_RETURN(int64_t d, c.SentDay());
      return d == key.date;
    }
    case SearchKey::kSentSince: {
      ASSIGN_OR_RETURN(int64_t d, c.SentDay());
      return d >= key.date;
    }
    case SearchKey::kLarger:
      return r.size > key.size;
    case SearchKey::kSmaller:
      return r.size < key.size;
    case SearchKey::kModseq:
      return r.modseq >= key.size;
    case SearchKey::kOlder:
      return r.internal_date <= key.date;
    case SearchKey::kYounger:
      return r.internal_date >= key.date;
    case SearchKey::kSavedBefore:
      return c.SaveDay() < key.date;
    case SearchKey::kSavedOn:
      return c.SaveDay() == key.date;
    case SearchKey::kSavedSince:
      return c.SaveDay() >= key.date;
    case SearchKey::kSaveDateSupported:
      return true;
    case SearchKey::kEmailId:
      return EmailId(r.blob) == key.value;
    case SearchKey::kThreadId:
      return ThreadId(r.thread, r.blob) == key.value;
    case SearchKey::kHeader: {
      // Like Dovecot: any occurrence of the header; an empty key tests that it exists; values
      // RFC 2047 decoded and compared in Dovecot's normalized (decomposed titlecase) form.
      // FROM/TO/CC/BCC arrive as HEADER From/To/Cc/Bcc and SUBJECT as HEADER Subject; they
      // compare as Dovecot's FROM (the address list re-printed) and SUBJECT (blanks
      // compressed). A client's own HEADER key arrives with literal_header and is compared
      // plainly.
      ASSIGN_OR_RETURN(std::string_view raw, c.Raw());
      mime::HeaderSearch mode = mime::HeaderSearch::kPlain;
      if (!key.literal_header) {
        for (std::string_view a : {"From", "To", "Cc", "Bcc"}) {
          if (EqualsIgnoreCase(key.header_name, a)) mode = mime::HeaderSearch::kAddress;
        }
        if (EqualsIgnoreCase(key.header_name, "Subject")) {
          mode = mime::HeaderSearch::kCompressLwsp;
        }
      }
      std::vector<std::string> values = mime::SearchHeaderValues(raw, key.header_name, mode);
      if (key.value.empty()) return !values.empty();
      std::string needle = mime::SearchNormalize(key.value);
      for (const auto& v : values) {
        if (v.find(needle) != std::string::npos) return true;
      }
      return false;
    }
    case SearchKey::kBody:
    case SearchKey::kText: {
      if (key.value.empty()) return true;
      ASSIGN_OR_RETURN(const std::vector<std::string>* texts,
                       c.Texts(key.kind == SearchKey::kText));
      std::string needle = mime::SearchNormalize(key.value);
      for (const auto& t : *texts) {
        if (t.find(needle) != std::string::npos) return true;
      }
      return false;
    }
  }
  return absl::InvalidArgumentError("unknown search key");
}

}  // namespace

absl::StatusOr<std::vector<uint32_t>> Store::Search(uint64_t account, uint64_t mailbox,
                                                    const SearchKey& key,
                                                    std::vector<uint64_t>* modseqs) {
  ScopedSnapshot snap(db_);
  RETURN_IF_ERROR(LoadMailbox(account, mailbox, snap.get()).status());
  ASSIGN_OR_RETURN(auto messages, LoadMessages(account, mailbox, snap.get()));
  std::vector<uint32_t> out;
  for (const auto& [uid, rec] : messages) {
    Candidate c(db_, cf(kBlobs), cf(kParsed), snap.get(), uid, rec);
    ASSIGN_OR_RETURN(bool m, Matches(key, c, 0));
    if (!m) continue;
    out.push_back(uid);
    if (modseqs != nullptr) modseqs->push_back(rec.modseq);
  }
  return out;
}

}  // namespace hadron::store
