// Tests of the metrics registry, its text exposition and the HTTP endpoint.
#include "common/metrics/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "common/metrics/http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hadron::metrics {
namespace {

using ::testing::HasSubstr;

TEST(Metrics, CounterAndGaugeRender) {
  Registry r;
  auto& cmds = r.AddCounter("imap_commands_total", "IMAP commands", {"command", "result"});
  cmds.WithLabels({"FETCH", "OK"}).Inc();
  cmds.WithLabels({"FETCH", "OK"}).Inc(2);
  cmds.WithLabels({"STORE", "NO"}).Inc();
  auto& g = r.AddGauge("connections", "open connections").Get();
  g.Inc();
  g.Inc();
  g.Dec();
  std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("# HELP imap_commands_total IMAP commands\n"
                              "# TYPE imap_commands_total counter\n"));
  EXPECT_THAT(text, HasSubstr("imap_commands_total{command=\"FETCH\",result=\"OK\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("imap_commands_total{command=\"STORE\",result=\"NO\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE connections gauge\nconnections 1\n"));
}

TEST(Metrics, SameNameReturnsSameFamily) {
  Registry r;
  auto& a = r.AddCounter("x_total", "x", {"l"});
  auto& b = r.AddCounter("x_total", "x", {"l"});
  EXPECT_EQ(&a, &b);
  a.WithLabels({"v"}).Inc();
  EXPECT_EQ(b.WithLabels({"v"}).value(), 1u);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Registry r;
  auto& h = r.AddHistogram("lat_seconds", "latency", {"m"}, {0.1, 1, 10}).WithLabels({"a"});
  h.Observe(0.05);
  h.Observe(0.1);  // le is inclusive
  h.Observe(0.5);
  h.Observe(100);
  std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE lat_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{m=\"a\",le=\"0.1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{m=\"a\",le=\"1\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{m=\"a\",le=\"10\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{m=\"a\",le=\"+Inf\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_sum{m=\"a\"} 100.65\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_count{m=\"a\"} 4\n"));
}

TEST(Metrics, LabelValuesAreEscaped) {
  Registry r;
  r.AddCounter("e_total", "help with \\ and\nnewline", {"v"}).WithLabels({"a\"b\\c\nd"}).Inc();
  std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("# HELP e_total help with \\\\ and\\nnewline\n"));
  EXPECT_THAT(text, HasSubstr("e_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST(Metrics, CardinalityIsCapped) {
  Registry r;
  auto& f = r.AddCounter("many_total", "many", {"k"});
  for (size_t i = 0; i < Family<Counter>::kMaxChildren + 50; ++i) {
    f.WithLabels({std::to_string(i)}).Inc();
  }
  size_t children = 0;
  uint64_t other = 0;
  f.ForEach([&](const std::vector<std::string>& values, const Counter& c) {
    ++children;
    if (values[0] == "_other") other = c.value();
  });
  EXPECT_EQ(children, Family<Counter>::kMaxChildren + 1);
  EXPECT_EQ(other, 50u);
}

TEST(Metrics, ConcurrentUpdatesAreNotLost) {
  Registry r;
  auto& f = r.AddCounter("c_total", "c", {"t"});
  auto& h = r.AddHistogram("h_seconds", "h", {}, {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        f.WithLabels({t % 2 ? "odd" : "even"}).Inc();
        h.Get().Observe(0.5);
        if (i % 1000 == 0) (void)r.Render();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(f.WithLabels({"odd"}).value(), 20000u);
  EXPECT_EQ(f.WithLabels({"even"}).value(), 20000u);
  EXPECT_EQ(h.Get().Read().cumulative.back(), 40000u);
  EXPECT_DOUBLE_EQ(h.Get().Read().sum, 20000.0);
}

TEST(Metrics, CollectorsRenderAndMerge) {
  Registry r;
  auto collect = [](std::vector<CollectedFamily>& out) {
    CollectedFamily f;
    f.name = "rocks_keys";
    f.help = "keys";
    f.type = Type::kGauge;
    f.samples.push_back({"", {{"cf", "messages"}}, 42});
    out.push_back(f);
  };
  {
    ScopedCollector a(r, collect);
    ScopedCollector b(r, collect);
    std::string text = r.Render();
    // Two collectors of the same family: one header.
    size_t first = text.find("# TYPE rocks_keys gauge");
    ASSERT_NE(first, std::string::npos);
    EXPECT_EQ(text.find("# TYPE rocks_keys gauge", first + 1), std::string::npos);
    EXPECT_THAT(text, HasSubstr("rocks_keys{cf=\"messages\"} 42\n"));
  }
  EXPECT_EQ(r.Render().find("rocks_keys"), std::string::npos);
}

TEST(Metrics, FormatValue) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(0.0001), "0.0001");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
}

std::string Get(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "connect failed";
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
  (void)::send(fd, req.data(), req.size(), 0);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

TEST(MetricsHttp, ServesMetricsHealthAndReadiness) {
  Registry r;
  r.AddCounter("served_total", "s").Get().Inc(7);
  std::atomic<bool> ready{false};
  MetricsHttpServer::Options o;
  o.listen = "127.0.0.1:0";
  o.registry = &r;
  o.ready = [&] { return ready.load(); };
  auto server = MetricsHttpServer::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  int port = (*server)->port();
  ASSERT_GT(port, 0);
  std::string m = Get(port, "/metrics");
  EXPECT_TRUE(absl::StartsWith(m, "HTTP/1.1 200 OK\r\n")) << m;
  EXPECT_THAT(m, HasSubstr("Content-Type: text/plain; version=0.0.4"));
  EXPECT_THAT(m, HasSubstr("served_total 7\n"));
  EXPECT_TRUE(absl::StartsWith(Get(port, "/healthz"), "HTTP/1.1 200 "));
  EXPECT_TRUE(absl::StartsWith(Get(port, "/readyz"), "HTTP/1.1 503 "));
  ready = true;
  EXPECT_TRUE(absl::StartsWith(Get(port, "/readyz"), "HTTP/1.1 200 "));
  EXPECT_TRUE(absl::StartsWith(Get(port, "/nope"), "HTTP/1.1 404 "));
}

TEST(MetricsHttp, BadListenAddressIsAnError) {
  MetricsHttpServer::Options o;
  o.listen = "no-port";
  EXPECT_FALSE(MetricsHttpServer::Start(o).ok());
  o.listen = "127.0.0.1:99999";
  EXPECT_FALSE(MetricsHttpServer::Start(o).ok());
}

}  // namespace
}  // namespace hadron::metrics
