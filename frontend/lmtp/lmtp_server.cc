#include "frontend/lmtp/lmtp_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "spdlog/spdlog.h"

namespace hadron::frontend::lmtp {
namespace {

namespace mv = ::hadron::mail::v1;

// Buffered line I/O on a blocking socket.
class Conn {
 public:
  explicit Conn(int fd) : fd_(fd) {}
  ~Conn() { ::close(fd_); }

  enum class Read { kLine, kTooLong, kClosed };
  // One line without its CRLF (or LF). A line longer than `limit` is consumed and reported.
  Read ReadLine(std::string* line, size_t limit) {
    line->clear();
    bool too_long = false;
    while (true) {
      size_t nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        size_t len = nl - pos_;
        if (!too_long && len <= limit + 1) line->assign(buf_, pos_, len);
        if (len > limit + 1) too_long = true;
        pos_ = nl + 1;
        if (!too_long && !line->empty() && line->back() == '\r') line->pop_back();
        if (too_long) line->clear();
        Compact();
        return too_long ? Read::kTooLong : Read::kLine;
      }
      if (buf_.size() - pos_ > limit + 1) {  // no newline yet and already too long: drop it
        too_long = true;
        buf_.clear();
        pos_ = 0;
      }
      char tmp[65536];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Read::kClosed;
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }

