// IMAP command parser (RFC 3501 / RFC 9051 grammar and extensions): wire form -> typed Command.
// Recursive descent over one complete command; literals appear inline as "{n}\r\n<bytes>".
#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "frontend/protocol/reader.h"

namespace hadron::imap {
namespace {

using absl::Status;
using absl::StatusOr;

Status Bad(std::string_view msg) { return absl::InvalidArgumentError(std::string(msg)); }

#define PARSE_RETURN_IF_ERROR(expr)        \
  do {                                     \
    ::absl::Status parse_status_ = (expr); \
    if (!parse_status_.ok()) return parse_status_; \
  } while (0)

#define PARSE_CONCAT_INNER_(a, b) a##b
#define PARSE_CONCAT_(a, b) PARSE_CONCAT_INNER_(a, b)
#define PARSE_ASSIGN_OR_RETURN(lhs, expr) \
  PARSE_ASSIGN_IMPL_(PARSE_CONCAT_(parse_or_, __LINE__), lhs, expr)
#define PARSE_ASSIGN_IMPL_(var, lhs, expr)       \
  auto var = (expr);                             \
  if (!var.ok()) return std::move(var).status(); \
  lhs = std::move(var).value()

char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Upper(c);
  return out;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Upper(a[i]) != Upper(b[i])) return false;
  }
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// ATOM-CHAR: CHAR except atom-specials ( ) { SP CTL % * " \ ]. 8-bit bytes are let through
// (UTF-8 mailbox names from RFC 9051 clients), as Dovecot does.
bool IsAtomChar(char ch) {
  auto c = static_cast<unsigned char>(ch);
  if (c <= 0x20 || c == 0x7f) return false;
  return std::strchr("(){%*\"\\]", ch) == nullptr;
}
bool IsAstringChar(char c) { return IsAtomChar(c) || c == ']'; }
bool IsListChar(char c) { return IsAtomChar(c) || c == '%' || c == '*' || c == ']'; }
bool IsTagChar(char c) { return IsAstringChar(c) && c != '+'; }
bool IsSeqChar(char c) { return IsDigit(c) || c == ':' || c == ',' || c == '*' || c == '$'; }

constexpr size_t kMaxIdParams = 30;
constexpr size_t kMaxSortCriteria = 20;  // nine keys; repeats are legal but pointless

class Parser {
 public:
  Parser(std::string_view s, size_t max_nesting) : s_(s), max_nesting_(max_nesting) {}

  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  bool PeekIs(char c) const { return !AtEnd() && s_[pos_] == c; }

  Status Sp() {
    if (AtEnd()) return Bad("Missing argument");
    if (s_[pos_] != ' ') return Bad("Expected space");
    ++pos_;
    return absl::OkStatus();
  }
  bool TrySp() {
    if (PeekIs(' ')) {
      ++pos_;
      return true;
    }
    return false;
  }
  Status Expect(char c, std::string_view what) {
    if (AtEnd()) return Bad("Missing argument");
    if (s_[pos_] != c) return Bad(what);
    ++pos_;
    return absl::OkStatus();
  }
  Status End() {
    if (!AtEnd()) return Bad("Unexpected argument");
    return absl::OkStatus();
  }

