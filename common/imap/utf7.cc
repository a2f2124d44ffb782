// Modified UTF-7 (RFC 3501 5.1.3): printable US-ASCII stands for itself except "&" ("&-");
// other characters are UTF-16 in a base64 variant ("," for "/", no padding) between "&" and "-".
#include "common/imap/utf7.h"

#include <cstdint>
#include <vector>

namespace hadron::imap {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int B64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

bool Printable(uint32_t c) { return c >= 0x20 && c <= 0x7e; }

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// Decodes one UTF-8 code point at s[*i]; false if malformed (overlong, surrogate, > U+10FFFF).
bool NextCodePoint(std::string_view s, size_t* i, uint32_t* cp) {
  auto c = static_cast<unsigned char>(s[*i]);
  int len;
  uint32_t v;
  if (c < 0x80) {
    *cp = c;
    ++*i;
    return true;
  } else if ((c & 0xe0) == 0xc0) {
    len = 2;
    v = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3;
    v = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4;
    v = c & 0x07;
  } else {
    return false;
  }
  if (*i + len > s.size()) return false;
  for (int k = 1; k < len; ++k) {
    auto cc = static_cast<unsigned char>(s[*i + k]);
    if ((cc & 0xc0) != 0x80) return false;
    v = (v << 6) | (cc & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return false;
  *cp = v;
  *i += len;
  return true;
}

void FlushShift(const std::vector<uint16_t>& units, std::string* out) {
  out->push_back('&');
  uint32_t bits = 0;
  int nbits = 0;
  for (uint16_t u : units) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out->push_back(kB64[(bits >> nbits) & 0x3f]);
    }
    bits &= (1u << nbits) - 1;
  }
  if (nbits > 0) out->push_back(kB64[(bits << (6 - nbits)) & 0x3f]);
  out->push_back('-');
}

}  // namespace

absl::StatusOr<std::string> Utf8ToMutf7(std::string_view utf8) {
  std::string out;
  std::vector<uint16_t> units;
  size_t i = 0;
  while (i < utf8.size()) {
    uint32_t cp;
    if (!NextCodePoint(utf8, &i, &cp) || cp == 0) {
      return absl::InvalidArgumentError("Mailbox name is not valid UTF-8");
    }
    if (Printable(cp)) {
      if (!units.empty()) {
        FlushShift(units, &out);
        units.clear();
      }
      if (cp == '&') {
        out += "&-";
      } else {
        out.push_back(static_cast<char>(cp));
      }
    } else if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push_back(static_cast<uint16_t>(0xd800 | (cp >> 10)));
      units.push_back(static_cast<uint16_t>(0xdc00 | (cp & 0x3ff)));
    } else {
      units.push_back(static_cast<uint16_t>(cp));
    }
  }
  if (!units.empty()) FlushShift(units, &out);
  return out;
}

absl::StatusOr<std::string> Mutf7ToUtf8(std::string_view s) {
  auto bad = [] { return absl::InvalidArgumentError("Invalid modified UTF-7 mailbox name"); };
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (!Printable(static_cast<unsigned char>(c))) return bad();
    if (c != '&') {
      out.push_back(c);
      ++i;
      continue;
    }
    ++i;
    if (i < s.size() && s[i] == '-') {
      out.push_back('&');
      ++i;
      continue;
    }
    uint32_t bits = 0;
    int nbits = 0;
    uint32_t high = 0;  // pending high surrogate
    size_t units = 0;
    while (i < s.size() && s[i] != '-') {
      int v = B64Value(s[i]);
      if (v < 0) return bad();
      bits = (bits << 6) | static_cast<uint32_t>(v);
      nbits += 6;
      if (nbits >= 16) {
        nbits -= 16;
        uint32_t u = (bits >> nbits) & 0xffff;
        bits &= (1u << nbits) - 1;
        ++units;
        if (high != 0) {
          if (u < 0xdc00 || u > 0xdfff) return bad();
          AppendUtf8(0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00), &out);
          high = 0;
        } else if (u >= 0xd800 && u <= 0xdbff) {
          high = u;
        } else if ((u >= 0xdc00 && u <= 0xdfff) || Printable(u) || u == 0) {
          return bad();  // lone low surrogate, or ASCII that had to be written directly
        } else {
          AppendUtf8(u, &out);
        }
      }
      ++i;
    }
    if (i >= s.size() || units == 0 || high != 0 || nbits >= 6 || bits != 0) return bad();
    ++i;  // '-'
  }
  return out;
}

}  // namespace hadron::imap
