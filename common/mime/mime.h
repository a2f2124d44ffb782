// MIME parsing of stored messages and the IMAP renderings (ENVELOPE, BODY, BODYSTRUCTURE, BODY[section]).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace hadron::mime {

// Nesting deeper than this is not parsed further: the part becomes a leaf.
inline constexpr int kMaxDepth = 100;

using Params = std::vector<std::pair<std::string, std::string>>;

// One node of the part tree. Offsets are into the raw message given to ParseMessage. The root is
// the message itself: its header is the message header. A message/rfc822 part has exactly one
// child, the encapsulated message (whose header is that message's header).
struct Part {
  uint64_t header_offset = 0;  // the part's MIME header (for the root: the message header)
  uint64_t header_size = 0;    // includes the blank line that ends it, when there is one
  uint64_t body_offset = 0;
  uint64_t body_size = 0;
  uint32_t body_lines = 0;  // LF count of the body, as Dovecot counts "lines"

  bool multipart = false;       // Content-Type multipart/*
  bool message_rfc822 = false;  // message/rfc822 (or the multipart/digest default)

  // As written in the header (case preserved, like Dovecot); nullopt when absent or unparsable.
  std::optional<std::string> type;
  std::optional<std::string> subtype;
  Params params;               // Content-Type parameters (RFC 2231 continuations merged)
  bool has_params = false;     // a Content-Type header was parsed (params may still be empty)
  std::optional<std::string> id;           // Content-ID
  std::optional<std::string> description;  // Content-Description
  std::optional<std::string> encoding;     // Content-Transfer-Encoding token
  std::optional<std::string> md5;          // Content-MD5
  std::optional<std::string> disposition;  // Content-Disposition token
  Params disposition_params;
  std::vector<std::string> language;       // Content-Language tags
  std::optional<std::string> location;     // Content-Location

  // message/rfc822 only: the encapsulated message's ENVELOPE, without the outer parentheses.
  std::string envelope;

  std::vector<Part> children;
};

struct MessageStructure {
  Part root;
  uint64_t size = 0;          // of the raw message
  std::string envelope;       // "(date subject from ... message-id)"
  std::string body;           // BODY
  std::string bodystructure;  // BODYSTRUCTURE
};

// Never fails: malformed input yields the best structure Dovecot would also report.
MessageStructure ParseMessage(std::string_view raw);

std::string RenderEnvelope(const MessageStructure& msg);
std::string RenderBody(const MessageStructure& msg);
std::string RenderBodyStructure(const MessageStructure& msg);

// A compact binary form for storage; DeserializeStructure validates everything it reads.
std::string SerializeStructure(const MessageStructure& msg);
absl::StatusOr<MessageStructure> DeserializeStructure(std::string_view bytes);

enum class SectionKind { kAll, kHeader, kHeaderFields, kHeaderFieldsNot, kText, kMime };

struct Section {
  std::vector<uint32_t> part;  // 1-based part numbers; empty = the whole message
  SectionKind kind = SectionKind::kAll;
  std::vector<std::string> fields;  // for kHeaderFields / kHeaderFieldsNot
};

// The bytes of BODY[section] (before <partial> is applied). Missing parts give "" like Dovecot.
// `msg` must be the structure parsed from `raw`; offsets out of range give "".
std::string ExtractSection(std::string_view raw, const MessageStructure& msg,
                           const Section& section);

// The bytes of BODY[section] as a view into `raw` when they are one slice of it (every kind but
// HEADER.FIELDS and HEADER.FIELDS.NOT; a missing part is an empty view); nullopt for those two,
// which ExtractSection builds. Lets FETCH send a body from where it is, without a copy.
std::optional<std::string_view> SectionSlice(std::string_view raw, const MessageStructure& msg,
                                             const Section& section);

// The part a section's part path names (the root for an empty path); nullptr when missing.
const Part* FindPartForSection(const MessageStructure& msg, const std::vector<uint32_t>& path);

// BINARY[part] (RFC 3516), as Dovecot builds it: a leaf's body with base64 / quoted-printable
// undone (7bit, 8bit, binary and no encoding: as stored); for a multipart or message/rfc822 part
// every leaf below it decoded, converted parts' headers saying "Content-Transfer-Encoding:
// binary", the bytes between them as stored. A missing part gives "".
// FailedPrecondition("UNKNOWN-CTE") when an encoding is unknown or the data cannot be decoded:
// answer NO [UNKNOWN-CTE].
struct BinaryPart {
  std::string data;
  bool literal8 = false;  // something was decoded, or there is a NUL: send as literal8 (~{n})
};
absl::StatusOr<BinaryPart> ExtractBinary(std::string_view raw, const MessageStructure& msg,
                                         const std::vector<uint32_t>& part);

