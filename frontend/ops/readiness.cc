// Readiness probing of the statesvcs and the frontend's grpc.health.v1 server.
#include "frontend/ops/readiness.h"

#include <optional>
#include <utility>

#include "absl/time/clock.h"

#include "common/metrics/metrics.h"
#include "frontend/state_client/state_client.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "spdlog/spdlog.h"

namespace hadron::frontend {

namespace hv = ::grpc::health::v1;

class HealthServer::Service final : public hv::Health::Service {
 public:
  void Set(bool serving) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    serving_ = serving;
  }
  void Stop() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }

  grpc::Status Check(grpc::ServerContext*, const hv::HealthCheckRequest* req,
                     hv::HealthCheckResponse* resp) override ABSL_LOCKS_EXCLUDED(mu_) {
    if (!req->service().empty()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
    absl::MutexLock lock(&mu_);
    resp->set_status(serving_ ? hv::HealthCheckResponse::SERVING
                              : hv::HealthCheckResponse::NOT_SERVING);
    return grpc::Status::OK;
  }

  // Sends the status now and at every change, until the client cancels or the server stops.
  grpc::Status Watch(grpc::ServerContext* ctx, const hv::HealthCheckRequest* req,
                     grpc::ServerWriter<hv::HealthCheckResponse>* writer) override
      ABSL_LOCKS_EXCLUDED(mu_) {
    std::optional<hv::HealthCheckResponse::ServingStatus> sent;
    for (;;) {
      hv::HealthCheckResponse::ServingStatus now;
      {
        absl::MutexLock lock(&mu_);
        if (stopped_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "shutting down");
        now = !req->service().empty() ? hv::HealthCheckResponse::SERVICE_UNKNOWN
              : serving_             ? hv::HealthCheckResponse::SERVING
                                     : hv::HealthCheckResponse::NOT_SERVING;
      }
      if (ctx->IsCancelled()) return grpc::Status::CANCELLED;
      if (!sent || *sent != now) {
        hv::HealthCheckResponse resp;
        resp.set_status(now);
        if (!writer->Write(resp)) return grpc::Status::CANCELLED;
        sent = now;
      }
      absl::SleepFor(absl::Milliseconds(200));  // polls: a probe's status changes rarely
    }
  }

 private:
  absl::Mutex mu_;
  bool serving_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

HealthServer::HealthServer() : service_(std::make_unique<Service>()) {}

absl::StatusOr<std::unique_ptr<HealthServer>> HealthServer::Start(const std::string& listen) {
  std::unique_ptr<HealthServer> s(new HealthServer());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &s->port_);
  builder.RegisterService(s->service_.get());
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || s->port_ == 0) {
    return absl::UnavailableError("cannot listen on --grpc_health_listen " + listen);
  }
  return s;
}

HealthServer::~HealthServer() {
  service_->Stop();
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    server_->Wait();
  }
}

void HealthServer::SetServing(bool serving) { service_->Set(serving); }

struct Readiness::Probe {
  std::string address;
  std::unique_ptr<hv::Health::Stub> stub;
  metrics::Gauge& up;
};

Readiness::Readiness(std::vector<Target> targets, HealthServer* health,
                     std::chrono::milliseconds interval)
    : health_(health), interval_(interval) {
  auto& up = metrics::Registry::Global().AddGauge(
      "hadron_frontend_statesvc_up",
      "1 while the statesvc answers grpc.health.v1 SERVING (probed every second), by target",
      {"target"});
  metrics::Registry::Global()
      .AddGauge("hadron_frontend_ready", "1 while /readyz answers 200")
      .Get();
  for (auto& t : targets) {
    probes_.push_back(std::make_unique<Probe>(Probe{
        t.address, hv::Health::NewStub(NewStateChannel(t.address, t.credentials)),
        up.WithLabels({t.address})}));
  }
  thread_ = std::thread([this] { Loop(); });
}

Readiness::~Readiness() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void Readiness::SetDraining() {
  {
    absl::MutexLock lock(&mu_);
    draining_ = true;
  }
  Publish(false);
}

void Readiness::Publish(bool statesvcs_up) {
  bool ready;
  bool changed;
  {
    // Under the lock, so a probe that finished before SetDraining cannot publish after it.
    absl::MutexLock lock(&mu_);
    ready = statesvcs_up && !draining_;
    changed = ready_.exchange(ready) != ready;
    if ((changed || !published_) && health_ != nullptr) health_->SetServing(ready);
    published_ = true;
  }
  metrics::Registry::Global().AddGauge("hadron_frontend_ready", "").Get().Set(ready ? 1 : 0);
  if (changed) spdlog::info("readiness: {}", ready ? "ready" : "not ready");
}

void Readiness::Loop() {
  const auto timeout = std::min(interval_, std::chrono::milliseconds(1000));
  for (;;) {
    bool all_up = !probes_.empty();
    for (auto& p : probes_) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + timeout);
      hv::HealthCheckRequest req;
      hv::HealthCheckResponse resp;
      grpc::Status st = p->stub->Check(&ctx, req, &resp);
      bool up = st.ok() && resp.status() == hv::HealthCheckResponse::SERVING;
      p->up.Set(up ? 1 : 0);
      all_up = all_up && up;
    }
    Publish(all_up);
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::FromChrono(interval_))) return;
  }
}

}  // namespace hadron::frontend
