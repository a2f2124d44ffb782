// The state service's gRPC server: State, Mail and grpc.health.v1 on one port.
#include "statesvc/service/server.h"

#include <chrono>

#include "grpcpp/health_check_service_interface.h"

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
  // The listener first: calls may arrive as soon as the server starts.
  store->SetListener(&s->hub_);
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || s->port_ == 0) {
    store->SetListener(nullptr);
    s->server_.reset();
    s->shut_down_ = true;
    return absl::UnavailableError("cannot listen on " + listen);
  }
  return s;
}

void Server::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (server_) {
    // Unary calls finish in milliseconds; what is still open after this is a Watch stream,
    // which never ends by itself and is cancelled (frontends reconnect and resume).
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    server_->Wait();
    state_.WaitForWatchesDone(absl::Seconds(5));
  }
  store_->SetListener(nullptr);
}

Server::~Server() { Shutdown(); }

}  // namespace hadron::service
