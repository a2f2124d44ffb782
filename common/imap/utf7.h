// Modified UTF-7 mailbox names (RFC 3501 5.1.3) <-> UTF-8 (RFC 6855 UTF8=ACCEPT sessions).
// Stored mailbox names are modified UTF-7 (what IMAP4rev1 clients send); UTF8=ACCEPT sessions
// see and send UTF-8, converted at the frontend's edge.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace hadron::imap {

// UTF-8 -> modified UTF-7. InvalidArgument for bytes that are not UTF-8 (or encode NUL).
absl::StatusOr<std::string> Utf8ToMutf7(std::string_view utf8);

// Modified UTF-7 -> UTF-8. InvalidArgument if `mutf7` is not valid modified UTF-7 (8-bit bytes,
// bad base64, a shift that encodes printable ASCII, unpaired surrogates, missing '-').
absl::StatusOr<std::string> Mutf7ToUtf8(std::string_view mutf7);

}  // namespace hadron::imap