  // A run of characters accepted by `pred`; empty if none.
  template <typename Pred>
  std::string_view Span(Pred pred) {
    size_t start = pos_;
    while (!AtEnd() && pred(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  StatusOr<std::string> Atom() {
    if (AtEnd()) return Bad("Missing argument");
    std::string_view a = Span(IsAtomChar);
    if (a.empty()) return Bad("Expected atom");
    return std::string(a);
  }

  StatusOr<std::string> Quoted() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (AtEnd()) return Bad("Unterminated quoted string");
      char c = s_[pos_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (AtEnd()) return Bad("Unterminated quoted string");
        c = s_[pos_++];
        if (c != '"' && c != '\\') return Bad("Invalid escape in quoted string");
      } else if (c == '\r' || c == '\n' || c == '\0') {
        return Bad("Invalid character in quoted string");
      }
      out += c;
    }
  }

  bool AtLiteral() const {
    return PeekIs('{') || (PeekIs('~') && pos_ + 1 < s_.size() && s_[pos_ + 1] == '{');
  }

  // literal = "{" number ["+"] "}" CRLF *CHAR8; literal8 = "~{" ...
  StatusOr<std::string> Literal(bool* literal8 = nullptr) {
    bool is8 = PeekIs('~');
    if (is8) ++pos_;
    if (literal8 != nullptr) *literal8 = is8;
    ++pos_;  // '{'
    std::string_view digits = Span(IsDigit);
    if (digits.empty() || digits.size() > 12) return Bad("Invalid literal");
    uint64_t n = 0;
    for (char c : digits) n = n * 10 + static_cast<uint64_t>(c - '0');
    if (PeekIs('+')) ++pos_;
    if (!PeekIs('}')) return Bad("Invalid literal");
    ++pos_;
    if (PeekIs('\r')) ++pos_;
    if (!PeekIs('\n')) return Bad("Invalid literal");
    ++pos_;
    if (n > s_.size() - pos_) return Bad("Truncated literal");
    std::string out(s_.substr(pos_, n));
    pos_ += n;
    return out;
  }

  StatusOr<std::string> String() {
    if (AtEnd()) return Bad("Missing argument");
    if (PeekIs('"')) return Quoted();
    if (AtLiteral()) return Literal();
    return Bad("Expected string");
  }

  StatusOr<std::string> AString() {
    if (AtEnd()) return Bad("Missing argument");
    if (PeekIs('"') || AtLiteral()) return String();
    std::string_view a = Span(IsAstringChar);
    if (a.empty()) return Bad("Expected string");
    return std::string(a);
  }

  StatusOr<std::optional<std::string>> NString() {
    if (AtEnd()) return Bad("Missing argument");
    if (PeekIs('"') || AtLiteral()) {
      PARSE_ASSIGN_OR_RETURN(std::string s, String());
      return std::optional<std::string>(std::move(s));
    }
    std::string_view a = Span(IsAtomChar);
    if (!EqualsNoCase(a, "NIL")) return Bad("Expected string or NIL");
    return std::optional<std::string>();
  }

  StatusOr<std::string> Mailbox() {
    PARSE_ASSIGN_OR_RETURN(std::string m, AString());
    if (EqualsNoCase(m, "INBOX")) m = "INBOX";
    return m;
  }

  StatusOr<std::string> ListMailbox() {
    if (AtEnd()) return Bad("Missing argument");
    if (PeekIs('"') || AtLiteral()) return String();
    std::string_view a = Span(IsListChar);
    if (a.empty()) return Bad("Expected mailbox pattern");
    return std::string(a);
  }

  StatusOr<uint64_t> Number(uint64_t max) {
    if (AtEnd()) return Bad("Missing argument");
    std::string_view d = Span(IsDigit);
    if (d.empty()) return Bad("Expected number");
    uint64_t v = 0;
    for (char c : d) {
      v = v * 10 + static_cast<uint64_t>(c - '0');
      if (v > max) return Bad("Number too large");
    }
    return v;
  }

  StatusOr<SequenceSet> SeqSet() {
    if (AtEnd()) return Bad("Missing argument");
    std::string_view t = Span(IsSeqChar);
    if (!AtEnd() && IsAstringChar(Peek())) return Bad("Invalid sequence set");
    auto set = ParseSequenceSet(t);
    if (!set.ok()) return Bad(std::string(set.status().message()));
    return set;
  }

  // flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / keyword.
  StatusOr<std::string> Flag() {
    if (AtEnd()) return Bad("Missing argument");
    if (PeekIs('\\')) {
      ++pos_;
      std::string_view a = Span(IsAtomChar);
      for (const char* f : {"Answered", "Flagged", "Deleted", "Seen", "Draft"}) {
        if (EqualsNoCase(a, f)) return absl::StrCat("\\", f);
      }
      return Bad(absl::StrCat("Invalid system flag \\", std::string(a)));
    }
    std::string_view a = Span(IsAtomChar);
    if (a.empty()) return Bad("Invalid flag");
    return std::string(a);
  }

  StatusOr<std::vector<std::string>> FlagList() {
    PARSE_RETURN_IF_ERROR(Expect('(', "Expected flag list"));
    std::vector<std::string> flags;
    if (PeekIs(')')) {
      ++pos_;
      return flags;
    }
    while (true) {
      PARSE_ASSIGN_OR_RETURN(std::string f, Flag());
      flags.push_back(std::move(f));
      if (PeekIs(')')) {
        ++pos_;
        return flags;
      }
      PARSE_RETURN_IF_ERROR(Sp());
    }
  }

  // "(" atom *(SP atom) ")" uppercased; empty list allowed when `allow_empty`.
  StatusOr<std::vector<std::string>> AtomList(bool allow_empty) {
    PARSE_RETURN_IF_ERROR(Expect('(', "Expected list"));
    std::vector<std::string> out;
    if (PeekIs(')')) {
      if (!allow_empty) return Bad("Empty list");
      ++pos_;
      return out;
    }
    while (true) {
      PARSE_ASSIGN_OR_RETURN(std::string a, Atom());
      out.push_back(ToUpper(a));
      if (PeekIs(')')) {
        ++pos_;
        return out;
      }
      PARSE_RETURN_IF_ERROR(Sp());
    }
  }

  // A generic parameter value: atom, number, string or parenthesized list (skipped).
  Status SkipValue(size_t depth) {
    if (depth > max_nesting_) return Bad("Too deep nesting");
    if (AtEnd()) return Bad("Missing argument");
    if (PeekIs('(')) {
      ++pos_;
      if (PeekIs(')')) {
        ++pos_;
        return absl::OkStatus();
      }
      while (true) {
        PARSE_RETURN_IF_ERROR(SkipValue(depth + 1));
        if (PeekIs(')')) {
          ++pos_;
          return absl::OkStatus();
        }
        PARSE_RETURN_IF_ERROR(Sp());
      }
    }
    if (PeekIs('"') || AtLiteral()) return String().status();
    std::string_view a = Span([](char c) { return IsAstringChar(c) || c == '\\'; });
    if (a.empty()) return Bad("Invalid parameter");
    return absl::OkStatus();
  }

  // "(" name [SP value] *(SP name [SP value]) ")" as in SELECT/CREATE parameters; names
  // uppercased.
  StatusOr<std::vector<std::string>> Params() {
    PARSE_RETURN_IF_ERROR(Expect('(', "Expected parameter list"));
    std::vector<std::string> names;
    if (PeekIs(')')) {
      ++pos_;
      return names;
    }
    while (true) {
      PARSE_ASSIGN_OR_RETURN(std::string name, Atom());
      names.push_back(ToUpper(name));
      if (PeekIs(' ') && pos_ + 1 < s_.size() &&
          (s_[pos_ + 1] == '(' || IsDigit(s_[pos_ + 1]))) {
        ++pos_;
        PARSE_RETURN_IF_ERROR(SkipValue(1));
      }
      if (PeekIs(')')) {
        ++pos_;
        return names;
      }
      PARSE_RETURN_IF_ERROR(Sp());
    }
  }

  StatusOr<absl::CivilDay> Date() {
    if (AtEnd()) return Bad("Missing argument");
    std::string text;
    if (PeekIs('"')) {
      PARSE_ASSIGN_OR_RETURN(text, Quoted());
    } else {
      PARSE_ASSIGN_OR_RETURN(text, Atom());
    }
    auto d = ParseDate(text);
    if (!d.ok()) return Bad("Invalid date");
    return *d;
  }

  // ---- FETCH ----

  StatusOr<FetchAtt> FetchAttribute() {
    if (AtEnd()) return Bad("Missing argument");
    std::string name = ToUpper(Span([](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c) || c == '.';
    }));
    FetchAtt att;
    using K = FetchAtt::Kind;
    static constexpr std::pair<const char*, K> kSimple[] = {
        {"ENVELOPE", K::kEnvelope},         {"FLAGS", K::kFlags},
        {"INTERNALDATE", K::kInternalDate}, {"RFC822", K::kRfc822},
        {"RFC822.HEADER", K::kRfc822Header}, {"RFC822.SIZE", K::kRfc822Size},
        {"RFC822.TEXT", K::kRfc822Text},    {"BODYSTRUCTURE", K::kBodyStructure},
        {"UID", K::kUid},                   {"MODSEQ", K::kModSeq},
        {"SAVEDATE", K::kSaveDate},
        {"EMAILID", K::kEmailId},           {"THREADID", K::kThreadId},
    };
    for (const auto& [n, k] : kSimple) {
      if (name == n) {
        att.kind = k;
        return att;
      }
    }
    if (name == "PREVIEW") {
      att.kind = K::kPreview;
      PARSE_RETURN_IF_ERROR(PreviewModifiers(att));
      return att;
    }
    if (name == "BODY" && !PeekIs('[')) {
      att.kind = K::kBody;
      return att;
    }
    if (name == "BODY" || name == "BODY.PEEK") {
      att.kind = K::kBodySection;
      att.peek = name == "BODY.PEEK";
      PARSE_RETURN_IF_ERROR(Expect('[', "Expected section"));
      PARSE_RETURN_IF_ERROR(Section(att));
      PARSE_RETURN_IF_ERROR(Partial(att));
      return att;
    }
    if (name == "BINARY" || name == "BINARY.PEEK" || name == "BINARY.SIZE") {
      att.kind = name == "BINARY.SIZE" ? K::kBinarySize : K::kBinary;
      att.peek = name == "BINARY.PEEK";
      PARSE_RETURN_IF_ERROR(Expect('[', "Expected section"));
      if (!PeekIs(']')) PARSE_RETURN_IF_ERROR(PartPath(att, /*allow_text=*/false));
      PARSE_RETURN_IF_ERROR(Expect(']', "Invalid section"));
      if (att.kind == K::kBinary) PARSE_RETURN_IF_ERROR(Partial(att));
      return att;
    }
    if (name.empty()) return Bad("Invalid FETCH attribute");
    return Bad(absl::StrCat("Unknown FETCH attribute ", name));
  }

  // RFC 8970: [SP "(" preview-mod *(SP preview-mod) ")"], preview-mod = "LAZY". A following
  // "(CHANGEDSINCE ..." / "(VANISHED" list belongs to FETCH, not to PREVIEW.
  Status PreviewModifiers(FetchAtt& att) {
    if (pos_ + 1 >= s_.size() || s_[pos_] != ' ' || s_[pos_ + 1] != '(') return absl::OkStatus();
    size_t save = pos_;
    pos_ += 2;
    std::string first = ToUpper(Span(IsAtomChar));
    if (first == "CHANGEDSINCE" || first == "VANISHED") {
      pos_ = save;
      return absl::OkStatus();
    }
    pos_ = save + 2;
    while (true) {
      std::string mod = ToUpper(Span(IsAtomChar));
      if (mod.empty()) return Bad("Invalid PREVIEW modifier");
      if (mod != "LAZY") {
        return Bad(absl::StrCat("'", mod, "' is not a supported PREVIEW modifier"));
      }
      att.lazy = true;
      if (PeekIs(')')) {
        ++pos_;
        return absl::OkStatus();
      }
      PARSE_RETURN_IF_ERROR(Sp());
    }
  }

