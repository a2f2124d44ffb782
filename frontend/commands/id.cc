// ID (RFC 2971). The client's identification is logged (as Dovecot's imap_id_log), JSON-escaped.
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdId(Session& s, const imap::Command& cmd) {
  if (const auto* args = std::get_if<imap::IdArgs>(&cmd.args); args && !args->params.empty()) {
    std::string text;
    for (const auto& [k, v] : args->params) {
      absl::StrAppend(&text, text.empty() ? "" : ", ", k, "=", v ? *v : std::string("NIL"));
    }
    LogWith(spdlog::level::info, {{"session", s.id()}, {"client_id", text}}, "client ID");
  }
  co_await s.Send("* ID (\"name\" \"Hadron\" \"vendor\" \"Hadron\" \"version\" \"0.1\")\r\n");
  co_await Complete(s, cmd, "ID completed.");
}

}  // namespace hadron::frontend
