// Password hashing with scrypt (OpenSSL 3) and constant-time verification.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace hadron::store {

struct PasswordHash {
  uint64_t n = 0;
  uint32_t r = 0;
  uint32_t p = 0;
  std::string salt;
  std::string hash;
};

struct ScryptParams {
  uint64_t n = 1 << 15;
  uint32_t r = 8;
  uint32_t p = 1;
};

// Hashes with a fresh random 16-byte salt.
absl::StatusOr<PasswordHash> HashPassword(std::string_view password, const ScryptParams& params);

// True if `password` matches; compares in constant time.
bool VerifyPassword(std::string_view password, const PasswordHash& stored);

// How many scrypt computations this process ran (hashing and verifying): tests check that a
// cached login skipped it.
uint64_t ScryptRuns();

}  // namespace hadron::store
