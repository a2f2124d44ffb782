// Mailbox name syntax shared by the frontend's commands.
#pragma once

#include <string_view>

namespace hadron::imap {

// True when `name` is valid modified UTF-7 (RFC 3501 5.1.3): printable US-ASCII, "&-" for "&",
// and "&" modified-BASE64 "-" runs that decode to well-formed UTF-16 with zero padding bits and
// hold no character that could represent itself. Dovecot rejects the same names ("Mailbox name
// is not valid mUTF-7").
bool IsValidModifiedUtf7(std::string_view name);

}  // namespace hadron::imap
