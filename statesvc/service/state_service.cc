// hadron.state.v1.State over the store: unary calls on the sync API, Watch as a callback reactor.
#include "statesvc/service/state_service.h"

#include <memory>

#include "common/tsan.h"
#include "statesvc/service/convert.h"
#include "statesvc/store/sort.h"

namespace hadron::service {
namespace {

using namespace ::hadron::state::v1;  // NOLINT: the generated names are the API here

// A Fetch answer stays under the 64 MiB message limit with room for framing.
constexpr size_t kMaxFetchBytes = 60ull << 20;

// One Watch stream: reads subscribe/unsubscribe requests, replays the log, tails live commits.
// Keeps one write in flight; the hub never blocks on it (the queue is bounded).
class WatchReactor : public grpc::ServerBidiReactor<WatchRequest, WatchEvent> {
 public:
  WatchReactor(store::Store* store, events::Hub* hub, size_t limit, WatchCount* count)
      : store_(store), hub_(hub), count_(count) {
    link_ = std::make_shared<Link>();
    link_->reactor = this;
    std::shared_ptr<Link> link = link_;
    bool draining;
    {
      absl::MutexLock lock(&count_->mu);
      ++count_->active;
      draining = count_->draining;
      if (!draining) {
        count_->enders[this] = [link] {
          absl::MutexLock l(&link->mu);
          if (link->reactor != nullptr) link->reactor->End();
        };
      }
    }
    queue_ = std::make_shared<events::EventQueue>(limit, [link] {
      absl::MutexLock lock(&link->mu);
      if (link->reactor != nullptr) link->reactor->MaybeWrite();
    });
    StartRead(&request_);
    if (draining) End();
    // gRPC hands this reactor to other threads (and finally to OnDone) with its own ordering,
    // which TSAN cannot see.
    HADRON_HAPPENS_BEFORE(this);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The frontend closed its side (or went away): finish once the current write is done.
      absl::MutexLock lock(&mu_);
      closing_ = true;
      if (!writing_ && !finished_) {
        finished_ = true;
        Finish(grpc::Status::OK);
      }
      return;
    }
    if (request_.has_subscribe()) {
      const auto& s = request_.subscribe();
      Subscribe(s.account_id(), s.mailbox_id(), s.since_modseq());
    } else if (request_.has_unsubscribe()) {
      const auto& u = request_.unsubscribe();
      hub_->Unsubscribe(u.account_id(), u.mailbox_id(), queue_.get());
      queue_->Drop(u.account_id(), u.mailbox_id());
    }
    StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) closing_ = true;
    WriteNextLocked();
  }

  void OnDone() override {
    HADRON_HAPPENS_AFTER(this);
    {
      absl::MutexLock lock(&link_->mu);
      link_->reactor = nullptr;
    }
    hub_->UnsubscribeAll(queue_.get());
    WatchCount* count = count_;
    const void* key = this;
    delete this;
    // Last: the server may destroy the hub once every reactor is done with it.
    absl::MutexLock lock(&count->mu);
    count->enders.erase(key);
    --count->active;
  }

  void MaybeWrite() {
    absl::MutexLock lock(&mu_);
    WriteNextLocked();
  }

