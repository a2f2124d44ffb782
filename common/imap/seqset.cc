// IMAP sequence sets: parsing, normalization and compact formatting.
#include "common/imap/seqset.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace hadron::imap {
namespace {

absl::Status Invalid() { return absl::InvalidArgumentError("Invalid sequence set"); }

// seq-number = nz-number / "*"; 0 stands for "*".
bool ParseSeqNumber(std::string_view s, size_t& i, uint32_t& out) {
  if (i < s.size() && s[i] == '*') {
    ++i;
    out = 0;
    return true;
  }
  if (i >= s.size() || s[i] < '1' || s[i] > '9') return false;  // nz-number: no leading 0
  uint64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    if (v > 0xffffffffULL) return false;
    ++i;
  }
  out = static_cast<uint32_t>(v);
  return true;
}

uint32_t Sub(uint32_t v, uint32_t star) { return v == 0 ? star : v; }

}  // namespace

absl::StatusOr<SequenceSet> ParseSequenceSet(std::string_view text) {
  SequenceSet set;
  if (text == "$") {
    set.saved = true;
    return set;
  }
  size_t i = 0;
  if (text.empty()) return Invalid();
  while (true) {
    SeqRange r{};
    if (!ParseSeqNumber(text, i, r.first)) return Invalid();
    r.last = r.first;
    if (i < text.size() && text[i] == ':') {
      ++i;
      if (!ParseSeqNumber(text, i, r.last)) return Invalid();
    }
    if (set.ranges.size() >= kMaxSeqRanges) {
      return absl::InvalidArgumentError("Sequence set too large");
    }
    set.ranges.push_back(r);
    if (i == text.size()) break;
    if (text[i] != ',') return Invalid();
    ++i;
  }
  return set;
}

std::vector<std::pair<uint32_t, uint32_t>> Resolve(const SequenceSet& set, uint32_t star) {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  out.reserve(set.ranges.size());
  for (const SeqRange& r : set.ranges) {
    uint32_t a = Sub(r.first, star), b = Sub(r.last, star);
    if (a > b) std::swap(a, b);
    out.emplace_back(a, b);
  }
  std::sort(out.begin(), out.end());
  size_t n = 0;
  for (size_t k = 0; k < out.size(); ++k) {
    if (n > 0 && (out[k].first <= out[n - 1].second ||
                  out[k].first - 1 == out[n - 1].second)) {
      out[n - 1].second = std::max(out[n - 1].second, out[k].second);
    } else {
      out[n++] = out[k];
    }
  }
  out.resize(n);
  return out;
}

bool Contains(const SequenceSet& set, uint32_t v, uint32_t star) {
  for (const SeqRange& r : set.ranges) {
    uint32_t a = Sub(r.first, star), b = Sub(r.last, star);
    if (a > b) std::swap(a, b);
    if (v >= a && v <= b) return true;
  }
  return false;
}

std::string FormatUidSet(std::vector<uint32_t> sorted_uids) {
  std::string out;
  size_t i = 0;
  while (i < sorted_uids.size()) {
    uint32_t first = sorted_uids[i], last = first;
    size_t j = i + 1;
    while (j < sorted_uids.size() &&
           (sorted_uids[j] == last || (last != UINT32_MAX && sorted_uids[j] == last + 1))) {
      last = sorted_uids[j++];
    }
    if (!out.empty()) out += ',';
    absl::StrAppend(&out, first);
    if (last != first) absl::StrAppend(&out, ":", last);
    i = j;
  }
  return out;
}

std::string FormatSequenceSet(const SequenceSet& set) {
  if (set.saved) return "$";
  std::string out;
  auto num = [&out](uint32_t v) {
    if (v == 0) {
      out += '*';
    } else {
      absl::StrAppend(&out, v);
    }
  };
  for (const SeqRange& r : set.ranges) {
    if (!out.empty()) out += ',';
    num(r.first);
    if (r.last != r.first) {
      out += ':';
      num(r.last);
    }
  }
  return out;
}

SequenceSet SequenceSetFromValues(const std::vector<uint32_t>& sorted_values) {
  SequenceSet set;
  size_t i = 0;
  while (i < sorted_values.size()) {
    uint32_t first = sorted_values[i], last = first;
    size_t j = i + 1;
    while (j < sorted_values.size() &&
           (sorted_values[j] == last ||
            (last != UINT32_MAX && sorted_values[j] == last + 1))) {
      last = sorted_values[j++];
    }
    set.ranges.push_back({first, last});
    i = j;
  }
  return set;
}

}  // namespace hadron::imap
