// LOGIN (RFC 3501 6.2.3).
#include "absl/strings/str_cat.h"
#include "frontend/commands/commands.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

// Shared with AUTHENTICATE: checks the credentials and enters the Authenticated state.
asio::awaitable<void> LoginWith(Session& s, const imap::Command& cmd, const std::string& user,
                                const std::string& password);

asio::awaitable<void> LoginWith(Session& s, const imap::Command& cmd, const std::string& user,
                                const std::string& password) {
  pb::AuthenticateRequest req;
  req.set_username(user);
  req.set_password(password);
  auto res = co_await s.state().Authenticate(req);
  if (!res.ok()) {
    auto code = res.status().code();
    if (code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded) {
      co_await s.Fail(cmd, res.status());
    } else {
      co_await s.Tagged(cmd, "NO", "[AUTHENTICATIONFAILED] Authentication failed.");
    }
    co_return;
  }
  s.session_state() = Authenticated{res->account_id(), res->username()};
  co_await s.Tagged(cmd, "OK",
                    absl::StrCat("[CAPABILITY ", s.Capabilities(), "] Logged in"));
}

asio::awaitable<void> CmdLogin(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::LoginArgs>(cmd.args);
  co_await LoginWith(s, cmd, a.user, a.password);
}

}  // namespace hadron::frontend