  // Draining: finish now, or once the write in flight is done.
  void End() {
    absl::MutexLock lock(&mu_);
    closing_ = true;
    draining_ = true;
    if (!writing_ && !finished_) {
      finished_ = true;
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "statesvc shutting down"));
    }
  }

 private:
  struct Link {
    absl::Mutex mu;
    WatchReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;
  };

  void Subscribe(uint64_t account, uint64_t mailbox, uint64_t since) {
    queue_->BeginReplay(account, mailbox);
    hub_->Subscribe(account, mailbox, queue_);
    if (mailbox == 0) {
      // notify: the account itself. No log to replay: one event now makes the frontend read
      // the account after the subscription is live, so nothing in between is missed.
      events::Event now;
      now.account = account;
      now.account_changed = true;
      queue_->FinishReplay(account, 0, {now});
      return;
    }
    std::vector<events::Event> replay;
    auto changes = store_->GetChanges(account, mailbox, since);
    events::Event base;
    base.account = account;
    base.mailbox = mailbox;
    if (!changes.ok()) {
      base.resync = true;
      replay.push_back(base);
    } else if (changes->mailbox_gone) {
      base.mailbox_gone = true;
      replay.push_back(base);
    } else if (changes->resync) {
      base.resync = true;
      replay.push_back(base);
    } else {
      for (auto& c : changes->changes) {
        events::Event e = base;
        e.change = std::move(c);
        replay.push_back(std::move(e));
      }
    }
    queue_->FinishReplay(account, mailbox, std::move(replay));
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_) return;
    if (closing_) {
      finished_ = true;
      Finish(draining_ ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "statesvc shutting down")
                       : grpc::Status::OK);
      return;
    }
    auto e = queue_->Pop();
    if (!e) return;
    out_.Clear();
    ToProto(*e, &out_);
    writing_ = true;
    StartWrite(&out_);
  }

  store::Store* store_;
  WatchCount* count_;
  events::Hub* hub_;
  std::shared_ptr<Link> link_;
  std::shared_ptr<events::EventQueue> queue_;
  WatchRequest request_;
  absl::Mutex mu_;
  WatchEvent out_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::Status StateService::Authenticate(grpc::ServerContext*, const AuthenticateRequest* req,
                                        AuthenticateResponse* resp) {
  auto account = store_->Authenticate(req->username(), req->password());
  if (!account.ok()) return ToGrpc(account.status());
  resp->set_account_id(account->id);
  resp->set_username(account->name);
  return grpc::Status::OK;
}

grpc::Status StateService::ListMailboxes(grpc::ServerContext*, const ListMailboxesRequest* req,
                                         ListMailboxesResponse* resp) {
  auto list = store_->ListMailboxes(req->account_id());
  if (!list.ok()) return ToGrpc(list.status());
  for (const auto& m : *list) ToProto(m, resp->add_mailboxes());
  return grpc::Status::OK;
}

grpc::Status StateService::GetMailbox(grpc::ServerContext*, const MailboxRef* req,
                                      MailboxInfo* resp) {
  auto info = store_->GetMailbox(req->account_id(), req->name());
  if (!info.ok()) return ToGrpc(info.status());
  ToProto(*info, resp);
  return grpc::Status::OK;
}

grpc::Status StateService::CreateMailbox(grpc::ServerContext*, const CreateMailboxRequest* req,
                                         MailboxInfo* resp) {
  auto info = store_->CreateMailbox(req->account_id(), req->name(), req->special_use());
  if (!info.ok()) return ToGrpc(info.status());
  ToProto(*info, resp);
  return grpc::Status::OK;
}

grpc::Status StateService::DeleteMailbox(grpc::ServerContext*, const MailboxRef* req, Empty*) {
  return ToGrpc(store_->DeleteMailbox(req->account_id(), req->name()));
}

grpc::Status StateService::RenameMailbox(grpc::ServerContext*, const RenameMailboxRequest* req,
                                         Empty*) {
  return ToGrpc(store_->RenameMailbox(req->account_id(), req->from(), req->to()));
}

grpc::Status StateService::SetSubscribed(grpc::ServerContext*, const SetSubscribedRequest* req,
                                         Empty*) {
  return ToGrpc(store_->SetSubscribed(req->account_id(), req->name(), req->subscribed()));
}

grpc::Status StateService::Select(grpc::ServerContext*, const MailboxRef* req,
                                  SelectResponse* resp) {
  if (req->columns()) return SelectColumns(*req, resp);
  auto sel = store_->Select(req->account_id(), req->name());
  if (!sel.ok()) return ToGrpc(sel.status());
  ToProto(sel->info, resp->mutable_info());
  resp->mutable_messages()->Reserve(static_cast<int>(sel->messages.size()));
  for (const auto& m : sel->messages) ToProto(m, resp->add_messages());
  for (const auto& k : sel->keywords) resp->add_keywords(k);
  return grpc::Status::OK;
}

