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
  struct Piece {
    std::string value;
    bool extended;
  };
  // name (original case of the first piece) -> index -> piece
  std::vector<std::pair<std::string, std::map<int, Piece>>> continued;
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
      value = ParseQuoted(s, &i);
    } else {
      value = std::string(ParseToken(s, &i));
    }
    // RFC 2231: name*N or name*N* are continuations; name* alone stays as it is.
    size_t star = attr.find('*');
    if (star != std::string_view::npos && star + 1 < attr.size()) {
      std::string_view rest = attr.substr(star + 1);
      bool extended = false;
      if (!rest.empty() && rest.back() == '*') {
        extended = true;
        rest.remove_suffix(1);
      }
      int index = 0;
      if (!rest.empty() && std::all_of(rest.begin(), rest.end(), absl::ascii_isdigit) &&
          rest.size() < 6 && absl::SimpleAtoi(std::string(rest), &index)) {
        std::string name(attr.substr(0, star));
        auto it = std::find_if(continued.begin(), continued.end(),
                               [&](const auto& e) { return EqualsIgnoreCase(e.first, name); });
        if (it == continued.end()) {
          continued.emplace_back(name, std::map<int, Piece>{});
          it = continued.end() - 1;
        }
        it->second[index] = Piece{std::move(value), extended};
        continue;
      }
    }
    plain.emplace_back(std::string(attr), std::move(value));
  }
  for (auto& [name, pieces] : continued) {
    std::string value;
    bool extended = false;
    int expect = 0;
    for (auto& [index, piece] : pieces) {
      if (index != expect) break;  // a gap ends the value, like Dovecot
      ++expect;
      value += piece.value;
      if (index == 0) extended = piece.extended;
    }
    plain.emplace_back(extended ? name + "*" : name, std::move(value));
  }
  return plain;
}

}  // namespace hadron::mime::internal
