// A cache of successful password verifications (issue 8), like Dovecot's auth_cache: a second
// LOGIN with the same password skips scrypt. It holds no password: per account, an HMAC-SHA256
// of the password under a random per-process key, a digest of the stored scrypt parameters,
// salt and hash it was verified against, and an expiry. A password change alters the stored
// hash, so an old entry no longer matches even if nobody drops it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "statesvc/store/password.h"

namespace hadron::store {

struct LoginCacheOptions {
  absl::Duration ttl = absl::Hours(1);  // zero (or negative): the cache is off
  size_t max_entries = 100000;           // zero: the cache is off
  std::function<absl::Time()> clock;     // null: absl::Now
};

class LoginCache {
 public:
  explicit LoginCache(LoginCacheOptions options);
  LoginCache(const LoginCache&) = delete;
  LoginCache& operator=(const LoginCache&) = delete;

  bool enabled() const { return enabled_; }
  // True if `password` was verified for `account` against exactly `stored`, within the TTL.
  bool Check(std::string_view account, std::string_view password, const PasswordHash& stored);
  // Records a successful scrypt verification of `password` against `stored`.
  void Remember(std::string_view account, std::string_view password, const PasswordHash& stored);
  void Forget(std::string_view account);
  size_t size() const;
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::string mac;          // HMAC-SHA256(key_, password)
    std::string stored_id;    // SHA-256 of the stored n, r, p, salt and hash
    absl::Time expires;
    uint64_t seq = 0;         // insertion order, for eviction
  };
  bool CheckEnabled(std::string_view account, std::string_view password,
                    const PasswordHash& stored);
  std::string Mac(std::string_view password) const;
  static std::string StoredId(const PasswordHash& stored);
  absl::Time Now() const;
  void EvictOldestLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const LoginCacheOptions options_;
  bool enabled_;
  std::string key_;  // 32 random bytes, set once in the constructor
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<uint64_t> hits_{0};    // Check() answered true
  std::atomic<uint64_t> misses_{0};  // Check() answered false while enabled
};

}  // namespace hadron::store
