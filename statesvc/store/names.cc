// Validation and canonical forms of account names, mailbox names, special-use and keywords.
#include "statesvc/store/names.h"

#include "absl/strings/ascii.h"

namespace hadron::store {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(a[i])) !=
        absl::ascii_tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::string> CanonicalAccountName(std::string_view name) {
  if (name.empty() || name.size() > kMaxAccountNameBytes) {
    return absl::InvalidArgumentError("account name must be 1 to 255 bytes");
  }
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '@' ||
        c == '+' || c == '-' || c == '=') {
      out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else {
      return absl::InvalidArgumentError("account name may hold only letters, digits and ._@+-=");
    }
  }
  return out;
}

absl::StatusOr<std::string> CanonicalMailboxName(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("empty mailbox name");
  if (name.size() > kMaxMailboxNameBytes) return absl::InvalidArgumentError("mailbox name too long");
  if (name.front() == kSeparator || name.back() == kSeparator) {
    return absl::InvalidArgumentError("mailbox name starts or ends with the separator");
  }
  if (name.find("//") != std::string_view::npos) return absl::InvalidArgumentError("empty hierarchy level in mailbox name");
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return absl::InvalidArgumentError("control character in mailbox name");
    if (c == '*' || c == '%') return absl::InvalidArgumentError("wildcard in mailbox name");
  }
  if (EqualsIgnoreCase(name, "INBOX")) return std::string("INBOX");
  if (name.size() > 6 && EqualsIgnoreCase(name.substr(0, 6), "INBOX/")) {
    return "INBOX" + std::string(name.substr(5));
  }
  return std::string(name);
}

std::vector<std::string> ParentNames(std::string_view name) {
  std::vector<std::string> out;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == kSeparator) out.emplace_back(name.substr(0, i));
  }
  return out;
}

absl::StatusOr<std::string> CanonicalSpecialUse(std::string_view use) {
  if (use.empty()) return std::string();
  static constexpr const char* kUses[] = {"\\All", "\\Archive", "\\Drafts", "\\Flagged",
                                          "\\Junk", "\\Sent", "\\Trash"};
  for (const char* u : kUses) {
    if (EqualsIgnoreCase(use, u)) return std::string(u);
  }
  return absl::InvalidArgumentError("unknown special-use attribute " + std::string(use));
}

absl::Status ValidateKeyword(std::string_view keyword) {
  if (keyword.empty() || keyword.size() > kMaxKeywordBytes) {
    return absl::InvalidArgumentError("keyword must be 1 to 255 bytes");
  }
  for (char c : keyword) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '(' || c == ')' || c == '{' || c == '%' || c == '*' ||
        c == '"' || c == '\\' || c == ']') {
      return absl::InvalidArgumentError("keyword is not an IMAP atom");
    }
  }
  return absl::OkStatus();
}

}  // namespace hadron::store
