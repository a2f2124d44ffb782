// ShardRing: which statesvc shard owns an account. Rendezvous (highest-random-weight) hashing
// over the ORDERED shard list: shard i's score for an account is the first 8 bytes of
// SHA-256("hadron-shard\0" + i + "\0" + lower-case name), and the highest score owns it. A shard
// is identified by its position, not its address, so addresses may change freely; appending a
// shard moves only the accounts the new shard now wins (about 1/(N+1) of them), each from its
// old owner to the new shard, and nothing between old shards. Shards are only ever appended.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace hadron::shard {

// The routing key of an account name: ASCII lower case, as the account store canonicalizes it.
std::string RoutingKey(std::string_view account);

// The score of `shard` for the routing key `key` (exposed for tests).
uint64_t Score(size_t shard, std::string_view key);

// The owner of `account` among `shards` shards (shards >= 1); a pure function of the two.
size_t OwnerOf(std::string_view account, size_t shards);

// An ordered list of shard addresses ("HOST:PORT,HOST:PORT,...").
class ShardRing {
 public:
  // Splits "a,b,c" (blanks around commas ignored); errors on an empty list, an empty entry or
  // a repeated address.
  static absl::StatusOr<ShardRing> Parse(std::string_view list);
  explicit ShardRing(std::vector<std::string> addresses) : addresses_(std::move(addresses)) {}

  size_t size() const { return addresses_.size(); }
  const std::vector<std::string>& addresses() const { return addresses_; }
  const std::string& address(size_t i) const { return addresses_[i]; }
  size_t OwnerOf(std::string_view account) const { return shard::OwnerOf(account, size()); }
  const std::string& AddressOf(std::string_view account) const {
    return addresses_[OwnerOf(account)];
  }

 private:
  std::vector<std::string> addresses_;
};

// Frontends hand sessions a single 64-bit account id whatever shard the account is on: the
// shard's own id with the shard index in the top byte. Shard 0's ids are unchanged, so a
// one-shard cluster sees exactly the statesvc's ids. A statesvc never hands out ids >= 2^56.
constexpr int kShardIdShift = 56;
constexpr size_t kMaxShards = 256;
constexpr uint64_t kLocalIdMask = (uint64_t{1} << kShardIdShift) - 1;
inline uint64_t GlobalId(size_t shard, uint64_t local) {
  return (static_cast<uint64_t>(shard) << kShardIdShift) | (local & kLocalIdMask);
}
inline size_t ShardOfId(uint64_t global) { return static_cast<size_t>(global >> kShardIdShift); }
inline uint64_t LocalId(uint64_t global) { return global & kLocalIdMask; }

}  // namespace hadron::shard
