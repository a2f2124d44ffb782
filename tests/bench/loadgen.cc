// loadgen: an IMAP load generator for the benchmark suite (issue 8, tests/bench/run.sh).
//
// Speaks plain IMAP over blocking POSIX sockets (one thread per client; the IDLE workload
// multiplexes its idle connections with epoll) to any server, runs one named workload and prints
// one JSON object per measured operation on stdout:
//   {"workload":"append","op":"APPEND","count":..,"seconds":..,"ops_per_s":..,
//    "p50_ms":..,"p90_ms":..,"p99_ms":..,"errors":..,...}
// plus memory figures ("rss_kb", "pss_kb") of the server processes given with --server_pids /
// --frontend_pids (each pid counts with all its descendants: Dovecot forks one process a session).
// Exit status: 0 when no workload error happened, 1 otherwise (an error is a failed connection, a
// BAD or unexpected NO, a timeout, or a response that contradicts the client's own view of the
// mailbox: an EXISTS that shrinks, an EXPUNGE or FETCH outside the view, a UID that changed).
//
// Workloads: append, mixed, select, fetchbody, idle (see Usage()).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <dirent.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// ---------------------------------------------------------------- options

std::map<std::string, std::string> g_opts;

std::string Opt(const std::string& k, const std::string& def) {
  auto it = g_opts.find(k);
  return it == g_opts.end() ? def : it->second;
}
long OptInt(const std::string& k, long def) {
  auto it = g_opts.find(k);
  return it == g_opts.end() ? def : std::stol(it->second);
}
double OptDouble(const std::string& k, double def) {
  auto it = g_opts.find(k);
  return it == g_opts.end() ? def : std::stod(it->second);
}

// ---------------------------------------------------------------- errors and stats

std::atomic<long> g_errors{0};
std::mutex g_err_mu;

void Error(const std::string& what) {
  long n = ++g_errors;
  if (n <= 20) {
    std::lock_guard<std::mutex> l(g_err_mu);
    fprintf(stderr, "loadgen: ERROR: %s\n", what.c_str());
  }
}

struct Stats {
  std::mutex mu;
  std::map<std::string, std::vector<double>> lat;  // op -> latencies in seconds
  std::map<std::string, long> nos;                 // op -> tagged NO count
  std::map<std::string, double> bytes;             // op -> payload bytes
  void Add(const std::string& op, double s) {
    std::lock_guard<std::mutex> l(mu);
    lat[op].push_back(s);
  }
  void Merge(const std::map<std::string, std::vector<double>>& m) {
    std::lock_guard<std::mutex> l(mu);
    for (auto& [k, v] : m) lat[k].insert(lat[k].end(), v.begin(), v.end());
  }
};

double Pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// ---------------------------------------------------------------- server memory

std::vector<int> Descendants(const std::vector<int>& roots) {
  std::map<int, std::vector<int>> children;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      int pid = atoi(e->d_name);
      if (pid <= 0) continue;
      std::ifstream f(std::string("/proc/") + e->d_name + "/stat");
      std::string s;
      std::getline(f, s);
      auto rp = s.rfind(')');
      if (rp == std::string::npos) continue;
      std::istringstream in(s.substr(rp + 2));
      char state;
      int ppid;
      in >> state >> ppid;
      children[ppid].push_back(pid);
    }
    closedir(d);
  }
  std::vector<int> out;
  std::vector<int> todo = roots;
  std::set<int> seen;
  while (!todo.empty()) {
    int p = todo.back();
    todo.pop_back();
    if (!seen.insert(p).second) continue;
    out.push_back(p);
    for (int c : children[p]) todo.push_back(c);
  }
  return out;
}

long ReadKb(const std::string& path, const std::string& key) {
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    if (line.compare(0, key.size(), key) == 0) return atol(line.c_str() + key.size());
  }
  return 0;
}

struct Mem {
  long rss_kb = 0, pss_kb = 0;
  int procs = 0;
};

Mem MemOf(const std::string& pids_csv) {
  Mem m;
  std::vector<int> roots;
  std::stringstream ss(pids_csv);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    if (!tok.empty()) roots.push_back(atoi(tok.c_str()));
  }
  if (roots.empty()) return m;
  for (int p : Descendants(roots)) {
    std::string base = "/proc/" + std::to_string(p);
    m.rss_kb += ReadKb(base + "/status", "VmRSS:");
    m.pss_kb += ReadKb(base + "/smaps_rollup", "Pss:");
    m.procs++;
  }
  return m;
}

bool PidsAlive(const std::string& pids_csv) {
  std::stringstream ss(pids_csv);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    if (tok.empty()) continue;
    if (kill(atoi(tok.c_str()), 0) != 0) return false;
  }
  return true;
}

// ---------------------------------------------------------------- output

std::string g_workload;
std::string g_label;

struct Json {
  std::ostringstream o;
  bool first = true;
  Json() { o << "{"; }
  Json& S(const std::string& k, const std::string& v) {
    o << (first ? "" : ",") << "\"" << k << "\":\"" << v << "\"";
    first = false;
    return *this;
  }
  Json& N(const std::string& k, double v) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.6g", v);
    o << (first ? "" : ",") << "\"" << k << "\":" << buf;
    first = false;
    return *this;
  }
  void Print() {
    o << "}";
    printf("%s\n", o.str().c_str());
    fflush(stdout);
  }
};

Json Result(const std::string& op) {
  Json j;
  j.S("server", g_label).S("workload", g_workload).S("op", op);
  return j;
}

