// Failed-login throttling (issue 6): per account and per source address, a growing delay before
// a failed login is answered, and a temporary lockout after too many failures. Per frontend
// (state is in memory; with N frontends an attacker gets at most N times the budget).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace hadron::frontend {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    int free_failures = 3;                          // failures answered without extra delay
    std::chrono::milliseconds base_delay{500};      // then base, 2*base, 4*base ...
    std::chrono::milliseconds max_delay{8000};      // ... up to this
    int lockout_failures = 10;                      // this many in `window`: locked
    // Addresses only slow down by default: many users may share one (NAT, a proxy), and a
    // lockout of the address would lock them all out.
    bool lock_addresses = false;
    std::chrono::seconds lockout{300};              // for this long
    std::chrono::seconds window{900};               // failures older than this are forgotten
    size_t max_entries = 100000;                    // bound on remembered keys (oldest dropped)
  };
  LoginThrottle() : LoginThrottle(Options()) {}
  explicit LoginThrottle(const Options& options) : options_(options) {}

  struct Decision {
    bool locked = false;                 // refuse without checking the password
    std::chrono::milliseconds delay{0};  // wait this long before answering a failure
  };
  // Before checking credentials of `user` from `address` (empty: do not track the address).
  Decision Check(const std::string& user, const std::string& address, Clock::time_point now)
      ABSL_LOCKS_EXCLUDED(mu_);
  // After the check. A success clears the account's failures (not the address's).
  void Failure(const std::string& user, const std::string& address, Clock::time_point now)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Success(const std::string& user, const std::string& address) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    int failures = 0;
    Clock::time_point last;
    Clock::time_point locked_until;
  };
  Decision Judge(const Entry& e, Clock::time_point now) const;
  void Bump(absl::flat_hash_map<std::string, Entry>& map, const std::string& key,
            Clock::time_point now, bool can_lock) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> by_user_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Entry> by_address_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hadron::frontend
