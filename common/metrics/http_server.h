// MetricsHttpServer: the operations HTTP endpoint of a process (--metrics_listen):
//   GET /metrics  Prometheus text format 0.0.4 of a Registry
//   GET /healthz  200 while the process runs (liveness)
//   GET /readyz   200 while `ready()` says so, else 503 (readiness)
// One thread, one connection at a time, each bounded by a short socket timeout: scrapes and
// probes are small and rare, and this keeps the endpoint independent of the servers' own
// threads (a wedged IMAP loop must not hide /metrics).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/metrics/metrics.h"

namespace hadron::metrics {

class MetricsHttpServer {
 public:
  struct Options {
    std::string listen;                 // HOST:PORT (port 0 picks one)
    Registry* registry = nullptr;       // default: Registry::Global()
    std::function<bool()> ready;        // null: always ready
  };
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(Options options);
  ~MetricsHttpServer();  // stops the thread and closes the socket

  int port() const { return port_; }

 private:
  MetricsHttpServer(Options options, int fd, int wake_read, int wake_write, int port);
  void Loop();
  void Serve(int fd);

  const Options options_;
  const int fd_;
  const int wake_read_;
  const int wake_write_;
  const int port_;
  std::thread thread_;
};

}  // namespace hadron::metrics
