// Helpers for SEARCH: decoded header values, decoded text bodies, the sent date.
#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/mime/address.h"
#include "common/mime/header.h"
#include "common/mime/mime.h"

namespace hadron::mime {
namespace {

using internal::DecodeBase64Lenient;
using internal::DecodeQuotedPrintable;
using internal::EqualsIgnoreCase;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}


// One encoded-word at `s` ("=?cs?e?text?="); sets *len and returns the decoded text.
std::optional<std::string> DecodeWord(std::string_view s, size_t* len) {
  if (s.size() < 8 || s[0] != '=' || s[1] != '?') return std::nullopt;
  size_t q1 = s.find('?', 2);
  if (q1 == std::string_view::npos || q1 + 2 >= s.size() || s[q1 + 2] != '?') return std::nullopt;
  size_t end = s.find("?=", q1 + 3);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view charset = s.substr(2, q1 - 2);
  charset = charset.substr(0, charset.find('*'));  // RFC 2231 language suffix
  char enc = absl::ascii_toupper(static_cast<unsigned char>(s[q1 + 1]));
  std::string_view text = s.substr(q1 + 3, end - q1 - 3);
  std::string decoded;
  if (enc == 'B') {
    decoded = DecodeBase64Lenient(text);
  } else if (enc == 'Q') {
    decoded = DecodeQuotedPrintable(text, true);
  } else {
    return std::nullopt;
  }
  *len = end + 2;
  // Converted with iconv; UTF-8, US-ASCII and unknown charsets: the bytes are taken as UTF-8.
  return CharsetToUtf8(charset, decoded);
}

std::string_view HeaderBlock(std::string_view raw) {
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t nl = raw.find('\n', pos);
    size_t next = nl == std::string_view::npos ? raw.size() : nl + 1;
    std::string_view line = raw.substr(pos, next - pos);
    if (line == "\r\n" || line == "\n") return raw.substr(0, next);
    pos = next;
  }
  return raw;
}

void CollectText(std::string_view raw, const Part& p, std::string* out, int depth) {
  if (depth > kMaxDepth) return;
  if (p.multipart || p.message_rfc822) {
    for (const Part& c : p.children) CollectText(raw, c, out, depth + 1);
    return;
  }
  if (p.type && !EqualsIgnoreCase(*p.type, "text")) return;
  // Dovecot's message decoder skips a body whose transfer encoding it does not know.
  if (p.encoding && !EqualsIgnoreCase(*p.encoding, "7bit") &&
      !EqualsIgnoreCase(*p.encoding, "8bit") && !EqualsIgnoreCase(*p.encoding, "binary") &&
      !EqualsIgnoreCase(*p.encoding, "base64") &&
      !EqualsIgnoreCase(*p.encoding, "quoted-printable")) {
    return;
  }
  if (p.body_offset > raw.size() || p.body_size > raw.size() - p.body_offset) return;
  std::string_view body = raw.substr(p.body_offset, p.body_size);
  if (!out->empty()) out->push_back('\n');
  if (p.encoding && EqualsIgnoreCase(*p.encoding, "base64")) {
    out->append(DecodeBase64Lenient(body));
  } else if (p.encoding && EqualsIgnoreCase(*p.encoding, "quoted-printable")) {
    out->append(DecodeQuotedPrintable(body, false));
  } else {
    out->append(body);
  }
}

bool KnownTransferEncoding(const Part& p) {
  return !p.encoding || EqualsIgnoreCase(*p.encoding, "7bit") ||
         EqualsIgnoreCase(*p.encoding, "8bit") || EqualsIgnoreCase(*p.encoding, "binary") ||
         EqualsIgnoreCase(*p.encoding, "base64") ||
         EqualsIgnoreCase(*p.encoding, "quoted-printable");
}

std::string_view ParamValue(const Params& params, std::string_view key) {
  for (const auto& [k, v] : params) {
    if (EqualsIgnoreCase(k, key)) return v;
  }
  return {};
}

