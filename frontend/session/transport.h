// Transport: the byte stream under a session (plain TCP, TLS, or TCP upgraded by STARTTLS).
#pragma once

#include <cstddef>
#include <span>
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
  // Writes `parts` in order, as one Write of their concatenation would (a scatter/gather write
  // where the transport can: FETCH sends big bodies from where they are, uncopied).
  virtual asio::awaitable<void> WriteParts(std::span<const std::string_view> parts) {
    for (std::string_view p : parts) co_await Write(p);
  }
  virtual bool tls_active() const = 0;
  virtual bool can_start_tls() const = 0;
  // Runs the server side of a TLS handshake on the plain connection (STARTTLS).
  virtual asio::awaitable<absl::Status> StartTls() = 0;
  virtual void Close() = 0;
  virtual std::string peer() const = 0;
  virtual bool loopback() const = 0;
};

}  // namespace hadron::frontend