void PrintLatency(const std::string& op, std::vector<double> v, double seconds, double bytes = 0,
                  long nos = 0) {
  Json j = Result(op);
  j.N("count", v.size()).N("seconds", seconds)
      .N("ops_per_s", seconds > 0 ? v.size() / seconds : 0)
      .N("p50_ms", Pct(v, 0.50) * 1e3).N("p90_ms", Pct(v, 0.90) * 1e3)
      .N("p99_ms", Pct(v, 0.99) * 1e3).N("max_ms", v.empty() ? 0 : v.back() * 1e3);
  if (bytes > 0) j.N("mb_per_s", seconds > 0 ? bytes / seconds / 1e6 : 0).N("bytes", bytes);
  if (nos) j.N("no", nos);
  j.N("errors", g_errors.load());
  j.Print();
}

// ---------------------------------------------------------------- the IMAP connection

class Conn {
 public:
  ~Conn() { Close(); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd() const { return fd_; }

  bool Connect(const std::string& host, int port, const std::string& bind_ip = "") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return Fail("socket: " + std::string(strerror(errno)));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{static_cast<time_t>(OptInt("timeout", 120)), 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (!bind_ip.empty()) {
      sockaddr_in b{};
      b.sin_family = AF_INET;
      inet_pton(AF_INET, bind_ip.c_str(), &b.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&b), sizeof b) != 0)
        return Fail("bind " + bind_ip + ": " + strerror(errno));
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      return Fail("connect: " + std::string(strerror(errno)));
    std::string greeting;
    if (!ReadLine(&greeting)) return false;
    if (greeting.compare(0, 4, "* OK") != 0) return Fail("greeting: " + greeting);
    return true;
  }

  bool SendAll(const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EINTR) continue;
        return Fail("send: " + std::string(strerror(errno)));
      }
      p += w;
      n -= w;
    }
    return true;
  }
  bool Send(const std::string& s) { return SendAll(s.data(), s.size()); }

  // One protocol line without CRLF (no literal handling).
  bool ReadLine(std::string* out) {
    out->clear();
    for (;;) {
      char* nl = static_cast<char*>(memchr(buf_.data() + pos_, '\n', end_ - pos_));
      if (nl) {
        size_t n = nl - (buf_.data() + pos_);
        out->append(buf_.data() + pos_, n);
        pos_ += n + 1;
        if (!out->empty() && out->back() == '\r') out->pop_back();
        return true;
      }
      out->append(buf_.data() + pos_, end_ - pos_);
      pos_ = end_ = 0;
      if (!Fill()) return false;
    }
  }

  // A whole response with its literals: `line` gets the text with each literal's bytes left out
  // (the {n} stays); the literal bytes are counted in *lit_bytes.
  bool ReadResponse(std::string* line, size_t* lit_bytes) {
    line->clear();
    *lit_bytes = 0;
    std::string part;
    for (;;) {
      if (!ReadLine(&part)) return false;
      line->append(part);
      size_t n;
      if (!LiteralAtEnd(part, &n)) return true;
      *lit_bytes += n;
      if (!Skip(n)) return false;
    }
  }

  // Sends `cmd` (without tag, without CRLF) and reads up to the tagged response. Untagged
  // responses go to on_untagged. Returns "OK", "NO", "BAD" or "" on a broken connection.
  std::string Cmd(const std::string& cmd,
                  const std::function<void(const std::string&, size_t)>& on_untagged = nullptr,
                  std::string* tagged_line = nullptr) {
    std::string tag = "a" + std::to_string(++tagn_);
    if (!Send(tag + " " + cmd + "\r\n")) return "";
    return Await(tag, on_untagged, tagged_line);
  }

  std::string Await(const std::string& tag,
                    const std::function<void(const std::string&, size_t)>& on_untagged,
                    std::string* tagged_line = nullptr) {
    std::string line;
    size_t lit;
    for (;;) {
      if (!ReadResponse(&line, &lit)) return "";
      if (line.compare(0, tag.size() + 1, tag + " ") == 0) {
        if (tagged_line) *tagged_line = line;
        std::string rest = line.substr(tag.size() + 1);
        return rest.substr(0, rest.find(' '));
      }
      if (line[0] == '*') {
        if (on_untagged) on_untagged(line, lit);
      } else if (line[0] == '+') {
        // not expected here
      }
    }
  }

  // APPEND with a synchronizing literal. Returns the status word.
  std::string Append(const std::string& mailbox, const std::string& msg, const std::string& flags,
                     const std::function<void(const std::string&, size_t)>& on_untagged,
                     std::string* tagged_line = nullptr) {
    std::string tag = "a" + std::to_string(++tagn_);
    std::string cmd = tag + " APPEND " + mailbox + (flags.empty() ? "" : " (" + flags + ")") +
                      " {" + std::to_string(msg.size()) + "}\r\n";
    if (!Send(cmd)) return "";
    std::string line;
    size_t lit;
    for (;;) {
      if (!ReadResponse(&line, &lit)) return "";
      if (line[0] == '+') break;
      if (line.compare(0, tag.size() + 1, tag + " ") == 0) {
        if (tagged_line) *tagged_line = line;
        return line.substr(tag.size() + 1, line.find(' ', tag.size() + 1) - tag.size() - 1);
      }
      if (on_untagged) on_untagged(line, lit);
    }
    if (!SendAll(msg.data(), msg.size()) || !Send("\r\n")) return "";
    return Await(tag, on_untagged, tagged_line);
  }

  bool Login(const std::string& user, const std::string& pass) {
    std::string r = Cmd("LOGIN \"" + user + "\" \"" + pass + "\"");
    if (r != "OK") return Fail("LOGIN " + user + ": " + (r.empty() ? "connection lost" : r));
    return true;
  }

  bool Fail(const std::string& what) {
    Error(what);
    return false;
  }

  std::string NextTag() { return "a" + std::to_string(++tagn_); }

  // Non-blocking reads for the epoll loop: appends what is there to the buffer; returns false on
  // EOF/error. Complete lines can then be taken with TakeLine.
  bool FillNonBlocking() {
    if (end_ == buf_.size()) Compact();
    ssize_t r = ::recv(fd_, buf_.data() + end_, buf_.size() - end_, MSG_DONTWAIT);
    if (r == 0) return false;
    if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    end_ += r;
    return true;
  }
  bool TakeLine(std::string* out) {
    char* nl = static_cast<char*>(memchr(buf_.data() + pos_, '\n', end_ - pos_));
    if (!nl) return false;
    size_t n = nl - (buf_.data() + pos_);
    out->assign(buf_.data() + pos_, n);
    pos_ += n + 1;
    if (!out->empty() && out->back() == '\r') out->pop_back();
    return true;
  }
  void ShrinkBuffer() {
    Compact();
    std::vector<char> small(std::max<size_t>(end_, 512));
    memcpy(small.data(), buf_.data(), end_);
    buf_.swap(small);
  }

 private:
  static bool LiteralAtEnd(const std::string& s, size_t* n) {
    if (s.empty() || s.back() != '}') return false;
    size_t open = s.rfind('{');
    if (open == std::string::npos) return false;
    std::string num = s.substr(open + 1, s.size() - open - 2);
    if (!num.empty() && num.back() == '+') num.pop_back();
    if (num.empty() || num.find_first_not_of("0123456789") != std::string::npos) return false;
    *n = std::stoull(num);
    return true;
  }
  void Compact() {
    if (pos_ > 0) {
      memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
    }
  }
  bool Fill() {
    Compact();
    if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
    for (;;) {
      ssize_t r = ::recv(fd_, buf_.data() + end_, buf_.size() - end_, 0);
      if (r > 0) {
        end_ += r;
        return true;
      }
      if (r < 0 && errno == EINTR) continue;
      return Fail(r == 0 ? "connection closed by the server"
                         : "recv: " + std::string(strerror(errno)));
    }
  }
  bool Skip(size_t n) {
    while (n > 0) {
      size_t have = end_ - pos_;
      if (have >= n) {
        pos_ += n;
        return true;
      }
      n -= have;
      pos_ = end_ = 0;
      if (n >= buf_.size()) {
        // Large literal: read straight through the buffer.
        ssize_t r = ::recv(fd_, buf_.data(), buf_.size(), 0);
        if (r <= 0) {
          if (r < 0 && errno == EINTR) continue;
          return Fail("connection lost in a literal");
        }
        if (static_cast<size_t>(r) <= n) {
          n -= r;
          continue;
        }
        end_ = r;
        pos_ = n;
        return true;
      }
      if (!Fill()) return false;
    }
    return true;
  }

  int fd_ = -1;
  std::vector<char> buf_ = std::vector<char>(1 << 16);
  size_t pos_ = 0, end_ = 0;
  long tagn_ = 0;
};

