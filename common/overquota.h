// The over-quota error (RFC 9208 [OVERQUOTA]) as it crosses gRPC: RESOURCE_EXHAUSTED whose
// message starts with "over quota:". Other RESOURCE_EXHAUSTED errors stay IMAP [LIMIT].
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace hadron {

inline constexpr std::string_view kOverQuotaPrefix = "over quota: ";

inline absl::Status OverQuotaError(std::string_view what) {
  std::string msg(kOverQuotaPrefix);
  msg.append(what);
  return absl::ResourceExhaustedError(absl::string_view(msg.data(), msg.size()));
}

inline bool IsOverQuota(const absl::Status& s) {
  // Debian's absl::string_view is not std::string_view.
  const std::string_view msg(s.message().data(), s.message().size());
  return s.code() == absl::StatusCode::kResourceExhausted &&
         msg.substr(0, kOverQuotaPrefix.size()) == kOverQuotaPrefix;
}

}  // namespace hadron
