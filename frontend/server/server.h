// Server: IMAP listeners (plain with STARTTLS, and implicit TLS), one session per connection
// on its own strand.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "asio/io_context.hpp"
#include "asio/ssl/context.hpp"
#include "frontend/session/session.h"
#include "frontend/state_client/state_client.h"
#include "frontend/state_client/watcher.h"

namespace hadron::frontend {

struct ServerOptions {
  std::string listen;      // HOST:PORT, plain IMAP (STARTTLS when TLS is configured)
  std::string tls_listen;  // HOST:PORT, implicit TLS; empty = none
  std::string tls_cert;
  std::string tls_key;
  // A write that makes no progress for this long closes the connection (a client that does
  // not read; meanwhile its session reads no further commands).
  std::chrono::seconds write_timeout{300};
  SessionConfig session;
};

class Server {
 public:
  Server(asio::io_context& io, StateClient& state, MailboxWatcher* watcher,
         ServerOptions options);
  // Binds the listeners and starts accepting. Errors: bad address, port in use, bad cert.
  absl::Status Start();
  // Stops accepting new connections.
  void StopAccepting();
  // Reads the certificate and key files again (SIGHUP): new connections use them, running
  // sessions keep theirs. On error the previous certificate stays in use.
  absl::Status ReloadTls() ABSL_LOCKS_EXCLUDED(tls_mu_);
  // Draining (SIGTERM): tells every session to end once idle (Session::BeginDrain).
  void Drain();
  // Sessions still running.
  size_t session_count() const;

 private:
  asio::awaitable<void> AcceptLoop(std::shared_ptr<void> acceptor, bool implicit_tls);
  absl::StatusOr<std::shared_ptr<asio::ssl::context>> LoadTls() const;
  std::shared_ptr<asio::ssl::context> CurrentTls() const ABSL_LOCKS_EXCLUDED(tls_mu_);

  asio::io_context& io_;
  StateClient& state_;
  MailboxWatcher* watcher_;
  ServerOptions options_;
  mutable absl::Mutex tls_mu_;
  std::shared_ptr<asio::ssl::context> tls_ ABSL_GUARDED_BY(tls_mu_);
  std::vector<std::shared_ptr<void>> acceptors_;
  // Live sessions (operations: draining), by address. Shared with the session coroutines,
  // which may outlive the Server when the io_context is stopped with sessions still open.
  struct Sessions {
    absl::Mutex mu;
    absl::flat_hash_map<const Session*, std::weak_ptr<Session>> live ABSL_GUARDED_BY(mu);
    bool draining ABSL_GUARDED_BY(mu) = false;
  };
  std::shared_ptr<Sessions> sessions_ = std::make_shared<Sessions>();
};

}  // namespace hadron::frontend
