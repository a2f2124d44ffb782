// Readiness of a frontend: it is ready while every statesvc of its shard list answers
// grpc.health.v1 Check with SERVING (probed every second) and it is not draining. /readyz and
// the frontend's own grpc.health.v1 service (--grpc_health_listen) both follow it.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"

namespace hadron::frontend {

// grpc.health.v1 (Check and Watch) on its own port: "" is SERVING or NOT_SERVING per
// Readiness; any other service name is NOT_FOUND (Watch: SERVICE_UNKNOWN).
class HealthServer {
 public:
  static absl::StatusOr<std::unique_ptr<HealthServer>> Start(const std::string& listen);
  ~HealthServer();
  void SetServing(bool serving);
  int port() const { return port_; }

  class Service;

 private:
  HealthServer();
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

class Readiness {
 public:
  struct Target {
    std::string address;
    std::shared_ptr<grpc::ChannelCredentials> credentials;  // null: plaintext
  };
  // Starts the probe thread; `health` (may be null) gets the readiness on every change.
  Readiness(std::vector<Target> targets, HealthServer* health,
            std::chrono::milliseconds interval = std::chrono::milliseconds(1000));
  ~Readiness();  // stops the probe thread

  bool ready() const { return ready_.load(); }
  // Draining: not ready from now on, whatever the statesvcs say.
  void SetDraining() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop() ABSL_LOCKS_EXCLUDED(mu_);
  void Publish(bool statesvcs_up) ABSL_LOCKS_EXCLUDED(mu_);

  struct Probe;
  std::vector<std::unique_ptr<Probe>> probes_;
  HealthServer* const health_;
  const std::chrono::milliseconds interval_;
  std::atomic<bool> ready_{false};
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool published_ ABSL_GUARDED_BY(mu_) = false;  // health_ told at least once
  std::thread thread_;
};

}  // namespace hadron::frontend
