// The state store: SEARCH over a mailbox, evaluating the key tree per message.
#include <optional>

#include "statesvc/store/names.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/mime/mime.h"
#include "common/status.h"
#include "rocksdb/db.h"
#include "statesvc/store/keys.h"
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

  absl::StatusOr<const std::string*> Text() {
    if (!text_) {
      ASSIGN_OR_RETURN(std::string_view raw, Raw());
      ASSIGN_OR_RETURN(const mime::MessageStructure* s, Structure());
      text_ = mime::SearchableText(raw, *s);
    }
    return &*text_;
  }

  absl::StatusOr<int64_t> SentDay() {
    if (!sent_day_) {
      ASSIGN_OR_RETURN(std::string_view raw, Raw());
      auto day = mime::SentDate(raw);
      // Like Dovecot: without a usable Date: header, the internal date stands in.
      sent_day_ = day ? DaysSinceEpoch(*day) : InternalDay();
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
  std::optional<std::string> text_;
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
    case SearchKey::kHeader: {
      ASSIGN_OR_RETURN(std::string_view raw, c.Raw());
      for (const auto& v : mime::HeaderValues(raw, key.header_name)) {
        if (key.value.empty() || mime::ContainsIgnoreCase(v, key.value)) return true;
      }
      return false;
    }
    case SearchKey::kBody: {
      ASSIGN_OR_RETURN(const std::string* text, c.Text());
      return mime::ContainsIgnoreCase(*text, key.value);
    }
    case SearchKey::kText: {
      ASSIGN_OR_RETURN(std::string_view raw, c.Raw());
      ASSIGN_OR_RETURN(const mime::MessageStructure* s, c.Structure());
      uint64_t end = std::min<uint64_t>(s->root.header_offset + s->root.header_size, raw.size());
      if (mime::ContainsIgnoreCase(raw.substr(0, end), key.value)) return true;
      ASSIGN_OR_RETURN(const std::string* text, c.Text());
      return mime::ContainsIgnoreCase(*text, key.value);
    }
  }
  return absl::InvalidArgumentError("unknown search key");
}

}  // namespace

absl::StatusOr<std::vector<uint32_t>> Store::Search(uint64_t account, uint64_t mailbox,
                                                    const SearchKey& key) {
  ScopedSnapshot snap(db_);
  RETURN_IF_ERROR(LoadMailbox(account, mailbox, snap.get()).status());
  ASSIGN_OR_RETURN(auto messages, LoadMessages(account, mailbox, snap.get()));
  std::vector<uint32_t> out;
  for (const auto& [uid, rec] : messages) {
    Candidate c(db_, cf(kBlobs), cf(kParsed), snap.get(), uid, rec);
    ASSIGN_OR_RETURN(bool m, Matches(key, c, 0));
    if (m) out.push_back(uid);
  }
  return out;
}

}  // namespace hadron::store
