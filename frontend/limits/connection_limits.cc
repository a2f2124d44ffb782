#include "frontend/limits/connection_limits.h"

namespace hadron::frontend {

ConnectionLimits::Token::~Token() { owner_->Release(account_, key_); }

std::unique_ptr<ConnectionLimits::Token> ConnectionLimits::Connect(const std::string& address) {
  absl::MutexLock lock(&mu_);
  if (total_ >= options_.max_total) return nullptr;
  size_t& n = by_address_[address];
  if (n >= options_.per_address) {
    if (n == 0) by_address_.erase(address);
    return nullptr;
  }
  ++n;
  ++total_;
  return std::unique_ptr<Token>(new Token(shared_from_this(), false, address));
}

std::unique_ptr<ConnectionLimits::Token> ConnectionLimits::Login(const std::string& account) {
  absl::MutexLock lock(&mu_);
  size_t& n = by_account_[account];
  if (n >= options_.per_account) {
    if (n == 0) by_account_.erase(account);
    return nullptr;
  }
  ++n;
  return std::unique_ptr<Token>(new Token(shared_from_this(), true, account));
}

size_t ConnectionLimits::total() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

void ConnectionLimits::Release(bool account, const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto& map = account ? by_account_ : by_address_;
  auto it = map.find(key);
  if (it != map.end() && --it->second == 0) map.erase(it);
  if (!account) --total_;
}

}  // namespace hadron::frontend
