// Internal: RFC 5322 address lists and the ENVELOPE rendering, following Dovecot's choices.
#pragma once

#include <string>
#include <string_view>

namespace hadron::mime::internal {

// An ENVELOPE address list: "NIL" for an empty value, else "((name adl mailbox host)...)" with
// groups as (NIL NIL "group" NIL) ... (NIL NIL NIL NIL) and Dovecot's MISSING_* fillers.
std::string RenderAddressList(std::string_view value);

// An address header value as Dovecot's message_address_write() prints it after parsing (SEARCH
// FROM/TO/CC/BCC match against this): "Name" <mailbox@domain>, names quoted and '"\\ escaped
// when they are not atoms, groups as "name: ...;", missing parts as MISSING_MAILBOX/DOMAIN.
std::string WriteAddressList(std::string_view value);

// The ten ENVELOPE fields of a header block, space separated, without the outer parentheses.
std::string RenderEnvelopeFields(std::string_view header);

}  // namespace hadron::mime::internal
