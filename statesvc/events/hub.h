// In-process fan-out of committed changes to Watch streams, with a bounded queue per stream.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "statesvc/store/types.h"

namespace hadron::events {

using MailboxKey = std::pair<uint64_t, uint64_t>;  // (account, mailbox)

struct Event {
  uint64_t account = 0;
  uint64_t mailbox = 0;
  std::optional<store::Change> change;
  bool resync = false;        // the stream lost events for this mailbox: select again
  bool mailbox_gone = false;  // deleted
  int64_t commit_unix_micros = 0;  // live events: when published (operations: stream lag)
  bool account_changed = false;  // notify: mailbox 0, something in the account changed
};

// Receives events for the mailboxes it subscribed to. Deliver must not block: it runs on the
// commit path.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual void Deliver(const Event& event) = 0;
};

// Routes committed changes to the subscribers of their mailbox. Installed as the store's listener.
class Hub : public store::ChangeListener {
 public:
  void Subscribe(uint64_t account, uint64_t mailbox, std::shared_ptr<Subscriber> subscriber);
  void Unsubscribe(uint64_t account, uint64_t mailbox, const Subscriber* subscriber);
  void UnsubscribeAll(const Subscriber* subscriber);
  size_t SubscriptionCount();

  void OnChange(uint64_t account, uint64_t mailbox, const store::Change& change) override;
  void OnMailboxGone(uint64_t account, uint64_t mailbox) override;
  // notify: to the subscribers of (account, 0).
  void OnAccountChanged(uint64_t account) override;

 private:
  void Publish(const Event& event);

  absl::Mutex mu_;
  absl::flat_hash_map<MailboxKey, std::vector<std::shared_ptr<Subscriber>>> subs_ ABSL_GUARDED_BY(mu_);
};

// One stream's queue. Subscribing replays the log: BeginReplay before subscribing at the hub,
// FinishReplay with what the log returned; live events that arrive meanwhile are held back and
// then appended without duplicates (by modseq). When the queue is full, the queued events of the
// overflowing mailbox are replaced by one resync event.
class EventQueue : public Subscriber {
 public:
  // `on_ready` is called (without the queue's lock) after an event was queued.
  EventQueue(size_t limit, std::function<void()> on_ready);

  void Deliver(const Event& event) override;
  void BeginReplay(uint64_t account, uint64_t mailbox);
  void FinishReplay(uint64_t account, uint64_t mailbox, std::vector<Event> replayed);
  void Drop(uint64_t account, uint64_t mailbox);
  std::optional<Event> Pop();
  size_t size();

 private:
  struct Sub {
    bool replaying = false;
    bool replay_overflow = false;
    std::vector<Event> held;
    uint64_t last_modseq = 0;
    bool account_queued = false;  // notify: an account_changed event waits in the queue
  };
  // Appends respecting the limit; returns false if the event was dropped as a duplicate.
  bool PushLocked(const Event& event, Sub& sub) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t limit_;
  const std::function<void()> on_ready_;
  absl::Mutex mu_;
  std::deque<Event> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<MailboxKey, Sub> subs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hadron::events
