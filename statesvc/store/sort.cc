// SORT (RFC 5256, RFC 5957): sort keys computed as Dovecot 2.3 computes them.
#include "statesvc/store/sort.h"

#include <algorithm>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "common/mime/mime.h"
#include "common/status.h"

namespace hadron::store {
namespace {

// --- UTF-8 and the titlecase/decomposition mapping. ---

void AppendUtf8(uint32_t cp, std::string* out) {
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

// Decodes one character at s[*i]; false (and *i past one byte) on invalid UTF-8.
bool NextUtf8(std::string_view s, size_t* i, uint32_t* cp) {
  unsigned char c = static_cast<unsigned char>(s[*i]);
  int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (len == 0 || *i + len > s.size()) {
    ++*i;
    return false;
  }
  uint32_t v = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k < len; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[*i + k]);
    if ((cc & 0xC0) != 0x80) {
      ++*i;
      return false;
    }
    v = (v << 6) | (cc & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
    ++*i;
    return false;
  }
  *i += len;
  *cp = v;
  return true;
}

// Simple titlecase mapping (UnicodeData field 14) for the scripts mail mostly uses.
uint32_t Titlecase(uint32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
  if (c == 0xB5) return 0x39C;
  if ((c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 0x20;
  if (c == 0xFF) return 0x178;
  if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return c & ~1u;
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c : c - 1;
  if (c == 0x17F) return 0x53;
  if (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) return c - 0x20;
  if (c == 0x3C2) return 0x3A3;
  if (c == 0x3AC) return 0x386;
  if (c >= 0x3AD && c <= 0x3AF) return c - 0x25;
  if (c == 0x3CC) return 0x38C;
  if (c == 0x3CD || c == 0x3CE) return c - 0x3F;
  if (c >= 0x430 && c <= 0x44F) return c - 0x20;
  if (c >= 0x450 && c <= 0x45F) return c - 0x50;
  if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F)) {
    return c & ~1u;
  }
  if (c >= 0xFF41 && c <= 0xFF5A) return c - 0x20;
  return c;
}

// Canonical decomposition of the precomposed Latin letters (after titlecasing).
struct Decomp {
  uint32_t cp, base, mark;
};
constexpr Decomp kDecomp[] = {
    {0xC0, 'A', 0x300}, {0xC1, 'A', 0x301}, {0xC2, 'A', 0x302}, {0xC3, 'A', 0x303},
    {0xC4, 'A', 0x308}, {0xC5, 'A', 0x30A}, {0xC7, 'C', 0x327}, {0xC8, 'E', 0x300},
    {0xC9, 'E', 0x301}, {0xCA, 'E', 0x302}, {0xCB, 'E', 0x308}, {0xCC, 'I', 0x300},
    {0xCD, 'I', 0x301}, {0xCE, 'I', 0x302}, {0xCF, 'I', 0x308}, {0xD1, 'N', 0x303},
    {0xD2, 'O', 0x300}, {0xD3, 'O', 0x301}, {0xD4, 'O', 0x302}, {0xD5, 'O', 0x303},
    {0xD6, 'O', 0x308}, {0xD9, 'U', 0x300}, {0xDA, 'U', 0x301}, {0xDB, 'U', 0x302},
    {0xDC, 'U', 0x308}, {0xDD, 'Y', 0x301}, {0x100, 'A', 0x304}, {0x102, 'A', 0x306},
    {0x104, 'A', 0x328}, {0x106, 'C', 0x301}, {0x108, 'C', 0x302}, {0x10A, 'C', 0x307},
    {0x10C, 'C', 0x30C}, {0x10E, 'D', 0x30C}, {0x112, 'E', 0x304}, {0x114, 'E', 0x306},
    {0x116, 'E', 0x307}, {0x118, 'E', 0x328}, {0x11A, 'E', 0x30C}, {0x11C, 'G', 0x302},
    {0x11E, 'G', 0x306}, {0x120, 'G', 0x307}, {0x122, 'G', 0x327}, {0x124, 'H', 0x302},
    {0x128, 'I', 0x303}, {0x12A, 'I', 0x304}, {0x12C, 'I', 0x306}, {0x12E, 'I', 0x328},
    {0x130, 'I', 0x307}, {0x134, 'J', 0x302}, {0x136, 'K', 0x327}, {0x139, 'L', 0x301},
    {0x13B, 'L', 0x327}, {0x13D, 'L', 0x30C}, {0x143, 'N', 0x301}, {0x145, 'N', 0x327},
    {0x147, 'N', 0x30C}, {0x14C, 'O', 0x304}, {0x14E, 'O', 0x306}, {0x150, 'O', 0x30B},
    {0x154, 'R', 0x301}, {0x156, 'R', 0x327}, {0x158, 'R', 0x30C}, {0x15A, 'S', 0x301},
    {0x15C, 'S', 0x302}, {0x15E, 'S', 0x327}, {0x160, 'S', 0x30C}, {0x162, 'T', 0x327},
    {0x164, 'T', 0x30C}, {0x168, 'U', 0x303}, {0x16A, 'U', 0x304}, {0x16C, 'U', 0x306},
    {0x16E, 'U', 0x30A}, {0x170, 'U', 0x30B}, {0x172, 'U', 0x328}, {0x174, 'W', 0x302},
    {0x176, 'Y', 0x302}, {0x178, 'Y', 0x308}, {0x179, 'Z', 0x301}, {0x17B, 'Z', 0x307},
    {0x17D, 'Z', 0x30C},
};

void AppendDecomposed(uint32_t c, std::string* out) {
  if (c >= 0xC0 && c <= 0x17E) {
    for (const Decomp& d : kDecomp) {
      if (d.cp == c) {
        out->push_back(static_cast<char>(d.base));
        AppendUtf8(d.mark, out);
        return;
      }
    }
  }
  AppendUtf8(c, out);
}

// --- RFC 822 tokens as Dovecot's rfc822-parser sees them. ---

bool IsAtext(unsigned char c) {
  if (c >= 0x80) return true;
  if (c <= ' ' || c == 0x7F) return false;
  return std::strchr("()<>@,;:\\\".[]", c) == nullptr;
}

// rfc822_skip_lwsp: blanks, line breaks and (nested) comments. false on an unclosed comment.
bool SkipLwsp(std::string_view s, size_t* i) {
  while (*i < s.size()) {
    char c = s[*i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++*i;
      continue;
    }
    if (c != '(') break;
    int depth = 0;
    for (; *i < s.size(); ++*i) {
      char d = s[*i];
      if (d == '\\') {
        ++*i;
      } else if (d == '(') {
        ++depth;
      } else if (d == ')' && --depth == 0) {
        break;
      }
    }
    if (*i >= s.size()) return false;
    ++*i;
  }
  return true;
}

// rfc822_parse_atom into *out; -1 when no atext here, else 1 (0 at the end of input).
int ParseAtom(std::string_view s, size_t* i, std::string* out) {
  if (*i >= s.size() || !IsAtext(s[*i])) return -1;
  size_t start = *i;
  while (*i < s.size() && IsAtext(s[*i])) ++*i;
  out->append(s.substr(start, *i - start));
  if (!SkipLwsp(s, i)) return -1;
  return *i < s.size() ? 1 : 0;
}

// rfc822_parse_dot_atom: atoms joined by dots (CFWS allowed around them).
int ParseDotAtom(std::string_view s, size_t* i, std::string* out) {
  if (*i >= s.size() || !IsAtext(s[*i])) return -1;
  for (;;) {
    size_t start = *i;
    while (*i < s.size() && IsAtext(s[*i])) ++*i;
    out->append(s.substr(start, *i - start));
    if (*i >= s.size()) return 0;
    if (!SkipLwsp(s, i)) return -1;
    if (*i >= s.size()) return 0;
    if (s[*i] != '.') return 1;
    ++*i;
    out->push_back('.');
    if (!SkipLwsp(s, i)) return -1;
    if (*i >= s.size()) return 0;
  }
}

int ParseQuotedString(std::string_view s, size_t* i, std::string* out) {
  ++*i;  // the opening quote
  for (; *i < s.size(); ++*i) {
    char c = s[*i];
    if (c == '"') {
      ++*i;
      if (!SkipLwsp(s, i)) return -1;
      return *i < s.size() ? 1 : 0;
    }
    if (c == '\r' || c == '\n') continue;
    if (c == '\\') {
      if (++*i >= s.size()) return -1;
      c = s[*i];
    }
    out->push_back(c);
  }
  return -1;
}

// --- Date: (message_date_parse). ---

int ParseTimezone(std::string_view v) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (v.size() == 5 && (v[0] == '+' || v[0] == '-')) {
    if (!digit(v[1]) || !digit(v[2]) || !digit(v[3]) || !digit(v[4])) return 0;
    int off = ((v[1] - '0') * 10 + (v[2] - '0')) * 60 + (v[3] - '0') * 10 + (v[4] - '0');
    return v[0] == '+' ? off : -off;
  }
  if (v.size() == 1) {
    char chr = static_cast<char>(std::toupper(static_cast<unsigned char>(v[0])));
    if (chr < 'J') return (v[0] - 'A' + 1) * 60;
    if (chr == 'J') return 0;
    if (chr <= 'M') return (v[0] - 'A') * 60;
    if (chr < 'Z') return ('M' - v[0]) * 60;
    return 0;
  }
  auto up = [](char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); };
  if (v.size() == 2 && up(v[0]) == 'U' && up(v[1]) == 'T') return 0;
  if (v.size() == 3) {
    if (v[2] != 'T') return 0;
    int off;
    switch (up(v[0])) {
      case 'E': off = -5 * 60; break;
      case 'C': off = -6 * 60; break;
      case 'M': off = -7 * 60; break;
      case 'P': off = -8 * 60; break;
      default: return 0;
    }
    if (up(v[1]) == 'D') return off + 60;
    if (up(v[1]) == 'S') return off;
  }
  return 0;
}

