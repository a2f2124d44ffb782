// Internal: RFC 5322 address lists and the ENVELOPE rendering, following Dovecot's choices.
#pragma once

#include <string>
#include <string_view>

namespace hadron::mime::internal {

// An ENVELOPE address list: "NIL" for an empty value, else "((name adl mailbox host)...)" with
// groups as (NIL NIL "group" NIL) ... (NIL NIL NIL NIL) and Dovecot's MISSING_* fillers.
std::string RenderAddressList(std::string_view value);

// The ten ENVELOPE fields of a header block, space separated, without the outer parentheses.
std::string RenderEnvelopeFields(std::string_view header);

}  // namespace hadron::mime::internal
