// Password hashing with scrypt (OpenSSL 3) and constant-time verification.
#include "statesvc/store/password.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <atomic>

#include "absl/status/status.h"

namespace hadron::store {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
constexpr uint64_t kMaxMem = 256ull << 20;

std::atomic<uint64_t> scrypt_runs{0};

absl::StatusOr<std::string> Scrypt(std::string_view password, std::string_view salt, uint64_t n,
                                   uint32_t r, uint32_t p) {
  scrypt_runs.fetch_add(1, std::memory_order_relaxed);
  std::string out(kHashBytes, '\0');
  if (EVP_PBE_scrypt(password.data(), password.size(),
                     reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), n, r, p,
                     kMaxMem, reinterpret_cast<unsigned char*>(out.data()), out.size()) != 1) {
    return absl::InternalError("scrypt failed");
  }
  return out;
}

}  // namespace

uint64_t ScryptRuns() { return scrypt_runs.load(std::memory_order_relaxed); }

absl::StatusOr<PasswordHash> HashPassword(std::string_view password, const ScryptParams& params) {
  PasswordHash h;
  h.n = params.n;
  h.r = params.r;
  h.p = params.p;
  h.salt.resize(kSaltBytes);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(h.salt.data()), kSaltBytes) != 1) {
    return absl::InternalError("no random bytes for the salt");
  }
  auto hash = Scrypt(password, h.salt, h.n, h.r, h.p);
  if (!hash.ok()) return hash.status();
  h.hash = std::move(*hash);
  return h;
}

bool VerifyPassword(std::string_view password, const PasswordHash& stored) {
  if (stored.hash.size() != kHashBytes) return false;
  auto hash = Scrypt(password, stored.salt, stored.n, stored.r, stored.p);
  if (!hash.ok()) return false;
  return CRYPTO_memcmp(hash->data(), stored.hash.data(), kHashBytes) == 0;
}

}  // namespace hadron::store
