// The state service's gRPC server: State, Mail and grpc.health.v1 on one port.
#include "statesvc/service/server.h"

#include <chrono>

#include "grpcpp/health_check_service_interface.h"
#include "statesvc/service/rpc_metrics.h"

namespace hadron::service {

Server::Server(store::Store* store) : store_(store), state_(store, &hub_), mail_(store) {}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    store::Store* store, const std::string& listen,
    std::shared_ptr<grpc::ServerCredentials> credentials) {
  std::unique_ptr<Server> s(new Server(store));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  if (!credentials) credentials = grpc::InsecureServerCredentials();
  builder.AddListeningPort(listen, credentials, &s->port_);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.RegisterService(&s->state_);
  builder.RegisterService(&s->mail_);
  // Operations: RPC metrics by method and code (rpc_metrics.cc).
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(NewRpcMetricsFactory());
  builder.experimental().SetInterceptorCreators(std::move(creators));
  // The listener first: calls may arrive as soon as the server starts.
  store->SetListener(&s->hub_);
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || s->port_ == 0) {
    store->SetListener(nullptr);
    s->server_.reset();
    s->shut_down_ = true;
    return absl::UnavailableError("cannot listen on " + listen);
  }
  // grpc.health.v1: "" is SERVING from the start (gRPC's default service); the services too.
  if (auto* health = s->server_->GetHealthCheckService()) {
    health->SetServingStatus("hadron.state.v1.State", true);
    health->SetServingStatus("hadron.mail.v1.Mail", true);
  }
  s->serving_ = true;
  return s;
}

void Server::Shutdown(absl::Duration drain) {
  if (shut_down_) return;
  shut_down_ = true;
  serving_ = false;
  if (server_) {
    if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(false);
    // Watch streams never end by themselves: end them first (frontends reconnect and resume),
    // so the deadline below only bounds the unary calls still running (in-flight writes).
    state_.EndWatches();
    server_->Shutdown(absl::ToChronoTime(absl::Now() + drain));
    server_->Wait();
    state_.WaitForWatchesDone(absl::Seconds(5));
  }
  store_->SetListener(nullptr);
}

Server::~Server() { Shutdown(); }

}  // namespace hadron::service