  // section-part = nz-number *("." nz-number). Stops before ".TEXT" etc. when allow_text.
  Status PartPath(FetchAtt& att, bool allow_text) {
    while (true) {
      if (!IsDigit(Peek()) || Peek() == '0') return Bad("Invalid section");
      PARSE_ASSIGN_OR_RETURN(uint64_t n, Number(0xffffffffULL));
      att.part.push_back(static_cast<uint32_t>(n));
      if (att.part.size() > 64) return Bad("Invalid section");
      if (!PeekIs('.')) return absl::OkStatus();
      if (pos_ + 1 < s_.size() && IsDigit(s_[pos_ + 1])) {
        ++pos_;
        continue;
      }
      if (!allow_text) return Bad("Invalid section");
      return absl::OkStatus();  // the caller reads "." section-text
    }
  }

  // After "[": section-spec "]".
  Status Section(FetchAtt& att) {
    using S = FetchAtt::Section;
    if (PeekIs(']')) {
      ++pos_;
      return absl::OkStatus();
    }
    if (IsDigit(Peek())) {
      PARSE_RETURN_IF_ERROR(PartPath(att, /*allow_text=*/true));
      if (PeekIs(']')) {
        ++pos_;
        return absl::OkStatus();
      }
      PARSE_RETURN_IF_ERROR(Expect('.', "Invalid section"));
    }
    std::string text = ToUpper(Span([](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.';
    }));
    if (text == "HEADER") {
      att.section = S::kHeader;
    } else if (text == "TEXT") {
      att.section = S::kText;
    } else if (text == "MIME" && !att.part.empty()) {
      att.section = S::kMime;
    } else if (text == "HEADER.FIELDS" || text == "HEADER.FIELDS.NOT") {
      att.section = text == "HEADER.FIELDS" ? S::kHeaderFields : S::kHeaderFieldsNot;
      PARSE_RETURN_IF_ERROR(Sp());
      PARSE_RETURN_IF_ERROR(Expect('(', "Expected header field list"));
      while (true) {
        PARSE_ASSIGN_OR_RETURN(std::string f, AString());
        if (f.empty()) return Bad("Invalid header field name");
        for (char c : f) {
          if (!IsAtomChar(c) || c == ':' || static_cast<unsigned char>(c) >= 0x80) {
            return Bad("Invalid header field name");
          }
        }
        att.fields.push_back(ToUpper(f));
        if (PeekIs(')')) {
          ++pos_;
          break;
        }
        PARSE_RETURN_IF_ERROR(Sp());
      }
    } else {
      return Bad("Invalid section");
    }
    return Expect(']', "Invalid section");
  }

  // partial = "<" number "." nz-number ">"
  Status Partial(FetchAtt& att) {
    if (!PeekIs('<')) return absl::OkStatus();
    ++pos_;
    PARSE_ASSIGN_OR_RETURN(uint64_t off, Number(0xffffffffULL));
    PARSE_RETURN_IF_ERROR(Expect('.', "Invalid partial"));
    PARSE_ASSIGN_OR_RETURN(uint64_t len, Number(0xffffffffULL));
    if (len == 0) return Bad("Invalid partial");
    PARSE_RETURN_IF_ERROR(Expect('>', "Invalid partial"));
    att.partial_offset = static_cast<uint32_t>(off);
    att.partial_length = static_cast<uint32_t>(len);
    return absl::OkStatus();
  }

  // ---- SEARCH ----

