// Transport: the byte stream under a session (plain TCP, TLS, or TCP upgraded by STARTTLS).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "asio/awaitable.hpp"
#include "asio/buffer.hpp"

namespace hadron::frontend {

class Transport {
 public:
  virtual ~Transport() = default;
  // Reads at least one byte; throws asio::system_error on EOF or error.
  virtual asio::awaitable<size_t> ReadSome(asio::mutable_buffer buf) = 0;
  // Writes all of `data`; throws asio::system_error on error.
  virtual asio::awaitable<void> Write(std::string_view data) = 0;
  virtual bool tls_active() const = 0;
  virtual bool can_start_tls() const = 0;
  // Runs the server side of a TLS handshake on the plain connection (STARTTLS).
  virtual asio::awaitable<absl::Status> StartTls() = 0;
  virtual void Close() = 0;
  virtual std::string peer() const = 0;
  virtual bool loopback() const = 0;
};

}  // namespace hadron::frontend