// ---------------------------------------------------------------- the client's view (checks)

// What one session knows of its selected mailbox: the number of messages and the UIDs it has
// seen (0 = not seen yet). Every untagged response is checked against it.
class View {
 public:
  explicit View(std::string who) : who_(std::move(who)) {}
  void Reset() {
    uids_.clear();
    selected_ = false;
  }
  void Selected() { selected_ = true; }
  size_t count() const { return uids_.size(); }
  const std::vector<uint32_t>& uids() const { return uids_; }

  void Untagged(const std::string& line, size_t) {
    // "* <n> EXISTS" / "* <n> EXPUNGE" / "* <n> FETCH (...)"
    if (line.size() < 3 || !isdigit(static_cast<unsigned char>(line[2]))) return;
    char* endp;
    unsigned long n = strtoul(line.c_str() + 2, &endp, 10);
    std::string kw(endp + 1, strcspn(endp + 1, " "));
    if (kw == "EXISTS") {
      if (n < uids_.size()) {
        Bad("EXISTS " + std::to_string(n) + " shrinks the view of " +
            std::to_string(uids_.size()));
        uids_.resize(n);
      }
      uids_.resize(n, 0);
    } else if (kw == "EXPUNGE") {
      if (n < 1 || n > uids_.size()) {
        Bad("EXPUNGE " + std::to_string(n) + " outside the view of " +
            std::to_string(uids_.size()));
        return;
      }
      uids_.erase(uids_.begin() + (n - 1));
    } else if (kw == "FETCH") {
      if (n < 1 || n > uids_.size()) {
        Bad("FETCH " + std::to_string(n) + " outside the view of " +
            std::to_string(uids_.size()));
        return;
      }
      size_t u = line.find("UID ", endp - line.c_str());
      if (u == std::string::npos) return;
      uint32_t uid = strtoul(line.c_str() + u + 4, nullptr, 10);
      uint32_t& known = uids_[n - 1];
      if (known != 0 && known != uid) {
        Bad("FETCH " + std::to_string(n) + " has UID " + std::to_string(uid) + ", the view " +
            std::to_string(known));
      }
      known = uid;
      if (n >= 2 && uids_[n - 2] != 0 && uids_[n - 2] >= uid)
        Bad("UID " + std::to_string(uid) + " at " + std::to_string(n) + " not above the one before");
      if (n < uids_.size() && uids_[n] != 0 && uids_[n] <= uid)
        Bad("UID " + std::to_string(uid) + " at " + std::to_string(n) + " not below the one after");
    }
  }
  long violations = 0;