  StatusOr<SearchKey> Key(size_t depth) {
    if (depth > max_nesting_) return Bad("Too deep nesting");
    if (AtEnd()) return Bad("Missing argument");
    SearchKey key;
    using K = SearchKey::Kind;
    if (PeekIs('(')) {
      ++pos_;
      key.kind = K::kAnd;
      while (true) {
        PARSE_ASSIGN_OR_RETURN(SearchKey child, Key(depth + 1));
        key.children.push_back(std::move(child));
        if (PeekIs(')')) {
          ++pos_;
          return key;
        }
        PARSE_RETURN_IF_ERROR(Sp());
      }
    }
    if (IsDigit(Peek()) || PeekIs('*') || PeekIs('$')) {
      key.kind = K::kSeqSet;
      PARSE_ASSIGN_OR_RETURN(key.set, SeqSet());
      return key;
    }
    std::string name = ToUpper(Span(IsAtomChar));
    if (name.empty()) return Bad("Invalid search key");
    enum class Arg {
      kNone, kString, kDate, kNumber, kKeyword, kHeader, kUidSet, kNot, kOr, kModSeq, kInterval,
      kObjectId
    };
    struct Entry {
      const char* name;
      K kind;
      Arg arg;
    };
    static constexpr Entry kKeys[] = {
        {"ALL", K::kAll, Arg::kNone},
        {"ANSWERED", K::kAnswered, Arg::kNone},
        {"DELETED", K::kDeleted, Arg::kNone},
        {"DRAFT", K::kDraft, Arg::kNone},
        {"FLAGGED", K::kFlagged, Arg::kNone},
        {"SEEN", K::kSeen, Arg::kNone},
        {"UNANSWERED", K::kUnanswered, Arg::kNone},
        {"UNDELETED", K::kUndeleted, Arg::kNone},
        {"UNDRAFT", K::kUndraft, Arg::kNone},
        {"UNFLAGGED", K::kUnflagged, Arg::kNone},
        {"UNSEEN", K::kUnseen, Arg::kNone},
        {"NEW", K::kNew, Arg::kNone},
        {"OLD", K::kOld, Arg::kNone},
        {"RECENT", K::kRecent, Arg::kNone},
        {"KEYWORD", K::kKeyword, Arg::kKeyword},
        {"UNKEYWORD", K::kUnkeyword, Arg::kKeyword},
        {"BEFORE", K::kBefore, Arg::kDate},
        {"ON", K::kOn, Arg::kDate},
        {"SINCE", K::kSince, Arg::kDate},
        {"SENTBEFORE", K::kSentBefore, Arg::kDate},
        {"SENTON", K::kSentOn, Arg::kDate},
        {"SENTSINCE", K::kSentSince, Arg::kDate},
        {"LARGER", K::kLarger, Arg::kNumber},
        {"SMALLER", K::kSmaller, Arg::kNumber},
        {"HEADER", K::kHeader, Arg::kHeader},
        {"BODY", K::kBody, Arg::kString},
        {"TEXT", K::kText, Arg::kString},
        {"FROM", K::kFrom, Arg::kString},
        {"TO", K::kTo, Arg::kString},
        {"CC", K::kCc, Arg::kString},
        {"BCC", K::kBcc, Arg::kString},
        {"SUBJECT", K::kSubject, Arg::kString},
        {"UID", K::kUidSet, Arg::kUidSet},
        {"NOT", K::kNot, Arg::kNot},
        {"OR", K::kOr, Arg::kOr},
        {"MODSEQ", K::kModSeq, Arg::kModSeq},
        {"OLDER", K::kOlder, Arg::kInterval},
        {"YOUNGER", K::kYounger, Arg::kInterval},
        {"SAVEDBEFORE", K::kSavedBefore, Arg::kDate},
        {"SAVEDON", K::kSavedOn, Arg::kDate},
        {"SAVEDSINCE", K::kSavedSince, Arg::kDate},
        {"SAVEDATESUPPORTED", K::kSaveDateSupported, Arg::kNone},
        {"EMAILID", K::kEmailId, Arg::kObjectId},
        {"THREADID", K::kThreadId, Arg::kObjectId},
    };
    const Entry* e = nullptr;
    for (const Entry& k : kKeys) {
      if (name == k.name) e = &k;
    }
    if (e == nullptr) return Bad(absl::StrCat("Unknown search key ", name));
    key.kind = e->kind;
    switch (e->arg) {
      case Arg::kNone: {
        break;
      }
      case Arg::kString: {
        PARSE_RETURN_IF_ERROR(Sp());
        PARSE_ASSIGN_OR_RETURN(key.value, AString());
        break;
      }
      case Arg::kDate: {
        PARSE_RETURN_IF_ERROR(Sp());
        PARSE_ASSIGN_OR_RETURN(key.date, Date());
        break;
      }
      case Arg::kNumber: {
        PARSE_RETURN_IF_ERROR(Sp());
        PARSE_ASSIGN_OR_RETURN(key.number, Number(0x7fffffffffffffffULL));
        break;
      }
      case Arg::kKeyword: {
        PARSE_RETURN_IF_ERROR(Sp());
        PARSE_ASSIGN_OR_RETURN(key.value, Atom());
        break;
      }
      case Arg::kHeader: {
        PARSE_RETURN_IF_ERROR(Sp());
        PARSE_ASSIGN_OR_RETURN(key.header, AString());
        PARSE_RETURN_IF_ERROR(Sp());
        PARSE_ASSIGN_OR_RETURN(key.value, AString());
        break;
      }
      case Arg::kUidSet: {
        PARSE_RETURN_IF_ERROR(Sp());
        PARSE_ASSIGN_OR_RETURN(key.set, SeqSet());
        break;
      }
      case Arg::kNot: {
        PARSE_RETURN_IF_ERROR(Sp());
        PARSE_ASSIGN_OR_RETURN(SearchKey child, Key(depth + 1));
        key.children.push_back(std::move(child));
        break;
      }
      case Arg::kOr: {
        PARSE_RETURN_IF_ERROR(Sp());
        PARSE_ASSIGN_OR_RETURN(SearchKey a, Key(depth + 1));
        PARSE_RETURN_IF_ERROR(Sp());
        PARSE_ASSIGN_OR_RETURN(SearchKey b, Key(depth + 1));
        key.children.push_back(std::move(a));
        key.children.push_back(std::move(b));
        break;
      }
      case Arg::kInterval: {
        // OLDER/YOUNGER SP nz-number (RFC 5032); 0 is BAD, as Dovecot answers.
        PARSE_RETURN_IF_ERROR(Sp());
        PARSE_ASSIGN_OR_RETURN(key.number, Number(0xffffffffULL));
        if (key.number == 0) return Bad("Invalid search interval parameter");
        break;
      }
      case Arg::kModSeq: {
        // MODSEQ [SP entry-name SP entry-type-req] SP mod-sequence-valzer (RFC 7162)
        PARSE_RETURN_IF_ERROR(Sp());
        if (PeekIs('"')) {
          PARSE_RETURN_IF_ERROR(Quoted().status());
          PARSE_RETURN_IF_ERROR(Sp());
          std::string type = ToUpper(Span(IsAtomChar));
          if (type != "PRIV" && type != "SHARED" && type != "ALL") {
            return Bad("Invalid MODSEQ entry type");
          }
          PARSE_RETURN_IF_ERROR(Sp());
        }
        PARSE_ASSIGN_OR_RETURN(key.number, Number(0x7fffffffffffffffULL));
        break;
      }
      case Arg::kObjectId: {
        // objectid = 1*255(ALPHA / DIGIT / "_" / "-") (RFC 8474 7)
        PARSE_RETURN_IF_ERROR(Sp());
        std::string_view id = Span([](char c) {
          return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c) || c == '_' ||
                 c == '-';
        });
        if (id.empty() || id.size() > 255) return Bad("Invalid object id");
        key.value = std::string(id);
        break;
      }
    }
    return key;
  }

  size_t pos() const { return pos_; }

  std::string_view s_;
  size_t pos_ = 0;
  size_t max_nesting_;
};

// ---- one parse function per verb; `p` is just after the verb ----

using ParseFn = Status (*)(Parser& p, Command& cmd);

Status ParseNoArgs(Parser& p, Command& cmd) {
  cmd.args = NoArgs{};
  return p.End();
}

Status ParseExpunge(Parser& p, Command& cmd) {
  ExpungeArgs args;
  if (cmd.uid) {
    PARSE_RETURN_IF_ERROR(p.Sp());
    PARSE_ASSIGN_OR_RETURN(args.uids, p.SeqSet());
  }
  cmd.args = std::move(args);
  return p.End();
}

Status ParseLogin(Parser& p, Command& cmd) {
  LoginArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.user, p.AString());
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.password, p.AString());
  cmd.args = std::move(args);
  return p.End();
}

// COMPRESS mechanism (RFC 4978); the mechanism travels in AuthenticateArgs, uppercased.
Status ParseCompress(Parser& p, Command& cmd) {
  AuthenticateArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(std::string mech, p.Atom());
  args.mechanism = ToUpper(mech);
  cmd.args = std::move(args);
  return p.End();
}

Status ParseAuthenticate(Parser& p, Command& cmd) {
  AuthenticateArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(std::string mech, p.Atom());
  args.mechanism = ToUpper(mech);
  if (p.TrySp()) {
    std::string_view ir = p.Span([](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c) || c == '+' ||
             c == '/' || c == '=';
    });
    if (ir.empty()) return Bad("Invalid initial response");
    if (!p.AtEnd()) return Bad("Invalid initial response");
    args.initial_response = std::string(ir);
  }
  cmd.args = std::move(args);
  return p.End();
}

// SELECT/EXAMINE parameters: (CONDSTORE) and (QRESYNC (uidvalidity modseq [known-uids
// [(seq-set uid-set)]])) (RFC 7162 3.2.5). Unknown parameters are an error, as in Dovecot.
Status ParseSelectParams(Parser& p, MailboxArgs& args) {
  PARSE_RETURN_IF_ERROR(p.Expect('(', "Expected parameter list"));
  while (!p.PeekIs(')')) {
    PARSE_ASSIGN_OR_RETURN(std::string name, p.Atom());
    name = ToUpper(name);
    if (name == "CONDSTORE") {
      args.condstore = true;
    } else if (name == "QRESYNC") {
      QresyncParams q;
      PARSE_RETURN_IF_ERROR(p.Sp());
      PARSE_RETURN_IF_ERROR(p.Expect('(', "Expected QRESYNC parameters"));
      PARSE_ASSIGN_OR_RETURN(uint64_t uv, p.Number(0xffffffffULL));
      if (uv == 0) return Bad("Invalid QRESYNC parameters");
      q.uid_validity = static_cast<uint32_t>(uv);
      PARSE_RETURN_IF_ERROR(p.Sp());
      PARSE_ASSIGN_OR_RETURN(q.modseq, p.Number(0x7fffffffffffffffULL));
      if (q.modseq == 0) return Bad("Invalid QRESYNC parameters");
      if (p.TrySp()) {
        if (!p.PeekIs('(')) {
          PARSE_ASSIGN_OR_RETURN(SequenceSet known, p.SeqSet());
          // known-uids: "*" is not allowed (RFC 7162 4).
          bool star = false;
          for (const SeqRange& r : known.ranges) star |= r.first == 0 || r.last == 0;
          if (known.saved || star) return Bad("Invalid QRESYNC known-uids");
          q.known_uids = std::move(known);
          if (p.TrySp()) {
            if (!p.PeekIs('(')) return Bad("Invalid QRESYNC parameters");
          }
        }
        if (p.PeekIs('(')) {
          ++p.pos_;
          PARSE_ASSIGN_OR_RETURN(SequenceSet seqs, p.SeqSet());
          PARSE_RETURN_IF_ERROR(p.Sp());
          PARSE_ASSIGN_OR_RETURN(SequenceSet uids, p.SeqSet());
          if (seqs.saved || uids.saved) return Bad("Invalid QRESYNC parameters");
          PARSE_RETURN_IF_ERROR(p.Expect(')', "Expected )"));
          q.match_seqs = std::move(seqs);
          q.match_uids = std::move(uids);
        }
      }
      PARSE_RETURN_IF_ERROR(p.Expect(')', "Expected )"));
      args.qresync = std::move(q);
    } else {
      return Bad(absl::StrCat("Unknown SELECT parameter ", name));
    }
    if (p.PeekIs(')')) break;
    PARSE_RETURN_IF_ERROR(p.Sp());
  }
  ++p.pos_;
  return absl::OkStatus();
}

