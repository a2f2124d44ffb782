// IMAP string renderings (quoted, literal, NIL) chosen the way Dovecot 2.3 chooses them.
#include "common/imap/strings.h"

#include "absl/strings/str_cat.h"

namespace hadron::imap {
namespace {

// Dovecot switches to a literal after this many quoted-specials (imap-quote.c).
constexpr int kMaxQuotedEscapes = 4;

void AppendLiteral(std::string* out, std::string_view s) {
  absl::StrAppend(out, "{", s.size(), "}\r\n");
  out->append(s);
}

}  // namespace

bool NeedsLiteral(std::string_view s) {
  int escapes = 0;
  for (unsigned char c : s) {
    if (c == '\r' || c == '\n' || c == '\0' || c >= 0x80) return true;
    if (c == '"' || c == '\\') {
      if (++escapes > kMaxQuotedEscapes) return true;
    }
  }
  return false;
}

void AppendQuote(std::string* out, std::string_view s) {
  if (NeedsLiteral(s)) {
    AppendLiteral(out, s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

std::string Quote(std::string_view s) {
  std::string out;
  AppendQuote(&out, s);
  return out;
}

std::string NString(std::optional<std::string_view> s) {
  if (!s.has_value()) return "NIL";
  return Quote(*s);
}

void AppendQuoteForHumans(std::string* out, std::string_view s) {
  // Mirrors imap_append_string_for_humans(): first decide whether anything must change.
  bool modify = false;
  bool last_lwsp = true;
  bool whitespace_prefix = true;
  size_t remove_count = 0;
  for (unsigned char c : s) {
    switch (c) {
      case 0:
        last_lwsp = false;
        modify = true;
        break;
      case '\t':
        modify = true;
        [[fallthrough]];
      case ' ':
        if (last_lwsp) {
          modify = true;
          ++remove_count;
        }
        last_lwsp = true;
        break;
      case '\r':
      case '\n':
        ++remove_count;
        modify = true;
        break;
      case '"':
      case '\\':
        modify = true;
        last_lwsp = false;
        break;
      default:
        if (c & 0x80) modify = true;
        last_lwsp = false;
        break;
    }
    if (!last_lwsp) whitespace_prefix = false;
  }
  if (last_lwsp && !s.empty() && !whitespace_prefix) {
    modify = true;
    ++remove_count;
  }
  if (!modify) {
    out->push_back('"');
    out->append(s);
    out->push_back('"');
    return;
  }
  if (remove_count == s.size()) {
    out->append("\"\"");
    return;
  }
  std::string text;
  text.reserve(s.size());
  last_lwsp = true;
  whitespace_prefix = true;
  for (unsigned char c : s) {
    switch (c) {
      case 0:
        text.push_back(static_cast<char>(0x80));
        last_lwsp = false;
        break;
      case '\t':
      case ' ':
        if (!last_lwsp) text.push_back(' ');
        last_lwsp = true;
        break;
      case '\r':
      case '\n':
        break;
      default:
        last_lwsp = false;
        text.push_back(static_cast<char>(c));
        break;
    }
    if (!last_lwsp) whitespace_prefix = false;
  }
  if (last_lwsp && !s.empty() && !whitespace_prefix && !text.empty()) text.pop_back();
  AppendLiteral(out, text);
}

std::string QuoteForHumans(std::string_view s) {
  std::string out;
  AppendQuoteForHumans(&out, s);
  return out;
}

}  // namespace hadron::imap