 private:
  void Bad(const std::string& what) {
    violations++;
    Error(who_ + ": cross-session check: " + what);
  }
  std::string who_;
  std::vector<uint32_t> uids_;
  bool selected_ = false;
};

// ---------------------------------------------------------------- messages

std::string MakeMessage(size_t size, uint64_t seq, std::mt19937_64& rng) {
  std::string m;
  m.reserve(size + 256);
  m += "From: Bench Sender <sender@example.org>\r\n";
  m += "To: Bench Receiver <receiver@example.org>\r\n";
  m += "Subject: benchmark message " + std::to_string(seq) + "\r\n";
  m += "Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n";
  m += "Message-ID: <bench-" + std::to_string(seq) + "-" + std::to_string(rng()) + "@example.org>\r\n";
  m += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n";
  static const char kWords[] = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do "
                               "eiusmod tempor incididunt ut labore et dolore magna aliqua ";
  size_t line = 0;
  while (m.size() + 2 < size) {
    char c = kWords[rng() % (sizeof kWords - 1)];
    m += c;
    if (++line == 76) {
      m += "\r\n";
      line = 0;
    }
  }
  m += "\r\n";
  return m;
}

struct Target {
  std::string host = "127.0.0.1";
  std::vector<int> ports;
  std::string user, pass;
};
Target g_t;

std::unique_ptr<Conn> Open(const std::string& user, int port_index = 0,
                           const std::string& bind_ip = "") {
  auto c = std::make_unique<Conn>();
  if (!c->Connect(g_t.host, g_t.ports[port_index % g_t.ports.size()], bind_ip)) return nullptr;
  if (!c->Login(user, g_t.pass)) return nullptr;
  return c;
}

bool Ok(const std::string& r, const std::string& what) {
  if (r == "OK") return true;
  Error(what + ": " + (r.empty() ? "connection lost" : r));
  return false;
}

// Grows `mailbox` to `n` messages: one APPEND, then UID COPY of everything into itself (doubles).
bool Populate(Conn& c, const std::string& mailbox, long n, size_t msg_size) {
  std::mt19937_64 rng(42);
  long have = 0;
  auto track = [&](const std::string& line, size_t) {
    if (line.find(" EXISTS") != std::string::npos) have = strtol(line.c_str() + 2, nullptr, 10);
  };
  auto t0 = Clock::now();
  c.Cmd("CREATE " + mailbox);  // may exist
  if (!Ok(c.Cmd("SELECT " + mailbox, track), "SELECT " + mailbox)) return false;
  if (have == 0) {
    if (!Ok(c.Append(mailbox, MakeMessage(msg_size, 0, rng), "", track), "APPEND")) return false;
    if (!Ok(c.Cmd("NOOP", track), "NOOP")) return false;
  }
  while (have < n) {
    long add = std::min(have, n - have);
    // UIDs are 1..have when the mailbox was made here without expunges.
    std::string r = c.Cmd("UID COPY 1:" + std::to_string(add) + " " + mailbox, track);
    if (!Ok(r, "UID COPY")) return false;
    if (!Ok(c.Cmd("NOOP", track), "NOOP")) return false;
  }
  Json j = Result("populate");
  j.S("mailbox", mailbox).N("messages", have).N("seconds", Since(t0)).Print();
  return have >= n;
}

// ---------------------------------------------------------------- workload: append

int WorkloadAppend() {
  int clients = OptInt("clients", 8);
  int per_client = OptInt("messages", 200);
  size_t size = OptInt("size", 4096);
  std::string mbox = Opt("mailbox", "INBOX");
  Stats st;
  std::atomic<long> ok{0};
  {
    auto c = Open(g_t.user);
    if (!c) return 1;
    c->Cmd("CREATE " + mbox);
  }
  std::barrier start(clients + 1);
  std::vector<std::thread> th;
  for (int i = 0; i < clients; i++) {
    th.emplace_back([&, i] {
      std::mt19937_64 rng(i);
      std::vector<std::string> msgs;
      for (int k = 0; k < 16; k++) msgs.push_back(MakeMessage(size, i * 1000000 + k, rng));
      auto c = Open(g_t.user, i);
      start.arrive_and_wait();
      if (!c) return;
      std::vector<double> lat;
      for (int k = 0; k < per_client; k++) {
        auto t = Clock::now();
        std::string r = c->Append(mbox, msgs[k % msgs.size()], "", nullptr);
        lat.push_back(Since(t));
        if (!Ok(r, "APPEND")) return;
        ok++;
      }
      c->Cmd("LOGOUT");
      st.Merge({{"APPEND", lat}});
    });
  }
  start.arrive_and_wait();
  auto t0 = Clock::now();
  for (auto& t : th) t.join();
  double secs = Since(t0);
  // Every OK must be there: a fresh session counts them.
  auto c = Open(g_t.user);
  long exists = -1;
  if (c) {
    c->Cmd("STATUS " + mbox + " (MESSAGES)", [&](const std::string& l, size_t) {
      size_t p = l.find("MESSAGES ");
      if (p != std::string::npos) exists = atol(l.c_str() + p + 9);
    });
  }
  long base = OptInt("expect_base", 0);
  if (exists != base + ok.load())
    Error("APPEND: " + std::to_string(ok.load()) + " OKs but the mailbox holds " +
          std::to_string(exists));
  PrintLatency("APPEND", st.lat["APPEND"], secs, static_cast<double>(ok.load()) * size);
  return 0;
}

