// Frontend metrics: families and the sessions-per-mailbox collector.
#include "frontend/session/session_metrics.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace hadron::frontend {
namespace {

using Key = std::pair<uint64_t, uint64_t>;

class SelectedTracker {
 public:
  SelectedTracker() {
    metrics::Registry::Global().AddCollector(
        [this](std::vector<metrics::CollectedFamily>& out) { Collect(out); });
  }
  void Add(Key k, int delta) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    int64_t& n = counts_[k];
    n += delta;
    if (n <= 0) counts_.erase(k);
  }

 private:
  void Collect(std::vector<metrics::CollectedFamily>& out) ABSL_LOCKS_EXCLUDED(mu_) {
    static const std::vector<double> kBounds = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
    std::vector<uint64_t> buckets(kBounds.size() + 1, 0);
    double sum = 0;
    int64_t max = 0;
    size_t mailboxes;
    {
      absl::MutexLock lock(&mu_);
      mailboxes = counts_.size();
      for (const auto& [k, n] : counts_) {
        size_t i = std::lower_bound(kBounds.begin(), kBounds.end(), static_cast<double>(n)) -
                   kBounds.begin();
        ++buckets[i];
        sum += static_cast<double>(n);
        max = std::max(max, n);
      }
    }
    metrics::CollectedFamily h{"hadron_frontend_mailbox_sessions",
                               "Selected mailboxes by how many sessions here have them selected "
                               "(one observation per mailbox, taken at scrape time)",
                               metrics::Type::kHistogram,
                               {}};
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= kBounds.size(); ++i) {
      cumulative += buckets[i];
      h.samples.push_back({"_bucket",
                           {{"le", i < kBounds.size() ? metrics::FormatValue(kBounds[i]) : "+Inf"}},
                           static_cast<double>(cumulative)});
    }
    h.samples.push_back({"_sum", {}, sum});
    h.samples.push_back({"_count", {}, static_cast<double>(cumulative)});
    out.push_back(std::move(h));
    out.push_back({"hadron_frontend_mailbox_sessions_max",
                   "Sessions on the busiest selected mailbox here",
                   metrics::Type::kGauge,
                   {{"", {}, static_cast<double>(max)}}});
    out.push_back({"hadron_frontend_selected_mailboxes",
                   "Distinct mailboxes some session here has selected",
                   metrics::Type::kGauge,
                   {{"", {}, static_cast<double>(mailboxes)}}});
    out.push_back({"hadron_frontend_sessions_selected", "Sessions in the Selected state",
                   metrics::Type::kGauge,
                   {{"", {}, sum}}});
  }

  absl::Mutex mu_;
  absl::flat_hash_map<Key, int64_t> counts_ ABSL_GUARDED_BY(mu_);
};

SelectedTracker& Tracker() {
  static SelectedTracker* t = new SelectedTracker();
  return *t;
}

}  // namespace

FrontendMetrics& Metrics() {
  static FrontendMetrics* m = [] {
    auto& r = metrics::Registry::Global();
    Tracker();  // its families appear from the first scrape
    return new FrontendMetrics{
        r.AddGauge("hadron_frontend_connections", "IMAP connections open now").Get(),
        r.AddCounter("hadron_frontend_connections_total", "IMAP connections accepted").Get(),
        r.AddCounter("hadron_frontend_connections_rejected_total",
                     "IMAP connections refused by --max_connections or "
                     "--max_connections_per_address")
            .Get(),
        r.AddCounter("hadron_frontend_received_bytes_total",
                     "Bytes received from IMAP clients (on the wire: TLS and COMPRESS included)")
            .Get(),
        r.AddCounter("hadron_frontend_sent_bytes_total",
                     "Bytes sent to IMAP clients (on the wire: TLS and COMPRESS included)")
            .Get(),
        r.AddCounter("hadron_frontend_imap_commands_total",
                     "IMAP commands completed, by command (UID forms as \"UID FETCH\"; unknown "
                     "verbs as UNKNOWN) and result (OK, NO, BAD; NONE: no tagged answer)",
                     {"command", "result"}),
        r.AddHistogram("hadron_frontend_imap_command_duration_seconds",
                       "IMAP command duration from parsed to tagged answer, by command "
                       "(IDLE: the whole idle)",
                       {"command"}),
        r.AddCounter("hadron_frontend_drain_byes_total",
                     "Idle sessions sent * BYE because the frontend was draining (SIGTERM)")
            .Get(),
        r.AddGauge("hadron_frontend_draining", "1 while the frontend drains (after SIGTERM)").Get(),
    };
  }();
  return *m;
}

void MailboxSelected(uint64_t account, uint64_t mailbox) { Tracker().Add({account, mailbox}, 1); }
void MailboxDeselected(uint64_t account, uint64_t mailbox) {
  Tracker().Add({account, mailbox}, -1);
}

std::string NewSessionId() {
  static const uint32_t prefix = [] {
    std::random_device rd;
    return static_cast<uint32_t>(rd()) ^ static_cast<uint32_t>(::getpid());
  }();
  static std::atomic<uint64_t> next{0};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%08x-%llu", prefix,
                static_cast<unsigned long long>(next.fetch_add(1, std::memory_order_relaxed) + 1));
  return buf;
}

}  // namespace hadron::frontend
