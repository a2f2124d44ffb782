// MIME parsing of stored messages and the IMAP renderings (ENVELOPE, BODY, BODYSTRUCTURE, BODY[section]).
#include "common/mime/mime.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/imap/strings.h"
#include "common/mime/address.h"
#include "common/mime/header.h"

namespace hadron::mime {
namespace {

using internal::EqualsIgnoreCase;
using internal::HeaderField;

// Where a body ended: at a boundary line (its start, and which boundary) or at the end.
struct Stop {
  size_t line = 0;   // start of the boundary line, or raw.size()
  int index = -1;    // index into the boundary stack, -1 at end of input
  bool close = false;
  // Found while a part was still in its header: that part's header ends before the line
  // break, but the line break stays in the enclosing parts (as Dovecot).
  bool in_header = false;
};

size_t LineEnd(std::string_view raw, size_t pos) {
  size_t nl = raw.find('\n', pos);
  return nl == std::string_view::npos ? raw.size() : nl + 1;
}

void ParseContentHeaders(Part* p, std::string_view header) {
  bool seen_type = false, seen_cte = false, seen_disp = false;
  for (const HeaderField& f : internal::SplitHeader(header)) {
    if (f.name.size() < 8 || !EqualsIgnoreCase(f.name.substr(0, 8), "Content-")) continue;
    std::string_view name = f.name.substr(8);
    const std::string& v = f.value;
    if (EqualsIgnoreCase(name, "Type") && !seen_type) {
      seen_type = true;
      size_t i = 0;
      internal::SkipCfws(v, &i);
      std::string type(internal::ParseToken(v, &i));
      internal::SkipCfws(v, &i);
      std::string subtype;
      if (i < v.size() && v[i] != '/') {
        // Dovecot: "type" followed by anything but "/" is no content type at all ("" "").
        p->type = "";
        p->subtype = "";
        continue;
      }
      if (i < v.size() && v[i] == '/') {
        ++i;
        internal::SkipCfws(v, &i);
        subtype = std::string(internal::ParseToken(v, &i));
      }
      p->type = type;
      p->subtype = subtype;
      if (!type.empty()) {  // Dovecot ignores the parameters of an unparsable type
        p->params = internal::ParseParams(v, &i);
        p->has_params = true;
      }
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding") && !seen_cte) {
      seen_cte = true;
      size_t i = 0;
      internal::SkipCfws(v, &i);
      std::string_view token = internal::ParseToken(v, &i);
      internal::SkipCfws(v, &i);
      if (!token.empty() && i == v.size()) p->encoding = std::string(token);
    } else if (EqualsIgnoreCase(name, "ID") && !p->id) {
      p->id = v;
    } else if (EqualsIgnoreCase(name, "MD5") && !p->md5) {
      p->md5 = v;
    } else if (EqualsIgnoreCase(name, "Description") && !p->description) {
      p->description = v;
    } else if (EqualsIgnoreCase(name, "Location") && !p->location) {
      p->location = v;
    } else if (EqualsIgnoreCase(name, "Disposition") && !seen_disp) {
      seen_disp = true;
      size_t i = 0;
      internal::SkipCfws(v, &i);
      std::string_view token = internal::ParseToken(v, &i);
      if (!token.empty()) {
        p->disposition = std::string(token);
        p->disposition_params = internal::ParseParams(v, &i);
      }
    } else if (EqualsIgnoreCase(name, "Language") && p->language.empty()) {
      size_t i = 0;
      internal::SkipCfws(v, &i);
      while (i < v.size()) {
        size_t start = i;
        while (i < v.size() && (absl::ascii_isalnum(static_cast<unsigned char>(v[i])) ||
                                v[i] == '-' || static_cast<unsigned char>(v[i]) >= 0x80 ||
                                std::string_view("!#$%&'*+/=?^_`{|}~.").find(v[i]) !=
                                    std::string_view::npos)) {
          ++i;
        }
        if (i == start) break;
        p->language.emplace_back(v.substr(start, i - start));
        internal::SkipCfws(v, &i);
        if (i >= v.size() || v[i] != ',') break;
        ++i;
        internal::SkipCfws(v, &i);
      }
    }
  }
}

const std::string* FindParam(const Params& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (EqualsIgnoreCase(k, name)) return &v;
  }
  return nullptr;
}

class Parser {
 public:
  explicit Parser(std::string_view raw) : raw_(raw) {}