grpc::Status StateService::SelectColumns(const MailboxRef& req, SelectResponse* resp) {
  auto sel = store_->SelectColumns(req.account_id(), req.name());
  if (!sel.ok()) return ToGrpc(sel.status());
  ToProto(sel->info, resp->mutable_info());
  for (const auto& k : sel->keywords) resp->add_keywords(k);
  resp->set_columnar(true);
  const store::MailboxColumns& c = *sel->columns;
  const int n = static_cast<int>(c.uids.size());
  auto* deltas = resp->mutable_uid_deltas();
  deltas->Resize(n, 0);
  uint32_t* out = deltas->mutable_data();
  uint32_t prev = 0;
  for (int i = 0; i < n; ++i) {
    out[i] = c.uids[i] - prev;
    prev = c.uids[i];
  }
  resp->mutable_system_flags()->Add(c.system.begin(), c.system.end());
  resp->mutable_modseqs()->Add(c.modseqs.begin(), c.modseqs.end());
  resp->mutable_keyword_set()->Add(c.keyword_set.begin(), c.keyword_set.end());
  for (const auto& set : c.keyword_sets) {
    auto* words = resp->add_keyword_sets()->mutable_keywords();
    for (const auto& k : set) words->Add()->assign(k);
  }
  return grpc::Status::OK;
}

grpc::Status StateService::Append(grpc::ServerContext*, const AppendRequest* req,
                                  AppendResponse* resp) {
  auto r = store_->Append(req->account_id(), req->mailbox(), FromProto(req->flags()),
                          req->internal_date(), req->internal_date_tz(), req->message());
  if (!r.ok()) return ToGrpc(r.status());
  resp->set_mailbox_id(r->mailbox_id);
  resp->set_uid_validity(r->uid_validity);
  resp->set_uid(r->uid);
  resp->set_modseq(r->modseq);
  return grpc::Status::OK;
}

grpc::Status StateService::Fetch(grpc::ServerContext*, const FetchRequest* req,
                                 FetchResponse* resp) {
  std::vector<uint32_t> uids(req->uids().begin(), req->uids().end());
  auto msgs = store_->Fetch(req->account_id(), req->mailbox_id(), uids, req->want_structure(),
                            req->want_content());
  if (!msgs.ok()) return ToGrpc(msgs.status());
  size_t total = 0;
  for (auto& m : *msgs) {
    total += m.content.size() + m.structure.size() + m.bodystructure.size() + m.envelope.size() +
             m.body.size() + 64;
    if (total > kMaxFetchBytes) {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "fetch answer over 60 MiB: ask for fewer messages at a time");
    }
    FetchedMessage* out = resp->add_messages();
    out->set_uid(m.uid);
    out->set_missing(m.missing);
    if (m.missing) continue;
    out->set_expunged(m.expunged);
    ToProto(m.flags, out->mutable_flags());
    out->set_modseq(m.modseq);
    out->set_size(m.size);
    out->set_internal_date(m.internal_date);
    out->set_internal_date_tz(m.internal_date_tz);
    out->set_save_date(m.save_date);
    out->set_email_id(m.email_id);
    out->set_thread_id(m.thread_id);
    if (req->want_structure()) {
      out->set_envelope(std::move(m.envelope));
      out->set_body(std::move(m.body));
      out->set_bodystructure(std::move(m.bodystructure));
      out->set_structure(std::move(m.structure));
    }
    if (req->want_content()) out->set_content(std::move(m.content));
  }
  return grpc::Status::OK;
}

