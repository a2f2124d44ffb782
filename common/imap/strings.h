// IMAP string renderings (quoted, literal, NIL) chosen the way Dovecot 2.3 chooses them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hadron::imap {

// True when `s` cannot (or, like Dovecot, should not) be sent as a quoted string: it holds CR,
// LF, NUL or a byte >= 0x80, or more than four quoted-specials (" and \), where a literal is
// shorter than the escaping.
bool NeedsLiteral(std::string_view s);

// An IMAP string: "quoted" with \" and \\ escapes, or a {n}\r\n literal when NeedsLiteral(s).
std::string Quote(std::string_view s);

// NIL when s is nullopt, else Quote(*s).
std::string NString(std::optional<std::string_view> s);

// Dovecot's imap_append_string_for_humans(): CR and LF dropped, runs of space/tab collapsed to
// one space, leading and trailing blanks trimmed, NUL shown as 0x80; the result goes out as a
// plain quoted string when nothing had to change and it has no specials, else as a literal.
// Used for ENVELOPE subjects and display names.
std::string QuoteForHumans(std::string_view s);

// Appends variants, to avoid temporaries in renderers.
void AppendQuote(std::string* out, std::string_view s);
void AppendQuoteForHumans(std::string* out, std::string_view s);

}  // namespace hadron::imap
