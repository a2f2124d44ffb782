// Metrics registry and the Prometheus text exposition format 0.0.4.
#include "common/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace hadron::metrics {
namespace {

const char* TypeName(Type t) {
  switch (t) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
    case Type::kSummary:
      return "summary";
  }
  return "untyped";
}

// HELP text escapes backslash and newline only (the format's rule).
std::string EscapeHelp(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void AppendHeader(std::string& out, const std::string& name, const std::string& help, Type type) {
  absl::StrAppend(&out, "# HELP ", name, " ", EscapeHelp(help), "\n# TYPE ", name, " ",
                  TypeName(type), "\n");
}

void AppendSample(std::string& out, std::string_view name, std::string_view suffix,
                  const std::vector<std::pair<std::string, std::string>>& labels, double value) {
  out.append(name).append(suffix);
  if (!labels.empty()) {
    out += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out += ',';
      first = false;
      absl::StrAppend(&out, k, "=\"", EscapeLabelValue(v), "\"");  // std::string args
    }
    out += '}';
  }
  absl::StrAppend(&out, " ", FormatValue(value), "\n");
}

std::vector<std::pair<std::string, std::string>> Zip(const std::vector<std::string>& names,
                                                     const std::vector<std::string>& values) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(names.size() + 1);
  for (size_t i = 0; i < names.size(); ++i) out.emplace_back(names[i], values[i]);
  return out;
}

template <typename T>
std::unique_ptr<T> MakeDefault() {
  return std::make_unique<T>();
}

}  // namespace

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  // The shortest of %.15g .. %.17g that reads back as the same double.
  char buf[32];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                               0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                               1,      2.5,     5,      10,    30};
  return kBuckets;
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = total;
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

Registry& Registry::Global() {
  static Registry* r = new Registry();
  return *r;
}

Registry::Entry* Registry::FindLocked(const std::string& name) {
  for (auto& [n, e] : entries_) {
    if (n == name) return e.get();
  }
  return nullptr;
}

Family<Counter>& Registry::AddCounter(const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  if (Entry* e = FindLocked(name)) {
    if (e->type != Type::kCounter || e->counter->label_names() != label_names) std::abort();
    return *e->counter;
  }
  auto e = std::make_unique<Entry>();
  e->type = Type::kCounter;
  e->counter = std::make_unique<Family<Counter>>(name, help, std::move(label_names),
                                                 &MakeDefault<Counter>);
  auto& ref = *e->counter;
  entries_.emplace_back(name, std::move(e));
  return ref;
}

Family<Gauge>& Registry::AddGauge(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  if (Entry* e = FindLocked(name)) {
    if (e->type != Type::kGauge || e->gauge->label_names() != label_names) std::abort();
    return *e->gauge;
  }
  auto e = std::make_unique<Entry>();
  e->type = Type::kGauge;
  e->gauge =
      std::make_unique<Family<Gauge>>(name, help, std::move(label_names), &MakeDefault<Gauge>);
  auto& ref = *e->gauge;
  entries_.emplace_back(name, std::move(e));
  return ref;
}

Family<Histogram>& Registry::AddHistogram(const std::string& name, const std::string& help,
                                          std::vector<std::string> label_names,
                                          std::vector<double> bounds) {
  absl::MutexLock lock(&mu_);
  if (Entry* e = FindLocked(name)) {
    if (e->type != Type::kHistogram || e->histogram->label_names() != label_names) std::abort();
    return *e->histogram;
  }
  std::sort(bounds.begin(), bounds.end());
  auto e = std::make_unique<Entry>();
  e->type = Type::kHistogram;
  e->histogram = std::make_unique<Family<Histogram>>(
      name, help, std::move(label_names),
      [bounds] { return std::make_unique<Histogram>(bounds); });
  auto& ref = *e->histogram;
  entries_.emplace_back(name, std::move(e));
  return ref;
}

int Registry::AddCollector(Collector collector) {
  absl::MutexLock lock(&collectors_mu_);
  int id = next_collector_++;
  collectors_.emplace_back(id, std::move(collector));
  return id;
}

void Registry::RemoveCollector(int id) {
  absl::MutexLock lock(&collectors_mu_);
  collectors_.erase(std::remove_if(collectors_.begin(), collectors_.end(),
                                   [id](const auto& c) { return c.first == id; }),
                    collectors_.end());
}

std::string Registry::Render() const {
  std::vector<const Entry*> entries;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [n, e] : entries_) entries.push_back(e.get());
  }
  std::string out;
  for (const Entry* e : entries) {
    switch (e->type) {
      case Type::kCounter: {
        const auto& f = *e->counter;
        AppendHeader(out, f.name(), f.help(), e->type);
        f.ForEach([&](const std::vector<std::string>& values, const Counter& c) {
          AppendSample(out, f.name(), "", Zip(f.label_names(), values),
                       static_cast<double>(c.value()));
        });
        break;
      }
      case Type::kGauge: {
        const auto& f = *e->gauge;
        AppendHeader(out, f.name(), f.help(), e->type);
        f.ForEach([&](const std::vector<std::string>& values, const Gauge& g) {
          AppendSample(out, f.name(), "", Zip(f.label_names(), values), g.value());
        });
        break;
      }
      case Type::kHistogram: {
        const auto& f = *e->histogram;
        AppendHeader(out, f.name(), f.help(), e->type);
        f.ForEach([&](const std::vector<std::string>& values, const Histogram& h) {
          Histogram::Snapshot s = h.Read();
          auto labels = Zip(f.label_names(), values);
          for (size_t i = 0; i <= h.bounds().size(); ++i) {
            auto bucket = labels;
            bucket.emplace_back("le", i < h.bounds().size() ? FormatValue(h.bounds()[i]) : "+Inf");
            AppendSample(out, f.name(), "_bucket", bucket, static_cast<double>(s.cumulative[i]));
          }
          AppendSample(out, f.name(), "_sum", labels, s.sum);
          AppendSample(out, f.name(), "_count", labels, static_cast<double>(s.cumulative.back()));
        });
        break;
      }
      case Type::kSummary:
        break;
    }
  }
  std::vector<CollectedFamily> collected;
  {
    absl::MutexLock lock(&collectors_mu_);
    for (const auto& [id, fn] : collectors_) fn(collected);
  }
  // Families of the same name (two collectors of one kind) are written as one.
  std::vector<bool> done(collected.size(), false);
  for (size_t i = 0; i < collected.size(); ++i) {
    if (done[i]) continue;
    const auto& f = collected[i];
    AppendHeader(out, f.name, f.help, f.type);
    for (size_t j = i; j < collected.size(); ++j) {
      if (done[j] || collected[j].name != f.name) continue;
      done[j] = true;
      for (const auto& s : collected[j].samples) {
        AppendSample(out, f.name, s.suffix, s.labels, s.value);
      }
    }
  }
  return out;
}

}  // namespace hadron::metrics