grpc::Status StateService::Store(grpc::ServerContext*, const StoreRequest* req,
                                 StoreResponse* resp) {
  store::StoreOp op = store::StoreOp::kReplace;
  switch (req->op()) {
    case StoreRequest::ADD: op = store::StoreOp::kAdd; break;
    case StoreRequest::REMOVE: op = store::StoreOp::kRemove; break;
    case StoreRequest::REPLACE: op = store::StoreOp::kReplace; break;
    default: return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unknown store op");
  }
  std::vector<uint32_t> uids(req->uids().begin(), req->uids().end());
  auto r = store_->StoreFlags(req->account_id(), req->mailbox_id(), uids, op,
                              FromProto(req->flags()), req->unchanged_since());
  if (!r.ok()) return ToGrpc(r.status());
  for (const auto& m : r->updated) ToProto(m, resp->add_updated());
  for (const auto& m : r->unchanged) ToProto(m, resp->add_unchanged());
  for (uint32_t uid : r->modified) resp->add_modified(uid);
  resp->set_modseq(r->modseq);
  return grpc::Status::OK;
}

grpc::Status StateService::Expunge(grpc::ServerContext*, const ExpungeRequest* req,
                                   ExpungeResponse* resp) {
  std::vector<uint32_t> uids(req->uids().begin(), req->uids().end());
  auto r = store_->Expunge(req->account_id(), req->mailbox_id(), uids, req->restrict_to_uids(),
                           req->force());
  if (!r.ok()) return ToGrpc(r.status());
  for (uint32_t uid : r->expunged) resp->add_expunged(uid);
  resp->set_modseq(r->modseq);
  return grpc::Status::OK;
}

grpc::Status StateService::Copy(grpc::ServerContext*, const CopyRequest* req, CopyResponse* resp) {
  std::vector<uint32_t> uids(req->uids().begin(), req->uids().end());
  auto r = store_->Copy(req->account_id(), req->mailbox_id(), uids, req->destination(), req->move());
  if (!r.ok()) return ToGrpc(r.status());
  resp->set_destination_id(r->destination_id);
  resp->set_uid_validity(r->uid_validity);
  for (uint32_t uid : r->source_uids) resp->add_source_uids(uid);
  for (uint32_t uid : r->destination_uids) resp->add_destination_uids(uid);
  for (uint32_t uid : r->expunged) resp->add_expunged(uid);
  resp->set_source_modseq(r->source_modseq);
  return grpc::Status::OK;
}

grpc::Status StateService::Search(grpc::ServerContext*, const SearchRequest* req,
                                  SearchResponse* resp) {
  auto key = FromProto(req->key());
  if (!key.ok()) return ToGrpc(key.status());
  std::vector<uint64_t> modseqs;
  auto uids = store_->Search(req->account_id(), req->mailbox_id(), *key, &modseqs);
  if (!uids.ok()) return ToGrpc(uids.status());
  for (uint32_t uid : *uids) resp->add_uids(uid);
  for (uint64_t m : modseqs) resp->add_modseqs(m);
  return grpc::Status::OK;
}

grpc::Status StateService::Sort(grpc::ServerContext*, const SortRequest* req,
                                SortResponse* resp) {
  auto key = FromProto(req->key());
  if (!key.ok()) return ToGrpc(key.status());
  if (req->criteria_size() == 0) {
    return ToGrpc(absl::InvalidArgumentError("SORT needs at least one sort key"));
  }
  std::vector<store::SortCriterion> criteria;
  for (const auto& c : req->criteria()) {
    if (c.key() < SortCriterion::ARRIVAL || c.key() > SortCriterion::DISPLAYTO) {
      return ToGrpc(absl::InvalidArgumentError("unknown sort key"));
    }
    criteria.push_back({static_cast<store::SortKeyKind>(c.key()), c.reverse()});
  }
  auto uids = store::SortMailbox(*store_, req->account_id(), req->mailbox_id(), *key, criteria);
  if (!uids.ok()) return ToGrpc(uids.status());
  for (uint32_t uid : *uids) resp->add_uids(uid);
  return grpc::Status::OK;
}