  // Parses the part whose header starts at `start`; returns what ended it.
  Stop ParsePart(Part* p, size_t start, int depth, bool digest_child) {
    // Header: lines up to a blank line, a boundary line, or the end.
    size_t pos = start;
    size_t header_end = raw_.size();
    size_t body_start = raw_.size();
    Stop stop{raw_.size(), -1, false};
    bool stopped_in_header = false;
    while (pos < raw_.size()) {
      Stop s;
      if (MatchBoundary(pos, &s)) {
        stop = s;
        stop.in_header = pos > start;
        stopped_in_header = true;
        header_end = body_start = pos;
        break;
      }
      size_t next = LineEnd(raw_, pos);
      std::string_view line = raw_.substr(pos, next - pos);
      if (line == "\r\n" || line == "\n") {
        header_end = body_start = next;
        break;
      }
      pos = next;
    }
    if (pos >= raw_.size()) header_end = body_start = raw_.size();
    p->header_offset = start;
    ParseContentHeaders(p, raw_.substr(start, header_end - start));
    if (!p->type.has_value() && digest_child) {
      p->type = "message";
      p->subtype = "rfc822";
    }
    if (p->type && EqualsIgnoreCase(*p->type, "multipart")) {
      p->multipart = true;
    } else if (p->type && EqualsIgnoreCase(*p->type, "message") && p->subtype &&
               EqualsIgnoreCase(*p->subtype, "rfc822")) {
      p->message_rfc822 = true;
    }

    // Where the part may end at the earliest: after its close-delimiter line (Dovecot keeps that
    // line's break in the part even when a boundary line follows at once).
    size_t min_end = start;
    if (!stopped_in_header) {
      const std::string* boundary = p->multipart ? FindParam(p->params, "boundary") : nullptr;
      // An empty boundary is a boundary too: "--" lines (as Dovecot).
      if (p->multipart && boundary != nullptr && depth < kMaxDepth) {
        bool digest = p->subtype && EqualsIgnoreCase(*p->subtype, "digest");
        boundaries_.push_back(*boundary);
        int mine = static_cast<int>(boundaries_.size()) - 1;
        stop = Scan(body_start);
        while (stop.index == mine && !stop.close) {
          Part child;
          stop = ParsePart(&child, LineEnd(raw_, stop.line), depth + 1, digest);
          p->children.push_back(std::move(child));
        }
        boundaries_.pop_back();
        if (stop.index == mine) {
          min_end = LineEnd(raw_, stop.line);
          stop = Scan(min_end);  // epilogue
        }
      } else if (p->message_rfc822 && depth < kMaxDepth) {
        // Dovecot parses the body of message/rfc822 as a message whatever its transfer
        // encoding (base64 text becomes a header without a blank line).
        Part child;
        stop = ParsePart(&child, body_start, depth + 1, false);
        p->children.push_back(std::move(child));
      } else {
        stop = Scan(body_start);
      }
    }

    // The line break before a boundary line belongs to the boundary.
    size_t end = stop.line;
    if (stop.index >= 0 && (!stop.in_header || stopped_in_header)) {
      if (end > start && raw_[end - 1] == '\n') --end;
      if (end > start && raw_[end - 1] == '\r') --end;
    }
    end = std::max(end, min_end);
    header_end = std::min(header_end, end);
    body_start = std::min(body_start, end);
    p->header_size = header_end - start;
    p->body_offset = body_start;
    p->body_size = end - body_start;
    p->body_lines = static_cast<uint32_t>(
        std::count(raw_.begin() + body_start, raw_.begin() + end, '\n'));
    if (p->message_rfc822 && p->children.empty()) {
      // Not parsed (encoded or too deep): an empty encapsulated message, as Dovecot shows.
      Part child;
      child.header_offset = child.body_offset = body_start;
      p->children.push_back(std::move(child));
    }
    if (p->message_rfc822) {
      Part& c = p->children.front();
      p->envelope = internal::RenderEnvelopeFields(raw_.substr(c.header_offset, c.header_size));
      // The encapsulated message cannot reach past its container.
    }
    return stop;
  }

