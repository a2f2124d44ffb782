// LOGIN (RFC 3501 6.2.3).
#include <chrono>

#include "absl/strings/str_cat.h"
#include "asio/steady_timer.hpp"
#include "asio/this_coro.hpp"
#include "asio/use_awaitable.hpp"
#include "frontend/commands/commands.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

// Shared with AUTHENTICATE: checks the credentials and enters the Authenticated state.
asio::awaitable<void> LoginWith(Session& s, const imap::Command& cmd, const std::string& user,
                                const std::string& password);

namespace {

asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(asio::use_awaitable);
}

}  // namespace

asio::awaitable<void> LoginWith(Session& s, const imap::Command& cmd, const std::string& user,
                                const std::string& password) {
  LoginThrottle* throttle = s.config().login_throttle.get();
  // Loopback peers (tests, a local proxy) are not throttled by address unless configured.
  const std::string address =
      s.transport().loopback() && !s.config().throttle_loopback ? "" : s.peer_address();
  if (throttle && throttle->Check(user, address, LoginThrottle::Clock::now()).locked) {
    // Locked out (issue 6): not even the right password gets in until the lockout ends.
    co_await s.Tagged(cmd, "NO", "[UNAVAILABLE] Too many failed logins; try again later.");
    co_return;
  }
  pb::AuthenticateRequest req;
  req.set_username(user);
  req.set_password(password);
  auto res = co_await s.state().Authenticate(req);
  if (!res.ok()) {
    auto code = res.status().code();
    if (code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded) {
      co_await s.Fail(cmd, res.status());
    } else {
      if (throttle) {
        throttle->Failure(user, address, LoginThrottle::Clock::now());
        auto d = throttle->Check(user, address, LoginThrottle::Clock::now()).delay;
        if (d.count() > 0) co_await Sleep(d);
      }
      co_await s.Tagged(cmd, "NO", "[AUTHENTICATIONFAILED] Authentication failed.");
    }
    co_return;
  }
  if (throttle) throttle->Success(user, address);
  if (ConnectionLimits* limits = s.config().limits.get()) {
    auto token = limits->Login(res->username());
    if (!token) {
      co_await s.Tagged(cmd, "NO",
                        "[UNAVAILABLE] Too many sessions of this account; log out elsewhere.");
      co_return;
    }
    s.set_login_token(std::move(token));
  }
  s.session_state() = Authenticated{res->account_id(), res->username()};
  co_await s.Tagged(cmd, "OK",
                    absl::StrCat("[CAPABILITY ", s.Capabilities(), "] Logged in"));
}

asio::awaitable<void> CmdLogin(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::LoginArgs>(cmd.args);
  if (!s.PlaintextAuthAllowed()) {
    co_await s.Tagged(cmd, "NO", kPrivacyRequired);
    co_return;
  }
  co_await LoginWith(s, cmd, a.user, a.password);
}

}  // namespace hadron::frontend
