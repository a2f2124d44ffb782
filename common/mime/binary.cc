// BINARY[section] (RFC 3516): a part's body with its Content-Transfer-Encoding undone.
#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mime/header.h"
#include "common/mime/mime.h"

namespace hadron::mime {
namespace {

using internal::EqualsIgnoreCase;

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

absl::StatusOr<std::string> DecodeBase64Strict(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t i = 0;
  for (; i < in.size(); ++i) {
    char c = in[i];
    if (IsSpace(c)) continue;
    if (c == '=') break;
    int v = Base64Value(c);
    if (v < 0) return absl::InvalidArgumentError("invalid base64 data");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Without padding, data must end on a whole quantum: Dovecot calls anything else "ends
  // prematurely".
  if (i == in.size() && bits != 0) {
    return absl::InvalidArgumentError("base64 data ends prematurely");
  }
  // Padding, then only whitespace may follow.
  for (; i < in.size(); ++i) {
    if (!IsSpace(in[i]) && in[i] != '=') {
      return absl::InvalidArgumentError("data after base64 padding");
    }
  }
  return out;
}

// Dovecot's qp-decoder state machine (lib-mail/qp-decoder.c): the same bytes out, and the same
// inputs called invalid, so BINARY answers match byte for byte.
absl::StatusOr<std::string> DecodeQuotedPrintableStrict(std::string_view in) {
  enum State { kText, kWhitespace, kEquals, kEqualsWhitespace, kHex2, kCr, kSoftCr };
  constexpr size_t kMaxWhitespace = 76;
  std::string out, ws;
  out.reserve(in.size());
  State state = kText;
  char hexchar = 0;
  bool invalid = false;
  auto is_ws = [](char c) { return c == ' ' || c == '\t'; };
  auto fail = [&]() {
    switch (state) {
      case kEquals: out.push_back('='); break;
      case kHex2: out.push_back('='); out.push_back(hexchar); break;
      case kEqualsWhitespace: out.push_back('='); out += ws; ws.clear(); break;
      case kCr: out += ws; ws.clear(); out.push_back('\r'); break;
      case kSoftCr: out.push_back('='); out += ws; ws.clear(); out.push_back('\r'); break;
      default: break;
    }
    state = kText;
    invalid = true;
  };
  size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    switch (state) {
      case kText:
        if (c == '=') state = kEquals;
        else if (c == '\r') state = kCr;
        else if (c == '\n') out.append("\r\n");
        else if (is_ws(c)) { state = kWhitespace; ws.push_back(c); }
        else out.push_back(c);
        break;
      case kWhitespace:
        if (is_ws(c)) {
          if (ws.size() <= kMaxWhitespace) ws.push_back(c);
        } else if (c == '\r') {
          state = kCr;
        } else if (c == '\n') {
          out.append("\r\n");
          ws.clear();
          state = kText;
        } else {
          out += ws;
          if (ws.size() > kMaxWhitespace) invalid = true;
          ws.clear();
          state = kText;
          continue;
        }
        break;
      case kEquals:
        if (Hex(c) >= 0) { hexchar = c; state = kHex2; }
        else if (is_ws(c)) { ws.push_back(c); state = kEqualsWhitespace; }
        else if (c == '\r') state = kSoftCr;
        else if (c == '\n') state = kText;
        else { fail(); continue; }
        break;
      case kHex2:
        if (Hex(c) >= 0) {
          out.push_back(static_cast<char>(Hex(hexchar) * 16 + Hex(c)));
          state = kText;
        } else {
          fail();
          continue;
        }
        break;
      case kEqualsWhitespace:
        if (is_ws(c)) {
          if (ws.size() <= kMaxWhitespace) ws.push_back(c);
        } else if (c == '\r') {
          state = kSoftCr;
        } else if (c == '\n') {
          ws.clear();
          state = kText;
        } else {
          fail();
          continue;
        }
        break;
      case kCr:
      case kSoftCr:
        if (c == '\n') {
          ws.clear();
          if (state != kSoftCr) out.append("\r\n");
          state = kText;
        } else {
          fail();
          continue;
        }
        break;
    }
    ++i;
  }
  if (state != kText && state != kWhitespace) fail();
  if (invalid) return absl::InvalidArgumentError("invalid quoted-printable data");
  return out;
}

namespace {

enum class Cte { kIdentity, kBase64, kQuotedPrintable, kUnknown };

// message_decoder_parse_cte(): the last Content-Transfer-Encoding field wins; its first token
// decides, whatever follows it.
Cte CteOf(std::string_view header) {
  Cte cte = Cte::kIdentity;
  for (const internal::HeaderField& f : internal::SplitHeader(header)) {
    if (!EqualsIgnoreCase(f.name, "Content-Transfer-Encoding")) continue;
    size_t i = 0;
    while (i < f.value.size() && (f.value[i] == ' ' || f.value[i] == '\t')) ++i;
    std::string_view token = internal::ParseToken(f.value, &i);
    if (EqualsIgnoreCase(token, "7bit") || EqualsIgnoreCase(token, "8bit") ||
        EqualsIgnoreCase(token, "binary")) {
      cte = Cte::kIdentity;
    } else if (EqualsIgnoreCase(token, "base64")) {
      cte = Cte::kBase64;
    } else if (EqualsIgnoreCase(token, "quoted-printable")) {
      cte = Cte::kQuotedPrintable;
    } else {
      cte = Cte::kUnknown;
    }
  }
  return cte;
}

std::string_view SliceOf(std::string_view raw, uint64_t offset, uint64_t size) {
  if (offset > raw.size() || size > raw.size() - offset) return {};
  return raw.substr(offset, size);
}

// Dovecot's add_binary_part(): raw bytes between decoded bodies are copied as they are; the
// header of a converted part loses its Content-Transfer-Encoding and says "binary" instead.
class BinaryBuilder {
 public:
  explicit BinaryBuilder(std::string_view raw) : raw_(raw) {}

