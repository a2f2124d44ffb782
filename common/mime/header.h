// Internal: RFC 5322 header splitting and the MIME header-value grammar (tokens, parameters).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/mime/mime.h"

namespace hadron::mime::internal {

struct HeaderField {
  std::string_view name;  // trailing blanks trimmed
  std::string_view raw;   // the whole field as written, folding and line end included
  std::string value;      // after the colon: leading blanks skipped, folds removed
  std::string_view folded;  // the same, but with the folding line breaks kept
};

// Splits a header block (it may end with the blank line, or not) into fields. Lines that are
// neither fields nor continuations are skipped.
std::vector<HeaderField> SplitHeader(std::string_view header);

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Skips blanks, CR, LF and (nested) comments; returns the text of the last comment skipped
// through *comment when non-null.
void SkipCfws(std::string_view s, size_t* pos, std::string* comment = nullptr);

// A MIME token (RFC 2045: no tspecials, controls or spaces); empty when there is none.
std::string_view ParseToken(std::string_view s, size_t* pos);

// A quoted-string with escapes undone; *pos must be at the opening quote.
std::string ParseQuoted(std::string_view s, size_t* pos);

// ";" attribute "=" value parameters after *pos, with RFC 2231 continuations merged like
// Dovecot's rfc2231_parse(): plain parameters first, then merged ones.
Params ParseParams(std::string_view s, size_t* pos);

// Transfer decoders as Dovecot's message decoder applies them (lenient: bad input is skipped).
std::string DecodeQuotedPrintable(std::string_view in, bool q_encoding);
std::string DecodeBase64Lenient(std::string_view in);

}  // namespace hadron::mime::internal
