// RocksDB statistics of the store as Prometheus families (read at scrape time).
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/metrics/metrics.h"
#include "rocksdb/db.h"
#include "rocksdb/statistics.h"
#include "statesvc/store/store.h"
#include "statesvc/store/store_internal.h"

namespace hadron::store {
namespace {

// The tickers worth a graph: I/O volume, the WAL and group commit, caches, stalls.
constexpr rocksdb::Tickers kTickers[] = {
    rocksdb::BYTES_WRITTEN,        rocksdb::BYTES_READ,
    rocksdb::NUMBER_KEYS_WRITTEN,  rocksdb::NUMBER_KEYS_READ,
    rocksdb::WAL_FILE_SYNCED,      rocksdb::WAL_FILE_BYTES,
    rocksdb::WRITE_DONE_BY_SELF,   rocksdb::WRITE_DONE_BY_OTHER,
    rocksdb::WRITE_WITH_WAL,       rocksdb::BLOCK_CACHE_HIT,
    rocksdb::BLOCK_CACHE_MISS,     rocksdb::COMPACT_READ_BYTES,
    rocksdb::COMPACT_WRITE_BYTES,  rocksdb::FLUSH_WRITE_BYTES,
    rocksdb::STALL_MICROS,         rocksdb::NUMBER_DB_SEEK,
    rocksdb::BLOB_DB_BLOB_FILE_BYTES_WRITTEN, rocksdb::BLOB_DB_BLOB_FILE_BYTES_READ,
};
constexpr rocksdb::Histograms kHistograms[] = {
    rocksdb::DB_GET, rocksdb::DB_WRITE, rocksdb::DB_SEEK, rocksdb::WAL_FILE_SYNC_MICROS,
    rocksdb::FLUSH_TIME, rocksdb::COMPACTION_TIME,
};
// Per column family properties (integers), with the metric each becomes.
struct CfProperty {
  const char* property;
  const char* metric;
  const char* help;
};
constexpr CfProperty kCfProperties[] = {
    {"rocksdb.estimate-num-keys", "hadron_rocksdb_estimate_num_keys",
     "Estimated number of keys, by column family"},
    {"rocksdb.total-sst-files-size", "hadron_rocksdb_sst_files_bytes",
     "Size of all SST files, by column family"},
    {"rocksdb.live-sst-files-size", "hadron_rocksdb_live_sst_files_bytes",
     "Size of the SST files of the current version, by column family"},
    {"rocksdb.total-blob-file-size", "hadron_rocksdb_blob_files_bytes",
     "Size of all blob files, by column family"},
    {"rocksdb.cur-size-all-mem-tables", "hadron_rocksdb_memtable_bytes",
     "Size of the active and unflushed immutable memtables, by column family"},
    {"rocksdb.estimate-pending-compaction-bytes", "hadron_rocksdb_pending_compaction_bytes",
     "Estimated bytes compaction has to rewrite, by column family"},
};
constexpr CfProperty kDbProperties[] = {
    {"rocksdb.num-running-compactions", "hadron_rocksdb_running_compactions",
     "Compactions running now"},
    {"rocksdb.num-running-flushes", "hadron_rocksdb_running_flushes", "Flushes running now"},
    {"rocksdb.is-write-stopped", "hadron_rocksdb_write_stopped", "1 while writes are stopped"},
    {"rocksdb.actual-delayed-write-rate", "hadron_rocksdb_delayed_write_rate",
     "Write rate limit while writes are delayed (bytes/s, 0: not delayed)"},
    {"rocksdb.num-live-versions", "hadron_rocksdb_live_versions", "Live versions"},
};

}  // namespace

void Store::CollectMetrics(std::vector<metrics::CollectedFamily>& out) {
  using metrics::CollectedFamily;
  using metrics::Type;
  if (statistics_) {
    static const auto* names = [] {
      auto* m = new absl::flat_hash_map<uint32_t, std::string>();
      for (const auto& [t, n] : rocksdb::TickersNameMap) (*m)[t] = n;
      return m;
    }();
    static const auto* hist_names = [] {
      auto* m = new absl::flat_hash_map<uint32_t, std::string>();
      for (const auto& [h, n] : rocksdb::HistogramsNameMap) (*m)[h] = n;
      return m;
    }();
    CollectedFamily tickers{"hadron_rocksdb_ticker_total",
                            "RocksDB statistics tickers (rocksdb::Statistics), by ticker name",
                            Type::kCounter,
                            {}};
    for (rocksdb::Tickers t : kTickers) {
      auto it = names->find(t);
      if (it == names->end()) continue;
      tickers.samples.push_back(
          {"", {{"ticker", it->second}}, static_cast<double>(statistics_->getTickerCount(t))});
    }
    out.push_back(std::move(tickers));
    CollectedFamily hist{"hadron_rocksdb_operation_microseconds",
                         "RocksDB operation latency histograms (rocksdb::Statistics), as a "
                         "summary since start, by histogram name",
                         Type::kSummary,
                         {}};
    for (rocksdb::Histograms h : kHistograms) {
      auto it = hist_names->find(h);
      if (it == hist_names->end()) continue;
      rocksdb::HistogramData d;
      statistics_->histogramData(h, &d);
      const std::string& n = it->second;
      hist.samples.push_back({"", {{"histogram", n}, {"quantile", "0.5"}}, d.median});
      hist.samples.push_back({"", {{"histogram", n}, {"quantile", "0.95"}}, d.percentile95});
      hist.samples.push_back({"", {{"histogram", n}, {"quantile", "0.99"}}, d.percentile99});
      hist.samples.push_back({"_sum", {{"histogram", n}}, static_cast<double>(d.sum)});
      hist.samples.push_back({"_count", {{"histogram", n}}, static_cast<double>(d.count)});
    }
    out.push_back(std::move(hist));
  }
  for (const CfProperty& p : kCfProperties) {
    CollectedFamily f{p.metric, p.help, Type::kGauge, {}};
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      uint64_t v = 0;
      if (db_->GetIntProperty(h, p.property, &v)) {
        f.samples.push_back({"", {{"cf", h->GetName()}}, static_cast<double>(v)});
      }
    }
    out.push_back(std::move(f));
  }
  // The login cache (issue 8).
  out.push_back({"hadron_statesvc_login_cache_lookups_total",
                 "LOGIN verifications answered by the login cache (hit: no scrypt) or not (miss)",
                 Type::kCounter,
                 {{"", {{"result", "hit"}}, static_cast<double>(login_cache_.hits())},
                  {"", {{"result", "miss"}}, static_cast<double>(login_cache_.misses())}}});
  out.push_back({"hadron_statesvc_login_cache_entries", "Accounts in the login cache",
                 Type::kGauge,
                 {{"", {}, static_cast<double>(login_cache_.size())}}});
  for (const CfProperty& p : kDbProperties) {
    uint64_t v = 0;
    if (db_->GetIntProperty(p.property, &v)) {
      out.push_back({p.metric, p.help, Type::kGauge, {{"", {}, static_cast<double>(v)}}});
    }
  }
  // SELECT's column cache (column_cache.h).
  out.push_back({"hadron_select_cache_total",
                 "SELECT answers from the column cache (hit) or by reading every message (miss)",
                 Type::kCounter,
                 {{"", {{"result", "hit"}}, static_cast<double>(select_cache_hits())},
                  {"", {{"result", "miss"}}, static_cast<double>(select_cache_misses())}}});
  out.push_back({"hadron_select_cache_bytes", "memory held by the SELECT column cache",
                 Type::kGauge, {{"", {}, static_cast<double>(column_cache_.bytes())}}});
  out.push_back({"hadron_select_cache_mailboxes", "mailboxes in the SELECT column cache",
                 Type::kGauge, {{"", {}, static_cast<double>(column_cache_.size())}}});
}

}  // namespace hadron::store
