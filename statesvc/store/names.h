// Validation and canonical forms of account names, mailbox names, special-use and keywords.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace hadron::store {

inline constexpr char kSeparator = '/';
inline constexpr size_t kMaxMailboxNameBytes = 1000;
inline constexpr size_t kMaxAccountNameBytes = 255;
inline constexpr size_t kMaxKeywordBytes = 255;

// Lowercase account name; letters, digits and "._@+-=" only.
absl::StatusOr<std::string> CanonicalAccountName(std::string_view name);

// Validates a mailbox name and canonicalizes any case of "INBOX" (also as the first level).
absl::StatusOr<std::string> CanonicalMailboxName(std::string_view name);

// "a/b/c" -> {"a", "a/b"}.
std::vector<std::string> ParentNames(std::string_view name);

// "" or one of RFC 6154's attributes in canonical case ("\\Sent").
absl::StatusOr<std::string> CanonicalSpecialUse(std::string_view use);

// An IMAP flag keyword (atom without backslash).
absl::Status ValidateKeyword(std::string_view keyword);

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace hadron::store
