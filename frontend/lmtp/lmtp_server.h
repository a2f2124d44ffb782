// LMTP (RFC 2033) delivery listener of the frontend, so an MTA (Postfix's lmtp transport) can
// hand mail to Hadron. Stateless like the IMAP side: each recipient is checked and each
// message delivered through the statesvc's public Mail API (Deliver), so IMAP sessions see the
// delivery as an APPEND by another session.
//
// One thread per connection with blocking sockets (LMTP connections are few and long-lived: the
// MTA keeps a small pool), bounded by max_connections.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "hadron/mail/v1/mail.grpc.pb.h"

namespace hadron::frontend::lmtp {

struct LmtpOptions {
  std::string listen;                       // HOST:PORT
  std::string hostname = "hadron";          // in the greeting, LHLO reply and Received:
  size_t max_message_bytes = 64u << 20;     // SIZE; larger messages get 552 5.3.4
  size_t max_command_line = 2048;           // a longer command line gets 500 5.5.2
  size_t max_recipients = 100;              // per transaction; more get 452 4.5.3
  size_t max_connections = 64;              // more get 421 4.3.2 and are closed
  int timeout_seconds = 300;                // idle client: closed
  int rpc_timeout_seconds = 30;             // per statesvc call
};

// The Mail stub serving an account (the frontend's routing decides; one statesvc for now).
using MailStubFor = std::function<hadron::mail::v1::Mail::StubInterface*(const std::string& account)>;

class LmtpServer {
 public:
  LmtpServer(LmtpOptions options, MailStubFor stub_for);
  ~LmtpServer();
  LmtpServer(const LmtpServer&) = delete;
  LmtpServer& operator=(const LmtpServer&) = delete;

  // Binds and starts accepting on a background thread.
  absl::Status Start();
  // Stops accepting (running sessions end on their own).
  void Stop();
  int port() const { return port_; }

 private:
  void AcceptLoop();

  const LmtpOptions options_;
  const MailStubFor stub_for_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::shared_ptr<std::atomic<size_t>> active_ = std::make_shared<std::atomic<size_t>>(0);
  std::thread acceptor_;
};

}  // namespace hadron::frontend::lmtp