 private:
  // Is the line at `pos` "--boundary" of some open multipart (innermost first)?
  bool MatchBoundary(size_t pos, Stop* s) const {
    if (boundaries_.empty()) return false;
    if (raw_.size() - pos < 2 || raw_[pos] != '-' || raw_[pos + 1] != '-') return false;
    std::string_view rest = raw_.substr(pos + 2);
    for (int k = static_cast<int>(boundaries_.size()) - 1; k >= 0; --k) {
      const std::string& b = boundaries_[k];
      if (rest.size() >= b.size() && rest.compare(0, b.size(), b) == 0) {
        s->line = pos;
        s->index = k;
        s->close = rest.size() >= b.size() + 2 && rest[b.size()] == '-' && rest[b.size() + 1] == '-';
        return true;
      }
    }
    return false;
  }

  Stop Scan(size_t pos) const {
    Stop s;
    while (pos < raw_.size()) {
      if (MatchBoundary(pos, &s)) return s;
      pos = LineEnd(raw_, pos);
    }
    return Stop{raw_.size(), -1, false};
  }

  std::string_view raw_;
  std::vector<std::string> boundaries_;
};

// ---- Rendering -------------------------------------------------------------------------

bool IsText(const Part& p) { return !p.type.has_value() || EqualsIgnoreCase(*p.type, "text"); }

void AppendParams(std::string* out, const Params& params) {
  bool first = true;
  for (const auto& [k, v] : params) {
    if (!first) out->push_back(' ');
    first = false;
    imap::AppendQuote(out, k);
    out->push_back(' ');
    imap::AppendQuote(out, v);
  }
}

void AppendHumanNString(std::string* out, const std::optional<std::string>& s) {
  if (s.has_value()) {
    imap::AppendQuoteForHumans(out, *s);
  } else {
    out->append("NIL");
  }
}

// Dovecot's extension data for a part: disposition, language, location.
void AppendDispLangLoc(std::string* out, const Part& p) {
  out->push_back(' ');
  if (!p.disposition) {
    out->append("NIL");
  } else {
    out->push_back('(');
    imap::AppendQuote(out, *p.disposition);
    out->push_back(' ');
    if (p.disposition_params.empty()) {
      out->append("NIL");
    } else {
      out->push_back('(');
      AppendParams(out, p.disposition_params);
      out->push_back(')');
    }
    out->push_back(')');
  }
  out->push_back(' ');
  if (p.language.empty()) {
    out->append("NIL");
  } else {
    out->push_back('(');
    for (size_t i = 0; i < p.language.size(); ++i) {
      if (i > 0) out->push_back(' ');
      imap::AppendQuote(out, p.language[i]);
    }
    out->push_back(')');
  }
  out->push_back(' ');
  AppendHumanNString(out, p.location);
}

// imap_bodystructure_is_plain_7bit(): such top-level messages get a canned lower-case form.
bool IsPlain7bit(const Part& p) {
  if (p.multipart || p.message_rfc822 || !IsText(p)) return false;
  if (p.subtype && !EqualsIgnoreCase(*p.subtype, "plain")) return false;
  if (!p.params.empty()) {
    if (p.params.size() != 1 || !EqualsIgnoreCase(p.params[0].first, "charset") ||
        !EqualsIgnoreCase(p.params[0].second, "us-ascii")) {
      return false;
    }
  }
  if (p.id || p.description) return false;
  if (p.encoding && !EqualsIgnoreCase(*p.encoding, "7bit")) return false;
  return !p.md5 && !p.disposition && p.language.empty() && !p.location;
}

void RenderPart(std::string* out, const Part& p, bool extended, bool top);

void RenderMultipart(std::string* out, const Part& p, bool extended) {
  if (p.children.empty()) {
    out->append("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0");
    if (extended) out->append(" NIL NIL NIL NIL");
    out->push_back(')');
  }
  for (const Part& c : p.children) {
    out->push_back('(');
    RenderPart(out, c, extended, false);
    out->push_back(')');
  }
  out->push_back(' ');
  if (p.subtype) {
    imap::AppendQuote(out, *p.subtype);
  } else {
    out->append("\"x-unknown\"");
  }
  if (!extended) return;
  out->push_back(' ');
  if (p.params.empty()) {
    out->append("NIL");
  } else {
    out->push_back('(');
    AppendParams(out, p.params);
    out->push_back(')');
  }
  AppendDispLangLoc(out, p);
}

void RenderPart(std::string* out, const Part& p, bool extended, bool top) {
  if (p.multipart) {
    RenderMultipart(out, p, extended);
    return;
  }
  if (top && IsPlain7bit(p)) {
    absl::StrAppend(out, "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" ",
                    p.body_size, " ", p.body_lines);
    if (extended) out->append(" NIL NIL NIL NIL");
    return;
  }
  bool text = false;
  if (p.message_rfc822) {
    out->append("\"message\" \"rfc822\"");
  } else {
    text = IsText(p);
    if (p.type) {
      imap::AppendQuote(out, *p.type);
    } else {
      out->append("\"text\"");
    }
    out->push_back(' ');
    if (p.subtype) {
      imap::AppendQuote(out, *p.subtype);
    } else {
      out->append(text ? "\"plain\"" : "\"unknown\"");
    }
  }
  out->push_back(' ');
  bool has_charset = FindParam(p.params, "charset") != nullptr;
  if (p.params.empty() && !text) {
    out->append("NIL");
  } else {
    out->push_back('(');
    AppendParams(out, p.params);
    if (text && !has_charset) {
      if (!p.params.empty()) out->push_back(' ');
      out->append("\"charset\" \"us-ascii\"");
    }
    out->push_back(')');
  }
  out->push_back(' ');
  AppendHumanNString(out, p.id);
  out->push_back(' ');
  AppendHumanNString(out, p.description);
  out->push_back(' ');
  if (p.encoding) {
    imap::AppendQuote(out, *p.encoding);
  } else {
    out->append("\"7bit\"");
  }
  absl::StrAppend(out, " ", p.body_size);
  if (text) {
    absl::StrAppend(out, " ", p.body_lines);
  } else if (p.message_rfc822 && !p.children.empty()) {
    absl::StrAppend(out, " (", p.envelope, ") ");
    const Part& c = p.children.front();
    out->push_back('(');
    RenderPart(out, c, extended, false);
    out->push_back(')');
    absl::StrAppend(out, " ", p.body_lines);
  }
  if (!extended) return;
  out->push_back(' ');
  AppendHumanNString(out, p.md5);
  AppendDispLangLoc(out, p);
}

// ---- Sections ------------------------------------------------------------------------

std::string_view Slice(std::string_view raw, uint64_t offset, uint64_t size) {
  if (offset > raw.size() || size > raw.size() - offset) return {};
  return raw.substr(offset, size);
}

// imap_msgpart_find(): walks part numbers; nullptr when the part does not exist.
const Part* FindPart(const Part& root, const std::vector<uint32_t>& path) {
  const Part* part = &root;
  for (size_t i = 0; i < path.size(); ++i) {
    uint32_t num = path[i];
    bool more = i + 1 < path.size();
    if (num == 0) return nullptr;
    if (part->multipart) {
      if (num > part->children.size()) return nullptr;
      part = &part->children[num - 1];
    } else {
      if (num != 1) return nullptr;
      if (more && !part->message_rfc822) return nullptr;
    }
    if (more && part->message_rfc822) {
      if (part->children.empty()) return nullptr;
      part = &part->children.front();
    }
  }
  return part;
}

std::string HeaderFields(std::string_view header, const std::vector<std::string>& fields,
                         bool negate) {
  std::string out;
  for (const HeaderField& f : internal::SplitHeader(header)) {
    bool match = std::any_of(fields.begin(), fields.end(),
                             [&](const std::string& n) { return EqualsIgnoreCase(n, f.name); });
    if (match == negate) continue;
    out.append(f.raw);
    if (f.raw.empty() || f.raw.back() != '\n') out.append("\r\n");
  }
  out.append("\r\n");
  return out;
}

// HEADER.FIELDS.NOT, and HEADER.FIELDS of an encapsulated message, as Dovecot serves them: its
// header filter stream over the raw header. Every line is a field (a line without a colon is
// named by the whole line, a continuation line at the start has an empty name) with its
// continuation lines, copied as stored; the blank line is added back only when the header had
// one, or when it is empty. (HEADER.FIELDS of the message itself comes from Dovecot's cache: see HeaderFields.)
std::string HeaderFieldsFilter(std::string_view header, const std::vector<std::string>& fields,
                               bool exclude) {
  std::string out;
  size_t pos = 0;
  bool eoh = false;
  auto line_end = [&](size_t from) {
    size_t nl = header.find('\n', from);
    return nl == std::string_view::npos ? header.size() : nl + 1;
  };
  while (pos < header.size()) {
    size_t next = line_end(pos);
    std::string_view line = header.substr(pos, next - pos);
    if (line == "\r\n" || line == "\n") {
      eoh = true;
      break;
    }
    size_t end = next;
    while (end < header.size() && (header[end] == ' ' || header[end] == '\t')) end = line_end(end);
    std::string_view raw = header.substr(pos, end - pos);
    pos = end;
    std::string_view name;
    if (line[0] != ' ' && line[0] != '\t') {
      size_t colon = line.find(':');
      name = colon == std::string_view::npos ? line : line.substr(0, colon);
      while (!name.empty() && (name.back() == '\n' || name.back() == '\r' || name.back() == ' ' ||
                               name.back() == '\t')) {
        name.remove_suffix(1);
      }
    }
    bool match = !name.empty() &&
                 std::any_of(fields.begin(), fields.end(),
                             [&](const std::string& n) { return EqualsIgnoreCase(n, name); });
    if (match != exclude) out.append(raw);
  }
  // An empty header (a message/rfc822 part with an empty body) gets the blank line too.
  if (eoh || header.empty()) out.append("\r\n");
  return out;
}

}  // namespace

