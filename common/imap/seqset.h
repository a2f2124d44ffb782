// IMAP sequence sets (RFC 3501 sequence-set, RFC 5182 "$"): parse, resolve, format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace hadron::imap {

// A parsed set is bounded so that a hostile client cannot make us allocate without limit.
inline constexpr size_t kMaxSeqRanges = 100000;

// One element of a sequence set, as written: "a", "a:b" or with "*". The value 0 stands for "*".
// first/last keep the client's order ("5:1" stays {5, 1}); Resolve() normalizes.
struct SeqRange {
  uint32_t first;
  uint32_t last;
};

struct SequenceSet {
  std::vector<SeqRange> ranges;
  bool saved = false;  // "$": the result saved by SEARCH RETURN (SAVE) (RFC 5182); ranges empty
};

// Parses an RFC 3501 sequence-set ("1,3:5,7:*,*") or "$". Errors are InvalidArgument.
absl::StatusOr<SequenceSet> ParseSequenceSet(std::string_view text);

// Sorted, non-overlapping, non-adjacent inclusive ranges with "*" replaced by `star` (the
// largest sequence number or UID in use; 0 for an empty mailbox). Values above `star` are kept:
// the caller filters. A "$" set resolves to nothing (the caller substitutes its saved result).
std::vector<std::pair<uint32_t, uint32_t>> Resolve(const SequenceSet& set, uint32_t star);

// Whether `v` is in the set, "*" meaning `star`. Linear in the number of ranges.
bool Contains(const SequenceSet& set, uint32_t v, uint32_t star);

// Compact form of ascending values (duplicates allowed): {1,2,3,7,9,10} -> "1:3,7,9:10".
// Empty input gives "". For COPYUID, APPENDUID and ESEARCH ALL.
std::string FormatUidSet(std::vector<uint32_t> sorted_uids);

// The set as IMAP text ("1:3,7,*", "$"); ranges as written. For logs and tests.
std::string FormatSequenceSet(const SequenceSet& set);

// A set made of ascending values (e.g. a saved SEARCH result), compacted into ranges.
SequenceSet SequenceSetFromValues(const std::vector<uint32_t>& sorted_values);

}  // namespace hadron::imap