// CREATE parameters (RFC 4466 create-param): USE (RFC 6154) keeps its attributes; other
// parameters parse and are ignored.
Status ParseCreateParams(Parser& p, MailboxArgs& args) {
  PARSE_RETURN_IF_ERROR(p.Expect('(', "Expected parameter list"));
  while (!p.PeekIs(')')) {
    PARSE_ASSIGN_OR_RETURN(std::string name, p.Atom());
    if (ToUpper(name) == "USE") {
      // "USE" SP "(" [use-attr *(SP use-attr)] ")"; use-attr = "\" atom
      PARSE_RETURN_IF_ERROR(p.Sp());
      PARSE_RETURN_IF_ERROR(p.Expect('(', "Expected USE list"));
      while (!p.PeekIs(')')) {
        PARSE_RETURN_IF_ERROR(p.Expect('\\', "Expected special-use attribute"));
        std::string_view attr = p.Span(IsAtomChar);
        if (attr.empty()) return Bad("Expected special-use attribute");
        args.special_use.push_back(absl::StrCat("\\", std::string(attr)));
        if (p.PeekIs(')')) break;
        PARSE_RETURN_IF_ERROR(p.Sp());
      }
      ++p.pos_;
    } else if (p.PeekIs(' ') && p.pos_ + 1 < p.s_.size() &&
               (p.s_[p.pos_ + 1] == '(' || IsDigit(p.s_[p.pos_ + 1]))) {
      ++p.pos_;
      PARSE_RETURN_IF_ERROR(p.SkipValue(1));
    }
    if (p.PeekIs(')')) break;
    PARSE_RETURN_IF_ERROR(p.Sp());
  }
  ++p.pos_;
  return absl::OkStatus();
}

Status ParseSelect(Parser& p, Command& cmd) {  // SELECT EXAMINE CREATE
  MailboxArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.mailbox, p.Mailbox());
  if (p.TrySp()) {
    if (cmd.name == "CREATE") {
      PARSE_RETURN_IF_ERROR(ParseCreateParams(p, args));
    } else {
      PARSE_RETURN_IF_ERROR(ParseSelectParams(p, args));
    }
  }
  cmd.args = std::move(args);
  return p.End();
}

Status ParseMailbox(Parser& p, Command& cmd) {  // DELETE SUBSCRIBE UNSUBSCRIBE
  MailboxArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.mailbox, p.Mailbox());
  cmd.args = std::move(args);
  return p.End();
}

Status ParseRename(Parser& p, Command& cmd) {
  RenameArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.from, p.Mailbox());
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.to, p.Mailbox());
  cmd.args = std::move(args);
  return p.End();
}

// status-att names of STATUS and LIST ... RETURN (STATUS (...)); the handler answers those it
// cannot serve.
bool IsStatusItem(std::string_view item) {
  static constexpr const char* kItems[] = {"MESSAGES", "RECENT",      "UIDNEXT",
                                           "UIDVALIDITY", "UNSEEN",   "SIZE",
                                           "HIGHESTMODSEQ", "DELETED", "APPENDLIMIT",
                                           "MAILBOXID", "DELETED-STORAGE"};
  for (const char* k : kItems) {
    if (item == k) return true;
  }
  return false;
}

// LIST (RFC 3501 6.3.8) and its extended form (RFC 5258: selection options, pattern lists,
// RETURN options; RFC 5819 RETURN (STATUS); RFC 6154 SPECIAL-USE). Unknown options are BAD
// (RFC 5258 3, as Dovecot answers).
Status ParseList(Parser& p, Command& cmd) {
  ListArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  if (p.PeekIs('(')) {
    args.extended = true;
    PARSE_ASSIGN_OR_RETURN(args.select_options, p.AtomList(/*allow_empty=*/true));
    bool recursive = false, base = false;
    for (const std::string& opt : args.select_options) {
      if (opt == "RECURSIVEMATCH") {
        recursive = true;
      } else if (opt == "SUBSCRIBED" || opt == "SPECIAL-USE") {
        base = true;
      } else if (opt != "REMOTE") {
        return Bad(absl::StrCat("Unknown LIST selection option ", opt));
      }
    }
    if (recursive && !base) return Bad("RECURSIVEMATCH needs another selection option");
    PARSE_RETURN_IF_ERROR(p.Sp());
  }
  PARSE_ASSIGN_OR_RETURN(args.reference, p.AString());
  PARSE_RETURN_IF_ERROR(p.Sp());
  if (p.PeekIs('(')) {
    args.extended = true;
    ++p.pos_;
    while (true) {
      PARSE_ASSIGN_OR_RETURN(std::string pat, p.ListMailbox());
      args.patterns.push_back(std::move(pat));
      if (p.PeekIs(')')) {
        ++p.pos_;
        break;
      }
      PARSE_RETURN_IF_ERROR(p.Sp());
    }
  } else {
    PARSE_ASSIGN_OR_RETURN(std::string pat, p.ListMailbox());
    args.patterns.push_back(std::move(pat));
  }
  args.pattern = args.patterns.front();
  if (p.TrySp()) {
    args.extended = true;
    PARSE_ASSIGN_OR_RETURN(std::string ret, p.Atom());
    if (ToUpper(ret) != "RETURN") return Bad("Expected RETURN");
    PARSE_RETURN_IF_ERROR(p.Sp());
    PARSE_RETURN_IF_ERROR(p.Expect('(', "Expected list"));
    while (!p.PeekIs(')')) {
      PARSE_ASSIGN_OR_RETURN(std::string opt, p.Atom());
      opt = ToUpper(opt);
      if (opt == "STATUS") {
        PARSE_RETURN_IF_ERROR(p.Sp());
        PARSE_ASSIGN_OR_RETURN(args.status_items, p.AtomList(/*allow_empty=*/false));
        for (const std::string& item : args.status_items) {
          if (!IsStatusItem(item)) return Bad(absl::StrCat("Invalid status item ", item));
        }
      } else if (opt != "SUBSCRIBED" && opt != "CHILDREN" && opt != "SPECIAL-USE") {
        return Bad(absl::StrCat("Unknown LIST return option ", opt));
      }
      args.return_options.push_back(std::move(opt));
      if (p.PeekIs(')')) break;
      PARSE_RETURN_IF_ERROR(p.Sp());
    }
    ++p.pos_;
  }
  cmd.args = std::move(args);
  return p.End();
}

Status ParseLsub(Parser& p, Command& cmd) {
  ListArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.reference, p.AString());
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.pattern, p.ListMailbox());
  args.patterns.push_back(args.pattern);
  cmd.args = std::move(args);
  return p.End();
}

