// FETCH PREVIEW (RFC 8970): Dovecot 2.3's message snippet (part choice, html2text, quote skipping).
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "common/mime/header.h"
#include "common/mime/mime.h"

namespace hadron::mime {
namespace {

using internal::EqualsIgnoreCase;

constexpr unsigned kMaxPreviewChars = 200;

struct Entity {
  const char* name;
  uint32_t code;
};
constexpr Entity kEntities[] = {
#include "common/mime/html_entities.inc"
};

// Dovecot's decoder sees no content type for a part without a Content-Type header and then
// reads the body as text/plain; that includes a multipart/digest child (our structure says
// message/rfc822 there), whose body, the encapsulated message with its header, becomes the text.
// "text" without "/subtype" is no text.
bool HasContentTypeHeader(std::string_view raw, const Part& p) {
  if (p.header_offset > raw.size() || p.header_size > raw.size() - p.header_offset) return false;
  for (const auto& f : internal::SplitHeader(raw.substr(p.header_offset, p.header_size))) {
    if (EqualsIgnoreCase(f.name, "Content-Type")) return true;
  }
  return false;
}

bool IsText(std::string_view raw, const Part& p) {
  if (p.multipart) return false;
  if (!p.type) return true;
  if (p.message_rfc822) return !HasContentTypeHeader(raw, p);
  return EqualsIgnoreCase(*p.type, "text") && p.subtype && !p.subtype->empty();
}

bool IsTextPlain(std::string_view raw, const Part& p) {
  if (!IsText(raw, p)) return false;
  return !p.type || p.message_rfc822 || EqualsIgnoreCase(*p.subtype, "plain");
}

const Part* ChoosePart(std::string_view raw, const Part& p, int depth) {
  if (depth > kMaxDepth) return nullptr;
  if (!p.multipart) return IsText(raw, p) ? &p : nullptr;
  if (p.subtype && EqualsIgnoreCase(*p.subtype, "alternative")) {
    for (const Part& c : p.children) {
      if (IsTextPlain(raw, c)) return &c;
    }
  }
  for (const Part& c : p.children) {
    if (const Part* r = ChoosePart(raw, c, depth + 1)) return r;
  }
  return nullptr;
}

// Dovecot's quoted-printable decoder drops blanks at the end of a line, so "= " before a line
// break is still a soft line break.
std::string StripLineEndBlanks(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t blanks = 0;  // pending blanks not yet copied
  size_t start = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == ' ' || c == '\t') {
      if (blanks == 0) start = i;
      ++blanks;
      continue;
    }
    if (blanks > 0) {
      bool line_end = c == '\n' || (c == '\r' && i + 1 < in.size() && in[i + 1] == '\n');
      if (!line_end) out.append(in.substr(start, blanks));
      blanks = 0;
    }
    out.push_back(c);
  }
  return out;  // blanks at the very end are dropped too
}

bool IsHtml(const Part& p) {
  return p.type && EqualsIgnoreCase(*p.type, "text") && p.subtype &&
         EqualsIgnoreCase(*p.subtype, "html");
}

