#include "tools/hadronctl/mailfmt.h"

#include <strings.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace hadronctl::mailfmt {
namespace {

bool StartsWithFrom(std::string_view line) { return line.substr(0, 5) == "From "; }

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// "From sender Sat Nov 28 11:57:59 2026" -> unix seconds (UTC), 0 if unparsable.
int64_t ParseFromLineDate(const std::string& line) {
  // Skip "From " and the sender (which has no spaces in practice).
  size_t p = line.find(' ', 5);
  if (p == std::string::npos) return 0;
  std::string rest = line.substr(p + 1);
  struct tm tm = {};
  const char* end = strptime(rest.c_str(), "%a %b %d %H:%M:%S %Y", &tm);
  if (end == nullptr) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

constexpr std::pair<char, const char*> kMaildirLetters[] = {
    {'D', "\\Draft"}, {'F', "\\Flagged"}, {'R', "\\Answered"}, {'S', "\\Seen"}, {'T', "\\Deleted"}};

}  // namespace

std::string ToCrlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out.push_back('\r');
    out.push_back(text[i]);
  }
  return out;
}

std::string ToLf(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out.push_back(text[i]);
  }
  return out;
}

bool MboxReader::ReadLine(std::string* line) {
  if (!std::getline(in_, *line)) return false;
  bytes_ += line->size() + 1;
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

bool MboxReader::Next(MboxMessage* out) {
  std::string from_line;
  std::string line;
  std::vector<std::string> lines;
  if (pending_from_) {
    from_line = std::move(*pending_from_);
    pending_from_.reset();
  } else {
    if (started_) return false;
    started_ = true;
    // Skip leading blank lines; the first line should be a From_ line. If it is not, the input
    // is one bare message.
    bool got = false;
    while (ReadLine(&line)) {
      if (line.empty()) continue;
      got = true;
      break;
    }
    if (!got) return false;
    if (StartsWithFrom(line)) {
      from_line = line;
    } else {
      lines.push_back(line);
    }
  }
  bool prev_blank = false;
  while (ReadLine(&line)) {
    if (prev_blank && StartsWithFrom(line)) {
      pending_from_ = line;
      break;
    }
    prev_blank = line.empty();
    lines.push_back(line);
  }
  // The blank line before the next From_ (or at the end) separates messages.
  if (!lines.empty() && lines.back().empty()) lines.pop_back();

  out->flags.clear();
  out->internal_date = from_line.empty() ? 0 : ParseFromLineDate(from_line);
  std::string content;
  bool in_headers = true;
  std::string status, xstatus, keywords;
  std::string* last_meta = nullptr;  // for folded metadata headers
  for (auto& l : lines) {
    if (in_headers) {
      if (l.empty()) {
        in_headers = false;
        content += "\r\n";
        continue;
      }
      if ((l[0] == ' ' || l[0] == '\t') && last_meta != nullptr) {
        *last_meta += " " + l;
        continue;
      }
      last_meta = nullptr;
      size_t colon = l.find(':');
      if (colon != std::string::npos) {
        std::string_view name(l.data(), colon);
        std::string value = l.substr(colon + 1);
        if (IEquals(name, "Status")) { status = value; last_meta = &status; continue; }
        if (IEquals(name, "X-Status")) { xstatus = value; last_meta = &xstatus; continue; }
        if (IEquals(name, "X-Keywords")) { keywords = value; last_meta = &keywords; continue; }
        if (IEquals(name, "X-UID") || IEquals(name, "X-IMAP") || IEquals(name, "X-IMAPbase")) {
          continue;
        }
      }
    } else {
      // mboxrd: ">From ", ">>From " ... lose one '>'.
      size_t q = 0;
      while (q < l.size() && l[q] == '>') ++q;
      if (q > 0 && l.compare(q, 5, "From ") == 0) l.erase(0, 1);
    }
    content += l;
    content += "\r\n";
  }
  out->content = std::move(content);
  if (status.find('R') != std::string::npos) out->flags.push_back("\\Seen");
  if (xstatus.find('A') != std::string::npos) out->flags.push_back("\\Answered");
  if (xstatus.find('F') != std::string::npos) out->flags.push_back("\\Flagged");
  if (xstatus.find('T') != std::string::npos) out->flags.push_back("\\Draft");
  if (xstatus.find('D') != std::string::npos) out->flags.push_back("\\Deleted");
  for (absl::string_view k : absl::StrSplit(keywords, ' ', absl::SkipWhitespace())) {
    out->flags.emplace_back(k);
  }
  return true;
}

std::string MboxEntry(std::string_view content, const std::vector<std::string>& flags,
                      int64_t internal_date) {
  std::string out = "From MAILER-DAEMON ";
  time_t t = static_cast<time_t>(internal_date);
  struct tm tm = {};
  gmtime_r(&t, &tm);
  char date[64];
  strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm);
  out += date;
  out += "\n";
  std::string status = "O", xstatus, keywords;
  for (const auto& f : flags) {
    if (IEquals(f, "\\Seen")) status = "RO";
    else if (IEquals(f, "\\Answered")) xstatus += 'A';
    else if (IEquals(f, "\\Flagged")) xstatus += 'F';
    else if (IEquals(f, "\\Draft")) xstatus += 'T';
    else if (IEquals(f, "\\Deleted")) xstatus += 'D';
    else if (!f.empty() && f[0] != '\\') keywords += (keywords.empty() ? "" : " ") + f;
  }
  std::string lf = ToLf(content);
  size_t header_end = lf.find("\n\n");
  std::string headers, body;
  if (lf.rfind("\n", 0) == 0) {  // no headers at all
    headers = "";
    body = lf.substr(1);
  } else if (header_end == std::string::npos) {
    headers = lf;
    if (!headers.empty() && headers.back() != '\n') headers += "\n";
  } else {
    headers = lf.substr(0, header_end + 1);
    body = lf.substr(header_end + 2);
  }
  out += headers;
  out += "Status: " + status + "\n";
  if (!xstatus.empty()) out += "X-Status: " + xstatus + "\n";
  if (!keywords.empty()) out += "X-Keywords: " + keywords + "\n";
  out += "\n";
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    std::string_view line(body.data() + pos,
                          (nl == std::string::npos ? body.size() : nl) - pos);
    size_t q = 0;
    while (q < line.size() && line[q] == '>') ++q;
    if (line.substr(q, 5) == "From ") out += '>';
    out.append(line);
    out += '\n';
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  out += "\n";
  return out;
}

