// A cache of successful password verifications; see login_cache.h.
#include "statesvc/store/login_cache.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdint>
#include <utility>

#include "absl/time/clock.h"

namespace hadron::store {

LoginCache::LoginCache(LoginCacheOptions options)
    : options_(std::move(options)),
      enabled_(options_.ttl > absl::ZeroDuration() && options_.max_entries > 0) {
  key_.resize(32);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key_.data()), static_cast<int>(key_.size())) !=
      1) {
    enabled_ = false;  // no randomness: better no cache than a predictable key
  }
}

absl::Time LoginCache::Now() const { return options_.clock ? options_.clock() : absl::Now(); }

std::string LoginCache::Mac(std::string_view password) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
           reinterpret_cast<const unsigned char*>(password.data()), password.size(), out,
           &len) == nullptr) {
    return std::string();
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string LoginCache::StoredId(const PasswordHash& stored) {
  std::string buf;
  auto put64 = [&buf](uint64_t v) {
    for (int i = 0; i < 8; ++i) buf.push_back(static_cast<char>(v >> (8 * i)));
  };
  put64(stored.n);
  put64(stored.r);
  put64(stored.p);
  put64(stored.salt.size());
  buf += stored.salt;
  put64(stored.hash.size());
  buf += stored.hash;
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(buf.data()), buf.size(), out);
  OPENSSL_cleanse(buf.data(), buf.size());
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

bool LoginCache::Check(std::string_view account, std::string_view password,
                       const PasswordHash& stored) {
  if (!enabled_) return false;
  const bool hit = CheckEnabled(account, password, stored);
  (hit ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
  return hit;
}

bool LoginCache::CheckEnabled(std::string_view account, std::string_view password,
                              const PasswordHash& stored) {
  const std::string mac = Mac(password);
  if (mac.empty()) return false;
  const std::string id = StoredId(stored);
  const absl::Time now = Now();
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(std::string(account));
  if (it == entries_.end()) return false;
  const Entry& e = it->second;
  if (now >= e.expires || e.stored_id != id) {
    entries_.erase(it);
    return false;
  }
  return e.mac.size() == mac.size() && CRYPTO_memcmp(e.mac.data(), mac.data(), mac.size()) == 0;
}

void LoginCache::Remember(std::string_view account, std::string_view password,
                          const PasswordHash& stored) {
  if (!enabled_) return;
  std::string mac = Mac(password);
  if (mac.empty()) return;
  std::string id = StoredId(stored);
  const absl::Time expires = Now() + options_.ttl;
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(std::string(account));
  if (it == entries_.end()) {
    while (entries_.size() >= options_.max_entries) EvictOldestLocked();
    it = entries_.emplace(std::string(account), Entry{}).first;
  }
  it->second = Entry{std::move(mac), std::move(id), expires, next_seq_++};
}

void LoginCache::EvictOldestLocked() {
  // Expired entries first; else the oldest insertion. O(n), but only when the cache is full,
  // and a miss already costs a scrypt (~0.1 s), far more than a pass over 100,000 entries.
  auto victim = entries_.end();
  const absl::Time now = Now();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (now >= it->second.expires) {
      victim = it;
      break;
    }
    if (victim == entries_.end() || it->second.seq < victim->second.seq) victim = it;
  }
  if (victim != entries_.end()) entries_.erase(victim);
}

void LoginCache::Forget(std::string_view account) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(std::string(account));
  if (it != entries_.end()) entries_.erase(it);
}

size_t LoginCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace hadron::store
