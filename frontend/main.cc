// hadron-frontend: IMAP in front, the state service behind.
#include <csignal>
#include <functional>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "common/grpc_tls.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_split.h"
#include "asio/io_context.hpp"
#include "asio/signal_set.hpp"
#include "asio/steady_timer.hpp"
#include "common/log.h"
#include "frontend/lmtp/lmtp_server.h"
#include "common/metrics/http_server.h"
#include "frontend/ops/readiness.h"
#include "frontend/server/server.h"
#include "common/shard/ring.h"
#include "frontend/state_client/sharded.h"
#include "frontend/state_client/state_client.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:1143", "IMAP listener, HOST:PORT (STARTTLS if TLS is set)");
ABSL_FLAG(std::string, tls_listen, "", "implicit-TLS IMAP listener, HOST:PORT");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain file");
ABSL_FLAG(std::string, tls_key, "", "PEM private key file");
ABSL_FLAG(std::string, statesvc, "127.0.0.1:50051", "state service(s), HOST:PORT[,HOST:PORT...]");
ABSL_FLAG(std::string, statesvc_tls_ca, "", "PEM CA of the statesvc: talk to it over TLS");
ABSL_FLAG(std::string, statesvc_tls_cert, "", "PEM client certificate for the statesvc (mTLS)");
ABSL_FLAG(std::string, statesvc_tls_key, "", "PEM key of --statesvc_tls_cert");
ABSL_FLAG(bool, statesvc_allow_plaintext, false,
          "allow plaintext gRPC to a non-loopback statesvc (loopback is always allowed)");
ABSL_FLAG(int, threads, 0, "I/O threads; 0 = one per core");
ABSL_FLAG(int64_t, max_literal, 64 << 20, "largest APPEND literal accepted (APPENDLIMIT)");
ABSL_FLAG(bool, literal_minus, false,
          "advertise LITERAL- (non-synchronizing literals up to 4096 bytes) instead of LITERAL+");
ABSL_FLAG(int, login_timeout_seconds, 60, "disconnect a client that has not logged in after this");
ABSL_FLAG(int, idle_timeout_seconds, 30 * 60, "disconnect a logged-in client idle for this long");
ABSL_FLAG(int, write_timeout_seconds, 300,
          "close a connection whose output makes no progress for this long");
ABSL_FLAG(int64_t, max_connections, 100000, "connections on this frontend");
ABSL_FLAG(int64_t, max_connections_per_address, 1000, "connections from one source address");
ABSL_FLAG(int64_t, max_sessions_per_account, 100, "logged-in sessions of one account here");
ABSL_FLAG(int, login_free_failures, 3, "failed logins (per account, per address) without delay");
ABSL_FLAG(int, login_base_delay_ms, 500, "then this delay before answering, doubling each time");
ABSL_FLAG(int, login_max_delay_ms, 8000, "up to this");
ABSL_FLAG(int, login_lockout_failures, 10, "this many failures in 15 minutes lock the account "
          "(and the address) out");
ABSL_FLAG(int, login_lockout_seconds, 300, "for this long");
ABSL_FLAG(bool, login_lock_addresses, false,
          "lock out source addresses too (default: addresses only get the growing delay)");
ABSL_FLAG(bool, login_throttle_loopback, false,
          "throttle failed logins by address for loopback peers too (a local proxy: leave off)");
ABSL_FLAG(int, idle_keepalive_seconds, 120, "IDLE sends \"* OK Still here\" this often");
// Plaintext authentication policy (issue 6), as Dovecot's disable_plaintext_auth.
ABSL_FLAG(bool, allow_plaintext_auth, false,
          "allow LOGIN and AUTHENTICATE PLAIN/LOGIN without TLS on non-loopback connections");
ABSL_FLAG(bool, trace_protocol, false,
          "log every IMAP command and response of every session (cut to 200 bytes; LOGIN "
          "passwords and SASL responses redacted)");
ABSL_FLAG(bool, loopback_is_secure, true,
          "connections from loopback count as secure for plaintext authentication");
