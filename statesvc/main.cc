// hadron-statesvc: serves the State and Mail gRPC APIs over one RocksDB database.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>

#include <grpc/support/log.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/log.h"
#include "spdlog/spdlog.h"
#include "statesvc/service/server.h"
#include "statesvc/store/store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "HOST:PORT for the gRPC services");
ABSL_FLAG(std::string, data_dir, "", "directory of the RocksDB database (created if missing)");
ABSL_FLAG(std::string, metrics_listen, "", "HOST:PORT for /metrics (not implemented yet)");

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
  if (rest.size() > 1) return Fail(std::string("unexpected argument ") + rest[1]);
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  const std::string listen = absl::GetFlag(FLAGS_listen);
  if (data_dir.empty()) return Fail("--data_dir is required");
  if (!ValidHostPort(listen)) {
    return Fail("--listen must be HOST:PORT, got '" + listen + "'");
  }
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
  auto store = hadron::store::Store::Open(data_dir);
  if (!store.ok()) return Fail(std::string(store.status().message()));
  auto server = hadron::service::Server::Start(store->get(), listen);
  if (!server.ok()) return Fail(std::string(server.status().message()));
  g_started = true;
  if (!absl::GetFlag(FLAGS_metrics_listen).empty()) {
    spdlog::warn("metrics endpoint not implemented yet; --metrics_listen ignored");
  }
  spdlog::info("serving on port {} with data in {}", (*server)->port(), data_dir);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("signal {}: shutting down", sig);
  (*server)->Shutdown();
  server->reset();
  store->reset();
  spdlog::info("stopped");
  return 0;
}