MessageStructure ParseMessage(std::string_view raw) {
  MessageStructure msg;
  Parser parser(raw);
  parser.ParsePart(&msg.root, 0, 0, false);
  msg.size = raw.size();
  msg.envelope = absl::StrCat(
      "(", internal::RenderEnvelopeFields(raw.substr(0, msg.root.header_size)), ")");
  msg.body = RenderBody(msg);
  msg.bodystructure = RenderBodyStructure(msg);
  return msg;
}

std::string RenderEnvelope(const MessageStructure& msg) { return msg.envelope; }

std::string RenderBody(const MessageStructure& msg) {
  std::string out = "(";
  RenderPart(&out, msg.root, false, true);
  out.push_back(')');
  return out;
}

std::string RenderBodyStructure(const MessageStructure& msg) {
  std::string out = "(";
  RenderPart(&out, msg.root, true, true);
  out.push_back(')');
  return out;
}

const Part* FindPartForSection(const MessageStructure& msg, const std::vector<uint32_t>& path) {
  return FindPart(msg.root, path);
}

std::optional<std::string_view> SectionSlice(std::string_view raw, const MessageStructure& msg,
                                             const Section& section) {
  const Part* part = FindPart(msg.root, section.part);
  if (part == nullptr) return std::string_view();
  const Part* message = part;  // whose HEADER / TEXT is meant
  if (!section.part.empty()) {
    if (section.kind == SectionKind::kMime) {
      return Slice(raw, part->header_offset, part->header_size);
    }
    if (section.kind == SectionKind::kAll) {
      return Slice(raw, part->body_offset, part->body_size);
    }
    if (!part->message_rfc822 || part->children.empty()) return std::string_view();
    message = &part->children.front();
  }
  switch (section.kind) {
    case SectionKind::kAll:
      return raw;
    case SectionKind::kHeader:
      return Slice(raw, message->header_offset, message->header_size);
    case SectionKind::kText:
      return Slice(raw, message->body_offset, message->body_size);
    case SectionKind::kHeaderFields:
    case SectionKind::kHeaderFieldsNot:
      return std::nullopt;  // built by ExtractSection
    case SectionKind::kMime:
      return std::string_view();  // BODY[MIME] without a part number is not valid IMAP
  }
  return std::string_view();
}

std::string ExtractSection(std::string_view raw, const MessageStructure& msg,
                           const Section& section) {
  if (auto slice = SectionSlice(raw, msg, section)) return std::string(*slice);
  // HEADER.FIELDS and HEADER.FIELDS.NOT, of a message/rfc822 part when section.part is set.
  const Part* message = FindPart(msg.root, section.part);
  if (!section.part.empty()) message = &message->children.front();
  std::string_view header = Slice(raw, message->header_offset, message->header_size);
  if (section.kind == SectionKind::kHeaderFields && section.part.empty()) {
    return HeaderFields(header, section.fields, false);
  }
  return HeaderFieldsFilter(header, section.fields, section.kind == SectionKind::kHeaderFieldsNot);
}

std::string NormalizeLineEndings(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() + raw.size() / 32);
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) out.push_back('\r');
    out.push_back(raw[i]);
  }
  return out;
}

}  // namespace hadron::mime
