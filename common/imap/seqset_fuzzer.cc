// libFuzzer entry for sequence sets (RFC 3501 sequence-set, "$"): parsing, resolving against a
// "*", membership, and the two formatters, with the invariants between them checked (a broken
// invariant traps, which the fuzzer reports like a crash).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/imap/seqset.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  // The first four bytes are the value of "*"; the rest is the set's text.
  const uint32_t star = static_cast<uint32_t>(data[0]) | static_cast<uint32_t>(data[1]) << 8 |
                        static_cast<uint32_t>(data[2]) << 16 |
                        static_cast<uint32_t>(data[3]) << 24;
  std::string_view text(reinterpret_cast<const char*>(data) + 4, size - 4);
  auto set = hadron::imap::ParseSequenceSet(text);
  if (!set.ok()) return 0;
  Check(set->saved || !set->ranges.empty());
  Check(set->ranges.size() <= hadron::imap::kMaxSeqRanges);
  // Formatting and parsing again gives the same ranges.
  std::string formatted = hadron::imap::FormatSequenceSet(*set);
  auto again = hadron::imap::ParseSequenceSet(formatted);
  Check(again.ok());
  Check(again->saved == set->saved && again->ranges.size() == set->ranges.size());
  for (size_t i = 0; i < set->ranges.size(); ++i) {
    Check(again->ranges[i].first == set->ranges[i].first);
    Check(again->ranges[i].last == set->ranges[i].last);
  }
  // Resolve: sorted, disjoint, non-adjacent, each range ordered; Contains agrees at the edges.
  auto resolved = hadron::imap::Resolve(*set, star);
  std::vector<uint32_t> edges;
  for (size_t i = 0; i < resolved.size(); ++i) {
    Check(resolved[i].first <= resolved[i].second);
    if (i > 0) Check(static_cast<uint64_t>(resolved[i - 1].second) + 1 < resolved[i].first);
    if (!set->saved) {
      Check(hadron::imap::Contains(*set, resolved[i].first, star));
      Check(hadron::imap::Contains(*set, resolved[i].second, star));
      // Ranges are non-adjacent, so the value just below one is in none of them.
      if (resolved[i].first > 1) {
        Check(!hadron::imap::Contains(*set, resolved[i].first - 1, star));
      }
    }
    if (edges.size() < 2000) {
      edges.push_back(resolved[i].first);
      if (resolved[i].second != resolved[i].first) edges.push_back(resolved[i].second);
    }
  }
  // The compact UID-set form of ascending values parses back to exactly those values.
  std::string compact = hadron::imap::FormatUidSet(edges);
  if (!edges.empty() && edges.front() > 0) {
    auto parsed = hadron::imap::ParseSequenceSet(compact);
    Check(parsed.ok());
    for (uint32_t v : edges) Check(hadron::imap::Contains(*parsed, v, 0));
    auto from_values = hadron::imap::SequenceSetFromValues(edges);
    for (uint32_t v : edges) Check(hadron::imap::Contains(from_values, v, 0));
  }
  return 0;
}
