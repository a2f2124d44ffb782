// The /metrics, /healthz and /readyz HTTP endpoint: plain POSIX sockets and poll().
#include "common/metrics/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace hadron::metrics {
namespace {

constexpr size_t kMaxRequest = 8192;
constexpr int kIoTimeoutMs = 2000;

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string Response(int code, std::string_view reason, std::string_view content_type,
                     std::string_view body, bool head) {
  std::string out = absl::StrCat("HTTP/1.1 ", code, " ");
  out.append(reason).append("\r\nContent-Type: ").append(content_type);
  absl::StrAppend(&out, "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n");
  if (!head) out.append(body);
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(Options options) {
  const std::string& hp = options.listen;
  size_t colon = hp.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError("--metrics_listen must be HOST:PORT, got '" + hp + "'");
  }
  std::string host = hp.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port_in = 0;
  if (!absl::SimpleAtoi(hp.substr(colon + 1), &port_in) || port_in < 0 || port_in > 65535) {
    return absl::InvalidArgumentError("bad port in --metrics_listen '" + hp + "'");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  std::string port_str = std::to_string(port_in);
  int gai = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port_str.c_str(), &hints, &res);
  if (gai != 0 || res == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve --metrics_listen '", hp, "': ", gai_strerror(gai)));
  }
  int fd = ::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
  int one = 1;
  bool ok = fd >= 0 && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
            ::bind(fd, res->ai_addr, res->ai_addrlen) == 0 && ::listen(fd, 64) == 0;
  int err = errno;
  ::freeaddrinfo(res);
  if (!ok) {
    if (fd >= 0) ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot listen on --metrics_listen ", hp, ": ", std::strerror(err)));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  int port = bound.ss_family == AF_INET6
                 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                 : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    ::close(fd);
    return absl::InternalError("pipe failed");
  }
  if (options.registry == nullptr) options.registry = &Registry::Global();
  std::unique_ptr<MetricsHttpServer> server(
      new MetricsHttpServer(std::move(options), fd, pipe_fds[0], pipe_fds[1], port));
  server->thread_ = std::thread([s = server.get()] { s->Loop(); });
  return server;
}

MetricsHttpServer::MetricsHttpServer(Options options, int fd, int wake_read, int wake_write,
                                     int port)
    : options_(std::move(options)),
      fd_(fd),
      wake_read_(wake_read),
      wake_write_(wake_write),
      port_(port) {}

MetricsHttpServer::~MetricsHttpServer() {
  char c = 'x';
  ssize_t n = ::write(wake_write_, &c, 1);
  (void)n;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
  ::close(wake_read_);
  ::close(wake_write_);
}

void MetricsHttpServer::Loop() {
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents & POLLIN) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      timeval tv{kIoTimeoutMs / 1000, (kIoTimeoutMs % 1000) * 1000};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      Serve(c);
      ::close(c);
    }
  }
}

void MetricsHttpServer::Serve(int fd) {
  std::string req;
  char buf[2048];
  while (req.find("\r\n\r\n") == std::string::npos && req.find("\n\n") == std::string::npos) {
    if (req.size() > kMaxRequest) {
      WriteAll(fd, Response(431, "Request Header Fields Too Large", "text/plain", "too large\n",
                            false));
      return;
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // closed or timed out
    req.append(buf, static_cast<size_t>(n));
  }
  std::string_view first_line = std::string_view(req).substr(0, req.find_first_of("\r\n"));
  std::vector<std::string> parts =
      absl::StrSplit(std::string(first_line), ' ', absl::SkipEmpty());
  if (parts.size() < 2) {
    WriteAll(fd, Response(400, "Bad Request", "text/plain", "bad request\n", false));
    return;
  }
  const bool head = parts[0] == "HEAD";
  if (parts[0] != "GET" && !head) {
    WriteAll(fd, Response(405, "Method Not Allowed", "text/plain", "GET only\n", false));
    return;
  }
  std::string_view path = parts[1];  // a view of parts[1], which outlives it
  path = path.substr(0, path.find('?'));
  if (path == "/metrics") {
    std::string body = options_.registry->Render();
    WriteAll(fd, Response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", body, head));
  } else if (path == "/healthz") {
    WriteAll(fd, Response(200, "OK", "text/plain", "ok\n", head));
  } else if (path == "/readyz") {
    bool ready = !options_.ready || options_.ready();
    if (ready) {
      WriteAll(fd, Response(200, "OK", "text/plain", "ready\n", head));
    } else {
      WriteAll(fd, Response(503, "Service Unavailable", "text/plain", "not ready\n", head));
    }
  } else {
    WriteAll(fd, Response(404, "Not Found", "text/plain", "not found\n", head));
  }
}

}  // namespace hadron::metrics
