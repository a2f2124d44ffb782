// hadron-statesvc: serves the State and Mail gRPC APIs over one RocksDB database.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include <grpc/support/log.h>

#include "absl/flags/flag.h"
#include "common/grpc_tls.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/metrics/http_server.h"
#include "spdlog/spdlog.h"
#include "statesvc/service/server.h"
#include "statesvc/store/store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "HOST:PORT for the gRPC services");
ABSL_FLAG(std::string, grpc_tls_cert, "", "PEM certificate chain for gRPC over TLS");
ABSL_FLAG(std::string, grpc_tls_key, "", "PEM private key for gRPC over TLS");
ABSL_FLAG(std::string, grpc_tls_client_ca, "",
          "PEM CA: require client certificates signed by it (mTLS)");
ABSL_FLAG(bool, grpc_allow_plaintext, false,
          "allow plaintext gRPC on a non-loopback --listen (loopback is always allowed)");
ABSL_FLAG(int64_t, min_free_disk_mb, 64,
          "refuse writes (NO [UNAVAILABLE]) while the data directory has less free space than this");
ABSL_FLAG(std::string, data_dir, "", "directory of the RocksDB database (created if missing)");
ABSL_FLAG(int64_t, expunged_retention_seconds, 3600,
          "how long an expunged message stays fetchable for sessions not yet told of the expunge");
ABSL_FLAG(int64_t, changelog_keep, 100000,
          "change-log entries (modseqs) kept per mailbox; older ones are trimmed (0: keep all)");
// Sharding (issue 7): this statesvc's place in the ordered shard list; with both set it refuses
// to create an account that the ring places on another shard. Unset: accept every account.
ABSL_FLAG(int, shard_index, 0, "this statesvc's index in the ordered shard list (with --shards)");
ABSL_FLAG(int, shards, 0, "number of shards in the list; 0 = do not check account placement");
ABSL_FLAG(int64_t, changelog_keep_seconds, 3600,
          "change-log entries younger than this are kept even beyond --changelog_keep");
// Performance (issue 8): SELECT's column cache of big mailboxes (statesvc/store/column_cache.h).
ABSL_FLAG(int64_t, select_cache_mb, 256,
          "memory for the SELECT column cache of big mailboxes, MiB (0: no cache)");
ABSL_FLAG(int64_t, select_cache_min_messages, 5000,
          "mailboxes with fewer messages are not kept in the SELECT column cache");
// Backups (deploy slice): Mail.Checkpoint / hadronctl backup write RocksDB checkpoints only here.
ABSL_FLAG(std::string, backup_dir, "",
          "directory for checkpoints (hadronctl backup); empty: checkpoints are refused");
// Operations (docs/operations.md "Observability and draining"): metrics, health, draining.
ABSL_FLAG(std::string, metrics_listen, "",
          "HOST:PORT for HTTP GET /metrics (Prometheus), /healthz and /readyz; empty: none");
ABSL_FLAG(int, drain_timeout_seconds, 30,
          "on SIGTERM, how long running calls (in-flight writes) may take before they are cancelled");
// Login cache (issue 8, docs/operations.md "Login cache"): successful scrypt verifications.
ABSL_FLAG(int64_t, login_cache_ttl_seconds, 3600,
          "how long a successful LOGIN verification is remembered (the next LOGIN with the same "
          "password skips scrypt); 0: no login cache");
ABSL_FLAG(int64_t, login_cache_size, 100000,
          "at most this many accounts in the login cache (the oldest go first); 0: no cache");