// The header lines of a part as Dovecot's message search sees them: "Name: value" with the value
// unfolded and RFC 2047 decoded, each followed by CRLF, then the CRLF of the blank line.
void AppendSearchHeader(std::string_view header, std::string* out) {
  for (const auto& f : internal::SplitHeader(header)) {
    out->append(f.name);
    size_t colon = f.raw.find(':');
    size_t v = colon + 1;
    while (v < f.raw.size() && (f.raw[v] == ' ' || f.raw[v] == '\t')) ++v;
    out->append(f.raw.substr(f.name.size(), v - f.name.size()));
    out->append(DecodeRfc2047(f.value));
    out->append("\r\n");
  }
  if (header.size() >= 2 && header.substr(header.size() - 2) == "\n\n") {
    out->append("\r\n");
  } else if (header.size() >= 4 && header.substr(header.size() - 4) == "\r\n\r\n") {
    out->append("\r\n");
  } else if (header == "\r\n" || header == "\n") {
    out->append("\r\n");
  }
}

void CollectSearchTexts(std::string_view raw, const Part& p, bool with_headers, int depth,
                        std::vector<std::string>* out) {
  if (depth > kMaxDepth) return;
  std::string text;
  if (with_headers && p.header_offset <= raw.size() &&
      p.header_size <= raw.size() - p.header_offset) {
    AppendSearchHeader(raw.substr(p.header_offset, p.header_size), &text);
  }
  bool texty = !p.type || EqualsIgnoreCase(*p.type, "text") || EqualsIgnoreCase(*p.type, "message");
  if (!p.multipart && !p.message_rfc822 && texty && KnownTransferEncoding(p) &&
      p.body_offset <= raw.size() && p.body_size <= raw.size() - p.body_offset) {
    std::string_view body = raw.substr(p.body_offset, p.body_size);
    std::string decoded;
    if (p.encoding && EqualsIgnoreCase(*p.encoding, "base64")) {
      decoded = DecodeBase64Lenient(body);
    } else if (p.encoding && EqualsIgnoreCase(*p.encoding, "quoted-printable")) {
      decoded = DecodeQuotedPrintable(body, false);
    } else {
      decoded = std::string(body);
    }
    text += CharsetToUtf8(ParamValue(p.params, "charset"), decoded);
  }
  if (!text.empty()) out->push_back(SearchNormalize(text));
  for (const Part& c : p.children) CollectSearchTexts(raw, c, with_headers, depth + 1, out);
}

}  // namespace

namespace internal {

std::string DecodeQuotedPrintable(std::string_view in, bool q_encoding) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (q_encoding && c == '_') {
      out.push_back(' ');
    } else if (c == '=') {
      if (i + 2 < in.size() + 0 && HexValue(in[i + 1]) >= 0 && HexValue(in[i + 2]) >= 0) {
        out.push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
        i += 2;
      } else if (i + 1 < in.size() && (in[i + 1] == '\r' || in[i + 1] == '\n')) {
        // Soft line break.
        ++i;
        if (in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n') ++i;
      } else {
        out.push_back(c);
      }
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string DecodeBase64Lenient(std::string_view in) {
  std::string clean;
  clean.reserve(in.size());
  for (char c : in) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/') {
      clean.push_back(c);
    }
  }
  if (clean.size() % 4 == 1) clean.pop_back();  // a lone sextet carries no whole byte
  while (clean.size() % 4 != 0) clean.push_back('=');
  std::string out;
  if (!absl::Base64Unescape(clean, &out)) return "";
  return out;
}

}  // namespace internal

