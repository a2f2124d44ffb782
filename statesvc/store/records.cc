// Value encodings of the state store's records.
#include "statesvc/store/records.h"

#include "absl/status/status.h"

namespace hadron::store {
namespace {

constexpr uint8_t kVersion = 1;

class Encoder {
 public:
  Encoder() { out_.push_back(static_cast<char>(kVersion)); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Signed(int64_t v) { Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void Str(std::string_view s) {
    Varint(s.size());
    out_.append(s);
  }
  void Strs(const std::vector<std::string>& v) {
    Varint(v.size());
    for (const auto& s : v) Str(s);
  }
  void FlagsOf(const Flags& f) {
    Varint(f.system);
    Strs(f.keywords);
  }
  std::string Finish() { return std::move(out_); }

 private:
  std::string out_;
};

class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {
    if (in_.empty() || static_cast<uint8_t>(in_[0]) != kVersion) {
      ok_ = false;
    } else {
      in_.remove_prefix(1);
    }
  }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) break;
      uint8_t b = static_cast<uint8_t>(in_[0]);
      in_.remove_prefix(1);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    ok_ = false;
    return 0;
  }
  uint32_t U32() {
    uint64_t v = Varint();
    if (v > UINT32_MAX) ok_ = false;
    return static_cast<uint32_t>(v);
  }
  int64_t Signed() {
    uint64_t v = Varint();
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  }
  std::string Str() {
    uint64_t n = Varint();
    if (!ok_ || n > in_.size()) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  std::vector<std::string> Strs() {
    std::vector<std::string> v;
    uint64_t n = Varint();
    if (n > in_.size()) ok_ = false;  // each string takes at least one byte
    for (uint64_t i = 0; ok_ && i < n; ++i) v.push_back(Str());
    return v;
  }
  Flags FlagsOf() {
    Flags f;
    f.system = U32();
    f.keywords = Strs();
    return f;
  }
  // Skips a string; returns false (and marks the decoder failed) when it does not fit.
  void SkipStr() {
    uint64_t n = Varint();
    if (!ok_ || n > in_.size()) {
      ok_ = false;
      return;
    }
    in_.remove_prefix(n);
  }
  // The bytes of a list of strings, not decoded.
  std::string_view RawStrs() {
    std::string_view start = in_;
    uint64_t n = Varint();
    if (n > in_.size()) ok_ = false;
    for (uint64_t i = 0; ok_ && i < n; ++i) SkipStr();
    if (!ok_) return {};
    return start.substr(0, start.size() - in_.size());
  }
  bool ok() const { return ok_; }
  bool AtEnd() const { return in_.empty(); }
  absl::Status Done(std::string_view what) const {
    if (!ok_ || !in_.empty()) return absl::DataLossError(std::string("corrupt ") + std::string(what) + " record");
    return absl::OkStatus();
  }

 private:
  std::string_view in_;
  bool ok_ = true;
};

void EncodeMeta(Encoder& e, const MessageMeta& m) {
  e.Varint(m.uid);
  e.FlagsOf(m.flags);
  e.Varint(m.modseq);
}

MessageMeta DecodeMeta(Decoder& d) {
  MessageMeta m;
  m.uid = d.U32();
  m.flags = d.FlagsOf();
  m.modseq = d.Varint();
  return m;
}

}  // namespace

std::string EncodeAccount(const AccountRecord& r) {
  Encoder e;
  e.Str(r.name);
  e.Varint(r.scrypt_n);
  e.Varint(r.scrypt_r);
  e.Varint(r.scrypt_p);
  e.Str(r.salt);
  e.Str(r.hash);
  return e.Finish();
}

absl::StatusOr<AccountRecord> DecodeAccount(std::string_view in) {
  Decoder d(in);
  AccountRecord r;
  r.name = d.Str();
  r.scrypt_n = d.Varint();
  r.scrypt_r = d.U32();
  r.scrypt_p = d.U32();
  r.salt = d.Str();
  r.hash = d.Str();
  if (auto s = d.Done("account"); !s.ok()) return s;
  return r;
}

std::string EncodeMailbox(const MailboxRecord& r) {
  Encoder e;
  e.Str(r.info.name);
  e.Varint(r.info.uid_validity);
  e.Varint(r.info.uid_next);
  e.Varint(r.info.highest_modseq);
  e.Varint(r.info.messages);
  e.Varint(r.info.unseen);
  e.Varint(r.info.size);
  e.Varint(r.info.subscribed ? 1 : 0);
  e.Str(r.info.special_use);
  e.Varint(r.info.deleted);
  e.Strs(r.keywords);
  e.Varint(r.log_floor);
  e.Varint(r.info.recent_uid);
  return e.Finish();
}

absl::StatusOr<MailboxRecord> DecodeMailbox(std::string_view in) {
  Decoder d(in);
  MailboxRecord r;
  r.info.name = d.Str();
  r.info.uid_validity = d.U32();
  r.info.uid_next = d.U32();
  r.info.highest_modseq = d.Varint();
  r.info.messages = d.U32();
  r.info.unseen = d.U32();
  r.info.size = d.Varint();
  r.info.subscribed = d.Varint() != 0;
  r.info.special_use = d.Str();
  r.info.deleted = d.U32();
  r.keywords = d.Strs();
  r.log_floor = d.Varint();
  r.info.recent_uid = d.U32();
  if (auto s = d.Done("mailbox"); !s.ok()) return s;
  return r;
}

std::string EncodeMessage(const MessageRecord& r) {
  Encoder e;
  e.Str(r.blob);
  e.FlagsOf(r.flags);
  e.Varint(r.modseq);
  e.Signed(r.internal_date);
  e.Signed(r.internal_date_tz);
  e.Varint(r.size);
  e.Signed(r.save_date);
  e.Varint(r.thread);
  return e.Finish();
}

absl::StatusOr<MessageRecord> DecodeMessage(std::string_view in) {
  Decoder d(in);
  MessageRecord r;
  r.blob = d.Str();
  r.flags = d.FlagsOf();
  r.modseq = d.Varint();
  r.internal_date = d.Signed();
  r.internal_date_tz = static_cast<int32_t>(d.Signed());
  r.size = d.Varint();
  if (!d.AtEnd()) r.save_date = d.Signed();  // records written before SAVEDATE lack it
  if (!d.AtEnd()) r.thread = d.Varint();  // absent in records from before OBJECTID
  if (auto s = d.Done("message"); !s.ok()) return s;
  return r;
}

absl::Status DecodeMessageMeta(std::string_view in, MessageMetaView* out) {
  Decoder d(in);
  d.SkipStr();  // blob
  out->system = d.U32();
  out->keywords_raw = d.RawStrs();
  out->modseq = d.Varint();
  if (!d.ok()) return absl::DataLossError("corrupt message record");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> DecodeKeywordList(std::string_view raw) {
  // A Decoder wants the version byte in front.
  std::string framed(1, static_cast<char>(kVersion));
  framed.append(raw);
  Decoder d(framed);
  std::vector<std::string> out = d.Strs();
  if (auto s = d.Done("keyword list"); !s.ok()) return s;
  return out;
}

std::string EncodeParsed(const ParsedRecord& r) {
  Encoder e;
  e.Str(r.envelope);
  e.Str(r.body);
  e.Str(r.bodystructure);
  e.Str(r.structure);
  return e.Finish();
}

absl::StatusOr<ParsedRecord> DecodeParsed(std::string_view in) {
  Decoder d(in);
  ParsedRecord r;
  r.envelope = d.Str();
  r.body = d.Str();
  r.bodystructure = d.Str();
  r.structure = d.Str();
  if (auto s = d.Done("parsed"); !s.ok()) return s;
  return r;
}

std::string EncodeExpunged(const ExpungedRecord& r) {
  Encoder e;
  e.Str(r.message.blob);
  e.FlagsOf(r.message.flags);
  e.Varint(r.message.modseq);
  e.Signed(r.message.internal_date);
  e.Signed(r.message.internal_date_tz);
  e.Varint(r.message.size);
  e.Signed(r.expunged_at_us);
  e.Varint(r.modseq);
  e.Signed(r.message.save_date);
  e.Varint(r.message.thread);
  return e.Finish();
}

absl::StatusOr<ExpungedRecord> DecodeExpunged(std::string_view in) {
  Decoder d(in);
  ExpungedRecord r;
  r.message.blob = d.Str();
  r.message.flags = d.FlagsOf();
  r.message.modseq = d.Varint();
  r.message.internal_date = d.Signed();
  r.message.internal_date_tz = static_cast<int32_t>(d.Signed());
  r.message.size = d.Varint();
  r.expunged_at_us = d.Signed();
  r.modseq = d.Varint();
  if (!d.AtEnd()) r.message.save_date = d.Signed();
  if (!d.AtEnd()) r.message.thread = d.Varint();  // absent in records from before OBJECTID
  if (auto s = d.Done("expunged"); !s.ok()) return s;
  return r;
}

std::string EncodeChange(const Change& c, int64_t time_us) {
  Encoder e;
  e.Varint(c.modseq);
  e.Varint(static_cast<uint64_t>(c.kind));
  e.Varint(c.messages.size());
  for (const auto& m : c.messages) EncodeMeta(e, m);
  e.Varint(c.expunged.size());
  for (uint32_t uid : c.expunged) e.Varint(uid);
  e.Signed(time_us);
  return e.Finish();
}

absl::StatusOr<Change> DecodeChange(std::string_view in, int64_t* time_us) {
  Decoder d(in);
  Change c;
  c.modseq = d.Varint();
  uint64_t kind = d.Varint();
  if (kind > Change::kExpunge) return absl::DataLossError("corrupt change record");
  c.kind = static_cast<Change::Kind>(kind);
  uint64_t n = d.Varint();
  if (n > in.size()) return absl::DataLossError("corrupt change record");
  for (uint64_t i = 0; i < n; ++i) c.messages.push_back(DecodeMeta(d));
  n = d.Varint();
  if (n > in.size()) return absl::DataLossError("corrupt change record");
  for (uint64_t i = 0; i < n; ++i) c.expunged.push_back(d.U32());
  const int64_t t = d.AtEnd() ? 0 : d.Signed();  // absent in records written before trimming
  if (auto s = d.Done("change"); !s.ok()) return s;
  if (time_us != nullptr) *time_us = t;
  return c;
}

std::string EncodeQuotaUsage(const QuotaUsage& u) {
  Encoder e;
  e.Varint(u.storage);
  e.Varint(u.messages);
  return e.Finish();
}

absl::StatusOr<QuotaUsage> DecodeQuotaUsage(std::string_view in) {
  Decoder d(in);
  QuotaUsage u;
  u.storage = d.Varint();
  u.messages = d.Varint();
  if (auto s = d.Done("quota usage"); !s.ok()) return s;
  return u;
}

std::string EncodeQuotaLimits(const QuotaLimits& l) {
  Encoder e;
  e.Varint((l.storage_kib ? 1 : 0) | (l.messages ? 2 : 0));
  e.Varint(l.storage_kib.value_or(0));
  e.Varint(l.messages.value_or(0));
  return e.Finish();
}

absl::StatusOr<QuotaLimits> DecodeQuotaLimits(std::string_view in) {
  Decoder d(in);
  const uint64_t present = d.Varint();
  const uint64_t storage = d.Varint();
  const uint64_t messages = d.Varint();
  if (auto s = d.Done("quota limits"); !s.ok()) return s;
  QuotaLimits l;
  if (present & 1) l.storage_kib = storage;
  if (present & 2) l.messages = messages;
  return l;
}

std::string EncodeU64(uint64_t v) {
  Encoder e;
  e.Varint(v);
  return e.Finish();
}

absl::StatusOr<uint64_t> DecodeU64(std::string_view in) {
  Decoder d(in);
  uint64_t v = d.Varint();
  if (auto s = d.Done("counter"); !s.ok()) return s;
  return v;
}

}  // namespace hadron::store
