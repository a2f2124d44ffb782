// In-process fan-out of committed changes to Watch streams, with a bounded queue per stream.
#include "statesvc/events/hub.h"

#include "absl/time/clock.h"

#include <algorithm>

namespace hadron::events {

void Hub::Subscribe(uint64_t account, uint64_t mailbox, std::shared_ptr<Subscriber> subscriber) {
  absl::MutexLock lock(&mu_);
  auto& v = subs_[{account, mailbox}];
  for (const auto& s : v) {
    if (s.get() == subscriber.get()) return;
  }
  v.push_back(std::move(subscriber));
}

void Hub::Unsubscribe(uint64_t account, uint64_t mailbox, const Subscriber* subscriber) {
  absl::MutexLock lock(&mu_);
  auto it = subs_.find(MailboxKey{account, mailbox});
  if (it == subs_.end()) return;
  auto& v = it->second;
  v.erase(std::remove_if(v.begin(), v.end(), [&](const auto& s) { return s.get() == subscriber; }),
          v.end());
  if (v.empty()) subs_.erase(it);
}

void Hub::UnsubscribeAll(const Subscriber* subscriber) {
  absl::MutexLock lock(&mu_);
  for (auto it = subs_.begin(); it != subs_.end();) {
    auto& v = it->second;
    v.erase(std::remove_if(v.begin(), v.end(), [&](const auto& s) { return s.get() == subscriber; }),
            v.end());
    if (v.empty()) {
      subs_.erase(it++);
    } else {
      ++it;
    }
  }
}

size_t Hub::SubscriptionCount() {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [k, v] : subs_) n += v.size();
  return n;
}

void Hub::Publish(const Event& event) {
  std::vector<std::shared_ptr<Subscriber>> targets;
  {
    absl::MutexLock lock(&mu_);
    auto it = subs_.find(MailboxKey{event.account, event.mailbox});
    if (it == subs_.end()) return;
    targets = it->second;
  }
  for (const auto& t : targets) t->Deliver(event);
}

void Hub::OnChange(uint64_t account, uint64_t mailbox, const store::Change& change) {
  Event e;
  e.account = account;
  e.mailbox = mailbox;
  e.change = change;
  e.commit_unix_micros = absl::ToUnixMicros(absl::Now());
  Publish(e);
}

void Hub::OnMailboxGone(uint64_t account, uint64_t mailbox) {
  Event e;
  e.account = account;
  e.mailbox = mailbox;
  e.mailbox_gone = true;
  Publish(e);
}

void Hub::OnAccountChanged(uint64_t account) {
  Event e;
  e.account = account;
  e.account_changed = true;
  Publish(e);
}

EventQueue::EventQueue(size_t limit, std::function<void()> on_ready)
    : limit_(std::max<size_t>(limit, 1)), on_ready_(std::move(on_ready)) {}

bool EventQueue::PushLocked(const Event& event, Sub& sub) {
  if (event.account_changed) {
    // One waiting "account changed" says it all: the frontend re-reads the account.
    if (sub.account_queued) return false;
    sub.account_queued = true;
  }
  if (event.change) {
    if (event.change->modseq <= sub.last_modseq) return false;
    sub.last_modseq = event.change->modseq;
  }
  if (queue_.size() >= limit_ && !event.resync && !event.mailbox_gone) {
    // Replace this mailbox's backlog by one resync; later events follow it normally.
    queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                                [&](const Event& e) {
                                  return e.account == event.account && e.mailbox == event.mailbox;
                                }),
                 queue_.end());
    Event resync;
    resync.account = event.account;
    resync.mailbox = event.mailbox;
    resync.resync = true;
    queue_.push_back(std::move(resync));
    return true;
  }
  queue_.push_back(event);
  return true;
}

void EventQueue::Deliver(const Event& event) {
  bool pushed = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = subs_.find(MailboxKey{event.account, event.mailbox});
    if (it == subs_.end()) return;
    Sub& sub = it->second;
    if (sub.replaying) {
      if (sub.held.size() >= limit_) {
        sub.replay_overflow = true;
      } else {
        sub.held.push_back(event);
      }
      return;
    }
    pushed = PushLocked(event, sub);
    if (event.mailbox_gone) subs_.erase(it);
  }
  if (pushed && on_ready_) on_ready_();
}

void EventQueue::BeginReplay(uint64_t account, uint64_t mailbox) {
  absl::MutexLock lock(&mu_);
  Sub& sub = subs_[{account, mailbox}];
  sub.replaying = true;
  sub.replay_overflow = false;
  sub.held.clear();
}

void EventQueue::FinishReplay(uint64_t account, uint64_t mailbox, std::vector<Event> replayed) {
  {
    absl::MutexLock lock(&mu_);
    auto it = subs_.find(MailboxKey{account, mailbox});
    if (it == subs_.end()) return;  // dropped meanwhile
    Sub& sub = it->second;
    sub.replaying = false;
    bool gone = false;
    for (const auto& e : replayed) {
      PushLocked(e, sub);
      gone = gone || e.mailbox_gone;
    }
    if (sub.replay_overflow) {
      Event resync;
      resync.account = account;
      resync.mailbox = mailbox;
      resync.resync = true;
      PushLocked(resync, sub);
    } else {
      for (const auto& e : sub.held) {
        PushLocked(e, sub);
        gone = gone || e.mailbox_gone;
      }
    }
    sub.held.clear();
    if (gone) subs_.erase(it);
  }
  if (on_ready_) on_ready_();
}

void EventQueue::Drop(uint64_t account, uint64_t mailbox) {
  absl::MutexLock lock(&mu_);
  subs_.erase(MailboxKey{account, mailbox});
  queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                              [&](const Event& e) {
                                return e.account == account && e.mailbox == mailbox;
                              }),
               queue_.end());
}

std::optional<Event> EventQueue::Pop() {
  absl::MutexLock lock(&mu_);
  if (queue_.empty()) return std::nullopt;
  Event e = std::move(queue_.front());
  queue_.pop_front();
  if (e.mailbox == 0) {  // notify: the account's event (or its overflow resync) is out
    auto it = subs_.find(MailboxKey{e.account, 0});
    if (it != subs_.end()) it->second.account_queued = false;
  }
  return e;
}

size_t EventQueue::size() {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace hadron::events
