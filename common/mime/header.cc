// Internal: RFC 5322 header splitting and the MIME header-value grammar (tokens, parameters).
#include "common/mime/header.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace hadron::mime::internal {
namespace {

bool IsTspecial(char c) {
  switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':':
    case '\\': case '"': case '/': case '[': case ']': case '?': case '=':
      return true;
    default:
      return false;
  }
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  // Debian's Abseil has its own string_view type, so this is spelled out here.
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(a[i])) !=
        absl::ascii_tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::vector<HeaderField> SplitHeader(std::string_view header) {
  std::vector<HeaderField> fields;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t line_end = header.find('\n', pos);
    line_end = line_end == std::string_view::npos ? header.size() : line_end + 1;
    std::string_view line = header.substr(pos, line_end - pos);
    if (line == "\r\n" || line == "\n") break;  // end of header
    if (line[0] == ' ' || line[0] == '\t') {     // stray continuation: skip
      pos = line_end;
      continue;
    }
    // Gather continuation lines.
    size_t end = line_end;
    while (end < header.size() && (header[end] == ' ' || header[end] == '\t')) {
      size_t e = header.find('\n', end);
      end = e == std::string_view::npos ? header.size() : e + 1;
    }
    std::string_view raw = header.substr(pos, end - pos);
    pos = end;
    size_t colon = raw.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = raw.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (name.empty()) continue;
    HeaderField f;
    f.name = name;
    f.raw = raw;
    std::string_view v = raw.substr(colon + 1);
    // Drop the final line end, then unfold.
    if (!v.empty() && v.back() == '\n') v.remove_suffix(1);
    if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
    size_t i = 0;
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    f.folded = v.substr(i);
    f.value.reserve(v.size() - i);
    for (; i < v.size(); ++i) {
      if (v[i] == '\r' && i + 1 < v.size() && v[i + 1] == '\n') continue;
      if (v[i] == '\n') continue;
      f.value.push_back(v[i]);
    }
    fields.push_back(std::move(f));
  }
  return fields;
}

void SkipCfws(std::string_view s, size_t* pos, std::string* comment) {
  size_t& i = *pos;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
    } else if (c == '(') {
      int depth = 0;
      std::string text;
      while (i < s.size()) {
        char d = s[i];
        if (d == '\\' && i + 1 < s.size()) {
          if (depth > 0) text.push_back(s[i + 1]);
          i += 2;
          continue;
        }
        if (d == '(') {
          if (depth > 0) text.push_back(d);
          ++depth;
        } else if (d == ')') {
          --depth;
          if (depth == 0) {
            ++i;
            break;
          }
          text.push_back(d);
        } else {
          text.push_back(d);
        }
        ++i;
      }
      if (comment != nullptr) *comment = std::move(text);
    } else {
      break;
    }
  }
}

std::string_view ParseToken(std::string_view s, size_t* pos) {
  size_t start = *pos;
  size_t i = start;
  while (i < s.size()) {
    unsigned char c = s[i];
    if (c <= ' ' || c == 0x7f || IsTspecial(static_cast<char>(c))) break;
    ++i;
  }
  *pos = i;
  return s.substr(start, i - start);
}

std::string ParseQuoted(std::string_view s, size_t* pos) {
  std::string out;
  size_t i = *pos + 1;  // skip the opening quote
  while (i < s.size() && s[i] != '"') {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    if (s[i] != '\r' && s[i] != '\n') out.push_back(s[i]);
    ++i;
  }
  *pos = i < s.size() ? i + 1 : i;
  return out;
}

Params ParseParams(std::string_view s, size_t* pos) {
  Params plain;
  // RFC 2231 pieces (key*N, key*N*, key*), merged after the plain parameters exactly as Dovecot's
  // rfc2231_parse() does: sorted by (key, index), merged when the indexes run 0..n-1, otherwise
  // each piece is listed as key*N[*].
  struct Piece {
    std::string key;
    std::string value;
    unsigned index;
    bool extended;
  };
  std::vector<Piece> pieces;
  unsigned index = 0;  // Dovecot keeps the previous index for a bare "key*"
  size_t& i = *pos;
  for (;;) {
    SkipCfws(s, &i);
    if (i >= s.size()) break;
    if (s[i] != ';') break;
    ++i;
    SkipCfws(s, &i);
    if (i < s.size() && s[i] == ';') continue;  // empty parameter
    std::string_view attr = ParseToken(s, &i);
    if (attr.empty()) break;
    SkipCfws(s, &i);
    if (i >= s.size() || s[i] != '=') break;
    ++i;
    SkipCfws(s, &i);
    std::string value;
    if (i < s.size() && s[i] == '"') {
      if (s.find('"', i + 1) == std::string_view::npos) break;  // unterminated: Dovecot drops it
      value = ParseQuoted(s, &i);
    } else {
      value = std::string(ParseToken(s, &i));
    }
    size_t star = attr.find('*');
    if (star != std::string_view::npos) {
      size_t p = star;
      if (p + 1 < attr.size()) {
        ++p;
        index = 0;
        while (p < attr.size() && absl::ascii_isdigit(static_cast<unsigned char>(attr[p]))) {
          index = index * 10 + static_cast<unsigned>(attr[p] - '0');
          ++p;
        }
      }
      bool extended = p < attr.size() && attr[p] == '*';
      if (extended) ++p;
      if (p >= attr.size()) {
        pieces.push_back(Piece{std::string(attr.substr(0, star)), std::move(value), index,
                               extended});
        continue;
      }
    }
    plain.emplace_back(std::string(attr), std::move(value));
  }
  std::stable_sort(pieces.begin(), pieces.end(), [](const Piece& x, const Piece& y) {
    if (x.key != y.key) return x.key < y.key;
    return x.index < y.index;
  });
  for (size_t first = 0, next = 0; first < pieces.size(); first = next) {
    bool ok = true, have_extended = false;
    unsigned expect = 0;
    for (next = first; next < pieces.size() && EqualsIgnoreCase(pieces[first].key, pieces[next].key);
         ++next) {
      if (pieces[next].index != expect) ok = false;
      if (pieces[next].extended) have_extended = true;
      ++expect;
    }
    if (!ok) {
      for (size_t j = first; j < next; ++j) {
        plain.emplace_back(pieces[j].key + "*" + std::to_string(pieces[j].index) +
                               (pieces[j].extended ? "*" : ""),
                           pieces[j].value);
      }
      continue;
    }
    std::string value;
    if (!pieces[first].extended && have_extended) value = "''";
    for (size_t j = first; j < next; ++j) {
      if (!pieces[j].extended && have_extended) {
        for (char c : pieces[j].value) {
          if (c == '%') value += "%25";
          else value.push_back(c);
        }
      } else {
        value += pieces[j].value;
      }
    }
    plain.emplace_back(have_extended ? pieces[first].key + "*" : pieces[first].key,
                       std::move(value));
  }
  return plain;
}

}  // namespace hadron::mime::internal
