// AUTHENTICATE (RFC 3501 6.2.2) with the PLAIN (RFC 4616) and LOGIN mechanisms, SASL-IR
// (RFC 4959), and "*" to cancel at any step.
#include <optional>
#include <string>

#include "common/imap/sasl.h"
#include "frontend/commands/commands.h"
#include "frontend/session/session.h"

namespace hadron::frontend {
namespace {

// One client response, decoded: sends the "+ <challenge>" line and reads the answer. nullopt
// when the command is over (cancelled, bad base64, disconnect): the tagged answer is sent.
asio::awaitable<std::optional<std::string>> Exchange(Session& s, const imap::Command& cmd,
                                                     std::string_view challenge_b64) {
  std::string prompt = "+ ";
  prompt.append(challenge_b64).append("\r\n");
  co_await s.Send(prompt);
  auto line = co_await s.ReadLine();
  if (!line) {
    // No answer within the login timeout: end the session as the main loop does (issue 6).
    co_await s.Send("* BYE Autologout; idle for too long\r\n");
    s.set_logout();
    co_return std::nullopt;
  }
  if (s.config().trace) s.Trace('C', *line == "*" ? "*" : "*** (SASL response)");
  if (*line == "*") {
    co_await s.Tagged(cmd, "BAD", "Authentication aborted by client.");
    co_return std::nullopt;
  }
  auto decoded = imap::sasl::DecodeResponse(*line, /*initial=*/false);
  if (!decoded.ok()) {
    co_await s.Tagged(cmd, "BAD", "Invalid base64 data in continued response");
    co_return std::nullopt;
  }
  co_return *std::move(decoded);
}

// The initial response (SASL-IR), decoded; "=" is the empty response. nullopt after a BAD.
asio::awaitable<std::optional<std::string>> Initial(Session& s, const imap::Command& cmd,
                                                    const std::string& b64) {
  auto decoded = imap::sasl::DecodeResponse(b64, /*initial=*/true);
  if (!decoded.ok()) {
    co_await s.Tagged(cmd, "BAD", "Invalid base64 data in initial response");
    co_return std::nullopt;
  }
  co_return *std::move(decoded);
}

}  // namespace

asio::awaitable<void> LoginWith(Session& s, const imap::Command& cmd, const std::string& user,
                                const std::string& password);

asio::awaitable<void> CmdAuthenticate(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::AuthenticateArgs>(cmd.args);
  if ((a.mechanism == "LOGIN" || a.mechanism == "PLAIN") && !s.PlaintextAuthAllowed()) {
    co_await s.Tagged(cmd, "NO", kPrivacyRequired);
    co_return;
  }
  if (a.mechanism == "LOGIN") {
    // draft-murchison-sasl-login, as Dovecot: "Username:" then "Password:" challenges; an
    // initial response is the user name (an empty one is no initial response).
    std::optional<std::string> user;
    if (a.initial_response && *a.initial_response != "=") {
      user = co_await Initial(s, cmd, *a.initial_response);
    } else {
      user = co_await Exchange(s, cmd, "VXNlcm5hbWU6");  // "Username:"
    }
    if (!user) co_return;
    auto password = co_await Exchange(s, cmd, "UGFzc3dvcmQ6");  // "Password:"
    if (!password) co_return;
    co_await LoginWith(s, cmd, *user, *password);
    co_return;
  }
  if (a.mechanism != "PLAIN") {
    co_await s.Tagged(cmd, "NO", "Unsupported authentication mechanism");
    co_return;
  }
  std::optional<std::string> decoded;
  if (a.initial_response) {
    decoded = co_await Initial(s, cmd, *a.initial_response);
  } else {
    decoded = co_await Exchange(s, cmd, "");
  }
  if (!decoded) co_return;
  auto plain = imap::sasl::ParsePlain(*decoded);
  if (!plain.ok()) {
    co_await s.Tagged(cmd, "BAD", "Invalid PLAIN response");
    co_return;
  }
  if (!plain->authzid.empty() && plain->authzid != plain->authcid) {
    co_await s.Tagged(cmd, "NO", "[AUTHORIZATIONFAILED] Authorization as another user is not allowed");
    co_return;
  }
  co_await LoginWith(s, cmd, plain->authcid, plain->password);
}

}  // namespace hadron::frontend
