#include "frontend/limits/login_throttle.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace hadron::frontend {

LoginThrottle::Decision LoginThrottle::Judge(const Entry& e, Clock::time_point now) const {
  Decision d;
  if (now - e.last > options_.window) return d;  // forgotten
  if (e.locked_until > now) {
    d.locked = true;
    return d;
  }
  int over = e.failures - options_.free_failures;
  if (over > 0) {
    auto delay = options_.base_delay * (1LL << std::min(over - 1, 20));
    d.delay = std::min<std::chrono::milliseconds>(delay, options_.max_delay);
  }
  return d;
}

LoginThrottle::Decision LoginThrottle::Check(const std::string& user, const std::string& address,
                                             Clock::time_point now) {
  absl::MutexLock lock(&mu_);
  Decision out;
  for (auto* map : {&by_user_, &by_address_}) {
    if (map == &by_address_ && address.empty()) continue;
    auto it = map->find(map == &by_user_ ? absl::AsciiStrToLower(user) : address);
    if (it == map->end()) continue;
    Decision d = Judge(it->second, now);
    out.locked |= d.locked;
    out.delay = std::max(out.delay, d.delay);
  }
  return out;
}

void LoginThrottle::Bump(absl::flat_hash_map<std::string, Entry>& map, const std::string& key,
                         Clock::time_point now, bool can_lock) {
  if (map.size() >= options_.max_entries && !map.contains(key)) {
    // Forget the stalest entry (linear, but only when the table is full).
    auto oldest = map.begin();
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->second.last < oldest->second.last) oldest = it;
    }
    map.erase(oldest);
  }
  Entry& e = map[key];
  if (now - e.last > options_.window) e.failures = 0;
  ++e.failures;
  e.last = now;
  if (can_lock && e.failures >= options_.lockout_failures) {
    e.locked_until = now + options_.lockout;
    e.failures = 0;  // after the lockout, the count starts again
  }
}

void LoginThrottle::Failure(const std::string& user, const std::string& address,
                            Clock::time_point now) {
  absl::MutexLock lock(&mu_);
  Bump(by_user_, absl::AsciiStrToLower(user), now, /*can_lock=*/true);
  if (!address.empty()) Bump(by_address_, address, now, options_.lock_addresses);
}

void LoginThrottle::Success(const std::string& user, const std::string& address) {
  absl::MutexLock lock(&mu_);
  by_user_.erase(absl::AsciiStrToLower(user));
}

}  // namespace hadron::frontend