bool ParseDate(std::string_view s, int64_t* out) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0;
  std::string tok;
  // next_token: -1 error, 0 nothing, 1 a token in `tok`.
  auto next = [&]() -> int {
    tok.clear();
    if (i >= s.size()) return 0;
    if (ParseAtom(s, &i, &tok) < 0) return -1;
    return tok.empty() ? 0 : 1;
  };
  auto at = [&]() -> char { return i < s.size() ? s[i] : '\0'; };
  if (!SkipLwsp(s, &i)) return false;
  if (next() <= 0) return false;
  if (tok.size() == 3) {
    if (at() != ',') return false;
    ++i;
    if (!SkipLwsp(s, &i)) return false;
    if (next() <= 0) return false;
  }
  struct tm tm = {};
  if (tok.size() < 1 || tok.size() > 2 || !digit(tok[0])) return false;
  tm.tm_mday = tok[0] - '0';
  if (tok.size() == 2) {
    if (!digit(tok[1])) return false;
    tm.tm_mday = tm.tm_mday * 10 + (tok[1] - '0');
  }
  static constexpr const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                            "jul", "aug", "sep", "oct", "nov", "dec"};
  if (next() <= 0 || tok.size() < 3) return false;
  int month = -1;
  for (int m = 0; m < 12; ++m) {
    if (strncasecmp(kMonths[m], tok.data(), 3) == 0) {
      month = m;
      break;
    }
  }
  if (month < 0) return false;
  tm.tm_mon = month;
  if (next() <= 0 || (tok.size() != 2 && tok.size() != 4)) return false;
  int year = 0;
  for (char c : tok) {
    if (!digit(c)) return false;
    year = year * 10 + (c - '0');
  }
  if (tok.size() == 2) {
    if (year < 70) year += 100;
  } else {
    if (year < 1900) return false;
    year -= 1900;
  }
  tm.tm_year = year;
  if (next() <= 0 || tok.size() < 1 || tok.size() > 2 || !digit(tok[0])) return false;
  tm.tm_hour = tok[0] - '0';
  if (tok.size() == 2) {
    if (!digit(tok[1])) return false;
    tm.tm_hour = tm.tm_hour * 10 + (tok[1] - '0');
  }
  if (at() != ':' && at() != '.') return false;
  ++i;
  if (!SkipLwsp(s, &i)) return false;
  if (next() < 0 || tok.size() != 2 || !digit(tok[0]) || !digit(tok[1])) return false;
  tm.tm_min = (tok[0] - '0') * 10 + (tok[1] - '0');
  if (i < s.size() && (at() == ':' || at() == '.')) {
    ++i;
    if (!SkipLwsp(s, &i)) return false;
    if (next() <= 0 || tok.size() != 2 || !digit(tok[0]) || !digit(tok[1])) return false;
    tm.tm_sec = (tok[0] - '0') * 10 + (tok[1] - '0');
  }
  int ret = next();
  if (ret < 0) return false;
  int tz = ret == 0 ? 0 : ParseTimezone(tok);
  // utc_mktime: fields that do not name a real time are invalid.
  struct tm check = tm;
  time_t t = timegm(&check);
  if (t == static_cast<time_t>(-1) || check.tm_year != tm.tm_year || check.tm_mon != tm.tm_mon ||
      check.tm_mday != tm.tm_mday || check.tm_hour != tm.tm_hour || check.tm_min != tm.tm_min ||
      check.tm_sec != tm.tm_sec) {
    return false;
  }
  *out = static_cast<int64_t>(t) - tz * 60;
  return true;
}