Status ParseStatus(Parser& p, Command& cmd) {
  StatusArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.mailbox, p.Mailbox());
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.items, p.AtomList(/*allow_empty=*/false));
  for (const std::string& item : args.items) {
    if (!IsStatusItem(item)) return Bad(absl::StrCat("Invalid status item ", item));
  }
  cmd.args = std::move(args);
  return p.End();
}

// APPEND mailbox 1*(SP [flag-list SP] [date-time SP] append-data) (RFC 3502 MULTIAPPEND), where
// append-data is a literal, a literal8, or UTF8 "(" literal8 ")" (RFC 6855 section 4).
Status ParseAppend(Parser& p, Command& cmd) {
  AppendArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.mailbox, p.Mailbox());
  do {
    PARSE_RETURN_IF_ERROR(p.Sp());
    AppendMessage m;
    if (p.PeekIs('(')) {
      PARSE_ASSIGN_OR_RETURN(m.flags, p.FlagList());
      PARSE_RETURN_IF_ERROR(p.Sp());
    }
    if (p.PeekIs('"')) {
      PARSE_ASSIGN_OR_RETURN(std::string text, p.Quoted());
      auto dt = ParseDateTime(text);
      if (!dt.ok()) return Bad("Invalid date-time");
      m.date = *dt;
      PARSE_RETURN_IF_ERROR(p.Sp());
    }
    if (p.AtEnd()) return Bad("Missing message literal");
    if (p.AtLiteral()) {
      PARSE_ASSIGN_OR_RETURN(m.message, p.Literal(&m.binary));
    } else {
      std::string_view word = p.Span(IsAtomChar);
      if (!EqualsNoCase(word, "UTF8")) return Bad("Expected message literal");
      PARSE_RETURN_IF_ERROR(p.Sp());
      PARSE_RETURN_IF_ERROR(p.Expect('(', "Expected ( after UTF8"));
      if (!p.PeekIs('~') || !p.AtLiteral()) return Bad("UTF8 data must be a literal8");
      PARSE_ASSIGN_OR_RETURN(m.message, p.Literal(&m.binary));
      PARSE_RETURN_IF_ERROR(p.Expect(')', "Expected ) after UTF8 literal"));
      m.utf8 = true;
    }
    args.messages.push_back(std::move(m));
  } while (!p.AtEnd());
  cmd.args = std::move(args);
  return absl::OkStatus();
}

Status ParseFetch(Parser& p, Command& cmd) {
  FetchArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.set, p.SeqSet());
  PARSE_RETURN_IF_ERROR(p.Sp());
  using K = FetchAtt::Kind;
  auto simple = [](K k) {
    FetchAtt a;
    a.kind = k;
    return a;
  };
  if (p.PeekIs('(')) {
    ++p.pos_;
    while (true) {
      PARSE_ASSIGN_OR_RETURN(FetchAtt att, p.FetchAttribute());
      args.atts.push_back(std::move(att));
      if (p.PeekIs(')')) {
        ++p.pos_;
        break;
      }
      PARSE_RETURN_IF_ERROR(p.Sp());
    }
  } else {
    size_t save = p.pos_;
    std::string word = ToUpper(p.Span(IsAtomChar));
    if (word == "ALL" || word == "FAST" || word == "FULL") {
      args.atts = {simple(K::kFlags), simple(K::kInternalDate), simple(K::kRfc822Size)};
      if (word != "FAST") args.atts.push_back(simple(K::kEnvelope));
      if (word == "FULL") args.atts.push_back(simple(K::kBody));
    } else {
      p.pos_ = save;
      PARSE_ASSIGN_OR_RETURN(FetchAtt att, p.FetchAttribute());
      args.atts.push_back(std::move(att));
    }
  }
  if (p.TrySp()) {
    PARSE_RETURN_IF_ERROR(p.Expect('(', "Expected FETCH modifiers"));
    while (true) {
      PARSE_ASSIGN_OR_RETURN(std::string mod, p.Atom());
      mod = ToUpper(mod);
      if (mod == "CHANGEDSINCE") {
        PARSE_RETURN_IF_ERROR(p.Sp());
        PARSE_ASSIGN_OR_RETURN(args.changed_since, p.Number(0x7fffffffffffffffULL));
        if (args.changed_since == 0) return Bad("Invalid CHANGEDSINCE");
      } else if (mod == "VANISHED" && cmd.uid) {
        args.vanished = true;
      } else {
        return Bad(absl::StrCat("Unknown FETCH modifier ", mod));
      }
      if (p.PeekIs(')')) {
        ++p.pos_;
        break;
      }
      PARSE_RETURN_IF_ERROR(p.Sp());
    }
  }
  cmd.args = std::move(args);
  return p.End();
}

Status ParseStore(Parser& p, Command& cmd) {
  StoreArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.set, p.SeqSet());
  PARSE_RETURN_IF_ERROR(p.Sp());
  if (p.PeekIs('(')) {
    ++p.pos_;
    PARSE_ASSIGN_OR_RETURN(std::string mod, p.Atom());
    if (ToUpper(mod) != "UNCHANGEDSINCE") return Bad(absl::StrCat("Unknown STORE modifier ", mod));
    PARSE_RETURN_IF_ERROR(p.Sp());
    PARSE_ASSIGN_OR_RETURN(args.unchanged_since, p.Number(0x7fffffffffffffffULL));
    args.has_unchanged_since = true;
    PARSE_RETURN_IF_ERROR(p.Expect(')', "Expected )"));
    PARSE_RETURN_IF_ERROR(p.Sp());
  }
  PARSE_ASSIGN_OR_RETURN(std::string item, p.Atom());
  item = ToUpper(item);
  std::string_view it = item;
  if (!it.empty() && it[0] == '+') {
    args.op = StoreArgs::Op::kAdd;
    it.remove_prefix(1);
  } else if (!it.empty() && it[0] == '-') {
    args.op = StoreArgs::Op::kRemove;
    it.remove_prefix(1);
  }
  if (it == "FLAGS.SILENT") {
    args.silent = true;
  } else if (it != "FLAGS") {
    return Bad(absl::StrCat("Invalid STORE data item ", item));
  }
  PARSE_RETURN_IF_ERROR(p.Sp());
  if (p.PeekIs('(')) {
    PARSE_ASSIGN_OR_RETURN(args.flags, p.FlagList());
  } else {
    while (true) {
      PARSE_ASSIGN_OR_RETURN(std::string f, p.Flag());
      args.flags.push_back(std::move(f));
      if (!p.TrySp()) break;
    }
  }
  cmd.args = std::move(args);
  return p.End();
}

Status ParseCopy(Parser& p, Command& cmd) {  // COPY MOVE
  CopyArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.set, p.SeqSet());
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.mailbox, p.Mailbox());
  cmd.args = std::move(args);
  return p.End();
}

