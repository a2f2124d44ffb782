// STARTTLS (RFC 3501 6.2.1): the handshake starts right after the tagged OK. Bytes the client
// pipelined after the command are discarded (they were sent in the clear).
#include "common/log.h"
#include "frontend/commands/commands.h"
#include "frontend/session/session.h"
#include "spdlog/spdlog.h"

namespace hadron::frontend {

asio::awaitable<void> CmdStartTls(Session& s, const imap::Command& cmd) {
  if (!s.transport().can_start_tls()) {
    co_await s.Tagged(cmd, "BAD", "TLS is not available here");
    co_return;
  }
  co_await s.Tagged(cmd, "OK", "Begin TLS negotiation now.");
  s.reader() = imap::CommandReader(s.ReaderLimits());
  absl::Status st = co_await s.transport().StartTls();
  if (!st.ok()) {
    LogWith(spdlog::level::info, {{"session", s.id()}}, "STARTTLS handshake failed: {}",
            st.ToString());
    s.set_logout();
  }
}

}  // namespace hadron::frontend
