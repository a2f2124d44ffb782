// SASL pieces of AUTHENTICATE (RFC 9051 6.2.2, RFC 4959 SASL-IR) that need no session: decoding
// a client response and the PLAIN message (RFC 4616). Pure functions, fuzzed (sasl_fuzzer).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace hadron::imap::sasl {

// A client response in base64. An initial response (SASL-IR) of "=" is the empty response;
// a continuation line of "=" is invalid base64 like any other. InvalidArgument on bad base64.
absl::StatusOr<std::string> DecodeResponse(std::string_view b64, bool initial);

struct PlainCredentials {
  std::string authzid;  // empty: act as authcid
  std::string authcid;
  std::string password;
};

// message = [authzid] NUL authcid NUL passwd, none of them containing NUL.
// InvalidArgument when the separators are missing or a third NUL appears.
absl::StatusOr<PlainCredentials> ParsePlain(std::string_view message);

}  // namespace hadron::imap::sasl