// LMTP delivery (issue 7, frontend/lmtp).
ABSL_FLAG(std::string, lmtp_listen, "", "LMTP (RFC 2033) listener, HOST:PORT; empty: none");
ABSL_FLAG(int64_t, lmtp_max_message_bytes, 64 << 20, "largest message LMTP accepts (SIZE)");
ABSL_FLAG(int, lmtp_max_connections, 64, "concurrent LMTP connections");
// Operations (docs/operations.md "Observability and draining"): metrics, health, draining.
ABSL_FLAG(std::string, metrics_listen, "",
          "HOST:PORT for HTTP GET /metrics (Prometheus), /healthz and /readyz; empty: none");
ABSL_FLAG(std::string, grpc_health_listen, "",
          "HOST:PORT for grpc.health.v1 (\"\" SERVING while ready); empty: none");
ABSL_FLAG(int, drain_timeout_seconds, 30,
          "on SIGTERM, how long running commands may take to finish before the frontend exits");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  hadron::InitLogging("frontend");
  // Debian's Abseil is built with mutex deadlock detection on, a lock-graph update on every
  // Mutex acquisition (~1 % of the mixed benchmark's CPU, docs/benchmarks.md); TSAN and the
  // unit tests still check lock order.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  hadron::GrpcTlsConfig grpc_tls;
  grpc_tls.ca = absl::GetFlag(FLAGS_statesvc_tls_ca);
  grpc_tls.cert = absl::GetFlag(FLAGS_statesvc_tls_cert);
  grpc_tls.key = absl::GetFlag(FLAGS_statesvc_tls_key);
  grpc_tls.allow_plaintext = absl::GetFlag(FLAGS_statesvc_allow_plaintext);
  // Sharding (issue 7): --statesvc is the ORDERED shard list; one channel per shard, shared by
  // its calls and its Watch stream. Accounts are placed by common/shard/ring.h.
  auto ring = hadron::shard::ShardRing::Parse(absl::GetFlag(FLAGS_statesvc));
  if (!ring.ok()) {
    std::cerr << "hadron-frontend: --statesvc: " << ring.status().message() << "\n";
    return 2;
  }
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (const auto& target : ring->addresses()) {
    auto credentials = hadron::GrpcChannelCredentials(grpc_tls, target);
    if (!credentials.ok()) {
      std::cerr << "hadron-frontend: " << credentials.status().message() << "\n";
      return 2;
    }
    channels.push_back(hadron::frontend::NewStateChannel(target, *credentials));
  }
  std::unique_ptr<hadron::frontend::StateClient> state;
  if (channels.size() == 1) {
    state = hadron::frontend::NewGrpcStateClient(channels[0]);
  } else {
    std::vector<std::unique_ptr<hadron::frontend::StateClient>> clients;
    for (const auto& c : channels) clients.push_back(hadron::frontend::NewGrpcStateClient(c));
    state = hadron::frontend::NewShardedStateClient(std::move(clients));
  }
  asio::io_context io;
  hadron::frontend::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.tls_listen = absl::GetFlag(FLAGS_tls_listen);
  options.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key = absl::GetFlag(FLAGS_tls_key);
  options.session.max_literal = static_cast<size_t>(absl::GetFlag(FLAGS_max_literal));
  options.session.literal_minus = absl::GetFlag(FLAGS_literal_minus);
  options.session.login_timeout = std::chrono::seconds(absl::GetFlag(FLAGS_login_timeout_seconds));
  options.session.idle_timeout = std::chrono::seconds(absl::GetFlag(FLAGS_idle_timeout_seconds));
  options.session.idle_keepalive =
      std::chrono::seconds(absl::GetFlag(FLAGS_idle_keepalive_seconds));
  if (options.session.login_timeout.count() <= 0 || options.session.idle_timeout.count() <= 0 ||
      options.session.idle_keepalive.count() <= 0 || absl::GetFlag(FLAGS_max_literal) <= 0) {
    std::cerr << "hadron-frontend: timeouts and --max_literal must be positive\n";
    return 2;
  }
  options.write_timeout = std::chrono::seconds(absl::GetFlag(FLAGS_write_timeout_seconds));
  options.session.allow_plaintext_auth = absl::GetFlag(FLAGS_allow_plaintext_auth);
  options.session.loopback_is_secure = absl::GetFlag(FLAGS_loopback_is_secure);
  options.session.trace = absl::GetFlag(FLAGS_trace_protocol);
  hadron::frontend::LoginThrottle::Options throttle;
  throttle.free_failures = absl::GetFlag(FLAGS_login_free_failures);
  throttle.base_delay = std::chrono::milliseconds(absl::GetFlag(FLAGS_login_base_delay_ms));
  throttle.max_delay = std::chrono::milliseconds(absl::GetFlag(FLAGS_login_max_delay_ms));
  throttle.lockout_failures = absl::GetFlag(FLAGS_login_lockout_failures);
  throttle.lockout = std::chrono::seconds(absl::GetFlag(FLAGS_login_lockout_seconds));
  throttle.lock_addresses = absl::GetFlag(FLAGS_login_lock_addresses);
  options.session.throttle_loopback = absl::GetFlag(FLAGS_login_throttle_loopback);
  hadron::frontend::ConnectionLimits::Options limits;
  limits.max_total = static_cast<size_t>(absl::GetFlag(FLAGS_max_connections));
  limits.per_address = static_cast<size_t>(absl::GetFlag(FLAGS_max_connections_per_address));
  limits.per_account = static_cast<size_t>(absl::GetFlag(FLAGS_max_sessions_per_account));
  if (options.write_timeout.count() <= 0 || throttle.lockout_failures <= 0 ||
      absl::GetFlag(FLAGS_max_connections) <= 0 ||
      absl::GetFlag(FLAGS_max_connections_per_address) <= 0 ||
      absl::GetFlag(FLAGS_max_sessions_per_account) <= 0) {
    std::cerr << "hadron-frontend: limits and timeouts must be positive\n";
    return 2;
  }
  options.session.login_throttle = std::make_shared<hadron::frontend::LoginThrottle>(throttle);
  options.session.limits = hadron::frontend::ConnectionLimits::Create(limits);
  // Sessions that select the same mailbox share one base snapshot (issue 3).
  options.session.snapshots = std::make_shared<hadron::frontend::SnapshotCache>();
  std::unique_ptr<hadron::frontend::MailboxWatcher> watcher;
  if (channels.size() == 1) {
    watcher = hadron::frontend::NewGrpcMailboxWatcher(channels[0], io);
  } else {
    std::vector<std::unique_ptr<hadron::frontend::MailboxWatcher>> watchers;
    for (const auto& c : channels) watchers.push_back(hadron::frontend::NewGrpcMailboxWatcher(c, io));
    watcher = hadron::frontend::NewShardedMailboxWatcher(std::move(watchers));
  }
  hadron::frontend::Server server(io, *state, watcher.get(), options);
  if (auto st = server.Start(); !st.ok()) {
    std::cerr << "hadron-frontend: " << st.message() << "\n";
    return 1;
  }
  // LMTP delivers through the public Mail API of the account's shard, on the shards' channels.
  std::unique_ptr<hadron::frontend::lmtp::LmtpServer> lmtp;
  auto lmtp_mail = std::make_shared<std::vector<std::unique_ptr<hadron::mail::v1::Mail::Stub>>>();
  for (const auto& c : channels) lmtp_mail->push_back(hadron::mail::v1::Mail::NewStub(c));
  if (!absl::GetFlag(FLAGS_lmtp_listen).empty()) {
    hadron::frontend::lmtp::LmtpOptions lo;
    lo.listen = absl::GetFlag(FLAGS_lmtp_listen);
    lo.max_message_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_lmtp_max_message_bytes));
    lo.max_connections = static_cast<size_t>(absl::GetFlag(FLAGS_lmtp_max_connections));
    if (absl::GetFlag(FLAGS_lmtp_max_message_bytes) <= 0 || absl::GetFlag(FLAGS_lmtp_max_connections) <= 0) {
      std::cerr << "hadron-frontend: LMTP limits must be positive\n";
      return 2;
    }
    lmtp = std::make_unique<hadron::frontend::lmtp::LmtpServer>(
        lo, [lmtp_mail](const std::string& account) -> hadron::mail::v1::Mail::StubInterface* {
          return (*lmtp_mail)[hadron::shard::OwnerOf(account, lmtp_mail->size())].get();
        });
    if (auto st = lmtp->Start(); !st.ok()) {
      std::cerr << "hadron-frontend: " << st.message() << "\n";
      return 1;
    }
  }
  // Operations: readiness follows the statesvcs (/readyz, grpc.health.v1), /metrics, and on
  // SIGTERM a drain: stop accepting, BYE to idle sessions, running commands finish (bounded).
  std::unique_ptr<hadron::frontend::HealthServer> health;
  if (!absl::GetFlag(FLAGS_grpc_health_listen).empty()) {
    auto h = hadron::frontend::HealthServer::Start(absl::GetFlag(FLAGS_grpc_health_listen));
    if (!h.ok()) {
      std::cerr << "hadron-frontend: " << h.status().message() << "\n";
      return 1;
    }
    health = std::move(*h);
  }
  std::vector<hadron::frontend::Readiness::Target> probe_targets;
  for (const auto& t : ring->addresses()) {
    auto c = hadron::GrpcChannelCredentials(grpc_tls, t);
    if (!c.ok()) {
      std::cerr << "hadron-frontend: " << c.status().message() << "\n";
      return 2;
    }
    probe_targets.push_back({t, *c});
  }
  hadron::frontend::Readiness readiness(std::move(probe_targets), health.get());
  std::unique_ptr<hadron::metrics::MetricsHttpServer> metrics_http;
  if (!absl::GetFlag(FLAGS_metrics_listen).empty()) {
    hadron::metrics::MetricsHttpServer::Options mo;
    mo.listen = absl::GetFlag(FLAGS_metrics_listen);
    mo.ready = [&readiness] { return readiness.ready(); };
    auto m = hadron::metrics::MetricsHttpServer::Start(mo);
    if (!m.ok()) {
      std::cerr << "hadron-frontend: " << m.status().message() << "\n";
      return 1;
    }
    metrics_http = std::move(*m);
  }
  const auto drain_timeout = std::chrono::seconds(absl::GetFlag(FLAGS_drain_timeout_seconds));
  std::chrono::steady_clock::time_point drain_deadline;
  asio::steady_timer drain_timer(io);
  std::function<void()> wait_drained = [&] {
    size_t left = server.session_count();
    if (left == 0 || std::chrono::steady_clock::now() >= drain_deadline) {
      spdlog::info("drained ({} sessions cut at the deadline); exiting", left);
      io.stop();
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(50));
    drain_timer.async_wait([&](const asio::error_code& ec) {
      if (!ec) wait_drained();
    });
  };
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code&, int sig) {
    spdlog::info("signal {}: draining (up to {} s)", sig, drain_timeout.count());
    readiness.SetDraining();
    server.StopAccepting();
    if (lmtp) lmtp->Stop();
    server.Drain();
    drain_deadline = std::chrono::steady_clock::now() + drain_timeout;
    wait_drained();
  });
  // SIGHUP: reload the TLS certificate and key (issue 6); a bad file keeps the old ones.
  asio::signal_set reload(io, SIGHUP);
  std::function<void(const asio::error_code&, int)> on_hup =
      [&](const asio::error_code& ec, int) {
        if (ec) return;
        absl::Status st = server.ReloadTls();
        if (st.ok()) {
          spdlog::info("TLS certificate reloaded");
        } else {
          spdlog::error("TLS certificate not reloaded, keeping the previous one: {}", std::string(st.message()));
        }
        reload.async_wait(on_hup);
      };
  reload.async_wait(on_hup);
  std::signal(SIGPIPE, SIG_IGN);
  int threads = absl::GetFlag(FLAGS_threads);
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  return 0;
}
