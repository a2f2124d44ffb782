// COMPRESS (RFC 4978): after the tagged OK both directions are raw deflate, over TCP or TLS.
#include <string>

#include "frontend/commands/commands.h"
#include "frontend/session/deflate_transport.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdCompress(Session& s, const imap::Command& cmd) {
  // The parser hands the mechanism over in AuthenticateArgs (uppercased).
  const auto& a = std::get<imap::AuthenticateArgs>(cmd.args);
  if (s.compression_active()) {
    co_await s.Tagged(cmd, "NO", "[COMPRESSIONACTIVE] DEFLATE compression is already active");
    co_return;
  }
  if (a.mechanism != "DEFLATE") {
    co_await s.Tagged(cmd, "NO", "Unknown compression mechanism");
    co_return;
  }
  if (s.read_in_flight()) {  // cannot happen between commands; refuse rather than corrupt
    co_await s.Tagged(cmd, "NO", "[UNAVAILABLE] Cannot start compression now");
    co_return;
  }
  co_await s.Tagged(cmd, "OK", "DEFLATE active");
  // Anything the client sent after the command is already compressed.
  std::string pending = s.reader().TakeBuffered();
  s.WrapTransport([&pending](std::unique_ptr<Transport> inner) {
    return MakeDeflateTransport(std::move(inner), std::move(pending));
  });
  s.set_compression_active();
}

}  // namespace hadron::frontend
