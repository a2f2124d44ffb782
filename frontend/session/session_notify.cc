// NOTIFY (RFC 5465) in the session: the account watch, and sending notifications between
// commands and in IDLE.
//
// Account changes: a group other than SELECTED subscribes the account on the frontend's Watch
// stream (mailbox id 0). The statesvc sends one "account changed" event per commit (coalesced
// while queued, and one right after subscribing); the session then reads the account's mailbox
// list once and turns the difference from what it last read into STATUS and LIST responses
// (notify.cc). Reading the list instead of replaying each event keeps bursts cheap (one read
// for many deliveries) and makes a lost or coalesced event harmless.
#include <utility>

#include "asio/post.hpp"
#include "frontend/session/session.h"

namespace hadron::frontend {

struct Session::NotifyState {
  NotifySpec spec;
  NotifySnapshot snapshot;
  uint64_t account_id = 0;
  uint64_t watch_handle = 0;
  bool account_dirty = false;  // an account event arrived since the last read
  // MessageNew (fetch-att ...): the view whose new messages were fetched up to this UID.
  const MailboxView* fetch_view = nullptr;
  uint64_t fetch_mailbox = 0;
  uint32_t fetched_up_to = 0;
};

void Session::ClearNotify() {
  if (notify_ && notify_->watch_handle && watcher_) watcher_->Unsubscribe(notify_->watch_handle);
  notify_.reset();
}

asio::awaitable<absl::Status> Session::SetNotify(NotifySpec spec, bool send_status) {
  const uint64_t account = auth()->account_id;
  auto fresh = std::make_shared<NotifyState>();
  fresh->spec = std::move(spec);
  fresh->account_id = account;
  if (fresh->spec.wants_account()) {
    // Subscribe first, then read: a change between the two is reported by the event the
    // statesvc sends once the subscription is live.
    if (watcher_) {
      std::weak_ptr<Session> weak = weak_from_this();
      auto ex = executor_;
      std::weak_ptr<NotifyState> target = fresh;
      fresh->watch_handle = watcher_->Subscribe(
          account, 0, 0, [weak, ex, target](const state::v1::WatchEvent& ev) {
            asio::post(ex, [weak, target, account = ev.account_id()] {
              auto self = weak.lock();
              auto state = target.lock();
              if (!self || !state || state->account_id != account) return;
              // Marked even before SetNotify installs it: the read that follows covers it.
              state->account_dirty = true;
              if (self->notify_ == state) self->Wake();
            });
          });
    }
    pb::ListMailboxesRequest req;
    req.set_account_id(account);
    auto list = co_await state_.ListMailboxes(req);
    if (!list.ok()) {
      if (watcher_ && fresh->watch_handle) watcher_->Unsubscribe(fresh->watch_handle);
      co_return list.status();
    }
    fresh->snapshot = MakeNotifySnapshot(*list);
  }
  ClearNotify();
  notify_ = fresh;
  if (send_status) {
    MailboxView* v = view();
    std::string status =
        NotifyInitialStatus(notify_->spec, notify_->snapshot, v ? v->mailbox_id() : 0,
                            enabled_.condstore || enabled_.qresync,
                            enabled_.utf8_accept || enabled_.imap4rev2);
    co_await Send(status);
  }
  co_return absl::OkStatus();
}

asio::awaitable<void> Session::FlushNotifications() {
  if (!notify_) co_return;
  std::shared_ptr<NotifyState> n = notify_;
  if (n->account_dirty && n->spec.wants_account() && auth() != nullptr) {
    n->account_dirty = false;
    pb::ListMailboxesRequest req;
    req.set_account_id(n->account_id);
    auto list = co_await state_.ListMailboxes(req);
    if (notify_ != n) co_return;  // NOTIFY changed meanwhile
    if (list.ok()) {
      NotifySnapshot now = MakeNotifySnapshot(*list);
      MailboxView* v = view();
      std::string out = NotifyDiff(n->spec, n->snapshot, now, v ? v->mailbox_id() : 0,
                                   enabled_.condstore || enabled_.qresync,
                            enabled_.utf8_accept || enabled_.imap4rev2);
      n->snapshot = std::move(now);
      co_await Send(out);
    } else {
      n->account_dirty = true;  // tried again at the next event or command
    }
  }
  // RFC 5465 5.1: with SELECTED the selected mailbox's changes go out as they happen, EXPUNGE
  // included; with SELECTED-DELAYED, EXPUNGE waits for a command that allows it.
  if (notify_ == n && n->spec.selected && n->spec.selected_events != 0 && view() != nullptr) {
    if (MailboxView* before = view();
        n->fetch_view != before || n->fetch_mailbox != before->mailbox_id()) {
      // A newly selected mailbox (or a new NOTIFY): the client knows the messages it was told
      // so far. Taken before Sync, so a message that arrived meanwhile still gets its FETCH.
      n->fetch_view = before;
      n->fetch_mailbox = before->mailbox_id();
      n->fetched_up_to = before->MaxUid();
    }
    co_await Sync(/*allow_expunge=*/!n->spec.selected_delayed);
    if (logout_ || notify_ != n) co_return;
    MailboxView* v = view();
    if (v != nullptr && !n->spec.fetch_atts.empty() &&
        (n->spec.selected_events & kNotifyMessageNew) && v == n->fetch_view &&
        v->mailbox_id() == n->fetch_mailbox) {
      if (v->MaxUid() > n->fetched_up_to) {
        // RFC 5465 5.2: the EXISTS is followed by the requested data of the new messages,
        // answered as a FETCH of their numbers (a command without a tag sends no tagged line;
        // a non-UID FETCH, so it sends no EXPUNGE either).
        uint32_t first = v->size();
        while (first > 1 && v->UidAt(first - 1) > n->fetched_up_to) --first;
        imap::Command fetch;
        fetch.name = "FETCH";
        fetch.uid = enabled_.uidonly;  // RFC 9586: by UID (a UID FETCH may send VANISHED)
        imap::FetchArgs args;
        if (fetch.uid) {
          args.set.ranges.push_back(imap::SeqRange{n->fetched_up_to + 1, v->MaxUid()});
        } else {
          args.set.ranges.push_back(imap::SeqRange{first, v->size()});
        }
        args.atts = n->spec.fetch_atts;
        fetch.args = std::move(args);
        n->fetched_up_to = v->MaxUid();
        co_await config_.dispatch(*this, fetch);
      }
    }
  }
}

asio::awaitable<bool> Session::WaitCommandInput(std::chrono::steady_clock::time_point deadline,
                                                bool wake_on_drain) {
  if (!notify_) co_return co_await WaitInputUntil(deadline, wake_on_drain);
  for (;;) {
    if (wake_on_drain && draining_) co_return false;
    co_await FlushNotifications();
    if (logout_) co_return false;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) co_return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) +
                std::chrono::milliseconds(1);
    if (co_await WaitInput(left) == Wait::kInput) co_return true;
    if (!notify_) co_return co_await WaitInputUntil(deadline, wake_on_drain);
  }
}

}  // namespace hadron::frontend