std::string MailboxToMaildirFolder(std::string_view mailbox) {
  std::string out = ".";
  for (char c : mailbox) {
    if (c == '/') {
      out += '.';
    } else if (c == '.' || c == '\\') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "\\%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> MaildirFolderToMailbox(std::string_view folder) {
  if (folder.size() < 2 || folder[0] != '.' || folder == "..") return std::nullopt;
  std::string out;
  for (size_t i = 1; i < folder.size(); ++i) {
    char c = folder[i];
    if (c == '.') {
      out += '/';
    } else if (c == '\\' && i + 2 < folder.size() + 0 && std::isxdigit(folder[i + 1]) &&
               std::isxdigit(folder[i + 2])) {
      int v = 0;
      std::sscanf(std::string(folder.substr(i + 1, 2)).c_str(), "%x", &v);
      out += static_cast<char>(v);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::map<int, std::string> ParseDovecotKeywords(std::string_view text) {
  std::map<int, std::string> out;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    size_t sp = line.find(' ');
    if (sp == absl::string_view::npos) continue;
    int idx = 0;
    if (!absl::SimpleAtoi(line.substr(0, sp), &idx) || idx < 0 || idx >= 26) continue;
    absl::string_view name = line.substr(sp + 1);
    while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) name.remove_suffix(1);
    if (!name.empty()) out[idx] = std::string(name);
  }
  return out;
}

std::vector<std::string> MaildirFlags(std::string_view filename,
                                      const std::map<int, std::string>& keywords) {
  std::vector<std::string> out;
  size_t info = filename.rfind(":2,");
  if (info == std::string_view::npos) return out;
  for (char c : filename.substr(info + 3)) {
    for (const auto& [letter, name] : kMaildirLetters) {
      if (c == letter) out.push_back(name);
    }
    if (c >= 'a' && c <= 'z') {
      auto it = keywords.find(c - 'a');
      if (it != keywords.end()) out.push_back(it->second);
    }
  }
  return out;
}

std::string MaildirInfo(const std::vector<std::string>& flags, std::map<std::string, int>& letters,
                        bool* dropped) {
  std::string upper, lower;
  for (const auto& f : flags) {
    bool system = false;
    for (const auto& [letter, name] : kMaildirLetters) {
      if (IEquals(f, name)) {
        upper += letter;
        system = true;
      }
    }
    if (system || f.empty() || f[0] == '\\') continue;
    auto it = letters.find(f);
    if (it == letters.end()) {
      if (letters.size() >= 26) {
        if (dropped) *dropped = true;
        continue;
      }
      it = letters.emplace(f, static_cast<int>(letters.size())).first;
    }
    lower += static_cast<char>('a' + it->second);
  }
  std::sort(upper.begin(), upper.end());
  std::sort(lower.begin(), lower.end());
  return ":2," + upper + lower;
}

std::string MaildirBase(std::string_view filename) {
  size_t end = filename.find(':');
  std::string_view base = filename.substr(0, end);
  size_t comma = base.find(',');
  return std::string(base.substr(0, comma));
}

}  // namespace hadronctl::mailfmt
