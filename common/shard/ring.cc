// Rendezvous hashing of account names over an ordered shard list (see ring.h).
#include "common/shard/ring.h"

#include <openssl/evp.h>

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace hadron::shard {

std::string RoutingKey(std::string_view account) {
  std::string out(account);
  for (char& c : out) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return out;
}

uint64_t Score(size_t shard, std::string_view key) {
  // A fixed, documented function: the placement must never depend on the build or the platform.
  std::string input("hadron-shard");
  input.push_back('\0');
  input += std::to_string(shard);
  input.push_back('\0');
  input.append(key.data(), key.size());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), md, &len, EVP_sha256(), nullptr);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | md[i];
  return v;
}

size_t OwnerOf(std::string_view account, size_t shards) {
  if (shards <= 1) return 0;
  std::string key = RoutingKey(account);
  size_t best = 0;
  uint64_t best_score = Score(0, key);
  for (size_t i = 1; i < shards; ++i) {
    uint64_t s = Score(i, key);
    if (s > best_score) {  // ties (never seen in practice) go to the lower index
      best = i;
      best_score = s;
    }
  }
  return best;
}

absl::StatusOr<ShardRing> ShardRing::Parse(std::string_view list) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (absl::string_view part : absl::StrSplit(absl::string_view(list.data(), list.size()), ',')) {
    std::string addr(absl::StripAsciiWhitespace(part));
    if (addr.empty()) return absl::InvalidArgumentError("empty entry in the shard list");
    if (!seen.insert(addr).second) {
      return absl::InvalidArgumentError(absl::StrCat("shard ", addr, " is listed twice"));
    }
    out.push_back(std::move(addr));
  }
  if (out.size() > kMaxShards) return absl::InvalidArgumentError("more than 256 shards");
  return ShardRing(std::move(out));
}

}  // namespace hadron::shard
