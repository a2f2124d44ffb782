// The Watch stream client: a ClientBidiReactor with one write in flight, a queue of requests,
// and reconnect with backoff. Every mailbox remembers the last modseq delivered, so a new
// stream resumes where the old one stopped; a listener that joins late covers its own gap with
// GetChanges (the session does that), and duplicates are harmless to the view.
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/metrics/metrics.h"
#include "asio/post.hpp"
#include "asio/steady_timer.hpp"
#include "frontend/state_client/watcher.h"
#include "grpcpp/grpcpp.h"
#include "hadron/state/v1/state.grpc.pb.h"
#include "spdlog/spdlog.h"

namespace hadron::frontend {
namespace {

namespace pb = ::hadron::state::v1;
using Key = std::pair<uint64_t, uint64_t>;

class GrpcWatcher;

// Operations: the Watch stream's events, reconnects and lag (statesvc publish -> here).
struct WatchMetricsT {
  metrics::Counter& events;
  metrics::Counter& reconnects;
  metrics::Histogram& lag;
};
WatchMetricsT& WatchMetrics() {
  static WatchMetricsT* m = [] {
    auto& r = metrics::Registry::Global();
    return new WatchMetricsT{
        r.AddCounter("hadron_frontend_watch_events_total",
                     "Events received on the Watch streams from the statesvcs")
            .Get(),
        r.AddCounter("hadron_frontend_watch_reconnects_total",
                     "Watch streams that ended and were reconnected")
            .Get(),
        r.AddHistogram("hadron_frontend_event_lag_seconds",
                       "Event-stream lag: from the statesvc publishing a committed change to "
                       "this frontend receiving it (wall clocks; live events only)",
                       {},
                       {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                        5, 10})
            .Get(),
    };
  }();
  return *m;
}

void ObserveEvent(const pb::WatchEvent& ev) {
  WatchMetricsT& m = WatchMetrics();
  m.events.Inc();
  if (ev.commit_unix_micros() > 0) {
    int64_t now = absl::ToUnixMicros(absl::Now());
    m.lag.Observe(static_cast<double>(std::max<int64_t>(0, now - ev.commit_unix_micros())) / 1e6);
  }
}

// One stream's life. Deleted by itself in OnDone, after telling the watcher.
class Stream final : public grpc::ClientBidiReactor<pb::WatchRequest, pb::WatchEvent> {
 public:
  Stream(GrpcWatcher* owner, pb::State::Stub* stub) : owner_(owner) {
    stub->async()->Watch(&ctx_, this);
  }
  void Start(std::vector<pb::WatchRequest> initial) {
    {
      absl::MutexLock l(&mu_);
      for (auto& r : initial) queue_.push_back(std::move(r));
    }
    StartRead(&event_);
    AddHold();  // released in OnDone path once no more writes
    MaybeWrite();
    StartCall();
  }
  void Send(pb::WatchRequest req) {
    {
      absl::MutexLock l(&mu_);
      if (done_) return;
      queue_.push_back(std::move(req));
    }
    MaybeWrite();
  }
  void Cancel() { ctx_.TryCancel(); }

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock l(&mu_);
      writing_ = false;
      if (!ok) {
        done_ = true;
      }
    }
    if (ok) MaybeWrite();
    else RemoveHoldOnce();
  }
  void OnDone(const grpc::Status& status) override;

 private:
  void MaybeWrite() {
    pb::WatchRequest* next = nullptr;
    {
      absl::MutexLock l(&mu_);
      if (writing_ || queue_.empty() || done_) return;
      current_ = std::move(queue_.front());
      queue_.pop_front();
      writing_ = true;
      next = &current_;
    }
    StartWrite(next);
  }
  void RemoveHoldOnce() {
    if (!hold_removed_.exchange(true)) RemoveHold();
  }

  GrpcWatcher* owner_;
  grpc::ClientContext ctx_;
  pb::WatchEvent event_;
  absl::Mutex mu_;
  std::deque<pb::WatchRequest> queue_ ABSL_GUARDED_BY(mu_);
  pb::WatchRequest current_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> hold_removed_{false};
};