namespace {

// Until the server is up, startup errors are reported once, by us; gRPC's own lines go to debug.
std::atomic<bool> g_started{false};

void GrpcLog(gpr_log_func_args* args) {
  if (!g_started.load() || args->severity == GPR_LOG_SEVERITY_DEBUG) {
    spdlog::debug("grpc: {}", args->message);
  } else if (args->severity == GPR_LOG_SEVERITY_ERROR) {
    spdlog::error("grpc: {}", args->message);
  } else {
    spdlog::info("grpc: {}", args->message);
  }
}

bool ValidHostPort(const std::string& hp) {
  size_t colon = hp.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == hp.size()) return false;
  std::string port = hp.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
  return std::stoi(port) <= 65535;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "hadron-statesvc: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built with mutex deadlock detection on, a lock-graph update on every
  // Mutex acquisition (~1 % of the mixed benchmark's CPU, docs/benchmarks.md); TSAN and the
  // unit tests still check lock order.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (rest.size() > 1) return Fail(std::string("unexpected argument ") + rest[1]);
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  const std::string listen = absl::GetFlag(FLAGS_listen);
  if (data_dir.empty()) return Fail("--data_dir is required");
  if (!ValidHostPort(listen)) {
    return Fail("--listen must be HOST:PORT, got '" + listen + "'");
  }
  const int64_t retention = absl::GetFlag(FLAGS_expunged_retention_seconds);
  const int64_t keep = absl::GetFlag(FLAGS_changelog_keep);
  const int64_t keep_seconds = absl::GetFlag(FLAGS_changelog_keep_seconds);
  if (retention < 0) return Fail("--expunged_retention_seconds must be >= 0");
  if (keep < 0) return Fail("--changelog_keep must be >= 0");
  if (keep_seconds < 0) return Fail("--changelog_keep_seconds must be >= 0");
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Fail("cannot create --data_dir " + data_dir + ": " + ec.message());

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  hadron::InitLogging("statesvc");
  gpr_set_log_function(GrpcLog);
  hadron::store::StoreOptions options;
  if (absl::GetFlag(FLAGS_min_free_disk_mb) < 0) return Fail("--min_free_disk_mb must be >= 0");
  options.min_free_bytes = static_cast<uint64_t>(absl::GetFlag(FLAGS_min_free_disk_mb)) << 20;
  options.expunged_retention = absl::Seconds(retention);
  options.changelog_keep = static_cast<uint64_t>(keep);
  options.changelog_keep_age = absl::Seconds(keep_seconds);
  options.backup_dir = absl::GetFlag(FLAGS_backup_dir);  // backups (deploy slice)
  if (absl::GetFlag(FLAGS_select_cache_mb) < 0 || absl::GetFlag(FLAGS_select_cache_min_messages) < 0) {
    return Fail("--select_cache_mb and --select_cache_min_messages must be >= 0");
  }
  options.select_cache_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_select_cache_mb)) << 20;
  options.select_cache_min_messages =
      static_cast<size_t>(absl::GetFlag(FLAGS_select_cache_min_messages));
  // Sweep often enough that nothing outlives its limit by more than half of it, and at least
  // once a minute; never busier than 4 times a second.
  options.sweep_interval = std::clamp(std::min(absl::Seconds(retention), absl::Seconds(keep_seconds)) / 2,
                                      absl::Milliseconds(250), absl::Seconds(60));
  options.on_sweep = [](const absl::StatusOr<hadron::store::SweepStats>& r) {
    if (!r.ok()) {
      spdlog::warn("retention sweep failed: {}", r.status().ToString());
    } else if (r->expunged_removed || r->changes_trimmed) {
      spdlog::info("retention sweep: {} expunged messages removed, {} change-log entries trimmed in "
                   "{} mailboxes", r->expunged_removed, r->changes_trimmed, r->mailboxes_trimmed);
    }
  };
  if (absl::GetFlag(FLAGS_shards) < 0 || absl::GetFlag(FLAGS_shards) > 256 ||
      absl::GetFlag(FLAGS_shard_index) < 0 ||
      (absl::GetFlag(FLAGS_shards) > 0 &&
       absl::GetFlag(FLAGS_shard_index) >= absl::GetFlag(FLAGS_shards))) {
    return Fail("--shard_index must be in [0, --shards) and --shards in [0, 256]");
  }
  options.shard_index = static_cast<size_t>(absl::GetFlag(FLAGS_shard_index));
  options.shard_count = static_cast<size_t>(absl::GetFlag(FLAGS_shards));
  if (absl::GetFlag(FLAGS_login_cache_ttl_seconds) < 0 || absl::GetFlag(FLAGS_login_cache_size) < 0) {
    return Fail("--login_cache_ttl_seconds and --login_cache_size must be >= 0");
  }
  options.login_cache_ttl = absl::Seconds(absl::GetFlag(FLAGS_login_cache_ttl_seconds));
  options.login_cache_size = static_cast<size_t>(absl::GetFlag(FLAGS_login_cache_size));
  auto store = hadron::store::Store::Open(data_dir, options);
  if (!store.ok()) return Fail(std::string(store.status().message()));
  hadron::GrpcTlsConfig tls;
  tls.cert = absl::GetFlag(FLAGS_grpc_tls_cert);
  tls.key = absl::GetFlag(FLAGS_grpc_tls_key);
  tls.ca = absl::GetFlag(FLAGS_grpc_tls_client_ca);
  tls.allow_plaintext = absl::GetFlag(FLAGS_grpc_allow_plaintext);
  auto credentials = hadron::GrpcServerCredentials(tls, listen);
  if (!credentials.ok()) return Fail(std::string(credentials.status().message()));
  auto server = hadron::service::Server::Start(store->get(), listen, *credentials);
  if (!server.ok()) return Fail(std::string(server.status().message()));
  g_started = true;
  // Operations: /metrics (RocksDB statistics and Watch subscriptions at scrape time), /readyz
  // while serving; the collector goes before the server and store it reads.
  if (absl::GetFlag(FLAGS_drain_timeout_seconds) < 0) return Fail("--drain_timeout_seconds must be >= 0");
  std::atomic<bool> ready{true};
  hadron::store::Store* store_ptr = store->get();
  hadron::service::Server* server_ptr = server->get();
  hadron::metrics::ScopedCollector collector(
      hadron::metrics::Registry::Global(), [store_ptr, server_ptr](auto& out) {
        store_ptr->CollectMetrics(out);
        out.push_back({"hadron_statesvc_watch_subscriptions",
                       "Mailboxes subscribed by the Watch streams (sum over streams)",
                       hadron::metrics::Type::kGauge,
                       {{"", {}, static_cast<double>(server_ptr->WatchSubscriptions())}}});
      });
  std::unique_ptr<hadron::metrics::MetricsHttpServer> metrics_http;
  if (!absl::GetFlag(FLAGS_metrics_listen).empty()) {
    hadron::metrics::MetricsHttpServer::Options mo;
    mo.listen = absl::GetFlag(FLAGS_metrics_listen);
    mo.ready = [&ready] { return ready.load(); };
    auto m = hadron::metrics::MetricsHttpServer::Start(mo);
    if (!m.ok()) return Fail(std::string(m.status().message()));
    metrics_http = std::move(*m);
    spdlog::info("metrics on {}", mo.listen);
  }
  spdlog::info("serving on port {} with data in {}", (*server)->port(), data_dir);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("signal {}: draining (up to {} s), then closing the database", sig,
               absl::GetFlag(FLAGS_drain_timeout_seconds));
  ready = false;
  (*server)->Shutdown(absl::Seconds(absl::GetFlag(FLAGS_drain_timeout_seconds)));
  metrics_http.reset();
  collector.Reset();
  server->reset();
  store->reset();  // flushes the memtables and closes RocksDB
  spdlog::info("stopped");
  return 0;
}