grpc::Status StateService::Thread(grpc::ServerContext*, const ThreadRequest* req,
                                  ThreadResponse* resp) {
  auto key = FromProto(req->key());
  if (!key.ok()) return ToGrpc(key.status());
  store::ThreadAlgorithm algorithm;
  switch (req->algorithm()) {
    case ThreadRequest::ORDEREDSUBJECT: algorithm = store::ThreadAlgorithm::kOrderedSubject; break;
    case ThreadRequest::REFERENCES: algorithm = store::ThreadAlgorithm::kReferences; break;
    default: return ToGrpc(absl::InvalidArgumentError("unknown thread algorithm"));
  }
  auto nodes = store::ThreadMailbox(*store_, req->account_id(), req->mailbox_id(), *key, algorithm);
  if (!nodes.ok()) return ToGrpc(nodes.status());
  for (const auto& n : *nodes) {
    auto* out = resp->add_nodes();
    out->set_uid(n.uid);
    out->set_parent(n.parent);
  }
  return grpc::Status::OK;
}

grpc::Status StateService::GetChanges(grpc::ServerContext*, const GetChangesRequest* req,
                                      GetChangesResponse* resp) {
  auto r = store_->GetChanges(req->account_id(), req->mailbox_id(), req->since_modseq());
  if (!r.ok()) return ToGrpc(r.status());
  for (const auto& c : r->changes) ToProto(c, resp->add_changes());
  resp->set_highest_modseq(r->highest_modseq);
  resp->set_resync(r->resync);
  resp->set_mailbox_gone(r->mailbox_gone);
  return grpc::Status::OK;
}

grpc::Status StateService::ClaimRecent(grpc::ServerContext*,
                                       const state::v1::ClaimRecentRequest* req,
                                       state::v1::ClaimRecentResponse* resp) {
  auto first = store_->ClaimRecent(req->account_id(), req->mailbox_id(), req->up_to_uid());
  if (!first.ok()) return ToGrpc(first.status());
  resp->set_first_uid(*first);
  return grpc::Status::OK;
}

grpc::ServerBidiReactor<WatchRequest, WatchEvent>* StateService::Watch(
    grpc::CallbackServerContext* context) {
  return new WatchReactor(store_, hub_, watch_queue_limit_, &watches_);
}

}  // namespace hadron::service

namespace hadron::service {

grpc::Status StateService::GetQuota(grpc::ServerContext*, const state::v1::GetQuotaRequest* req,
                                    state::v1::QuotaInfo* resp) {
  auto q = store_->GetQuota(req->account_id());
  if (!q.ok()) return ToGrpc(q.status());
  resp->set_storage_used(q->usage.storage);
  resp->set_messages_used(q->usage.messages);
  if (q->limits.storage_kib) resp->set_storage_limit_kib(*q->limits.storage_kib);
  if (q->limits.messages) resp->set_message_limit(*q->limits.messages);
  return grpc::Status::OK;
}

void StateService::WaitForWatchesDone(absl::Duration timeout) {
  absl::MutexLock lock(&watches_.mu);
  watches_.mu.AwaitWithTimeout(absl::Condition(
                                   +[](int* active) { return *active == 0; }, &watches_.active),
                               timeout);
}

grpc::Status StateService::AppendBatch(grpc::ServerContext*,
                                       const state::v1::AppendBatchRequest* req,
                                       state::v1::AppendBatchResponse* resp) {
  std::vector<store::AppendItem> items;
  items.reserve(req->messages_size());
  for (const auto& m : req->messages()) {
    items.push_back(store::AppendItem{FromProto(m.flags()), m.internal_date(),
                                      m.internal_date_tz(), m.message()});
  }
  auto r = store_->AppendBatch(req->account_id(), req->mailbox(), items);
  if (!r.ok()) return ToGrpc(r.status());
  resp->set_mailbox_id(r->mailbox_id);
  resp->set_uid_validity(r->uid_validity);
  for (uint32_t uid : r->uids) resp->add_uids(uid);
  resp->set_modseq(r->modseq);
  return grpc::Status::OK;
}

}  // namespace hadron::service

namespace hadron::service {

void StateService::EndWatches() {
  std::vector<std::function<void()>> enders;
  {
    absl::MutexLock lock(&watches_.mu);
    watches_.draining = true;
    for (auto& [key, fn] : watches_.enders) enders.push_back(fn);
  }
  // Outside watches_.mu: ending takes the reactor's locks (the order the event path uses).
  for (auto& fn : enders) fn();
}

}  // namespace hadron::service