Status ParseSearch(Parser& p, Command& cmd) {
  SearchArgs args;
  args.key.kind = SearchKey::Kind::kAnd;
  PARSE_RETURN_IF_ERROR(p.Sp());
  auto peek_word = [&p](std::string_view w) {
    size_t save = p.pos_;
    bool match = EqualsNoCase(p.Span(IsAtomChar), w) && p.PeekIs(' ');
    p.pos_ = save;
    return match;
  };
  if (peek_word("RETURN")) {
    p.pos_ += 7;
    args.has_return = true;
    PARSE_ASSIGN_OR_RETURN(args.return_options, p.AtomList(/*allow_empty=*/true));
    for (const std::string& o : args.return_options) {
      if (o != "MIN" && o != "MAX" && o != "ALL" && o != "COUNT" && o != "SAVE") {
        return Bad(absl::StrCat("Unknown SEARCH return option ", o));
      }
    }
    PARSE_RETURN_IF_ERROR(p.Sp());
  }
  if (peek_word("CHARSET")) {
    p.pos_ += 8;
    PARSE_ASSIGN_OR_RETURN(std::string cs, p.AString());
    args.charset = ToUpper(cs);
    PARSE_RETURN_IF_ERROR(p.Sp());
  }
  while (true) {
    PARSE_ASSIGN_OR_RETURN(SearchKey k, p.Key(1));
    args.key.children.push_back(std::move(k));
    if (!p.TrySp()) break;
  }
  cmd.args = std::move(args);
  return p.End();
}

// charset SP search-key *(SP search-key), shared by SORT and THREAD.
Status ParseCharsetAndKeys(Parser& p, std::string* charset, SearchKey* key) {
  PARSE_ASSIGN_OR_RETURN(std::string cs, p.AString());
  *charset = ToUpper(cs);
  PARSE_RETURN_IF_ERROR(p.Sp());
  key->kind = SearchKey::Kind::kAnd;
  while (true) {
    PARSE_ASSIGN_OR_RETURN(SearchKey k, p.Key(1));
    key->children.push_back(std::move(k));
    if (!p.TrySp()) break;
  }
  return p.End();
}

// SORT SP "(" sort-criterion *(SP sort-criterion) ")" SP charset SP search-keys
Status ParseSort(Parser& p, Command& cmd) {
  using Key = SortCriterion::Key;
  static constexpr std::pair<std::string_view, Key> kKeys[] = {
      {"ARRIVAL", Key::kArrival},         {"CC", Key::kCc},
      {"DATE", Key::kDate},               {"FROM", Key::kFrom},
      {"SIZE", Key::kSize},               {"SUBJECT", Key::kSubject},
      {"TO", Key::kTo},                   {"DISPLAYFROM", Key::kDisplayFrom},
      {"DISPLAYTO", Key::kDisplayTo},
  };
  SortArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_RETURN_IF_ERROR(p.Expect('(', "Invalid sort list argument"));
  bool reverse = false;
  while (true) {
    std::string word = ToUpper(p.Span(IsAtomChar));
    if (word.empty()) return Bad("Invalid sort list argument");
    if (word == "REVERSE") {
      if (reverse) return Bad("Invalid sort list argument");
      reverse = true;
    } else {
      const auto* it = std::find_if(std::begin(kKeys), std::end(kKeys),
                                    [&](const auto& k) { return k.first == word; });
      if (it == std::end(kKeys)) return Bad(absl::StrCat("Unknown sort argument: ", word));
      if (args.criteria.size() >= kMaxSortCriteria) return Bad("Too many sort criteria");
      args.criteria.push_back({it->second, reverse});
      reverse = false;
    }
    if (p.PeekIs(')')) break;
    PARSE_RETURN_IF_ERROR(p.Sp());
  }
  ++p.pos_;
  if (reverse) return Bad("Sort list ends with REVERSE");
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_RETURN_IF_ERROR(ParseCharsetAndKeys(p, &args.charset, &args.key));
  cmd.args = std::move(args);
  return absl::OkStatus();
}

// THREAD SP thread-alg SP search-criteria (charset first)
Status ParseThread(Parser& p, Command& cmd) {
  ThreadArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  std::string alg = ToUpper(p.Span(IsAtomChar));
  if (alg.empty()) return Bad("Invalid arguments.");
  if (alg == "ORDEREDSUBJECT") {
    args.algorithm = ThreadArgs::Algorithm::kOrderedSubject;
  } else if (alg == "REFERENCES") {
    args.algorithm = ThreadArgs::Algorithm::kReferences;
  } else {
    return Bad("Unknown thread algorithm.");
  }
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_RETURN_IF_ERROR(ParseCharsetAndKeys(p, &args.charset, &args.key));
  cmd.args = std::move(args);
  return absl::OkStatus();
}

Status ParseId(Parser& p, Command& cmd) {
  IdArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  if (p.PeekIs('(')) {
    ++p.pos_;
    while (!p.PeekIs(')')) {
      if (args.params.size() >= kMaxIdParams) return Bad("Too many ID parameters");
      PARSE_ASSIGN_OR_RETURN(std::string field, p.String());
      PARSE_RETURN_IF_ERROR(p.Sp());
      PARSE_ASSIGN_OR_RETURN(std::optional<std::string> value, p.NString());
      args.params.emplace_back(std::move(field), std::move(value));
      if (p.PeekIs(')')) break;
      PARSE_RETURN_IF_ERROR(p.Sp());
    }
    ++p.pos_;
  } else {
    PARSE_ASSIGN_OR_RETURN(std::optional<std::string> nil, p.NString());
    if (nil.has_value()) return Bad("Expected parameter list or NIL");
  }
  cmd.args = std::move(args);
  return p.End();
}

Status ParseEnable(Parser& p, Command& cmd) {
  EnableArgs args;
  do {
    PARSE_RETURN_IF_ERROR(p.Sp());
    PARSE_ASSIGN_OR_RETURN(std::string cap, p.Atom());
    args.capabilities.push_back(ToUpper(cap));
  } while (!p.AtEnd());
  cmd.args = std::move(args);
  return absl::OkStatus();
}

// GETQUOTA quota-root (RFC 9208 4.2.1).
Status ParseGetQuota(Parser& p, Command& cmd) {
  QuotaArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.root, p.AString());
  cmd.args = std::move(args);
  return p.End();
}

// SETQUOTA quota-root SP "(" [setquota-resource *(SP setquota-resource)] ")" (RFC 9208 4.2.3).
Status ParseSetQuota(Parser& p, Command& cmd) {
  QuotaArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(args.root, p.AString());
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_RETURN_IF_ERROR(p.Expect('(', "Expected resource list"));
  while (!p.PeekIs(')')) {
    if (!args.limits.empty()) PARSE_RETURN_IF_ERROR(p.Sp());
    PARSE_ASSIGN_OR_RETURN(std::string name, p.Atom());
    PARSE_RETURN_IF_ERROR(p.Sp());
    PARSE_ASSIGN_OR_RETURN(uint64_t limit, p.Number(0x7fffffffffffffffULL));
    args.limits.emplace_back(ToUpper(name), limit);
  }
  PARSE_RETURN_IF_ERROR(p.Expect(')', "Expected )"));
  cmd.args = std::move(args);
  return p.End();
}

// NOTIFY (RFC 5465 8):
//   notify = "NOTIFY" SP ("NONE" / "SET" [SP "STATUS"] SP event-group *(SP event-group))
//   event-group = "(" filter-mailboxes SP events ")"
//   events = ("(" event *(SP event) ")") / "NONE"
//   event = atom, "MessageNew" optionally followed by SP "(" fetch-att *(SP fetch-att) ")"
constexpr size_t kMaxNotifyGroups = 64;
constexpr size_t kMaxNotifyMailboxes = 1000;

