// hadronctl health: one grpc.health.v1 Check against any Hadron process (statesvc, or a
// frontend's --grpc_health_listen). Exit 0 when SERVING, 1 otherwise (NOT_SERVING, unknown
// service, unreachable); one line on stdout either way, so it works as a Kubernetes exec probe.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "common/grpc_tls.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tools/hadronctl/commands.h"
#include "tools/hadronctl/ctl.h"

ABSL_FLAG(std::string, target, "", "health: HOST:PORT of the gRPC server to check");
ABSL_FLAG(std::string, service, "", "health: service name to check (empty: the whole server)");

namespace hadronctl {

int CmdHealth(const std::vector<std::string>& args) {
  if (args.size() != 1) return Usage("health takes no arguments (--target, --service)");
  std::string target = absl::GetFlag(FLAGS_target);
  if (target.empty()) target = absl::GetFlag(FLAGS_statesvc);
  const std::string service = absl::GetFlag(FLAGS_service);
  hadron::GrpcTlsConfig tls;
  tls.ca = absl::GetFlag(FLAGS_tls_ca);
  tls.cert = absl::GetFlag(FLAGS_tls_cert);
  tls.key = absl::GetFlag(FLAGS_tls_key);
  tls.allow_plaintext = absl::GetFlag(FLAGS_allow_plaintext);
  auto credentials = hadron::GrpcChannelCredentials(tls, target);
  if (!credentials.ok()) {
    std::fprintf(stderr, "hadronctl: %s\n", std::string(credentials.status().message()).c_str());
    return 2;
  }
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(target, *credentials));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::seconds(absl::GetFlag(FLAGS_timeout_seconds)));
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(service);
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status st = stub->Check(&ctx, req, &resp);
  const std::string name = service.empty() ? std::string("(server)") : service;
  if (!st.ok()) {
    std::string msg = st.error_message();
    for (char& c : msg) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    // NOT_FOUND is the protocol's answer for a service the server does not know.
    std::printf("%s %s: %s\n", target.c_str(), name.c_str(),
                st.error_code() == grpc::StatusCode::NOT_FOUND ? "SERVICE_UNKNOWN"
                                                               : ("UNREACHABLE " + msg).c_str());
    return 1;
  }
  const std::string status = grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status());
  std::printf("%s %s: %s\n", target.c_str(), name.c_str(), status.c_str());
  return resp.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}

}  // namespace hadronctl