// --- Base subject (imap-base-subject.c). ---

// subj-blob at s[*i]: "[" *BLOBCHAR "]" and one optional space.
bool RemoveBlob(const std::string& s, size_t* i) {
  size_t p = *i;
  if (p >= s.size() || s[p] != '[') return false;
  ++p;
  while (p < s.size() && s[p] != '[' && s[p] != ']') ++p;
  if (p >= s.size() || s[p] != ']') return false;
  ++p;
  if (p < s.size() && s[p] == ' ') ++p;
  *i = p;
  return true;
}

void RemoveTrailers(std::string* s, size_t start, bool* reply) {
  size_t size = s->size();
  while (size > start) {
    if ((*s)[size - 1] == ' ') {
      --size;
    } else if (size >= 5 && s->compare(size - 5, 5, "(FWD)") == 0) {
      *reply = true;
      size -= 5;
    } else {
      break;
    }
  }
  s->resize(size);
}

bool RemoveLeader(const std::string& s, size_t* start, bool* reply) {
  bool ret = false;
  size_t p = *start;
  if (p < s.size() && s[p] == ' ') {
    ++p;
    *start = p;
    ret = true;
  }
  while (p < s.size() && s[p] == '[') {
    if (!RemoveBlob(s, &p)) return ret;
  }
  std::string_view rest = std::string_view(s).substr(std::min(p, s.size()));
  if (rest.substr(0, 2) == "RE") {
    p += 2;
  } else if (rest.substr(0, 3) == "FWD") {
    p += 3;
  } else if (rest.substr(0, 2) == "FW") {
    p += 2;
  } else {
    return ret;
  }
  if (p < s.size() && s[p] == ' ') ++p;
  if (p < s.size() && s[p] == '[' && !RemoveBlob(s, &p)) return ret;
  if (p >= s.size() || s[p] != ':') return ret;
  *start = p + 1;
  *reply = true;
  return true;
}