Status ParseNotify(Parser& p, Command& cmd) {
  using Group = NotifyArgs::Group;
  NotifyArgs args;
  PARSE_RETURN_IF_ERROR(p.Sp());
  PARSE_ASSIGN_OR_RETURN(std::string verb, p.Atom());
  verb = ToUpper(verb);
  if (verb == "NONE") {
    args.none = true;
    cmd.args = std::move(args);
    return p.End();
  }
  if (verb != "SET") return Bad("Expected NOTIFY SET or NOTIFY NONE");
  PARSE_RETURN_IF_ERROR(p.Sp());
  if (!p.PeekIs('(')) {
    PARSE_ASSIGN_OR_RETURN(std::string st, p.Atom());
    if (ToUpper(st) != "STATUS") return Bad("Expected STATUS or an event group");
    args.status = true;
    PARSE_RETURN_IF_ERROR(p.Sp());
  }
  size_t names = 0;
  do {
    if (args.groups.size() >= kMaxNotifyGroups) return Bad("Too many event groups");
    PARSE_RETURN_IF_ERROR(p.Expect('(', "Expected an event group"));
    Group g;
    PARSE_ASSIGN_OR_RETURN(std::string filter, p.Atom());
    filter = ToUpper(filter);
    if (filter == "SELECTED") g.filter = Group::Filter::kSelected;
    else if (filter == "SELECTED-DELAYED") g.filter = Group::Filter::kSelectedDelayed;
    else if (filter == "INBOXES") g.filter = Group::Filter::kInboxes;
    else if (filter == "PERSONAL") g.filter = Group::Filter::kPersonal;
    else if (filter == "SUBSCRIBED") g.filter = Group::Filter::kSubscribed;
    else if (filter == "SUBTREE") g.filter = Group::Filter::kSubtree;
    else if (filter == "MAILBOXES") g.filter = Group::Filter::kMailboxes;
    else return Bad(absl::StrCat("Unknown mailbox filter ", filter));
    PARSE_RETURN_IF_ERROR(p.Sp());
    if (g.filter == Group::Filter::kSubtree || g.filter == Group::Filter::kMailboxes) {
      // one-or-more-mailbox = mailbox / "(" mailbox *(SP mailbox) ")"
      if (p.PeekIs('(')) {
        ++p.pos_;
        do {
          PARSE_ASSIGN_OR_RETURN(std::string m, p.Mailbox());
          g.mailboxes.push_back(std::move(m));
        } while (p.TrySp());
        PARSE_RETURN_IF_ERROR(p.Expect(')', "Expected ) after the mailbox list"));
      } else {
        PARSE_ASSIGN_OR_RETURN(std::string m, p.Mailbox());
        g.mailboxes.push_back(std::move(m));
      }
      names += g.mailboxes.size();
      if (names > kMaxNotifyMailboxes) return Bad("Too many mailbox names");
      PARSE_RETURN_IF_ERROR(p.Sp());
    }
    if (p.PeekIs('(')) {
      ++p.pos_;
      do {
        PARSE_ASSIGN_OR_RETURN(std::string ev, p.Atom());
        bool is_new = ToUpper(ev) == "MESSAGENEW";
        g.events.push_back(std::move(ev));
        if (is_new && p.PeekIs(' ') && p.pos_ + 1 < p.s_.size() && p.s_[p.pos_ + 1] == '(') {
          ++p.pos_;
          ++p.pos_;
          g.has_fetch_atts = true;
          do {
            PARSE_ASSIGN_OR_RETURN(FetchAtt att, p.FetchAttribute());
            g.fetch_atts.push_back(std::move(att));
          } while (p.TrySp());
          PARSE_RETURN_IF_ERROR(p.Expect(')', "Expected ) after the fetch attributes"));
        }
      } while (p.TrySp());
      PARSE_RETURN_IF_ERROR(p.Expect(')', "Expected ) after the events"));
    } else {
      PARSE_ASSIGN_OR_RETURN(std::string none, p.Atom());
      if (ToUpper(none) != "NONE") return Bad("Expected an event list or NONE");
    }
    PARSE_RETURN_IF_ERROR(p.Expect(')', "Expected ) after the event group"));
    args.groups.push_back(std::move(g));
  } while (p.TrySp());
  cmd.args = std::move(args);
  return p.End();
}

struct CommandSpec {
  const char* name;
  ParseFn parse;
  bool uid_ok;  // may follow "UID"
};

// The command table: verb -> argument parser.
constexpr CommandSpec kCommands[] = {
    {"CAPABILITY", ParseNoArgs, false},
    {"NOOP", ParseNoArgs, false},
    {"LOGOUT", ParseNoArgs, false},
    {"STARTTLS", ParseNoArgs, false},
    {"CHECK", ParseNoArgs, false},
    {"CLOSE", ParseNoArgs, false},
    {"UNSELECT", ParseNoArgs, false},
    {"IDLE", ParseNoArgs, false},
    {"NAMESPACE", ParseNoArgs, false},
    {"EXPUNGE", ParseExpunge, true},
    {"LOGIN", ParseLogin, false},
    {"AUTHENTICATE", ParseAuthenticate, false},
    {"SELECT", ParseSelect, false},
    {"EXAMINE", ParseSelect, false},
    {"CREATE", ParseSelect, false},
    {"DELETE", ParseMailbox, false},
    {"SUBSCRIBE", ParseMailbox, false},
    {"UNSUBSCRIBE", ParseMailbox, false},
    {"RENAME", ParseRename, false},
    {"LIST", ParseList, false},
    {"LSUB", ParseLsub, false},
    {"STATUS", ParseStatus, false},
    {"APPEND", ParseAppend, false},
    {"FETCH", ParseFetch, true},
    {"STORE", ParseStore, true},
    {"COPY", ParseCopy, true},
    {"MOVE", ParseCopy, true},
    {"SEARCH", ParseSearch, true},
    {"ID", ParseId, false},
    {"ENABLE", ParseEnable, false},
    {"SORT", ParseSort, true},
    {"THREAD", ParseThread, true},
    {"UNAUTHENTICATE", ParseNoArgs, false},
    {"COMPRESS", ParseCompress, false},
    {"GETQUOTA", ParseGetQuota, false},
    {"GETQUOTAROOT", ParseMailbox, false},
    {"SETQUOTA", ParseSetQuota, false},
    {"NOTIFY", ParseNotify, false},
};

const CommandSpec* FindCommand(std::string_view upper) {
  for (const CommandSpec& c : kCommands) {
    if (upper == c.name) return &c;
  }
  return nullptr;
}

}  // namespace

bool CommandReader::IsKnownCommand(std::string_view verb, bool uid) {
  const CommandSpec* spec = FindCommand(verb);
  return spec != nullptr && (!uid || spec->uid_ok);
}

std::string ExtractTag(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && IsTagChar(line[n])) ++n;
  if (n == 0 || n > 255 || n >= line.size() || line[n] != ' ') return "*";
  return std::string(line.substr(0, n));
}

absl::StatusOr<Command> ParseCommand(std::string_view wire, size_t max_nesting) {
  Command cmd;
  cmd.tag = ExtractTag(wire);
  if (cmd.tag == "*") {
    return Bad(wire.empty() || wire[0] == ' ' ? "Missing tag" : "Invalid tag");
  }
  Parser p(wire, max_nesting);
  p.pos_ = cmd.tag.size() + 1;
  std::string verb = ToUpper(p.Span(IsAtomChar));
  if (verb.empty()) return Bad("Missing command");
  if (verb == "UID") {
    cmd.uid = true;
    PARSE_RETURN_IF_ERROR(p.Sp());
    verb = ToUpper(p.Span(IsAtomChar));
    if (verb.empty()) return Bad("Missing command");
  }
  const CommandSpec* spec = FindCommand(verb);
  if (spec == nullptr || (cmd.uid && !spec->uid_ok)) return Bad("Unknown command");
  cmd.name = verb;
  PARSE_RETURN_IF_ERROR(spec->parse(p, cmd));
  return cmd;
}

}  // namespace hadron::imap
