// Internal: RFC 5322 address lists and the ENVELOPE rendering, following Dovecot's choices.
#include "common/mime/address.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/imap/strings.h"
#include "common/mime/header.h"
#include "common/mime/mime.h"

namespace hadron::mime::internal {
namespace {

struct Address {
  std::optional<std::string> name, route, mailbox, domain;
};

bool IsAtext(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x80) return true;
  if (u <= ' ' || u == 0x7f) return false;
  switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':':
    case '\\': case '"': case '[': case ']':
      return false;
    default:
      return true;
  }
}

class AddressParser {
 public:
  explicit AddressParser(std::string_view s) : s_(s) {}

  std::vector<Address> Parse() {
    bool in_group = false;
    for (int guard = 0; guard < 100000; ++guard) {
      std::string comment;
      SkipCfws(s_, &i_, &comment);
      if (i_ >= s_.size()) break;
      char c = s_[i_];
      if (c == ',') {
        ++i_;
        // An empty element between two commas: Dovecot reports a placeholder address.
        size_t j = i_;
        SkipCfws(s_, &j);
        if (j < s_.size() && s_[j] == ',') out_.push_back(Missing());
        continue;
      }
      if (c == ';') {
        ++i_;
        if (in_group) {
          out_.push_back(Address{});
          in_group = false;
        }
        continue;
      }
      size_t before = i_;
      ParseOne(&in_group);
      if (i_ == before) ++i_;  // never loop on garbage
    }
    if (in_group) out_.push_back(Address{});
    return std::move(out_);
  }

 private:
  // Words up to a delimiter; quoted strings unquoted; `dots` keeps '.' attached like a local part.
  std::string Phrase(std::string* last_comment) {
    std::string out;
    bool need_space = false;
    while (i_ < s_.size()) {
      std::string comment;
      size_t before = i_;
      SkipCfws(s_, &i_, &comment);
      if (!comment.empty() && last_comment != nullptr) *last_comment = comment;
      bool had_space = i_ != before;
      if (i_ >= s_.size()) break;
      char c = s_[i_];
      std::string word;
      if (c == '"') {
        word = ParseQuoted(s_, &i_);
      } else if (c == '.') {
        word = ".";
        ++i_;
      } else if (IsAtext(c)) {
        size_t start = i_;
        while (i_ < s_.size() && IsAtext(s_[i_]) && s_[i_] != '.') ++i_;
        word = std::string(s_.substr(start, i_ - start));
      } else {
        break;
      }
      if (need_space && had_space) out.push_back(' ');
      out += word;
      need_space = true;
    }
    return out;
  }

  // local-part "@" domain (domain up to a delimiter), as Dovecot keeps them (quotes dropped).
  std::string Domain(std::string* comment) {
    std::string out;
    while (i_ < s_.size()) {
      SkipCfws(s_, &i_, comment);
      if (i_ >= s_.size()) break;
      char c = s_[i_];
      if (c == '[') {
        size_t end = s_.find(']', i_);
        end = end == std::string_view::npos ? s_.size() : end + 1;
        out += s_.substr(i_, end - i_);
        i_ = end;
      } else if (c == '.' || IsAtext(c)) {
        size_t start = i_;
        while (i_ < s_.size() && (IsAtext(s_[i_]) || s_[i_] == '.')) ++i_;
        out += s_.substr(start, i_ - start);
      } else {
        break;
      }
    }
    return out;
  }

  static Address Missing() {
    Address a;
    a.mailbox = "MISSING_MAILBOX";
    a.domain = "MISSING_DOMAIN";
    return a;
  }

  void Fill(Address* a) {
    if (!a->mailbox.has_value() || a->mailbox->empty()) a->mailbox = "MISSING_MAILBOX";
    if (!a->domain.has_value() || a->domain->empty()) a->domain = "MISSING_DOMAIN";
  }

  void ParseOne(bool* in_group) {
    std::string comment;
    std::string phrase = Phrase(&comment);
    SkipCfws(s_, &i_, &comment);
    char c = i_ < s_.size() ? s_[i_] : '\0';
    if (c == ':' && !*in_group) {
      ++i_;
      Address g;
      g.mailbox = phrase;
      out_.push_back(std::move(g));
      *in_group = true;
      return;
    }
    Address a;
    if (c == '<') {
      ++i_;
      if (!phrase.empty()) a.name = phrase;
      SkipCfws(s_, &i_);
      if (i_ < s_.size() && s_[i_] == '@') {  // obsolete route
        size_t colon = s_.find(':', i_);
        size_t gt = s_.find('>', i_);
        if (colon != std::string_view::npos && (gt == std::string_view::npos || colon < gt)) {
          a.route = std::string(s_.substr(i_, colon - i_));
          i_ = colon + 1;
        }
      }
      std::string local = Phrase(nullptr);
      SkipCfws(s_, &i_);
      a.mailbox = local;
      if (i_ < s_.size() && s_[i_] == '@') {
        ++i_;
        a.domain = Domain(nullptr);
      }
      SkipCfws(s_, &i_);
      if (i_ < s_.size() && s_[i_] == '>') ++i_;
      Fill(&a);
      std::string trailing;
      SkipCfws(s_, &i_, &trailing);
      out_.push_back(std::move(a));
      return;
    }
    a.mailbox = phrase;
    if (c == '@') {
      ++i_;
      std::string trailing;
      a.domain = Domain(&trailing);
      SkipCfws(s_, &i_, &trailing);
      if (!trailing.empty()) comment = trailing;
    }
    if (!comment.empty()) a.name = comment;
    Fill(&a);
    out_.push_back(std::move(a));
  }