bool RemoveBlobWhenNonEmpty(const std::string& s, size_t* start) {
  size_t p = *start;
  if (p < s.size() && s[p] == '[' && RemoveBlob(s, &p) && p < s.size()) {
    *start = p;
    return true;
  }
  return false;
}

bool RemoveFwdHeader(std::string* s, size_t* start, bool* reply) {
  if (s->compare(std::min(*start, s->size()), 5, "[FWD:") != 0) return false;
  if (s->empty() || s->back() != ']') return false;
  *reply = true;
  s->pop_back();
  *start += 5;
  return true;
}

// --- Loading. ---

constexpr size_t kFetchBatch = 256;

std::string_view HeaderOf(std::string_view raw) {
  size_t end = raw.find("\r\n\r\n");
  if (end != std::string_view::npos) return raw.substr(0, end + 2);
  end = raw.find("\n\n");
  if (end != std::string_view::npos) return raw.substr(0, end + 1);
  return raw;
}

}  // namespace

std::optional<std::string> FirstHeader(std::string_view header, std::string_view name) {
  // Dovecot's mail_get_first_header(): the value as written (encoded words kept), unfolded.
  size_t pos = 0;
  while (pos < header.size()) {
    size_t eol = header.find('\n', pos);
    size_t next = eol == std::string_view::npos ? header.size() : eol + 1;
    std::string_view line = header.substr(pos, next - pos);
    size_t colon = line.find(':');
    bool match = colon != std::string_view::npos && colon == name.size() &&
                 strncasecmp(line.data(), name.data(), name.size()) == 0;
    pos = next;
    if (!match) continue;
    std::string value(line.substr(colon + 1));
    while (pos < header.size() && (header[pos] == ' ' || header[pos] == '\t')) {
      eol = header.find('\n', pos);
      next = eol == std::string_view::npos ? header.size() : eol + 1;
      value.append(header.substr(pos, next - pos));
      pos = next;
    }
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
      if (c != '\r' && c != '\n') out.push_back(c);
    }
    size_t start = out.find_first_not_of(" \t");
    return start == std::string::npos ? std::string() : out.substr(start);
  }
  return std::nullopt;
}