// BINARY.SIZE[part]: the size of ExtractBinary's data; fails like Dovecot when any part of the
// whole message cannot be decoded.
absl::StatusOr<uint64_t> BinarySize(std::string_view raw, const MessageStructure& msg,
                                    const std::vector<uint32_t>& part);

// Strict decoders used by ExtractBinary (whitespace is skipped; anything else invalid fails).
absl::StatusOr<std::string> DecodeBase64Strict(std::string_view in);
absl::StatusOr<std::string> DecodeQuotedPrintableStrict(std::string_view in);

// Top-level header values of `field` (case-insensitive), unfolded, RFC 2047 decoded to UTF-8.
std::vector<std::string> HeaderValues(std::string_view raw, std::string_view field);

// The text/* leaf bodies with the transfer encoding undone, separated by newlines (for SEARCH
// BODY/TEXT). Charsets are not converted.
std::string SearchableText(std::string_view raw, const MessageStructure& msg);

// The day of the Date: header as written, in its own zone; nullopt when missing or unparsable.
std::optional<absl::CivilDay> SentDate(std::string_view raw);

// ASCII case-insensitive substring test (an empty needle matches).
bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle);

// The first address of an address-list header value as ENVELOPE parses it (Dovecot's
// MISSING_MAILBOX / MISSING_DOMAIN fillers; a group's name is the mailbox of its first entry).
// nullopt when the value holds no address. Used by SORT (FROM, TO, CC, DISPLAYFROM).
struct AddressParts {
  std::optional<std::string> name, mailbox, domain;
};
std::optional<AddressParts> FirstAddress(std::string_view value);

// Decodes RFC 2047 encoded-words (B and Q) to UTF-8 with CharsetToUtf8.
std::string DecodeRfc2047(std::string_view value);

// ---- SEARCH as Dovecot does it without full-text indexes (index-search.c, message-search.c) ----
// Keys and texts are compared after SearchNormalize(); a key matches when its normalized form is
// a substring of a normalized text.

// Dovecot's uni_utf8_to_decomposed_titlecase(): every character mapped to its simple titlecase,
// then replaced by its canonical or compatibility decomposition (one level); invalid UTF-8
// becomes U+FFFD (one per run).
std::string SearchNormalize(std::string_view utf8);

// `data` in `charset` converted to UTF-8 with iconv. UTF-8, US-ASCII, an empty name and charsets
// iconv does not know: the bytes are taken as UTF-8. Invalid input becomes U+FFFD.
std::string CharsetToUtf8(std::string_view charset, std::string_view data);

// How a header key compares (Dovecot's SEARCH_HEADER, _ADDRESS for FROM/TO/CC/BCC, and
// _COMPRESS_LWSP for SUBJECT).
enum class HeaderSearch { kPlain, kAddress, kCompressLwsp };

// The normalized value of every top-level `field` header, RFC 2047 decoded (any charset).
std::vector<std::string> SearchHeaderValues(std::string_view raw, std::string_view field,
                                            HeaderSearch mode);

// One normalized text per MIME part for BODY (with_headers false) and TEXT (true): the part's
// header lines ("Name: decoded value" CRLF) when with_headers, then, for text/* and message/*
// leaves (and parts without Content-Type), the body with its transfer encoding undone and
// converted from its charset. Matches never span two parts.
std::vector<std::string> SearchTexts(std::string_view raw, const MessageStructure& msg,
                                     bool with_headers);

// Rewrites bare LF as CRLF. Dovecot serves every message with CRLF line ends and reports sizes
// accordingly; storing the normalized form makes our sizes and sections match.
std::string NormalizeLineEndings(std::string_view raw);

// FETCH PREVIEW (RFC 8970) as Dovecot 2.3 computes it: the first text/* leaf (text/plain
// preferred inside multipart/alternative; message/rfc822 is not entered), decoded to UTF-8, HTML
// turned into text, lines starting with '>' left out (used, prefixed '>', only when nothing else
// remains), whitespace runs collapsed to one space, at most 200 characters. "" when no text.
std::string Preview(std::string_view raw, const MessageStructure& msg);

}  // namespace hadron::mime
