// AUTHENTICATE PLAIN (RFC 3501 6.2.2, RFC 4616), with SASL-IR (RFC 4959).
#include <string>

#include "absl/strings/escaping.h"
#include "frontend/commands/commands.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> LoginWith(Session& s, const imap::Command& cmd, const std::string& user,
                                const std::string& password);

asio::awaitable<void> CmdAuthenticate(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::AuthenticateArgs>(cmd.args);
  if (a.mechanism != "PLAIN") {
    co_await s.Tagged(cmd, "NO", "Unsupported authentication mechanism");
    co_return;
  }
  std::string b64;
  if (a.initial_response) {
    b64 = *a.initial_response == "=" ? "" : *a.initial_response;
  } else {
    co_await s.Send("+ \r\n");
    auto line = co_await s.ReadLine();
    if (!line) {
      s.set_logout();
      co_return;
    }
    if (*line == "*") {
      co_await s.Tagged(cmd, "BAD", "Authentication aborted by client");
      co_return;
    }
    b64 = *line;
  }
  std::string decoded;
  if (!absl::Base64Unescape(b64, &decoded)) {
    co_await s.Tagged(cmd, "BAD", "Invalid base64 data in continued response");
    co_return;
  }
  // authzid NUL authcid NUL passwd
  size_t p1 = decoded.find('\0');
  size_t p2 = p1 == std::string::npos ? p1 : decoded.find('\0', p1 + 1);
  if (p1 == std::string::npos || p2 == std::string::npos) {
    co_await s.Tagged(cmd, "BAD", "Invalid PLAIN response");
    co_return;
  }
  std::string authz = decoded.substr(0, p1);
  std::string user = decoded.substr(p1 + 1, p2 - p1 - 1);
  std::string pass = decoded.substr(p2 + 1);
  if (!authz.empty() && authz != user) {
    co_await s.Tagged(cmd, "NO", "[AUTHORIZATIONFAILED] Authorization as another user is not allowed");
    co_return;
  }
  co_await LoginWith(s, cmd, user, pass);
}

}  // namespace hadron::frontend
