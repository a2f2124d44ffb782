// The state service's gRPC server: State, Mail and grpc.health.v1 on one port.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
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
  // Stops accepting, ends the Watch streams, lets running calls finish for up to `drain` (then
  // cancels them) and waits for their handlers to return. Health turns NOT_SERVING first.
  void Shutdown(absl::Duration drain = absl::Milliseconds(500));
  // True from a successful Start until Shutdown (readiness).
  bool serving() const { return serving_.load(); }
  // The Watch subscriptions (account, mailbox) of all streams.
  size_t WatchSubscriptions() { return hub_.SubscriptionCount(); }

 private:
  explicit Server(store::Store* store);

  store::Store* store_;
  events::Hub hub_;
  StateService state_;
  MailService mail_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
  std::atomic<bool> serving_{false};
};

}  // namespace hadron::service