std::vector<std::string> SearchHeaderValues(std::string_view raw, std::string_view field,
                                            HeaderSearch mode) {
  std::vector<std::string> values;
  for (const auto& f : internal::SplitHeader(HeaderBlock(raw))) {
    if (!EqualsIgnoreCase(f.name, field)) continue;
    std::string v;
    switch (mode) {
      case HeaderSearch::kPlain:
        v = f.value;
        break;
      case HeaderSearch::kAddress:
        v = internal::WriteAddressList(f.value);
        break;
      case HeaderSearch::kCompressLwsp: {
        // Dovecot's compress_lwsp(): runs of blanks become one space, leading blanks go.
        bool prev_lwsp = true;
        for (char c : f.value) {
          if (c == ' ' || c == '\t') {
            if (!prev_lwsp) v.push_back(' ');
            prev_lwsp = true;
          } else {
            v.push_back(c);
            prev_lwsp = false;
          }
        }
        break;
      }
    }
    values.push_back(SearchNormalize(DecodeRfc2047(v)));
  }
  return values;
}

std::vector<std::string> SearchTexts(std::string_view raw, const MessageStructure& msg,
                                     bool with_headers) {
  std::vector<std::string> out;
  CollectSearchTexts(raw, msg.root, with_headers, 0, &out);
  return out;
}

std::string DecodeRfc2047(std::string_view value) {
  std::string out;
  size_t i = 0;
  bool last_was_word = false;
  size_t pending_ws_start = std::string::npos;
  while (i < value.size()) {
    size_t len = 0;
    if (value[i] == '=' && i + 1 < value.size() && value[i + 1] == '?') {
      if (std::optional<std::string> w = DecodeWord(value.substr(i), &len)) {
        // Whitespace between two encoded-words is dropped (RFC 2047 section 6.2).
        if (last_was_word && pending_ws_start != std::string::npos) out.resize(pending_ws_start);
        out += *w;
        i += len;
        last_was_word = true;
        pending_ws_start = std::string::npos;
        continue;
      }
    }
    char c = value[i];
    if (c == ' ' || c == '\t') {
      if (pending_ws_start == std::string::npos) pending_ws_start = out.size();
    } else {
      last_was_word = false;
      pending_ws_start = std::string::npos;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

std::vector<std::string> HeaderValues(std::string_view raw, std::string_view field) {
  std::vector<std::string> values;
  for (const auto& f : internal::SplitHeader(HeaderBlock(raw))) {
    if (EqualsIgnoreCase(f.name, field)) values.push_back(DecodeRfc2047(f.value));
  }
  return values;
}

std::string SearchableText(std::string_view raw, const MessageStructure& msg) {
  std::string out;
  CollectText(raw, msg.root, &out, 0);
  return out;
}

std::optional<absl::CivilDay> SentDate(std::string_view raw) {
  std::vector<std::string> dates = HeaderValues(raw, "Date");
  if (dates.empty()) return std::nullopt;
  std::string v = dates.front();
  // Drop comments and the weekday; expect "D Mon YYYY".
  size_t comma = v.find(',');
  if (comma != std::string::npos) v = v.substr(comma + 1);
  std::vector<std::string> words =
      absl::StrSplit(v, absl::ByAnyChar(" \t-"), absl::SkipEmpty());
  if (words.size() < 3) return std::nullopt;
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  int day = 0, year = 0, month = 0;
  if (!absl::SimpleAtoi(words[0], &day) || !absl::SimpleAtoi(words[2], &year)) return std::nullopt;
  for (int m = 0; m < 12; ++m) {
    if (words[1].size() >= 3 && EqualsIgnoreCase(std::string_view(words[1]).substr(0, 3), kMonths[m])) month = m + 1;
  }
  if (month == 0 || day < 1 || day > 31) return std::nullopt;
  if (words[2].size() == 2) year += year < 50 ? 2000 : 1900;  // RFC 5322 obsolete 2-digit year
  if (words[2].size() == 3) year += 1900;
  if (year < 1 || year > 9999) return std::nullopt;
  absl::CivilDay d(year, month, day);
  if (d.day() != day) return std::nullopt;  // e.g. 31 Feb normalized away
  return d;
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return absl::ascii_tolower(static_cast<unsigned char>(a)) ==
                                 absl::ascii_tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

}  // namespace hadron::mime
