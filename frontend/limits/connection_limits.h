// Connection limits of one frontend (issue 6): in all, per source address, and per account.
// A slot is held by a Token for as long as the connection (or login) lasts.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace hadron::frontend {

class ConnectionLimits : public std::enable_shared_from_this<ConnectionLimits> {
 public:
  struct Options {
    size_t max_total = 100000;     // connections on this frontend
    size_t per_address = 1000;     // connections from one source address
    size_t per_account = 100;      // logged-in sessions of one account on this frontend
  };
  static std::shared_ptr<ConnectionLimits> Create(const Options& options) {
    return std::shared_ptr<ConnectionLimits>(new ConnectionLimits(options));
  }

  // Releases its slot when destroyed.
  class Token {
   public:
    Token(Token&&) = delete;
    ~Token();

   private:
    friend class ConnectionLimits;
    Token(std::shared_ptr<ConnectionLimits> owner, bool account, std::string key)
        : owner_(std::move(owner)), account_(account), key_(std::move(key)) {}
    std::shared_ptr<ConnectionLimits> owner_;
    bool account_;
    std::string key_;
  };

  // A new connection from `address`; null when a limit is reached.
  std::unique_ptr<Token> Connect(const std::string& address) ABSL_LOCKS_EXCLUDED(mu_);
  // A login of `account` (canonical name); null when the account has too many sessions here.
  std::unique_ptr<Token> Login(const std::string& account) ABSL_LOCKS_EXCLUDED(mu_);

  size_t total() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  explicit ConnectionLimits(const Options& options) : options_(options) {}
  void Release(bool account, const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  size_t total_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, size_t> by_address_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, size_t> by_account_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hadron::frontend
