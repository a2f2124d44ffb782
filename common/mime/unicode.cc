// Dovecot's search normalization (decomposed titlecase) and charset conversion to UTF-8 (iconv).
#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/mime/header.h"
#include "common/mime/mime.h"

namespace hadron::mime {
namespace {

#include "common/mime/unicode_tables.inc"

constexpr std::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD

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

// One UTF-8 character at s[i]; returns its length, or 0 when the sequence is invalid or
// incomplete (overlong forms, surrogates and values above U+10FFFF are invalid).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len;
  uint32_t v, min;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2, v = c & 0x1f, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3, v = c & 0x0f, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xc0) != 0x80) return 0;
    v = (v << 6) | (d & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
  *cp = v;
  return len;
}

uint32_t Titlecase(uint32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') ? cp - 32 : cp;
  const auto* end = std::end(kTitlecase);
  const auto* it = std::lower_bound(std::begin(kTitlecase), end, cp,
                                    [](const uint32_t(&e)[2], uint32_t v) { return e[0] < v; });
  return it != end && (*it)[0] == cp ? (*it)[1] : cp;
}

void AppendDecomposed(uint32_t cp, std::string* out) {
  constexpr uint32_t kHangulFirst = 0xac00, kHangulLast = 0xd7a3;
  if (cp >= kHangulFirst && cp <= kHangulLast) {
    uint32_t s = cp - kHangulFirst;
    AppendUtf8(0x1100 + s / (21 * 28), out);
    AppendUtf8(0x1161 + (s % (21 * 28)) / 28, out);
    if (s % 28 != 0) AppendUtf8(0x11a7 + s % 28, out);
    return;
  }
  const auto* end = std::end(kDecomp);
  const auto* it = std::lower_bound(std::begin(kDecomp), end, cp,
                                    [](const uint32_t(&e)[3], uint32_t v) { return e[0] < v; });
  if (it == end || (*it)[0] != cp) {
    AppendUtf8(cp, out);
    return;
  }
  for (uint32_t k = 0; k < (*it)[2]; ++k) AppendUtf8(kDecompValues[(*it)[1] + k], out);
}

void AppendReplacement(std::string* out) {
  // Like Dovecot: a run of invalid bytes becomes one replacement character.
  if (out->size() >= kReplacement.size() &&
      std::string_view(*out).substr(out->size() - kReplacement.size()) == kReplacement) {
    return;
  }
  out->append(kReplacement);
}

bool IsUtf8Name(std::string_view charset) {
  using internal::EqualsIgnoreCase;
  return EqualsIgnoreCase(charset, "utf-8") || EqualsIgnoreCase(charset, "utf8") ||
         EqualsIgnoreCase(charset, "us-ascii") || EqualsIgnoreCase(charset, "ascii");
}

}  // namespace

std::string SearchNormalize(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  size_t i = 0;
  while (i < utf8.size()) {
    uint32_t cp = 0;
    size_t len = DecodeUtf8(utf8, i, &cp);
    if (len == 0) {
      AppendReplacement(&out);
      ++i;
      continue;
    }
    i += len;
    AppendDecomposed(Titlecase(cp), &out);
  }
  return out;
}

std::string ValidUtf8(std::string_view data) {
  std::string out;
  out.reserve(data.size());
  size_t i = 0;
  while (i < data.size()) {
    uint32_t cp = 0;
    size_t len = DecodeUtf8(data, i, &cp);
    if (len == 0) {
      AppendReplacement(&out);
      ++i;
      continue;
    }
    out.append(data.substr(i, len));
    i += len;
  }
  return out;
}

std::string CharsetToUtf8(std::string_view charset, std::string_view data) {
  if (charset.empty() || IsUtf8Name(charset)) return ValidUtf8(data);
  std::string name(charset);
  iconv_t cd = iconv_open("UTF-8", name.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return ValidUtf8(data);  // unknown: taken as UTF-8
  std::string out;
  out.reserve(data.size() + data.size() / 2);
  std::string buf(4096, '\0');
  char* in = const_cast<char*>(data.data());
  size_t in_left = data.size();
  while (in_left > 0) {
    char* o = buf.data();
    size_t o_left = buf.size();
    size_t r = iconv(cd, &in, &in_left, &o, &o_left);
    out.append(buf.data(), buf.size() - o_left);
    if (r != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) continue;
    if (errno == EILSEQ) {
      AppendReplacement(&out);
      ++in;
      --in_left;
      iconv(cd, nullptr, nullptr, nullptr, nullptr);
      continue;
    }
    break;  // EINVAL: an incomplete sequence at the end is dropped
  }
  // Flush any shift state (e.g. ISO-2022-JP).
  char* o = buf.data();
  size_t o_left = buf.size();
  iconv(cd, nullptr, nullptr, &o, &o_left);
  out.append(buf.data(), buf.size() - o_left);
  iconv_close(cd);
  return out;
}

}  // namespace hadron::mime