class GrpcWatcher final : public MailboxWatcher {
 public:
  GrpcWatcher(std::shared_ptr<grpc::Channel> channel, asio::io_context& io)
      : stub_(pb::State::NewStub(channel)), io_(io), timer_(io) {
    WatchMetrics();  // operations: the families are listed (at zero) from the start
    Connect();
  }
  ~GrpcWatcher() override {
    Stream* s;
    {
      absl::MutexLock l(&mu_);
      shutting_down_ = true;
      s = stream_;
    }
    if (s) s->Cancel();
    // Wait for the stream to finish so it never calls into a dead watcher.
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(+[](Stream** p) { return *p == nullptr; }, &stream_));
  }

  uint64_t Subscribe(uint64_t account, uint64_t mailbox, uint64_t since,
                     Listener listener) override {
    Stream* s = nullptr;
    pb::WatchRequest req;
    uint64_t handle;
    {
      absl::MutexLock l(&mu_);
      handle = ++next_handle_;
      Key key{account, mailbox};
      handles_[handle] = key;
      Entry& e = entries_[key];
      bool first = e.listeners.empty();
      e.listeners[handle] = std::move(listener);
      if (first) {
        e.last_modseq = since;
        auto* sub = req.mutable_subscribe();
        sub->set_account_id(account);
        sub->set_mailbox_id(mailbox);
        sub->set_since_modseq(since);
        s = stream_;
      }
    }
    if (s) s->Send(std::move(req));
    return handle;
  }

  void Unsubscribe(uint64_t handle) override {
    Stream* s = nullptr;
    pb::WatchRequest req;
    {
      absl::MutexLock l(&mu_);
      auto it = handles_.find(handle);
      if (it == handles_.end()) return;
      Key key = it->second;
      handles_.erase(it);
      auto e = entries_.find(key);
      if (e == entries_.end()) return;
      e->second.listeners.erase(handle);
      if (e->second.listeners.empty()) {
        entries_.erase(e);
        auto* u = req.mutable_unsubscribe();
        u->set_account_id(key.first);
        u->set_mailbox_id(key.second);
        s = stream_;
      }
    }
    if (s) s->Send(std::move(req));
  }

  bool connected() const override { return connected_.load(); }

  // --- called by Stream ---
  void OnEvent(const pb::WatchEvent& ev) {
    connected_ = true;
    ObserveEvent(ev);  // operations: event-stream lag
    std::vector<Listener> targets;
    {
      absl::MutexLock l(&mu_);
      backoff_ = std::chrono::milliseconds(100);
      auto it = entries_.find(Key{ev.account_id(), ev.mailbox_id()});
      if (it == entries_.end()) return;
      if (ev.has_change() && ev.change().modseq() > it->second.last_modseq) {
        it->second.last_modseq = ev.change().modseq();
      }
      for (auto& [h, fn] : it->second.listeners) targets.push_back(fn);
    }
    for (auto& fn : targets) fn(ev);
  }
  void OnStreamDone(const grpc::Status& status) {
    connected_ = false;
    std::chrono::milliseconds delay;
    {
      absl::MutexLock l(&mu_);
      stream_ = nullptr;
      if (shutting_down_) return;
      delay = backoff_;
      backoff_ = std::min(backoff_ * 2, std::chrono::milliseconds(1000));
    }
    spdlog::warn("watch stream ended: {}; reconnecting", status.error_message());
    WatchMetrics().reconnects.Inc();
    // The timer belongs to the io_context: arm it there, not on this gRPC thread.
    asio::post(io_, [this, delay] {
      timer_.expires_after(delay);
      timer_.async_wait([this](const asio::error_code& ec) {
        if (!ec) Connect();
      });
    });
  }

 private:
  struct Entry {
    uint64_t last_modseq = 0;
    std::map<uint64_t, Listener> listeners;
  };

  void Connect() {
    std::vector<pb::WatchRequest> initial;
    Stream* s;
    {
      absl::MutexLock l(&mu_);
      if (shutting_down_) return;
      for (auto& [key, e] : entries_) {
        pb::WatchRequest r;
        auto* sub = r.mutable_subscribe();
        sub->set_account_id(key.first);
        sub->set_mailbox_id(key.second);
        sub->set_since_modseq(e.last_modseq);
        initial.push_back(std::move(r));
      }
      s = new Stream(this, stub_.get());
      stream_ = s;
    }
    s->Start(std::move(initial));
  }

  std::unique_ptr<pb::State::Stub> stub_;
  asio::io_context& io_;
  asio::steady_timer timer_;
  std::chrono::milliseconds backoff_ ABSL_GUARDED_BY(mu_){100};
  std::atomic<bool> connected_{false};
  absl::Mutex mu_;
  Stream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_handle_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<Key, Entry> entries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, Key> handles_ ABSL_GUARDED_BY(mu_);
};

void Stream::OnReadDone(bool ok) {
  if (!ok) {
    {
      absl::MutexLock l(&mu_);
      done_ = true;
    }
    RemoveHoldOnce();
    return;
  }
  owner_->OnEvent(event_);
  StartRead(&event_);
}

void Stream::OnDone(const grpc::Status& status) {
  owner_->OnStreamDone(status);
  delete this;
}

}  // namespace

std::unique_ptr<MailboxWatcher> NewGrpcMailboxWatcher(std::shared_ptr<grpc::Channel> channel,
                                                      asio::io_context& io) {
  return std::make_unique<GrpcWatcher>(std::move(channel), io);
}

}  // namespace hadron::frontend