  bool Write(std::string_view text) {
    while (!text.empty()) {
      ssize_t n = ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      text.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  bool Reply(const std::string& line) { return Write(line + "\r\n"); }

 private:
  void Compact() {
    if (pos_ > 65536) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
  }
  int fd_;
  std::string buf_;
  size_t pos_ = 0;
};

// "<a@b>" (possibly followed by parameters) -> address and the parameters; nullopt if malformed.
std::optional<std::pair<std::string, std::vector<std::string>>> ParsePath(absl::string_view arg) {
  arg = absl::StripLeadingAsciiWhitespace(arg);
  if (arg.empty() || arg[0] != '<') return std::nullopt;
  size_t close = arg.find('>');
  if (close == absl::string_view::npos) return std::nullopt;
  std::string address(arg.substr(1, close - 1));
  std::vector<std::string> params =
      absl::StrSplit(arg.substr(close + 1), ' ', absl::SkipWhitespace());
  return std::make_pair(address, params);
}

// The account of a recipient: the local part without a +detail (lowercased by the store).
std::string AccountOf(const std::string& address) {
  std::string local = address.substr(0, address.rfind('@'));
  size_t plus = local.find('+');
  if (plus != std::string::npos && plus > 0) local.resize(plus);
  return local;
}

std::string RfcDate() {
  time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string PeerName(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "unknown";
  char host[NI_MAXHOST];
  if (getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, nullptr, 0,
                  NI_NUMERICHOST) != 0) {
    return "unknown";
  }
  return host;
}

class Session {
 public:
  Session(int fd, const LmtpOptions& options, const MailStubFor& stub_for)
      : conn_(fd), peer_(PeerName(fd)), options_(options), stub_for_(stub_for) {}

  void Run() {
    if (!conn_.Reply(absl::StrCat("220 ", options_.hostname, " Hadron LMTP ready"))) return;
    std::string line;
    while (true) {
      auto r = conn_.ReadLine(&line, options_.max_command_line);
      if (r == Conn::Read::kClosed) return;
      if (r == Conn::Read::kTooLong) {
        if (!conn_.Reply("500 5.5.2 Line too long")) return;
        continue;
      }
      if (!Command(line)) return;
    }
  }

 private:
  struct Recipient {
    std::string address;
    std::string account;
  };

  void Reset() {
    sender_.reset();
    recipients_.clear();
  }

  // Returns false to close the connection.
  bool Command(const std::string& line) {
    size_t sp = line.find(' ');
    std::string verb = absl::AsciiStrToUpper(line.substr(0, sp));
    std::string arg = sp == std::string::npos ? "" : line.substr(sp + 1);
    if (verb == "LHLO") {
      if (arg.empty()) return conn_.Reply("501 5.5.4 LHLO needs a domain");
      helo_ = arg;
      Reset();
      return conn_.Reply(absl::StrCat("250-", options_.hostname, "\r\n250-PIPELINING\r\n",
                                      "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SIZE ",
                                      options_.max_message_bytes));
    }
    if (verb == "HELO" || verb == "EHLO") return conn_.Reply("500 5.5.1 This is LMTP: use LHLO");
    if (verb == "NOOP") return conn_.Reply("250 2.0.0 OK");
    if (verb == "RSET") {
      Reset();
      return conn_.Reply("250 2.0.0 OK");
    }
    if (verb == "QUIT") {
      conn_.Reply(absl::StrCat("221 2.0.0 ", options_.hostname, " closing connection"));
      return false;
    }
    if (verb == "VRFY") return conn_.Reply("252 2.5.0 Cannot VRFY user");
    if (verb == "MAIL") return Mail(arg);
    if (verb == "RCPT") return Rcpt(arg);
    if (verb == "DATA") return Data(arg);
    return conn_.Reply("500 5.5.1 Unknown command");
  }

  bool Mail(const std::string& arg) {
    if (helo_.empty()) return conn_.Reply("503 5.5.1 LHLO first");
    if (sender_) return conn_.Reply("503 5.5.1 MAIL already given");
    if (!absl::StartsWithIgnoreCase(arg, "FROM:")) return conn_.Reply("501 5.5.4 Syntax: MAIL FROM:<address>");
    auto path = ParsePath(absl::string_view(arg).substr(5));
    if (!path) return conn_.Reply("501 5.5.4 Syntax: MAIL FROM:<address>");
    for (const auto& p : path->second) {
      std::string upper = absl::AsciiStrToUpper(p);
      if (absl::StartsWith(upper, "SIZE=")) {
        uint64_t size = 0;
        if (!absl::SimpleAtoi(p.substr(5), &size)) return conn_.Reply("501 5.5.4 Bad SIZE");
        if (size > options_.max_message_bytes) {
          return conn_.Reply("552 5.3.4 Message size exceeds fixed maximum message size");
        }
      } else if (upper == "BODY=8BITMIME" || upper == "BODY=7BIT") {
        // Both are stored as they come.
      } else {
        return conn_.Reply(absl::StrCat("555 5.5.4 Unsupported parameter ", p));
      }
    }
    sender_ = path->first;
    return conn_.Reply("250 2.1.0 OK");
  }

  bool Rcpt(const std::string& arg) {
    if (!sender_) return conn_.Reply("503 5.5.1 MAIL first");
    if (!absl::StartsWithIgnoreCase(arg, "TO:")) return conn_.Reply("501 5.5.4 Syntax: RCPT TO:<address>");
    auto path = ParsePath(absl::string_view(arg).substr(3));
    if (!path || path->first.empty()) return conn_.Reply("501 5.5.4 Syntax: RCPT TO:<address>");
    if (!path->second.empty()) return conn_.Reply("555 5.5.4 Unsupported parameter");
    if (recipients_.size() >= options_.max_recipients) {
      return conn_.Reply("452 4.5.3 Too many recipients");
    }
    const std::string& address = path->first;
    const std::string account = AccountOf(address);
    // Does the account exist? GetQuota is the cheapest call that says so.
    mv::GetQuotaRequest req;
    req.set_account(account);
    mv::Quota quota;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(options_.rpc_timeout_seconds));
    grpc::Status s = stub_for_(account)->GetQuota(&ctx, req, &quota);
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
      return conn_.Reply(absl::StrCat("550 5.1.1 <", address, "> User doesn't exist"));
    }
    if (!s.ok()) {
      spdlog::warn("lmtp: recipient lookup failed: {}", s.error_message());
      return conn_.Reply(absl::StrCat("451 4.3.0 <", address, "> Temporary internal error"));
    }
    recipients_.push_back({address, account});
    return conn_.Reply(absl::StrCat("250 2.1.5 <", address, "> OK"));
  }