namespace {

// The sent date as Dovecot's mail_get_date stores it (32 bits), else the internal date.
int64_t SortDate(const SortMessage& m) {
  auto date = FirstHeader(m.header, "Date");
  int64_t t = date ? SentTime(*date) : 0;
  return t != 0 ? t : m.internal_date;
}

std::string AddressKey(const SortMessage& m, SortKeyKind kind) {
  const char* field = kind == SortKeyKind::kCc                                       ? "Cc"
                      : kind == SortKeyKind::kFrom || kind == SortKeyKind::kDisplayFrom ? "From"
                                                                                     : "To";
  auto value = FirstHeader(m.header, field);
  if (!value) return "";
  auto addr = mime::FirstAddress(*value);
  if (!addr) return "";
  std::string out;
  if (kind == SortKeyKind::kDisplayFrom || kind == SortKeyKind::kDisplayTo) {
    if (addr->name) out = mime::DecodeRfc2047(*addr->name);
    if (out.empty()) {
      if (addr->mailbox && addr->domain) {
        out = absl::StrCat(*addr->mailbox, "@", *addr->domain);
      } else if (addr->mailbox) {
        out = *addr->mailbox;
      }
    }
  } else if (addr->mailbox) {
    out = *addr->mailbox;
  }
  return DecomposedTitlecase(out);
}

}  // namespace

std::string DecomposedTitlecase(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  size_t i = 0;
  while (i < utf8.size()) {
    uint32_t cp = 0;
    if (!NextUtf8(utf8, &i, &cp)) {
      // One replacement character for a run of invalid bytes, as Dovecot writes it.
      if (out.size() < 3 || out.compare(out.size() - 3, 3, "\xEF\xBF\xBD") != 0) {
        out += "\xEF\xBF\xBD";
      }
      continue;
    }
    AppendDecomposed(Titlecase(cp), &out);
  }
  return out;
}

std::string BaseSubject(std::string_view decoded_subject, bool* reply_or_forward) {
  bool reply = false;
  std::string t = DecomposedTitlecase(decoded_subject);
  // (1) tabs and line breaks become spaces; runs of blanks become one space.
  std::string s;
  s.reserve(t.size());
  bool last_lwsp = false;
  for (char c : t) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!last_lwsp) s.push_back(' ');
      last_lwsp = true;
    } else {
      s.push_back(c);
      last_lwsp = false;
    }
  }
  size_t start = 0;
  do {
    RemoveTrailers(&s, start, &reply);  // (2)
    bool found;
    do {
      found = RemoveLeader(s, &start, &reply);             // (3)
      found = RemoveBlobWhenNonEmpty(s, &start) || found;  // (4)
    } while (found);                                       // (5)
  } while (RemoveFwdHeader(&s, &start, &reply));           // (6)
  if (reply_or_forward != nullptr) *reply_or_forward = reply;
  return start >= s.size() ? std::string() : s.substr(start);
}

int64_t SentTime(std::string_view date_value) {
  int64_t t = 0;
  if (!ParseDate(date_value, &t)) return 0;
  // Dovecot keeps the sent date in 32 unsigned bits.
  return static_cast<int64_t>(static_cast<uint32_t>(t));
}

std::optional<std::string> NextMessageId(std::string_view* s) {
  std::string slow;  // reused without truncation across attempts, as Dovecot does
  size_t p = 0;
  std::string_view in = *s;
  for (;;) {
    while (p < in.size() && in[p] != '<') ++p;
    if (p >= in.size()) {
      *s = in.substr(in.size());
      return std::nullopt;
    }
    ++p;
    size_t q = p;
    bool found_at = false;
    for (;; ++q) {
      if (q >= in.size()) {
        *s = in.substr(in.size());
        return std::nullopt;
      }
      unsigned char c = static_cast<unsigned char>(in[q]);
      if (c >= 'A') continue;
      if (c == '@') found_at = true;
      if (c == '>' || c == '"' || c == '(' || c == '[') break;
      if (c == '\0') {
        *s = in.substr(in.size());
        return std::nullopt;
      }
    }
    if (in[q] == '>') {
      *s = in.substr(q + 1);
      if (found_at) {
        std::string id;
        for (char c : in.substr(p, q - p)) {
          if (c != ' ' && c != '\t' && c != '\r' && c != '\n') id.push_back(c);
        }
        return id;
      }
      in = *s;
      p = 0;
      continue;
    }
    // The slow way: [CFWS] (quoted-string / dot-atom) "@" dot-atom ">".
    size_t i = p;
    bool ok = SkipLwsp(in, &i);
    if (ok) {
      int r = i < in.size() && in[i] == '"' ? ParseQuotedString(in, &i, &slow)
                                            : ParseDotAtom(in, &i, &slow);
      ok = r > 0 && i < in.size() && in[i] == '@';
    }
    if (ok) {
      slow.push_back('@');
      ++i;
      ok = SkipLwsp(in, &i) && ParseDotAtom(in, &i, &slow) > 0 && i < in.size() && in[i] == '>';
    }
    if (ok) {
      *s = in.substr(i + 1);
      return slow;
    }
    // Invalid: look for another one after this '<'.
  }
}