  absl::Status Add(const Part& p, bool include_hdr) {
    std::string_view header = SliceOf(raw_, p.header_offset, p.header_size);
    Cte cte = CteOf(header);
    if (cte == Cte::kUnknown) return absl::FailedPreconditionError("UNKNOWN-CTE");
    uint64_t header_end = p.header_offset + p.header_size;
    bool converted = cte == Cte::kBase64 || cte == Cte::kQuotedPrintable;
    if (!include_hdr) {
      // body only
    } else if (converted) {
      if (copy_start_ != 0) CopyTo(p.header_offset);
      bool eoh = header.size() >= 2 && header.substr(header.size() - 2) == "\r\n" &&
                 (header.size() == 2 || header.substr(header.size() - 4) == "\r\n\r\n");
      for (const internal::HeaderField& f : internal::SplitHeader(header)) {
        if (EqualsIgnoreCase(f.name, "Content-Transfer-Encoding")) continue;
        out_.append(f.raw);
        if (f.raw.empty() || f.raw.back() != '\n') out_.append("\r\n");
      }
      out_.append("Content-Transfer-Encoding: binary\r\n");
      if (eoh) out_.append("\r\n");
    } else {
      CopyTo(header_end);
    }
    copy_start_ = header_end;
    uint64_t part_end = p.body_offset + p.body_size;
    if (!p.children.empty()) {
      // Nothing of a child reaches past its parent (an empty message/rfc822 body whose
      // encapsulated message starts after the boundary's line break).
      uint64_t saved_limit = limit_;
      limit_ = std::min(limit_, part_end);
      for (const Part& c : p.children) {
        absl::Status st = Add(c, true);
        if (!st.ok()) {
          limit_ = saved_limit;
          return st;
        }
      }
      limit_ = saved_limit;
      CopyTo(part_end);
      copy_start_ = part_end;
      return absl::OkStatus();
    }
    if (p.body_size == 0) {
      copy_start_ = part_end;
      return absl::OkStatus();
    }
    std::string_view body = SliceOf(raw_, p.body_offset, p.body_size);
    if (cte == Cte::kIdentity) {
      out_.append(body);
    } else {
      auto d = cte == Cte::kBase64 ? DecodeBase64Strict(body) : DecodeQuotedPrintableStrict(body);
      // Dovecot decodes lazily, after every part's encoding was checked: an unknown encoding
      // anywhere wins over undecodable data.
      if (!d.ok()) {
        if (data_error_.ok()) data_error_ = absl::DataLossError("Invalid data in MIME part");
      } else {
        out_.append(*d);
      }
      converted_ = true;
    }
    copy_start_ = part_end;
    return absl::OkStatus();
  }

  absl::StatusOr<BinaryPart> Finish() {
    if (!data_error_.ok()) return data_error_;
    BinaryPart r;
    r.literal8 = converted_ || out_.find('\0') != std::string::npos;
    r.data = std::move(out_);
    return r;
  }

 private:
  void CopyTo(uint64_t end) {
    end = std::min(end, limit_);
    if (end > copy_start_) out_.append(SliceOf(raw_, copy_start_, end - copy_start_));
    copy_start_ = std::max(copy_start_, end);
  }

  std::string_view raw_;
  std::string out_;
  uint64_t copy_start_ = 0;
  uint64_t limit_ = UINT64_MAX;
  bool converted_ = false;
  absl::Status data_error_;
};

}  // namespace

absl::StatusOr<BinaryPart> ExtractBinary(std::string_view raw, const MessageStructure& msg,
                                         const std::vector<uint32_t>& part_path) {
  const Part* part = FindPartForSection(msg, part_path);
  if (part == nullptr) return BinaryPart{};
  BinaryBuilder b(raw);
  absl::Status st = b.Add(*part, part_path.empty());
  if (!st.ok()) return st;
  return b.Finish();
}

absl::StatusOr<uint64_t> BinarySize(std::string_view raw, const MessageStructure& msg,
                                    const std::vector<uint32_t>& part_path) {
  // Dovecot converts the whole message once to learn any part's size: a part it cannot decode
  // anywhere in the message fails every BINARY.SIZE of that message.
  BinaryBuilder whole(raw);
  absl::Status st = whole.Add(msg.root, true);
  if (!st.ok()) return st;
  if (auto all = whole.Finish(); !all.ok()) return all.status();
  auto part = ExtractBinary(raw, msg, part_path);
  if (!part.ok()) return part.status();
  return part->data.size();
}

}  // namespace hadron::mime