// ---------------------------------------------------------------- workload: mixed

int WorkloadMixed() {
  int clients = OptInt("clients", 12);
  double duration = OptDouble("duration", 20);
  int nboxes = OptInt("mailboxes", 2);
  int seed_msgs = OptInt("seed", 200);
  size_t size = OptInt("size", 4096);
  std::vector<std::string> boxes;
  for (int b = 0; b < nboxes; b++) boxes.push_back(b == 0 ? "INBOX" : "shared" + std::to_string(b));
  {
    auto c = Open(g_t.user);
    if (!c) return 1;
    std::mt19937_64 rng(7);
    for (auto& b : boxes) {
      if (b != "INBOX") c->Cmd("CREATE " + b);
      for (int k = 0; k < seed_msgs; k++) {
        if (!Ok(c->Append(b, MakeMessage(size, k, rng), "", nullptr), "seed APPEND")) return 1;
      }
    }
  }
  Stats st;
  std::atomic<bool> stop{false};
  std::atomic<long> total_ops{0};
  std::barrier sync(clients + 1);
  std::map<std::string, long> truth;
  std::atomic<long> late{0};
  double late_max = 0;
  std::vector<std::thread> th;
  for (int i = 0; i < clients; i++) {
    th.emplace_back([&, i] {
      std::mt19937_64 rng(1000 + i);
      std::string msg = MakeMessage(size, 5000000 + i, rng);
      View view("client " + std::to_string(i));
      auto on = [&](const std::string& l, size_t n) { view.Untagged(l, n); };
      auto c = Open(g_t.user, i);
      std::map<std::string, std::vector<double>> lat;
      std::map<std::string, long> nos;
      std::string box;
      auto timed = [&](const std::string& op, const std::function<std::string()>& f) {
        auto t = Clock::now();
        std::string r = f();
        lat[op].push_back(Since(t));
        total_ops++;
        if (r == "NO") {
          nos[op]++;
        } else if (r != "OK") {
          Error("client " + std::to_string(i) + " " + op + ": " +
                (r.empty() ? "connection lost" : r));
          return false;
        }
        return true;
      };
      auto select = [&]() {
        box = boxes[rng() % boxes.size()];
        view.Reset();
        return timed("SELECT", [&] { return c->Cmd("SELECT " + box, on); });
      };
      sync.arrive_and_wait();
      bool alive = c && select();
      while (alive && !stop.load()) {
        int dice = rng() % 100;
        size_t n = view.count();
        if (dice < 10) {
          alive = select();
        } else if (dice < 40) {
          if (n == 0) continue;
          size_t a = 1 + rng() % n, b = std::min(n, a + rng() % 20);
          alive = timed("FETCH", [&] {
            return c->Cmd("FETCH " + std::to_string(a) + ":" + std::to_string(b) +
                              " (UID FLAGS RFC822.SIZE)", on);
          });
        } else if (dice < 50) {
          if (n == 0) continue;
          size_t a = 1 + rng() % n;
          alive = timed("FETCH", [&] {
            return c->Cmd("FETCH " + std::to_string(a) + " (UID BODY.PEEK[])", on);
          });
        } else if (dice < 70) {
          if (n == 0) continue;
          size_t a = 1 + rng() % n;
          const char* fl = (rng() % 2) ? "+FLAGS (\\Flagged)" : "-FLAGS (\\Flagged)";
          alive = timed("STORE", [&] {
            return c->Cmd("STORE " + std::to_string(a) + " " + fl, on);
          });
        } else if (dice < 85) {
          if (n < 50) continue;  // keep the mailboxes from draining
          size_t a = 1 + rng() % n;
          alive = timed("EXPUNGE", [&] {
            std::string r = c->Cmd("STORE " + std::to_string(a) + " +FLAGS.SILENT (\\Deleted)", on);
            if (r != "OK" && r != "NO") return r;
            return c->Cmd("EXPUNGE", on);
          });
        } else {
          alive = timed("APPEND", [&] { return c->Append(box, msg, "", on); });
        }
      }
      // Quiesce: everyone stops changing; the main thread counts each mailbox in a fresh
      // session; then each session NOOPs until its view has that count (a view that never gets
      // there within 5 s is an error; one that needs more than one NOOP is counted as late) and
      // reads its whole view with FETCH 1:* (UID).
      sync.arrive_and_wait();
      sync.arrive_and_wait();
      if (alive) {
        long want = truth[box];
        auto tq = Clock::now();
        int noops = 0;
        do {
          if (noops > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
          alive = Ok(c->Cmd("NOOP", on), "NOOP");
          noops++;
        } while (alive && static_cast<long>(view.count()) != want && Since(tq) < 5);
        if (alive && static_cast<long>(view.count()) != want) {
          Error("client " + std::to_string(i) + " sees " + std::to_string(view.count()) +
                " messages in " + box + " 5 s after the last change, a fresh session " +
                std::to_string(want));
        } else if (noops > 1) {
          late++;
          std::lock_guard<std::mutex> l(st.mu);
          late_max = std::max(late_max, Since(tq));
        }
        alive = alive && Ok(c->Cmd("FETCH 1:* (UID)", on), "final FETCH");
        for (size_t k = 0; alive && k < view.count(); k++) {
          if (view.uids()[k] == 0) {
            Error("client " + std::to_string(i) + ": no UID for " + std::to_string(k + 1) +
                  " after FETCH 1:*");
            break;
          }
        }
        if (alive && static_cast<long>(view.count()) != want)
          Error("client " + std::to_string(i) + " has " + std::to_string(view.count()) +
                " messages after FETCH 1:* in " + box + ", a fresh session " + std::to_string(want));
      }
      sync.arrive_and_wait();
      if (c) c->Cmd("LOGOUT");
      st.Merge(lat);
      std::lock_guard<std::mutex> l(st.mu);
      for (auto& [k, v] : nos) st.nos[k] += v;
    });
  }
  sync.arrive_and_wait();
  auto t0 = Clock::now();
  while (Since(t0) < duration) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!PidsAlive(Opt("server_pids", ""))) {
      Error("a server process died");
      break;
    }
  }
  stop = true;
  double secs = Since(t0);
  sync.arrive_and_wait();  // all stopped
  // What a fresh session counts in each mailbox: every view must get there.
  if (auto c = Open(g_t.user)) {
    for (auto& b : boxes) {
      long exists = -1;
      c->Cmd("STATUS " + b + " (MESSAGES)", [&](const std::string& l, size_t) {
        size_t p = l.find("MESSAGES ");
        if (p != std::string::npos) exists = atol(l.c_str() + p + 9);
      });
      truth[b] = exists;
      long selected = -1;
      c->Cmd("EXAMINE " + b, [&](const std::string& l, size_t) {
        if (l.find(" EXISTS") != std::string::npos) selected = atol(l.c_str() + 2);
      });
      if (selected != exists)
        Error("a fresh session: STATUS " + b + " says " + std::to_string(exists) +
              " messages, EXAMINE " + std::to_string(selected));
    }
  }
  sync.arrive_and_wait();  // counts known
  sync.arrive_and_wait();  // all caught up
  for (auto& t : th) t.join();
  std::vector<double> all;
  for (auto& [op, v] : st.lat) {
    all.insert(all.end(), v.begin(), v.end());
    PrintLatency(op, v, secs, 0, st.nos[op]);
  }
  Mem m = MemOf(Opt("server_pids", ""));
  Json j = Result("ALL");
  std::vector<double> a2 = all;
  j.N("count", all.size()).N("seconds", secs).N("ops_per_s", all.size() / secs)
      .N("p50_ms", Pct(a2, 0.5) * 1e3).N("p90_ms", Pct(a2, 0.9) * 1e3)
      .N("p99_ms", Pct(a2, 0.99) * 1e3).N("clients", clients)
      .N("rss_kb", m.rss_kb).N("pss_kb", m.pss_kb).N("late_views", late.load())
      .N("late_max_ms", late_max * 1e3).N("errors", g_errors.load()).Print();
  return 0;
}

