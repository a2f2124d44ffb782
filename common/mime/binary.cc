// BINARY[section] (RFC 3516): a part's body with its Content-Transfer-Encoding undone.
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
  // Padding, then only whitespace may follow.
  for (; i < in.size(); ++i) {
    if (!IsSpace(in[i]) && in[i] != '=') {
      return absl::InvalidArgumentError("data after base64 padding");
    }
  }
  return out;
}

absl::StatusOr<std::string> DecodeQuotedPrintableStrict(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t pos = 0;
  bool invalid = false;
  while (pos < in.size()) {
    size_t nl = in.find('\n', pos);
    bool has_nl = nl != std::string_view::npos;
    size_t end = has_nl ? nl : in.size();
    std::string_view line = in.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Trailing whitespace was added in transport (RFC 2045 6.7 rule 3).
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    bool soft = false;
    for (size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      if (c != '=') {
        out.push_back(c);
        continue;
      }
      if (i + 1 == line.size()) {
        soft = true;
        break;
      }
      {
        int hi = i + 1 < line.size() ? Hex(line[i + 1]) : -1;
        int lo = i + 2 < line.size() ? Hex(line[i + 2]) : -1;
        if (hi >= 0 && lo >= 0) {
          out.push_back(static_cast<char>(hi * 16 + lo));
          i += 2;
          continue;
        }
      }
      invalid = true;
      out.push_back(c);
    }
    if (has_nl && !soft) out.append("\r\n");
    pos = has_nl ? nl + 1 : in.size();
  }
  if (invalid) return absl::InvalidArgumentError("invalid quoted-printable data");
  return out;
}

absl::StatusOr<std::string> ExtractBinary(std::string_view raw, const MessageStructure& msg,
                                          const std::vector<uint32_t>& part_path) {
  Section sec;
  sec.part = part_path;
  sec.kind = SectionKind::kAll;
  const Part* part = FindPartForSection(msg, part_path);
  if (part == nullptr) return std::string();
  std::string body = ExtractSection(raw, msg, sec);
  if (!part->encoding) return body;
  const std::string& cte = *part->encoding;
  if (EqualsIgnoreCase(cte, "7bit") || EqualsIgnoreCase(cte, "8bit") ||
      EqualsIgnoreCase(cte, "binary")) {
    return body;
  }
  if (EqualsIgnoreCase(cte, "base64")) {
    auto d = DecodeBase64Strict(body);
    if (!d.ok()) return absl::FailedPreconditionError("UNKNOWN-CTE");
    return d;
  }
  if (EqualsIgnoreCase(cte, "quoted-printable")) {
    auto d = DecodeQuotedPrintableStrict(body);
    if (!d.ok()) return absl::FailedPreconditionError("UNKNOWN-CTE");
    return d;
  }
  return absl::FailedPreconditionError("UNKNOWN-CTE");
}

}  // namespace hadron::mime
