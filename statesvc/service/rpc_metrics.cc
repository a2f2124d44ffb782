// The RPC metrics interceptor: one per call, created and destroyed by gRPC.
#include "statesvc/service/rpc_metrics.h"

#include <atomic>
#include <chrono>
#include <string>

#include "common/metrics/metrics.h"
#include "common/tsan.h"
#include "grpcpp/support/status.h"

namespace hadron::service {
namespace {

using grpc::experimental::InterceptionHookPoints;

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::OK: return "OK";
    case grpc::CANCELLED: return "CANCELLED";
    case grpc::UNKNOWN: return "UNKNOWN";
    case grpc::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::NOT_FOUND: return "NOT_FOUND";
    case grpc::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::ABORTED: return "ABORTED";
    case grpc::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::INTERNAL: return "INTERNAL";
    case grpc::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::DATA_LOSS: return "DATA_LOSS";
    default: return "OTHER";
  }
}

struct RpcFamilies {
  metrics::Family<metrics::Counter>& calls;
  metrics::Family<metrics::Histogram>& latency;
  metrics::Family<metrics::Gauge>& in_flight;
  metrics::Gauge& watch_streams;
};

RpcFamilies& Families() {
  static RpcFamilies* f = [] {
    auto& r = metrics::Registry::Global();
    return new RpcFamilies{
        r.AddCounter("hadron_statesvc_rpcs_total",
                     "gRPC calls finished, by method (/package.Service/Method) and status code",
                     {"method", "code"}),
        r.AddHistogram("hadron_statesvc_rpc_duration_seconds",
                       "gRPC call duration (streams: their whole life), by method", {"method"}),
        r.AddGauge("hadron_statesvc_rpcs_in_flight", "gRPC calls running now, by method",
                   {"method"}),
        r.AddGauge("hadron_statesvc_watch_streams", "Watch streams open now (one per frontend)")
            .Get(),
    };
  }();
  return *f;
}

class RpcMetrics final : public grpc::experimental::Interceptor {
 public:
  explicit RpcMetrics(grpc::experimental::ServerRpcInfo* info)
      : method_(info->method() != nullptr ? info->method() : "?"),
        start_(std::chrono::steady_clock::now()),
        in_flight_(Families().in_flight.WithLabels({method_})),
        watch_(method_ == "/hadron.state.v1.State/Watch") {
    in_flight_.Inc();
    if (watch_) Families().watch_streams.Inc();
    // gRPC makes the interceptor on the thread that starts the call and deletes it on whichever
    // thread ends it, ordered inside libgrpc where TSAN cannot see (seen in a CI rehearsal:
    // ~RpcMetrics reading method_ "racing" with this constructor).
    HADRON_HAPPENS_BEFORE(this);
  }

  ~RpcMetrics() override {
    HADRON_HAPPENS_AFTER(this);
    in_flight_.Dec();
    if (watch_) Families().watch_streams.Dec();
    RpcFamilies& f = Families();
    f.calls.WithLabels({method_, code_.load(std::memory_order_relaxed)}).Inc();
    f.latency.WithLabels({method_})
        .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      code_.store(CodeName(methods->GetSendStatus().error_code()), std::memory_order_relaxed);
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  const std::chrono::steady_clock::time_point start_;
  metrics::Gauge& in_flight_;
  const bool watch_;
  // Set by the status hook; a call that sends none was cancelled (client gone, server shutdown).
  // Atomic: gRPC orders the hook before the destructor, but TSAN cannot see inside gRPC.
  std::atomic<const char*> code_{"CANCELLED"};
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcMetrics(info);
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewRpcMetricsFactory() {
  Families();  // declare the families at startup, so /metrics lists them before the first call
  return std::make_unique<Factory>();
}

}  // namespace hadron::service