std::string_view ParamValue(const Params& params, std::string_view key) {
  for (const auto& [k, v] : params) {
    if (EqualsIgnoreCase(k, key)) return v;
  }
  return {};
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// One space for a tag, unless the text so far is empty or already ends in whitespace.
void AddSpace(std::string* out) {
  if (!out->empty() && !std::isspace(static_cast<unsigned char>(out->back()))) {
    out->push_back(' ');
  }
}

bool StartsWithIgnoreCase(std::string_view s, size_t pos, std::string_view prefix) {
  return s.size() - pos >= prefix.size() && EqualsIgnoreCase(s.substr(pos, prefix.size()), prefix);
}

// Decodes "&name;" / "&#n;" / "&#xh;" at s[i] == '&'. Returns the index after it, or i + 1 when
// it is not an entity (the '&' alone is dropped).
size_t DecodeEntity(std::string_view s, size_t i, std::string* out) {
  size_t j = i + 1;
  while (j < s.size() && j - i <= 10 &&
         (absl::ascii_isalnum(static_cast<unsigned char>(s[j])) || s[j] == '#')) {
    ++j;
  }
  if (j >= s.size() || s[j] != ';') return i + 1;
  std::string_view name = s.substr(i + 1, j - i - 1);
  if (name.size() >= 2 && name[0] == '#') {
    uint64_t cp = 0;
    bool hex = name[1] == 'x' || name[1] == 'X';
    std::string_view digits = name.substr(hex ? 2 : 1);
    bool ok = !digits.empty();
    for (char c : digits) {
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0) { ok = false; break; }
      cp = cp * (hex ? 16 : 10) + d;
      if (cp > 0x10FFFF) { ok = false; break; }
    }
    if (ok) AppendUtf8(static_cast<uint32_t>(cp), out);
  } else {
    for (const auto& e : kEntities) {
      if (name == e.name) {
        AppendUtf8(e.code, out);
        break;
      }
    }
  }
  return j + 1;
}

// Dovecot's mail-html2text with blockquote skipping.
std::string HtmlToText(std::string_view s) {
  enum class St { kText, kTag, kDq, kSq, kComment, kCommentEnd, kScript, kStyle, kCdata };
  St st = St::kText;
  int quote_level = 0;
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    switch (st) {
      case St::kText:
        if (c == '<') {
          size_t n = i + 1;
          if (s.substr(n, 3) == "!--") {
            st = St::kComment;
            i = n + 3;
            continue;
          }
          if (StartsWithIgnoreCase(s, n, "![CDATA")) {
            st = St::kCdata;
            i = n + 8;
            continue;
          }
          if (StartsWithIgnoreCase(s, n, "style")) {
            st = St::kStyle;
            i = n + 5;
            continue;
          }
          if (StartsWithIgnoreCase(s, n, "script")) {
            st = St::kScript;
            i = n + 6;
            continue;
          }
          if (StartsWithIgnoreCase(s, n, "blockquote")) {
            ++quote_level;
            st = St::kTag;
            i = n + 10;
            continue;
          }
          if (quote_level > 0 && StartsWithIgnoreCase(s, n, "/blockquote>")) {
            --quote_level;
            AddSpace(&out);
            i = n + 12;
            continue;
          }
          st = St::kTag;
        } else if (quote_level > 0) {
          // quoted text is skipped
        } else if (c == '&') {
          i = DecodeEntity(s, i, &out);
          continue;
        } else {
          out.push_back(c);
        }
        break;
      case St::kTag:
        if (c == '"') st = St::kDq;
        else if (c == '\'') st = St::kSq;
        else if (c == '>') {
          st = St::kText;
          AddSpace(&out);
        }
        break;
      case St::kDq:
        if (c == '"') st = St::kTag;
        break;
      case St::kSq:
        if (c == '\'') st = St::kTag;
        break;
      case St::kComment:
        if (c == '-') st = St::kCommentEnd;
        break;
      case St::kCommentEnd:
        if (c == '>') st = St::kText;
        else if (c != '-') st = St::kComment;
        break;
      case St::kScript:
      case St::kStyle: {
        std::string_view end = st == St::kScript ? "</script>" : "</style>";
        if (c == '<' && StartsWithIgnoreCase(s, i, end)) {
          st = St::kText;
          AddSpace(&out);
          i += end.size();
          continue;
        }
        break;
      }
      case St::kCdata:
        if (s.substr(i, 3) == "]]>") {
          st = St::kText;
          i += 3;
          continue;
        }
        out.push_back(c);
        break;
    }
    ++i;
  }
  return out;
}