  std::string_view s_;
  size_t i_ = 0;
  std::vector<Address> out_;
};

void AppendNString(std::string* out, const std::optional<std::string>& s) {
  if (!s.has_value()) {
    out->append("NIL");
  } else {
    imap::AppendQuote(out, *s);
  }
}

}  // namespace

namespace {

// The addresses of one header value, each "(name route mailbox domain)", without the outer list.
std::string RenderAddresses(std::string_view value) {
  std::vector<Address> list = AddressParser(value).Parse();
  std::string out;
  for (const Address& a : list) {
    out.push_back('(');
    if (a.name.has_value()) {
      imap::AppendQuoteForHumans(&out, *a.name);
    } else {
      out.append("NIL");
    }
    out.push_back(' ');
    AppendNString(&out, a.route);
    out.push_back(' ');
    AppendNString(&out, a.mailbox);
    out.push_back(' ');
    AppendNString(&out, a.domain);
    out.push_back(')');
  }
  return out;
}

}  // namespace

namespace {

// Dovecot's str_append_maybe_escape(): as is when every character is atext ('.' too unless
// escape_dot), else quoted with '"', '\\' and '\'' escaped.
void AppendMaybeEscaped(std::string* out, std::string_view s, bool escape_dot) {
  bool plain = true;
  for (char c : s) {
    if (!IsAtext(c) || (escape_dot && c == '.')) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\' || c == '\'') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

std::string WriteAddressList(std::string_view value) {
  std::vector<Address> list = AddressParser(value).Parse();
  std::string out;
  bool first = true, in_group = false;
  for (const Address& a : list) {
    if (!first) out.append(", ");
    first = false;
    if (!a.domain.has_value()) {
      if (!in_group) {
        if (a.mailbox.has_value() && !a.mailbox->empty()) {
          if (a.mailbox->find("=?") != std::string::npos) {
            out.append(*a.mailbox);
          } else {
            AppendMaybeEscaped(&out, *a.mailbox, true);
          }
        } else {
          out.append("\"\"");
        }
        out.append(": ");
        first = true;
      } else {
        if (out.size() >= 2 && out.compare(out.size() - 2, 2, ", ") == 0) {
          out.resize(out.size() - 2);
        } else if (out.size() >= 2 && out.compare(out.size() - 2, 2, ": ") == 0) {
          out.resize(out.size() - 1);
        }
        out.push_back(';');
      }
      in_group = !in_group;
      continue;
    }
    const std::string mailbox = a.mailbox.value_or("");
    if (a.name.has_value()) {
      if (a.name->find("=?") != std::string::npos) {
        out.append(*a.name);
      } else {
        AppendMaybeEscaped(&out, *a.name, true);
      }
    }
    if (a.route.has_value() || !mailbox.empty() || !a.domain->empty()) {
      if (a.name.has_value() && !a.name->empty()) out.push_back(' ');
      out.push_back('<');
      if (a.route.has_value()) {
        out.append(*a.route);
        out.push_back(':');
      }
      if (mailbox.empty()) {
        out.append("\"\"");
      } else {
        AppendMaybeEscaped(&out, mailbox, false);
      }
      if (!a.domain->empty()) {
        out.push_back('@');
        out.append(*a.domain);
      }
      out.push_back('>');
    }
  }
  return out;
}

std::string RenderAddressList(std::string_view value) {
  std::string inner = RenderAddresses(value);
  if (inner.empty()) return "NIL";
  return absl::StrCat("(", inner, ")");
}

std::string RenderEnvelopeFields(std::string_view header) {
  static constexpr std::string_view kNames[] = {"Date",   "Subject", "From", "Sender",
                                                "Reply-To", "To",    "Cc",   "Bcc",
                                                "In-Reply-To", "Message-ID"};
  // Like Dovecot 2.3: a repeated address field adds its addresses to the list; a repeated
  // string field (Date, Subject, In-Reply-To, Message-ID) replaces the earlier value.
  std::optional<std::string> values[10];
  std::string lists[10];
  for (const HeaderField& f : SplitHeader(header)) {
    for (int k = 0; k < 10; ++k) {
      if (!EqualsIgnoreCase(f.name, kNames[k])) continue;
      if (k >= 2 && k <= 7) {
        lists[k] += RenderAddresses(f.value);
      } else {
        // Dovecot hands the subject to imap_append_string_for_humans() still folded.
        values[k] = k == 1 ? std::string(f.folded) : f.value;
      }
    }
  }
  auto addresses = [&](int k) -> std::string {
    return lists[k].empty() ? "NIL" : absl::StrCat("(", lists[k], ")");
  };
  std::string out;
  AppendNString(&out, values[0]);
  out.push_back(' ');
  if (values[1].has_value()) {
    imap::AppendQuoteForHumans(&out, *values[1]);
  } else {
    out.append("NIL");
  }
  std::string from = addresses(2);
  std::string sender = addresses(3);
  std::string reply_to = addresses(4);
  absl::StrAppend(&out, " ", from, " ", sender == "NIL" ? from : sender, " ",
                  reply_to == "NIL" ? from : reply_to, " ", addresses(5), " ", addresses(6), " ",
                  addresses(7), " ");
  AppendNString(&out, values[8]);
  out.push_back(' ');
  AppendNString(&out, values[9]);
  return out;
}

}  // namespace hadron::mime::internal

namespace hadron::mime {

std::optional<AddressParts> FirstAddress(std::string_view value) {
  std::vector<internal::Address> list = internal::AddressParser(value).Parse();
  if (list.empty()) return std::nullopt;
  return AddressParts{list[0].name, list[0].mailbox, list[0].domain};
}

}  // namespace hadron::mime
