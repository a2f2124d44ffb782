// SORT (RFC 5256, RFC 5957) and THREAD (RFC 5256) over a mailbox, ordered like Dovecot 2.3.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "statesvc/store/store.h"
#include "statesvc/store/types.h"

namespace hadron::store {

// Same values as hadron.state.v1.SortCriterion.Key.
enum class SortKeyKind {
  kArrival = 0,
  kCc = 1,
  kDate = 2,
  kFrom = 3,
  kSize = 4,
  kSubject = 5,
  kTo = 6,
  kDisplayFrom = 7,
  kDisplayTo = 8,
};

struct SortCriterion {
  SortKeyKind key = SortKeyKind::kArrival;
  bool reverse = false;
};

// What sorting and threading read of one message.
struct SortMessage {
  uint32_t uid = 0;
  int64_t internal_date = 0;  // seconds since 1970
  uint64_t size = 0;          // RFC822.SIZE
  std::string header;         // the message's header block (the whole message will do)
};

// The RFC 5256 2.1 base subject of an already RFC 2047-decoded Subject value, titlecased as
// Dovecot compares it. `reply_or_forward` tells whether a Re:/Fwd:/(fwd) was removed.
std::string BaseSubject(std::string_view decoded_subject, bool* reply_or_forward = nullptr);

// Dovecot's "i;unicode-casemap" form: each character titlecased and decomposed (ASCII letters
// become upper case). Invalid UTF-8 becomes U+FFFD.
std::string DecomposedTitlecase(std::string_view utf8);

// The Date: value as seconds since 1970 (Dovecot's message_date_parse); 0 when it does not
// parse (callers then use the internal date, as Dovecot does).
int64_t SentTime(std::string_view date_value);

// The first `name` header of a header block as written (encoded words kept), unfolded, leading
// blanks removed (Dovecot's mail_get_first_header). nullopt when there is none.
std::optional<std::string> FirstHeader(std::string_view header, std::string_view name);

// The next message id in `*s` (Dovecot's message_id_get_next): the text between < and >,
// containing '@', with whitespace removed. nullopt when none is left.
std::optional<std::string> NextMessageId(std::string_view* s);

// `messages` in SORT order; ties in UID (= sequence) order.
std::vector<uint32_t> SortMessages(const std::vector<SortMessage>& messages,
                                   const std::vector<SortCriterion>& criteria);

enum class ThreadAlgorithm { kOrderedSubject = 0, kReferences = 1 };

// One node of a THREAD answer, depth-first in answer order.
struct ThreadEntry {
  uint32_t uid = 0;     // 0: dummy root
  int32_t parent = -1;  // index of the parent entry, -1 for a root
};

// `messages` (ascending UIDs) threaded.
std::vector<ThreadEntry> ThreadMessages(const std::vector<SortMessage>& messages,
                                        ThreadAlgorithm algorithm);

// The messages of a mailbox matching `key`, ascending UIDs, with their headers.
absl::StatusOr<std::vector<SortMessage>> LoadSortMessages(Store& store, uint64_t account,
                                                          uint64_t mailbox, const SearchKey& key);

// The messages of a mailbox matching `key`, sorted / threaded.
absl::StatusOr<std::vector<uint32_t>> SortMailbox(Store& store, uint64_t account,
                                                  uint64_t mailbox, const SearchKey& key,
                                                  const std::vector<SortCriterion>& criteria);
absl::StatusOr<std::vector<ThreadEntry>> ThreadMailbox(Store& store, uint64_t account,
                                                       uint64_t mailbox, const SearchKey& key,
                                                       ThreadAlgorithm algorithm);

}  // namespace hadron::store