size_t Utf8CharBytes(unsigned char c) {
  if (c < 0xC0) return 1;
  if (c < 0xE0) return 2;
  if (c < 0xF0) return 3;
  if (c < 0xF8) return 4;
  return 1;
}

struct Target {
  std::string text;
  unsigned chars_left;
};

// Dovecot's snippet generator over decoded UTF-8 text.
std::string Snippet(std::string_view data) {
  enum class St { kNewline, kNormal, kQuoted };
  St st = St::kNewline;
  bool add_ws = false;
  Target main{"", kMaxPreviewChars};
  Target quoted{"", kMaxPreviewChars - 1};  // -1 for the '>'
  Target* target = &main;
  size_t i = 0;
  while (i < data.size()) {
    size_t count = 1;
    if (st == St::kNewline) {
      if (data[i] == '>') {
        st = St::kQuoted;
        ++i;
        target = &quoted;
      } else {
        st = St::kNormal;
        target = &main;
      }
    }
    if (i < data.size()) {
      unsigned char c = static_cast<unsigned char>(data[i]);
      size_t left = data.size() - i;
      if (left >= 3 && ((c == 0xEF && static_cast<unsigned char>(data[i + 1]) == 0xBB &&
                         static_cast<unsigned char>(data[i + 2]) == 0xBF) ||
                        (c == 0xBF && static_cast<unsigned char>(data[i + 1]) == 0xBB &&
                         static_cast<unsigned char>(data[i + 2]) == 0xEF))) {
        count = 3;
      } else if (c == '\0') {
        // skipped
      } else if (std::isspace(c)) {
        if (!target->text.empty()) add_ws = true;
        if (c == '\n') st = St::kNewline;
      } else if (target->chars_left > 0) {
        --target->chars_left;
        bool skip = false;
        if (add_ws) {
          if (target->chars_left == 0) {
            skip = true;  // no trailing whitespace
          } else {
            target->text.push_back(' ');
            add_ws = false;
            --target->chars_left;
          }
        }
        if (!skip) {
          count = std::min(Utf8CharBytes(c), left);
          target->text.append(data.substr(i, count));
        }
      }
    }
    if (main.chars_left == 0) break;
    i += count;
  }
  auto strip = [](const std::string& s) {
    size_t k = 0;
    while (k < s.size() && std::isspace(static_cast<unsigned char>(s[k]))) ++k;
    return s.substr(k);
  };
  if (!main.text.empty()) return strip(main.text);
  if (!quoted.text.empty()) return ">" + strip(quoted.text);
  return "";
}

bool KnownTransferEncoding(const Part& p) {
  return !p.encoding || EqualsIgnoreCase(*p.encoding, "7bit") ||
         EqualsIgnoreCase(*p.encoding, "8bit") || EqualsIgnoreCase(*p.encoding, "binary") ||
         EqualsIgnoreCase(*p.encoding, "base64") ||
         EqualsIgnoreCase(*p.encoding, "quoted-printable");
}

}  // namespace

std::string Preview(std::string_view raw, const MessageStructure& msg) {
  const Part* p = ChoosePart(raw, msg.root, 0);
  if (p == nullptr || !KnownTransferEncoding(*p)) return "";
  if (p->body_offset > raw.size() || p->body_size > raw.size() - p->body_offset) return "";
  std::string_view body = raw.substr(p->body_offset, p->body_size);
  std::string decoded;
  if (p->encoding && EqualsIgnoreCase(*p->encoding, "base64")) {
    decoded = internal::DecodeBase64Lenient(body);
  } else if (p->encoding && EqualsIgnoreCase(*p->encoding, "quoted-printable")) {
    decoded = internal::DecodeQuotedPrintable(StripLineEndBlanks(body), false);
  } else {
    decoded = std::string(body);
  }
  std::string text = CharsetToUtf8(ParamValue(p->params, "charset"), decoded);
  if (IsHtml(*p)) text = HtmlToText(text);
  return Snippet(text);
}

}  // namespace hadron::mime
