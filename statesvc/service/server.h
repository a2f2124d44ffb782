// The state service's gRPC server: State, Mail and grpc.health.v1 on one port.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "statesvc/events/hub.h"
#include "statesvc/service/mail_service.h"
#include "statesvc/service/state_service.h"
#include "statesvc/store/store.h"

namespace hadron::service {

inline constexpr int kMaxMessageBytes = 64 << 20;

class Server {
 public:
  // Starts listening on `listen` (HOST:PORT; port 0 picks one). The store must outlive the server.
  // `credentials`: from GrpcServerCredentials (common/grpc_tls.h); null means plaintext.
  static absl::StatusOr<std::unique_ptr<Server>> Start(
      store::Store* store, const std::string& listen,
      std::shared_ptr<grpc::ServerCredentials> credentials = nullptr);
  ~Server();  // Shutdown()

  int port() const { return port_; }
  // Stops accepting, ends streams, waits for running calls (up to a short deadline).
  void Shutdown();

 private:
  explicit Server(store::Store* store);

  store::Store* store_;
  events::Hub hub_;
  StateService state_;
  MailService mail_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace hadron::service