std::vector<uint32_t> SortMessages(const std::vector<SortMessage>& messages,
                                   const std::vector<SortCriterion>& criteria) {
  size_t n = messages.size();
  size_t k = criteria.size();
  // keys[c][m]: numbers for dates and sizes, strings for the rest.
  std::vector<std::vector<int64_t>> nums(k);
  std::vector<std::vector<std::string>> strs(k);
  for (size_t c = 0; c < k; ++c) {
    SortKeyKind kind = criteria[c].key;
    for (const SortMessage& m : messages) {
      switch (kind) {
        case SortKeyKind::kArrival: nums[c].push_back(m.internal_date); break;
        case SortKeyKind::kDate: nums[c].push_back(SortDate(m)); break;
        case SortKeyKind::kSize: nums[c].push_back(static_cast<int64_t>(m.size)); break;
        case SortKeyKind::kSubject: {
          auto subject = FirstHeader(m.header, "Subject");
          strs[c].push_back(subject ? BaseSubject(mime::DecodeRfc2047(*subject)) : std::string());
          break;
        }
        default: strs[c].push_back(AddressKey(m, kind)); break;
      }
    }
  }
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    for (size_t c = 0; c < k; ++c) {
      int r;
      if (!nums[c].empty()) {
        r = nums[c][a] < nums[c][b] ? -1 : nums[c][a] > nums[c][b] ? 1 : 0;
      } else {
        int x = strs[c][a].compare(strs[c][b]);
        r = x < 0 ? -1 : x > 0 ? 1 : 0;
      }
      if (r != 0) return criteria[c].reverse ? r > 0 : r < 0;
    }
    return messages[a].uid < messages[b].uid;
  });
  std::vector<uint32_t> out;
  out.reserve(n);
  for (size_t i : order) out.push_back(messages[i].uid);
  return out;
}

absl::StatusOr<std::vector<SortMessage>> LoadSortMessages(Store& store, uint64_t account,
                                                          uint64_t mailbox, const SearchKey& key) {
  ASSIGN_OR_RETURN(std::vector<uint32_t> uids, store.Search(account, mailbox, key));
  std::vector<SortMessage> out;
  out.reserve(uids.size());
  for (size_t begin = 0; begin < uids.size(); begin += kFetchBatch) {
    size_t end = std::min(uids.size(), begin + kFetchBatch);
    ASSIGN_OR_RETURN(auto fetched,
                     store.Fetch(account, mailbox,
                                 absl::MakeConstSpan(uids.data() + begin, end - begin),
                                 /*want_structure=*/false, /*want_content=*/true));
    for (auto& f : fetched) {
      if (f.missing || f.expunged) continue;
      SortMessage m;
      m.uid = f.uid;
      m.internal_date = f.internal_date;
      m.size = f.size;
      m.header = std::string(HeaderOf(f.content));
      out.push_back(std::move(m));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const SortMessage& a, const SortMessage& b) { return a.uid < b.uid; });
  return out;
}

absl::StatusOr<std::vector<uint32_t>> SortMailbox(Store& store, uint64_t account,
                                                  uint64_t mailbox, const SearchKey& key,
                                                  const std::vector<SortCriterion>& criteria) {
  if (criteria.empty()) return absl::InvalidArgumentError("SORT needs a sort key");
  ASSIGN_OR_RETURN(auto messages, LoadSortMessages(store, account, mailbox, key));
  return SortMessages(messages, criteria);
}

}  // namespace hadron::store