// ---------------------------------------------------------------- workload: select (+ FETCH 1:*)

int WorkloadSelect() {
  std::vector<long> sizes;
  {
    std::stringstream ss(Opt("sizes", "1000"));
    std::string tok;
    while (std::getline(ss, tok, ',')) sizes.push_back(std::stol(tok));
  }
  int repeats = OptInt("repeats", 5);
  int sessions = OptInt("sessions", 20);
  auto pop = Open(g_t.user);
  if (!pop) return 1;
  for (long n : sizes) {
    // One mailbox a size ("big<N>"): a server may also have it made beforehand (Dovecot's Maildir
    // written by bench.py), then Populate only SELECTs it once.
    std::string mbox = Opt("mailbox", "big") + std::to_string(n);
    if (!Populate(*pop, mbox, n, OptInt("size", 2048))) return 1;
    pop->Cmd("UNSELECT");
    pop->Cmd("CLOSE");
    std::string tag = std::to_string(n);
    // SELECT latency: a fresh session each time (its first SELECT of the mailbox).
    std::vector<double> lat;
    for (int r = 0; r < repeats; r++) {
      auto c = Open(g_t.user);
      if (!c) return 1;
      long exists = -1;
      auto t = Clock::now();
      std::string res = c->Cmd("SELECT " + mbox, [&](const std::string& l, size_t) {
        if (l.find(" EXISTS") != std::string::npos) exists = atol(l.c_str() + 2);
      });
      lat.push_back(Since(t));
      if (!Ok(res, "SELECT")) return 1;
      if (exists != n) Error("SELECT: EXISTS " + std::to_string(exists) + ", want " + tag);
      c->Cmd("LOGOUT");
    }
    PrintLatency("SELECT " + tag + " (no other session)", lat, 0);
    // FETCH 1:* (UID FLAGS) of the whole mailbox.
    {
      auto c = Open(g_t.user);
      if (!c) return 1;
      if (!Ok(c->Cmd("SELECT " + mbox), "SELECT")) return 1;
      std::vector<double> fl;
      long lines = 0;
      double secs = 0;
      for (int r = 0; r < std::max(1, repeats / 2); r++) {
        lines = 0;
        auto t = Clock::now();
        std::string res = c->Cmd("FETCH 1:* (UID FLAGS)", [&](const std::string& l, size_t) {
          if (l.find(" FETCH ") != std::string::npos) lines++;
        });
        double s = Since(t);
        fl.push_back(s);
        secs += s;
        if (!Ok(res, "FETCH 1:*")) return 1;
        if (lines != n) Error("FETCH 1:*: " + std::to_string(lines) + " responses, want " + tag);
      }
      Json j = Result("FETCH 1:* (UID FLAGS) " + tag);
      std::vector<double> f2 = fl;
      j.N("count", fl.size()).N("p50_ms", Pct(f2, 0.5) * 1e3).N("max_ms", f2.back() * 1e3)
          .N("messages_per_s", n * fl.size() / secs).N("errors", g_errors.load()).Print();
      c->Cmd("LOGOUT");
    }
    // Frontend memory per additional session on the same mailbox.
    {
      std::vector<std::unique_ptr<Conn>> open;
      auto first = Open(g_t.user);
      if (!first || !Ok(first->Cmd("SELECT " + mbox), "SELECT")) return 1;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      Mem before = MemOf(Opt("frontend_pids", Opt("server_pids", "")));
      std::vector<double> warm;  // SELECT while another session holds the mailbox open
      for (int s = 0; s < sessions; s++) {
        auto c = Open(g_t.user);
        if (!c) return 1;
        auto t = Clock::now();
        std::string res = c->Cmd("SELECT " + mbox);
        warm.push_back(Since(t));
        if (!Ok(res, "SELECT")) return 1;
        open.push_back(std::move(c));
      }
      PrintLatency("SELECT " + tag + " (mailbox open elsewhere)", warm, 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      Mem after = MemOf(Opt("frontend_pids", Opt("server_pids", "")));
      Json j = Result("session memory " + tag);
      j.N("sessions", sessions).N("rss_before_kb", before.rss_kb).N("rss_after_kb", after.rss_kb)
          .N("kb_per_session", (after.rss_kb - before.rss_kb) / double(sessions))
          .N("pss_kb_per_session", (after.pss_kb - before.pss_kb) / double(sessions))
          .N("errors", g_errors.load()).Print();
      for (auto& c : open) c->Cmd("LOGOUT");
      first->Cmd("LOGOUT");
    }
  }
  return 0;
}

// ---------------------------------------------------------------- workload: fetchbody

int WorkloadFetchBody() {
  int count = OptInt("messages", 16);
  size_t size = OptInt("size", 1 << 20);
  int rounds = OptInt("rounds", 4);
  std::string mbox = Opt("mailbox", "bodies");
  auto c = Open(g_t.user);
  if (!c) return 1;
  c->Cmd("CREATE " + mbox);
  std::mt19937_64 rng(3);
  for (int k = 0; k < count; k++) {
    if (!Ok(c->Append(mbox, MakeMessage(size, k, rng), "", nullptr), "APPEND")) return 1;
  }
  if (!Ok(c->Cmd("SELECT " + mbox), "SELECT")) return 1;
  std::vector<double> lat;
  double bytes = 0;
  auto t0 = Clock::now();
  for (int r = 0; r < rounds; r++) {
    for (int k = 1; k <= count; k++) {
      size_t got = 0;
      auto t = Clock::now();
      std::string res = c->Cmd("FETCH " + std::to_string(k) + " BODY.PEEK[]",
                               [&](const std::string&, size_t lit) { got += lit; });
      lat.push_back(Since(t));
      if (!Ok(res, "FETCH BODY[]")) return 1;
      if (got < size - 2) Error("FETCH BODY[]: " + std::to_string(got) + " bytes");
      bytes += got;
    }
  }
  PrintLatency("FETCH BODY[] 1MiB", lat, Since(t0), bytes);
  return 0;
}

// ---------------------------------------------------------------- workload: idle

int WorkloadIdle() {
  long n = OptInt("connections", 100);
  int setup_threads = OptInt("setup_threads", 16);
  int rounds = OptInt("rounds", 5);
  std::string mbox = "INBOX";
  // Source addresses: spread over 127.0.0.x so one destination port can take > 28,000.
  int nsrc = OptInt("source_ips", 4);
  Mem before = MemOf(Opt("frontend_pids", Opt("server_pids", "")));
  std::vector<std::unique_ptr<Conn>> conns(n);
  std::atomic<long> next{0}, ready{0};
  double setup_limit = OptDouble("setup_seconds", 300);
  auto t_setup = Clock::now();
  std::vector<std::thread> th;
  std::atomic<bool> give_up{false};
  for (int t = 0; t < setup_threads; t++) {
    th.emplace_back([&] {
      for (;;) {
        long i = next++;
        if (i >= n || give_up) return;
        if (Since(t_setup) > setup_limit) {
          give_up = true;
          return;
        }
        std::string src = "127.0.0." + std::to_string(1 + i % nsrc);
        auto c = Open(g_t.user, i, src);
        if (!c) return;
        if (!Ok(c->Cmd("SELECT " + mbox), "SELECT")) return;
        std::string tag = c->NextTag();
        if (!c->Send(tag + " IDLE\r\n")) return;
        std::string line;
        if (!c->ReadLine(&line) || line[0] != '+') {
          Error("IDLE: " + line);
          return;
        }
        c->ShrinkBuffer();
        conns[i] = std::move(c);
        ready++;
      }
    });
  }
  for (auto& t : th) t.join();
  double setup_secs = Since(t_setup);
  long established = ready.load();
  std::vector<std::unique_ptr<Conn>> live;
  for (auto& c : conns)
    if (c) live.push_back(std::move(c));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  Mem after = MemOf(Opt("frontend_pids", Opt("server_pids", "")));
  Json j = Result("IDLE memory");
  j.N("wanted", n).N("connections", established).N("setup_seconds", setup_secs)
      .N("logins_per_s", established / setup_secs).N("rss_before_kb", before.rss_kb)
      .N("rss_after_kb", after.rss_kb)
      .N("kb_per_connection", established ? (after.rss_kb - before.rss_kb) / double(established) : 0)
      .N("pss_kb_per_connection",
         established ? (after.pss_kb - before.pss_kb) / double(established) : 0)
      .N("procs", after.procs).N("errors", g_errors.load()).Print();
  if (established < n && !give_up) Error("only " + std::to_string(established) + " IDLE sessions");
  if (live.empty()) return 1;
  // APPEND -> EXISTS on every idle session.
  int ep = epoll_create1(0);
  for (size_t k = 0; k < live.size(); k++) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = k;
    epoll_ctl(ep, EPOLL_CTL_ADD, live[k]->fd(), &ev);
  }
  auto appender = Open(g_t.user);
  if (!appender) return 1;
  std::mt19937_64 rng(9);
  std::vector<double> lat;
  long missing = 0;
  std::vector<epoll_event> evs(1024);
  for (int r = 0; r < rounds; r++) {
    std::vector<char> got(live.size(), 0);
    size_t have = 0;
    std::string msg = MakeMessage(2048, 9000000 + r, rng);
    auto t0 = Clock::now();
    std::string res = appender->Append(mbox, msg, "", nullptr);
    double append_s = Since(t0);
    if (!Ok(res, "APPEND")) break;
    std::string line;
    while (have < live.size() && Since(t0) < OptDouble("exists_timeout", 30)) {
      int k = epoll_wait(ep, evs.data(), evs.size(), 200);
      double now = Since(t0);
      for (int e = 0; e < k; e++) {
        size_t idx = evs[e].data.u64;
        Conn& c = *live[idx];
        if (!c.FillNonBlocking()) {
          Error("an IDLE session was closed by the server");
          epoll_ctl(ep, EPOLL_CTL_DEL, c.fd(), nullptr);
          continue;
        }
        while (c.TakeLine(&line)) {
          if (line.find(" EXISTS") != std::string::npos && !got[idx]) {
            got[idx] = 1;
            have++;
            lat.push_back(now);
          }
        }
      }
    }
    missing += live.size() - have;
    // This round's own percentiles (the first round also pays each session's first sync).
    std::vector<double> round_lat(lat.end() - have, lat.end());
    Json a = Result("APPEND round");
    a.N("round", r).N("append_ms", append_s * 1e3).N("sessions_notified", have)
        .N("p50_ms", Pct(round_lat, 0.50) * 1e3).N("p99_ms", Pct(round_lat, 0.99) * 1e3).Print();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // A session that never hears of the new message is an error; with --allow_missed (a server
  // that is merely slow under this many sessions) it is reported as "missed" instead.
  if (missing && !OptInt("allow_missed", 0))
    Error(std::to_string(missing) + " IDLE sessions missed an EXISTS within the timeout");
  {
    Json j = Result("APPEND->EXISTS");
    std::vector<double> v = lat;
    j.N("count", v.size()).N("sessions", live.size()).N("rounds", rounds).N("missed", missing)
        .N("p50_ms", Pct(v, 0.50) * 1e3).N("p90_ms", Pct(v, 0.90) * 1e3)
        .N("p99_ms", Pct(v, 0.99) * 1e3).N("max_ms", v.empty() ? 0 : v.back() * 1e3)
        .N("errors", g_errors.load()).Print();
  }
  close(ep);
  for (auto& c : live) c->Send("DONE\r\n");
  return 0;
}

void Usage() {
  fprintf(stderr,
          "usage: loadgen --workload=append|mixed|select|fetchbody|idle --port=P[,P2]\n"
          "  [--host=127.0.0.1] --user=U --password=P [--label=NAME]\n"
          "  [--server_pids=PID,...] [--frontend_pids=PID,...]  memory (pids + descendants)\n"
          "  append:    --clients=8 --messages=200 (per client) --size=4096\n"
          "  mixed:     --clients=12 --duration=20 --mailboxes=2 --seed=200 --size=4096\n"
          "  select:    --sizes=100000,1000000 --repeats=5 --sessions=20 (memory per session)\n"
          "  fetchbody: --messages=16 --size=1048576 --rounds=4\n"
          "  idle:      --connections=N --rounds=5 --setup_threads=16 --setup_seconds=300\n");
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a.compare(0, 2, "--") != 0) {
      Usage();
      return 2;
    }
    size_t eq = a.find('=');
    if (eq == std::string::npos) g_opts[a.substr(2)] = "1";
    else g_opts[a.substr(2, eq - 2)] = a.substr(eq + 1);
  }
  g_workload = Opt("workload", "");
  g_label = Opt("label", "server");
  g_t.host = Opt("host", "127.0.0.1");
  {
    std::stringstream ss(Opt("port", "143"));
    std::string tok;
    while (std::getline(ss, tok, ',')) g_t.ports.push_back(std::stoi(tok));
  }
  g_t.user = Opt("user", "bench");
  g_t.pass = Opt("password", "pass");
  int rc;
  if (g_workload == "append") rc = WorkloadAppend();
  else if (g_workload == "mixed") rc = WorkloadMixed();
  else if (g_workload == "select") rc = WorkloadSelect();
  else if (g_workload == "fetchbody") rc = WorkloadFetchBody();
  else if (g_workload == "idle") rc = WorkloadIdle();
  else {
    Usage();
    return 2;
  }
  if (!PidsAlive(Opt("server_pids", ""))) Error("a server process is gone");
  long errs = g_errors.load();
  if (errs) fprintf(stderr, "loadgen: %s %s: %ld errors\n", g_label.c_str(), g_workload.c_str(), errs);
  return (rc != 0 || errs != 0) ? 1 : 0;
}
