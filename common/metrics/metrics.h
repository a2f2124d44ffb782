// Metrics: a small Prometheus-style registry (counters, gauges, histograms with labels) and its
// text exposition (format 0.0.4). Updates are lock-free atomics; only looking up a labelled child
// takes a mutex, so hot paths look a child up once and keep the reference (children live as long
// as the registry).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace hadron::metrics {

enum class Type { kCounter, kGauge, kHistogram, kSummary };

// A monotonically increasing count.
class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  void Inc() { Add(1); }
  void Dec() { Add(-1); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into fixed buckets (upper bounds, ascending; +Inf is implicit).
class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void Observe(double v);
  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
  };
  Snapshot Read() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

// Default latency buckets, in seconds: 100 us .. 30 s.
const std::vector<double>& LatencyBuckets();

// All the children of one metric name, one per combination of label values. The number of
// children is capped (kMaxChildren): past it, new combinations share one child whose label
// values are all "_other", so a bug can never grow memory or a scrape without bound.
template <typename T>
class Family {
 public:
  static constexpr size_t kMaxChildren = 2000;

  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<T>()> make)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        make_(std::move(make)) {}

  // The child for these label values (as many as label names; missing ones are "").
  T& WithLabels(std::initializer_list<std::string_view> values) ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<std::string> key;
    key.reserve(label_names_.size());
    auto it = values.begin();
    for (size_t i = 0; i < label_names_.size(); ++i) {
      key.emplace_back(it != values.end() ? std::string(*it++) : std::string());
    }
    return Get(std::move(key));
  }
  T& WithLabelValues(std::vector<std::string> values) ABSL_LOCKS_EXCLUDED(mu_) {
    values.resize(label_names_.size());
    return Get(std::move(values));
  }
  // The child without labels (a family declared with no label names).
  T& Get() { return WithLabels({}); }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls fn(label values, child) for every child, in no particular order.
  template <typename F>
  void ForEach(F fn) const ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<std::pair<std::vector<std::string>, const T*>> copy;
    {
      absl::MutexLock lock(&mu_);
      copy.reserve(children_.size());
      for (const auto& [k, v] : children_) copy.emplace_back(k, v.get());
    }
    for (const auto& [k, v] : copy) fn(k, *v);
  }

 private:
  T& Get(std::vector<std::string> key) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto it = children_.find(key);
    if (it != children_.end()) return *it->second;
    if (children_.size() >= kMaxChildren) {
      key.assign(label_names_.size(), "_other");
      it = children_.find(key);
      if (it != children_.end()) return *it->second;
    }
    auto& slot = children_[std::move(key)];
    slot = make_();
    return *slot;
  }

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::function<std::unique_ptr<T>()> make_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::vector<std::string>, std::unique_ptr<T>> children_ ABSL_GUARDED_BY(mu_);
};

// What a collector reports at scrape time (values read from elsewhere: RocksDB, a cache).
struct Sample {
  std::string suffix;  // "" or "_sum", "_count", "_bucket"
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};
struct CollectedFamily {
  std::string name;
  std::string help;
  Type type = Type::kGauge;
  std::vector<Sample> samples;
};
using Collector = std::function<void(std::vector<CollectedFamily>& out)>;

class Registry {
 public:
  // The process-wide registry that /metrics serves.
  static Registry& Global();

  // Declare a family; declaring an existing name again returns the same family (so a static
  // local or a second server in one process share it). The type and labels must match.
  Family<Counter>& AddCounter(const std::string& name, const std::string& help,
                              std::vector<std::string> label_names = {})
      ABSL_LOCKS_EXCLUDED(mu_);
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help,
                          std::vector<std::string> label_names = {}) ABSL_LOCKS_EXCLUDED(mu_);
  Family<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names,
                                  std::vector<double> bounds = LatencyBuckets())
      ABSL_LOCKS_EXCLUDED(mu_);

  // A collector runs at every scrape; remove it (with the id) before what it reads goes away.
  int AddCollector(Collector collector) ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveCollector(int id) ABSL_LOCKS_EXCLUDED(mu_);

  // The Prometheus text exposition of everything, families in declaration order.
  std::string Render() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    Type type;
    std::unique_ptr<Family<Counter>> counter;
    std::unique_ptr<Family<Gauge>> gauge;
    std::unique_ptr<Family<Histogram>> histogram;
  };
  Entry* FindLocked(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::vector<std::pair<std::string, std::unique_ptr<Entry>>> entries_ ABSL_GUARDED_BY(mu_);
  // Collectors run under this lock (it keeps RemoveCollector from returning during a scrape).
  mutable absl::Mutex collectors_mu_;
  std::vector<std::pair<int, Collector>> collectors_ ABSL_GUARDED_BY(collectors_mu_);
  int next_collector_ ABSL_GUARDED_BY(collectors_mu_) = 1;
};

// Text-format helpers (exposed for tests and collectors).
std::string EscapeLabelValue(std::string_view v);
std::string FormatValue(double v);

// Removes a collector when it goes out of scope.
class ScopedCollector {
 public:
  ScopedCollector() = default;
  ScopedCollector(Registry& registry, Collector collector)
      : registry_(&registry), id_(registry.AddCollector(std::move(collector))) {}
  ScopedCollector(const ScopedCollector&) = delete;
  ScopedCollector& operator=(const ScopedCollector&) = delete;
  ~ScopedCollector() { Reset(); }
  void Reset() {
    if (registry_ != nullptr) registry_->RemoveCollector(id_);
    registry_ = nullptr;
  }

 private:
  Registry* registry_ = nullptr;
  int id_ = 0;
};

}  // namespace hadron::metrics
