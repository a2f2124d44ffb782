#include "common/imap/sasl.h"

#include "absl/strings/escaping.h"

namespace hadron::imap::sasl {

absl::StatusOr<std::string> DecodeResponse(std::string_view b64, bool initial) {
  std::string decoded;
  if (initial && b64 == "=") return decoded;
  // absl::Base64Unescape accepts padding-less input; RFC 4648 base64 only (no URL alphabet).
  for (char c : b64) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '=';
    if (!ok) return absl::InvalidArgumentError("invalid base64");
  }
  if (!absl::Base64Unescape(absl::string_view(b64.data(), b64.size()), &decoded)) {
    return absl::InvalidArgumentError("invalid base64");
  }
  return decoded;
}

absl::StatusOr<PlainCredentials> ParsePlain(std::string_view message) {
  size_t p1 = message.find('\0');
  if (p1 == std::string_view::npos) return absl::InvalidArgumentError("missing NUL");
  size_t p2 = message.find('\0', p1 + 1);
  if (p2 == std::string_view::npos) return absl::InvalidArgumentError("missing second NUL");
  if (message.find('\0', p2 + 1) != std::string_view::npos) {
    return absl::InvalidArgumentError("NUL in password");
  }
  PlainCredentials out;
  out.authzid = std::string(message.substr(0, p1));
  out.authcid = std::string(message.substr(p1 + 1, p2 - p1 - 1));
  out.password = std::string(message.substr(p2 + 1));
  return out;
}

}  // namespace hadron::imap::sasl
