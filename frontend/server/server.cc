// Server: listeners, TLS, and the Transport that sessions read and write through.
#include "frontend/server/server.h"

#include "frontend/commands/commands.h"
#include "frontend/session/session_metrics.h"

#include <cerrno>
#include <chrono>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "asio/co_spawn.hpp"
#include "asio/detached.hpp"
#include "asio/redirect_error.hpp"
#include "asio/this_coro.hpp"
#include "asio/ip/tcp.hpp"
#include "asio/ssl.hpp"
#include "asio/steady_timer.hpp"
#include "asio/strand.hpp"
#include "asio/use_awaitable.hpp"
#include "asio/write.hpp"
#include "spdlog/spdlog.h"

namespace hadron::frontend {
namespace {

using asio::ip::tcp;

class TcpTransport final : public Transport {
 public:
  TcpTransport(tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
               std::chrono::seconds write_timeout, std::chrono::seconds handshake_timeout)
      : write_timeout_(write_timeout),
        handshake_timeout_(handshake_timeout),
        tls_ctx_(std::move(tls)),
        socket_(std::move(socket)),
        write_timer_(socket_.get_executor()) {
    asio::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) {
      peer_ = absl::StrCat(ep.address().to_string(), ":", ep.port());
      loopback_ = ep.address().is_loopback();
    }
  }

  asio::awaitable<size_t> ReadSome(asio::mutable_buffer buf) override {
    size_t n;
    if (tls_active_) {
      n = co_await tls_->async_read_some(buf, asio::use_awaitable);
    } else {
      n = co_await socket_.async_read_some(buf, asio::use_awaitable);
    }
    Metrics().bytes_received.Inc(n);
    co_return n;
  }

  asio::awaitable<void> Write(std::string_view data) override {
    const asio::const_buffer buffer = asio::buffer(data);  // named: GCC 12 and co_await
    co_await WriteBuffers(buffer, data.size());
  }

  asio::awaitable<void> WriteParts(std::span<const std::string_view> parts) override {
    // One writev for all of them on plain TCP (TLS encrypts them in turn).
    std::vector<asio::const_buffer> buffers;
    buffers.swap(buffers_);  // reused from write to write
    buffers.clear();
    size_t total = 0;
    for (std::string_view p : parts) {
      if (p.empty()) continue;
      buffers.emplace_back(p.data(), p.size());
      total += p.size();
    }
    co_await WriteBuffers(buffers, total);
    buffers.swap(buffers_);
  }

  bool tls_active() const override { return tls_active_; }
  bool can_start_tls() const override { return tls_enabled_ && !tls_active_; }

  asio::awaitable<absl::Status> StartTls() override {
    // A client silent in the middle of the handshake must not hold the connection forever
    // (issue 6): closed after the login timeout, as a silent client before login.
    CloseUnlessDoneWithin deadline(*this, handshake_timeout_);
    try {
      // Made only now: a TLS stream costs ~40 KiB (OpenSSL's SSL object and asio's two 17 KiB
      // record buffers), which a plaintext session (most of them idle) never needs.
      tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *tls_ctx_);
      co_await tls_->async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
      tls_active_ = true;
      co_return absl::OkStatus();
    } catch (const asio::system_error& e) {
      co_return absl::UnavailableError(e.code().message());
    }
  }

  void Close() override {
    asio::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }
  std::string peer() const override { return peer_; }
  bool loopback() const override { return loopback_; }

  void set_tls_enabled(bool v) { tls_enabled_ = v; }

 private:
  // Closes the socket if the operation it guards (a write, a handshake) has not ended within
  // `timeout`; its end (this object's destruction) cancels that.
  struct CloseUnlessDoneWithin {
    CloseUnlessDoneWithin(TcpTransport& t, std::chrono::seconds timeout) : timer(t.write_timer_) {
      timer.expires_after(timeout);
      timer.async_wait([&t](const asio::error_code& ec) {
        if (ec) return;  // cancelled: the operation ended, or the transport is going away
        asio::error_code ignored;
        t.socket_.close(ignored);
      });
    }
    ~CloseUnlessDoneWithin() { timer.cancel(); }
    asio::steady_timer& timer;
  };

  template <typename Buffers>
  asio::awaitable<void> WriteBuffers(const Buffers& buffers, size_t total) {
    // A client that stops reading must not hold its session (and our memory) forever: if a
    // write makes no progress for kWriteTimeout, the connection is closed.
    CloseUnlessDoneWithin deadline(*this, write_timeout_);
    if (tls_active_) {
      co_await asio::async_write(*tls_, buffers, asio::use_awaitable);
    } else {
      co_await asio::async_write(socket_, buffers, asio::use_awaitable);
    }
    Metrics().bytes_sent.Inc(total);
  }