  bool Data(const std::string& arg) {
    if (!sender_) return conn_.Reply("503 5.5.1 MAIL first");
    if (recipients_.empty()) return conn_.Reply("503 5.5.1 No valid recipients");
    if (!conn_.Reply("354 2.0.0 Start mail input; end with <CRLF>.<CRLF>")) return false;
    std::string message = absl::StrCat("Return-Path: <", *sender_, ">\r\n",
                                       "Received: from ", helo_, " (", peer_, ")\r\n\tby ",
                                       options_.hostname, " (Hadron) with LMTP; ", RfcDate(), "\r\n");
    bool too_big = false;
    std::string line;
    while (true) {
      // Data lines are bounded only by the message size.
      auto r = conn_.ReadLine(&line, options_.max_message_bytes);
      if (r == Conn::Read::kClosed) return false;
      if (r == Conn::Read::kTooLong) {
        too_big = true;
        continue;
      }
      if (line == ".") break;
      if (too_big) continue;
      if (!line.empty() && line[0] == '.') line.erase(0, 1);  // dot-unstuffing
      message += line;
      message += "\r\n";
      if (message.size() > options_.max_message_bytes) {
        too_big = true;
        message.clear();
      }
    }
    std::vector<Recipient> recipients = std::move(recipients_);
    Reset();
    std::string replies;
    for (const auto& r : recipients) {
      replies += too_big ? absl::StrCat("552 5.3.4 <", r.address, "> Message too big")
                         : Deliver(r, message);
      replies += "\r\n";
    }
    return conn_.Write(replies);
  }

  std::string Deliver(const Recipient& r, const std::string& message) {
    mv::DeliverRequest req;
    req.set_account(r.account);
    req.set_mailbox("INBOX");
    req.set_message(message);
    mv::DeliverResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(options_.rpc_timeout_seconds));
    grpc::Status s = stub_for_(r.account)->Deliver(&ctx, req, &resp);
    const std::string who = absl::StrCat("<", r.address, ">");
    if (s.ok()) return absl::StrCat("250 2.0.0 ", who, " Saved UID ", resp.uid());
    switch (s.error_code()) {
      case grpc::StatusCode::NOT_FOUND:
        return absl::StrCat("550 5.1.1 ", who, " User doesn't exist");
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
        if (absl::StartsWith(s.error_message(), "over quota")) {
          return absl::StrCat("552 5.2.2 ", who, " Mailbox is full (quota exceeded)");
        }
        return absl::StrCat("552 5.3.4 ", who, " Message too big");
      case grpc::StatusCode::INVALID_ARGUMENT:
        return absl::StrCat("554 5.6.0 ", who, " Invalid message");
      default:
        spdlog::warn("lmtp: delivery failed: {}", s.error_message());
        return absl::StrCat("451 4.3.0 ", who, " Temporary internal error");
    }
  }

  Conn conn_;
  const std::string peer_;
  const LmtpOptions& options_;
  const MailStubFor& stub_for_;
  std::string helo_;
  std::optional<std::string> sender_;
  std::vector<Recipient> recipients_;
};

}  // namespace

LmtpServer::LmtpServer(LmtpOptions options, MailStubFor stub_for)
    : options_(std::move(options)), stub_for_(std::move(stub_for)) {}

LmtpServer::~LmtpServer() { Stop(); }

absl::Status LmtpServer::Start() {
  const std::string& listen = options_.listen;
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("--lmtp_listen: HOST:PORT expected");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port = listen.substr(colon + 1);
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res) != 0 || !res) {
    return absl::InvalidArgumentError("--lmtp_listen: cannot resolve " + listen);
  }
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || ::bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
    std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    freeaddrinfo(res);
    return absl::UnavailableError("cannot listen on " + listen + " (LMTP): " + why);
  }
  freeaddrinfo(res);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                         : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  listen_fd_ = fd;
  acceptor_ = std::thread([this] { AcceptLoop(); });
  spdlog::info("LMTP listening on {}", listen);
  return absl::OkStatus();
}

void LmtpServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void LmtpServer::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd p = {listen_fd_, POLLIN, 0};
    int pr = ::poll(&p, 1, 200);
    if (pr <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    timeval tv = {options_.timeout_seconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (active_->fetch_add(1) >= options_.max_connections) {
      active_->fetch_sub(1);
      const char kBusy[] = "421 4.3.2 Too many connections, try again later\r\n";
      (void)!::send(fd, kBusy, sizeof kBusy - 1, MSG_NOSIGNAL);
      ::close(fd);
      continue;
    }
    // Sessions hold copies of what they use, so they may outlive this server object.
    auto active = active_;
    auto options = std::make_shared<LmtpOptions>(options_);
    auto stub_for = std::make_shared<MailStubFor>(stub_for_);
    std::thread([fd, active, options, stub_for] {
      {
        Session session(fd, *options, *stub_for);
        session.Run();
      }
      active->fetch_sub(1);
    }).detach();
  }
}

}  // namespace hadron::frontend::lmtp
