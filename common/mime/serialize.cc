// Compact binary encoding of MessageStructure for the "parsed" column family.
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/mime/mime.h"

namespace hadron::mime {
namespace {

constexpr uint8_t kVersion = 1;
// Bounds that a valid structure never exceeds; they keep corrupt input from costing much.
constexpr int kMaxSerializedDepth = kMaxDepth + 2;
constexpr uint64_t kMaxCount = 1 << 20;

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

void PutOptional(std::string* out, const std::optional<std::string>& s) {
  if (!s) {
    out->push_back(0);
    return;
  }
  out->push_back(1);
  PutString(out, *s);
}

void PutParams(std::string* out, const Params& params) {
  PutVarint(out, params.size());
  for (const auto& [k, v] : params) {
    PutString(out, k);
    PutString(out, v);
  }
}

void PutPart(std::string* out, const Part& p) {
  PutVarint(out, p.header_offset);
  PutVarint(out, p.header_size);
  PutVarint(out, p.body_offset);
  PutVarint(out, p.body_size);
  PutVarint(out, p.body_lines);
  out->push_back(static_cast<char>((p.multipart ? 1 : 0) | (p.message_rfc822 ? 2 : 0) |
                                   (p.has_params ? 4 : 0)));
  PutOptional(out, p.type);
  PutOptional(out, p.subtype);
  PutParams(out, p.params);
  PutOptional(out, p.id);
  PutOptional(out, p.description);
  PutOptional(out, p.encoding);
  PutOptional(out, p.md5);
  PutOptional(out, p.disposition);
  PutParams(out, p.disposition_params);
  PutVarint(out, p.language.size());
  for (const auto& l : p.language) PutString(out, l);
  PutOptional(out, p.location);
  PutString(out, p.envelope);
  PutVarint(out, p.children.size());
  for (const Part& c : p.children) PutPart(out, c);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return false;
      uint8_t b = static_cast<uint8_t>(in_[pos_++]);
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool Byte(uint8_t* b) {
    if (pos_ >= in_.size()) return false;
    *b = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool String(std::string* s) {
    uint64_t n;
    if (!Varint(&n) || n > in_.size() - pos_) return false;
    s->assign(in_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool Optional(std::optional<std::string>* s) {
    uint8_t tag;
    if (!Byte(&tag) || tag > 1) return false;
    if (tag == 0) {
      s->reset();
      return true;
    }
    s->emplace();
    return String(&**s);
  }
  bool Count(uint64_t* n) {
    // Every element takes at least one byte, so a count beyond the rest is corrupt.
    return Varint(n) && *n <= kMaxCount && *n <= in_.size() - pos_;
  }
  bool ParamList(Params* params) {
    uint64_t n;
    if (!Count(&n)) return false;
    params->resize(n);
    for (auto& [k, v] : *params) {
      if (!String(&k) || !String(&v)) return false;
    }
    return true;
  }
  bool PartAt(Part* p, int depth) {
    if (depth > kMaxSerializedDepth) return false;
    uint64_t lines;
    uint8_t flags;
    if (!Varint(&p->header_offset) || !Varint(&p->header_size) || !Varint(&p->body_offset) ||
        !Varint(&p->body_size) || !Varint(&lines) || lines > UINT32_MAX || !Byte(&flags) ||
        flags > 7) {
      return false;
    }
    p->body_lines = static_cast<uint32_t>(lines);
    p->multipart = flags & 1;
    p->message_rfc822 = flags & 2;
    p->has_params = flags & 4;
    if (!Optional(&p->type) || !Optional(&p->subtype) || !ParamList(&p->params) ||
        !Optional(&p->id) || !Optional(&p->description) || !Optional(&p->encoding) ||
        !Optional(&p->md5) || !Optional(&p->disposition) || !ParamList(&p->disposition_params)) {
      return false;
    }
    uint64_t n;
    if (!Count(&n)) return false;
    p->language.resize(n);
    for (auto& l : p->language) {
      if (!String(&l)) return false;
    }
    if (!Optional(&p->location) || !String(&p->envelope) || !Count(&n)) return false;
    p->children.resize(n);
    for (Part& c : p->children) {
      if (!PartAt(&c, depth + 1)) return false;
    }
    return true;
  }
  bool AtEnd() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

std::string SerializeStructure(const MessageStructure& msg) {
  std::string out;
  out.push_back(static_cast<char>(kVersion));
  PutVarint(&out, msg.size);
  PutString(&out, msg.envelope);
  PutString(&out, msg.body);
  PutString(&out, msg.bodystructure);
  PutPart(&out, msg.root);
  return out;
}

absl::StatusOr<MessageStructure> DeserializeStructure(std::string_view bytes) {
  Reader r(bytes);
  MessageStructure msg;
  uint8_t version;
  if (!r.Byte(&version)) return absl::InvalidArgumentError("empty message structure");
  if (version != kVersion) {
    return absl::InvalidArgumentError(absl::StrCat("unknown structure version ", version));
  }
  if (!r.Varint(&msg.size) || !r.String(&msg.envelope) || !r.String(&msg.body) ||
      !r.String(&msg.bodystructure) || !r.PartAt(&msg.root, 0)) {
    return absl::InvalidArgumentError("corrupt message structure");
  }
  if (!r.AtEnd()) return absl::InvalidArgumentError("trailing bytes after message structure");
  return msg;
}

}  // namespace hadron::mime