  const std::chrono::seconds write_timeout_;
  const std::chrono::seconds handshake_timeout_;
  std::shared_ptr<asio::ssl::context> tls_ctx_;
  tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;  // from StartTls on
  asio::steady_timer write_timer_;
  std::vector<asio::const_buffer> buffers_;  // WriteParts's, reused
  bool tls_enabled_ = false;
  bool tls_active_ = false;
  std::string peer_ = "?";
  bool loopback_ = false;
};

absl::StatusOr<tcp::endpoint> ParseEndpoint(const std::string& hostport) {
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("expected HOST:PORT");
  std::string host = hostport.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port;
  if (!absl::SimpleAtoi(hostport.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError("bad port in " + hostport);
  }
  asio::error_code ec;
  auto addr = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) return absl::InvalidArgumentError("bad address in " + hostport);
  return tcp::endpoint(addr, static_cast<uint16_t>(port));
}

// Operations: runs a command through the command table and counts it by name and result.
asio::awaitable<void> DispatchWithMetrics(Session& s, const imap::Command& cmd) {
  const auto start = std::chrono::steady_clock::now();
  // Known verbs only as label values: a client's made-up verb must not create a series.
  const CommandSpec* spec = FindCommand(cmd.name, cmd.uid);
  const std::string name = spec != nullptr ? std::string(spec->name) : std::string("UNKNOWN");
  s.clear_last_status();
  co_await DispatchCommand(s, cmd);
  const std::string& status = s.last_status();
  FrontendMetrics& m = Metrics();
  m.commands.WithLabels({name, status.empty() ? std::string_view("NONE") : status}).Inc();
  m.command_seconds.WithLabels({name}).Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace

Server::Server(asio::io_context& io, StateClient& state, MailboxWatcher* watcher,
               ServerOptions options)
    : io_(io), state_(state), watcher_(watcher), options_(std::move(options)) {
  options_.session.dispatch = &DispatchWithMetrics;
  Metrics();  // the families exist (at zero) from the first scrape
}

void Server::Drain() {
  std::vector<std::shared_ptr<Session>> live;
  {
    absl::MutexLock lock(&sessions_->mu);
    sessions_->draining = true;
    for (auto& [p, weak] : sessions_->live) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  Metrics().draining.Set(1);
  spdlog::info("draining: {} sessions", live.size());
  for (auto& s : live) s->BeginDrain();
}

size_t Server::session_count() const {
  absl::MutexLock lock(&sessions_->mu);
  return sessions_->live.size();
}

absl::StatusOr<std::shared_ptr<asio::ssl::context>> Server::LoadTls() const {
  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  if (options_.tls_cert.empty() || options_.tls_key.empty()) return tls;
  // TLS 1.2 and newer only.
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  // OpenSSL frees a connection's record buffers while they are empty (an idle session).
  SSL_CTX_set_mode(tls->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  asio::error_code ec;
  tls->use_certificate_chain_file(options_.tls_cert, ec);
  if (ec) return absl::InvalidArgumentError("cannot load --tls_cert: " + ec.message());
  tls->use_private_key_file(options_.tls_key, asio::ssl::context::pem, ec);
  if (ec) return absl::InvalidArgumentError("cannot load --tls_key: " + ec.message());
  // A key of another certificate would fail every handshake: refuse it here instead.
  if (SSL_CTX_check_private_key(tls->native_handle()) != 1) {
    return absl::InvalidArgumentError("--tls_key does not match --tls_cert");
  }
  return tls;
}

absl::Status Server::ReloadTls() {
  if (options_.tls_cert.empty()) return absl::OkStatus();
  auto tls = LoadTls();
  if (!tls.ok()) return tls.status();
  absl::MutexLock lock(&tls_mu_);
  tls_ = *std::move(tls);  // sessions already running keep the context they started with
  return absl::OkStatus();
}

std::shared_ptr<asio::ssl::context> Server::CurrentTls() const {
  absl::MutexLock lock(&tls_mu_);
  return tls_;
}

absl::Status Server::Start() {
  bool have_tls = !options_.tls_cert.empty() && !options_.tls_key.empty();
  if (!have_tls && !options_.tls_listen.empty()) {
    return absl::InvalidArgumentError("--tls_listen needs --tls_cert and --tls_key");
  }
  auto tls = LoadTls();
  if (!tls.ok()) return tls.status();
  {
    absl::MutexLock lock(&tls_mu_);
    tls_ = *std::move(tls);
  }
  auto bind = [&](const std::string& hostport, bool implicit_tls) -> absl::Status {
    auto ep = ParseEndpoint(hostport);
    if (!ep.ok()) return ep.status();
    auto acceptor = std::make_shared<tcp::acceptor>(io_);
    asio::error_code ec;
    acceptor->open(ep->protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor->bind(*ep, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("cannot listen on ", hostport, ": ", ec.message()));
    acceptors_.push_back(acceptor);
    asio::co_spawn(io_, AcceptLoop(acceptor, implicit_tls), asio::detached);
    spdlog::info("listening on {}{}", hostport, implicit_tls ? " (TLS)" : "");
    return absl::OkStatus();
  };
  if (auto st = bind(options_.listen, false); !st.ok()) return st;
  if (!options_.tls_listen.empty()) {
    if (auto st = bind(options_.tls_listen, true); !st.ok()) return st;
  }
  return absl::OkStatus();
}

void Server::StopAccepting() {
  for (auto& a : acceptors_) {
    asio::error_code ec;
    std::static_pointer_cast<tcp::acceptor>(a)->close(ec);
  }
}

asio::awaitable<void> Server::AcceptLoop(std::shared_ptr<void> acceptor_ptr, bool implicit_tls) {
  auto acceptor = std::static_pointer_cast<tcp::acceptor>(acceptor_ptr);
  bool have_tls = !options_.tls_cert.empty();
  // Out of descriptors (or kernel memory), the pending connection stays in the backlog and the
  // listener stays readable: retrying at once would spin a core and flood the log. Wait a
  // little between attempts (as nginx and Dovecot do), and warn once per such episode.
  bool out_of_resources = false;
  for (;;) {
    tcp::socket socket(asio::make_strand(io_));
    asio::error_code accept_error;
    try {
      co_await acceptor->async_accept(socket, asio::use_awaitable);
    } catch (const asio::system_error& e) {
      accept_error = e.code();
    }
    if (accept_error) {
      if (accept_error == asio::error::operation_aborted) co_return;
      const bool resources = accept_error == asio::error::no_descriptors ||
                             accept_error.value() == ENFILE ||
                             accept_error == asio::error::no_buffer_space ||
                             accept_error == asio::error::no_memory;
      if (!resources || !out_of_resources) {
        spdlog::warn("accept failed: {}{}", accept_error.message(),
                     resources ? " (pausing accepts 100 ms at a time until it clears)" : "");
      }
      out_of_resources = resources;
      if (resources) {
        asio::steady_timer pause(co_await asio::this_coro::executor,
                                 std::chrono::milliseconds(100));
        asio::error_code ec;
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (!acceptor->is_open()) co_return;  // Stop() closed it meanwhile
      }
      continue;
    }
    if (out_of_resources) {
      spdlog::info("accepting connections again");
      out_of_resources = false;
    }
    asio::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    std::shared_ptr<ConnectionLimits::Token> slot;
    if (ConnectionLimits* limits = options_.session.limits.get()) {
      auto ep = socket.remote_endpoint(ec);
      slot = limits->Connect(ec ? std::string("?") : ep.address().to_string());
      if (!slot) {
        Metrics().connections_rejected.Inc();
        // Over a limit (issue 6): say so in plain text where the protocol allows it.
        if (!implicit_tls) {
          asio::write(socket, asio::buffer(std::string_view(
                                  "* BYE [UNAVAILABLE] Too many connections from your address\r\n")),
                      ec);
        }
        socket.shutdown(tcp::socket::shutdown_both, ec);
        socket.close(ec);
        continue;
      }
    }
    auto executor = socket.get_executor();
    auto transport =
        std::make_unique<TcpTransport>(std::move(socket), CurrentTls(), options_.write_timeout,
                                       options_.session.login_timeout);
    transport->set_tls_enabled(have_tls);
    auto* raw = transport.get();
    auto session = std::make_shared<Session>(executor, std::move(transport), state_, watcher_,
                                             options_.session);
    // Operations: connection gauges, and the session registry draining walks.
    Metrics().connections_total.Inc();
    Metrics().connections.Inc();
    bool drain_now;
    {
      absl::MutexLock lock(&sessions_->mu);
      sessions_->live[session.get()] = session;
      drain_now = sessions_->draining;
    }
    if (drain_now) session->BeginDrain();
    asio::co_spawn(
        executor,
        [registry = sessions_, session, raw, implicit_tls, slot]() -> asio::awaitable<void> {
          struct Unregister {
            std::shared_ptr<Sessions> registry;
            const Session* session;
            ~Unregister() {
              Metrics().connections.Dec();
              absl::MutexLock lock(&registry->mu);
              registry->live.erase(session);
            }
          } unregister{registry, session.get()};
          if (implicit_tls) {
            absl::Status st = co_await raw->StartTls();
            if (!st.ok()) {
              raw->Close();
              co_return;
            }
          }
          co_await session->Run();
        },
        asio::detached);
  }
}

}  // namespace hadron::frontend
