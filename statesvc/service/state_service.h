// hadron.state.v1.State over the store: unary calls on the sync API, Watch as a callback reactor.
#pragma once

#include <functional>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hadron/state/v1/state.grpc.pb.h"
#include "statesvc/events/hub.h"
#include "statesvc/store/store.h"

namespace hadron::service {

// Events queued per Watch stream before a mailbox's backlog collapses into a resync.
inline constexpr size_t kWatchQueueLimit = 10000;

// Watch reactors alive (they outlive Server::Wait() until their OnDone).
struct WatchCount {
  absl::Mutex mu;
  int active ABSL_GUARDED_BY(mu) = 0;
  // Draining (operations): once set, new streams end at once; `enders` end the open ones.
  bool draining ABSL_GUARDED_BY(mu) = false;
  absl::flat_hash_map<const void*, std::function<void()>> enders ABSL_GUARDED_BY(mu);
};

class StateService final
    : public state::v1::State::WithCallbackMethod_Watch<state::v1::State::Service> {
 public:
  StateService(store::Store* store, events::Hub* hub, size_t watch_queue_limit = kWatchQueueLimit)
      : store_(store), hub_(hub), watch_queue_limit_(watch_queue_limit) {}

  grpc::Status Authenticate(grpc::ServerContext*, const state::v1::AuthenticateRequest*,
                            state::v1::AuthenticateResponse*) override;
  grpc::Status ListMailboxes(grpc::ServerContext*, const state::v1::ListMailboxesRequest*,
                             state::v1::ListMailboxesResponse*) override;
  grpc::Status GetMailbox(grpc::ServerContext*, const state::v1::MailboxRef*,
                          state::v1::MailboxInfo*) override;
  grpc::Status CreateMailbox(grpc::ServerContext*, const state::v1::CreateMailboxRequest*,
                             state::v1::MailboxInfo*) override;
  grpc::Status DeleteMailbox(grpc::ServerContext*, const state::v1::MailboxRef*,
                             state::v1::Empty*) override;
  grpc::Status RenameMailbox(grpc::ServerContext*, const state::v1::RenameMailboxRequest*,
                             state::v1::Empty*) override;
  grpc::Status SetSubscribed(grpc::ServerContext*, const state::v1::SetSubscribedRequest*,
                             state::v1::Empty*) override;
  grpc::Status Select(grpc::ServerContext*, const state::v1::MailboxRef*,
                      state::v1::SelectResponse*) override;
  grpc::Status Append(grpc::ServerContext*, const state::v1::AppendRequest*,
                      state::v1::AppendResponse*) override;
  grpc::Status Fetch(grpc::ServerContext*, const state::v1::FetchRequest*,
                     state::v1::FetchResponse*) override;
  grpc::Status Store(grpc::ServerContext*, const state::v1::StoreRequest*,
                     state::v1::StoreResponse*) override;
  grpc::Status Expunge(grpc::ServerContext*, const state::v1::ExpungeRequest*,
                       state::v1::ExpungeResponse*) override;
  grpc::Status Copy(grpc::ServerContext*, const state::v1::CopyRequest*,
                    state::v1::CopyResponse*) override;
  grpc::Status Search(grpc::ServerContext*, const state::v1::SearchRequest*,
                      state::v1::SearchResponse*) override;
  grpc::Status Sort(grpc::ServerContext*, const state::v1::SortRequest*,
                    state::v1::SortResponse*) override;
  grpc::Status Thread(grpc::ServerContext*, const state::v1::ThreadRequest*,
                      state::v1::ThreadResponse*) override;
  grpc::Status GetChanges(grpc::ServerContext*, const state::v1::GetChangesRequest*,
                          state::v1::GetChangesResponse*) override;
  grpc::Status ClaimRecent(grpc::ServerContext*, const state::v1::ClaimRecentRequest*,
                           state::v1::ClaimRecentResponse*) override;
  grpc::Status AppendBatch(grpc::ServerContext*, const state::v1::AppendBatchRequest*,
                           state::v1::AppendBatchResponse*) override;
  grpc::ServerBidiReactor<state::v1::WatchRequest, state::v1::WatchEvent>* Watch(
      grpc::CallbackServerContext* context) override;
  grpc::Status GetQuota(grpc::ServerContext*, const state::v1::GetQuotaRequest*,
                        state::v1::QuotaInfo*) override;

  // Sharding (issue 7, shard_service.cc): moving accounts between shards.
  grpc::Status ExportAccount(grpc::ServerContext*, const state::v1::ShardAccountRequest*,
                             state::v1::ShardAccount*) override;
  grpc::Status ImportAccount(grpc::ServerContext*, const state::v1::ShardAccount*,
                             state::v1::ImportAccountResponse*) override;
  grpc::Status ImportMessages(grpc::ServerContext*, const state::v1::ImportMessagesRequest*,
                              state::v1::Empty*) override;
  grpc::Status SetAccountMoving(grpc::ServerContext*, const state::v1::SetAccountMovingRequest*,
                                state::v1::Empty*) override;
  grpc::Status RemoveMovedAccount(grpc::ServerContext*, const state::v1::ShardAccountRequest*,
                                  state::v1::Empty*) override;
  grpc::Status ListAccounts(grpc::ServerContext*, const state::v1::ListAccountsRequest*,
                            state::v1::ListAccountsResponse*) override;

  // After the gRPC server has shut down: waits (up to `timeout`) until every Watch reactor has
  // run OnDone, which gRPC may do after Server::Wait() returns, and which uses the hub.
  void WaitForWatchesDone(absl::Duration timeout);
  // Draining: ends every open Watch stream (UNAVAILABLE; frontends reconnect and resume) and
  // every new one, so that Server::Shutdown waits only for unary calls.
  void EndWatches();

 private:
  // Select when the caller asked for columns (MailboxRef.columns).
  grpc::Status SelectColumns(const state::v1::MailboxRef& req, state::v1::SelectResponse* resp);

  store::Store* store_;
  events::Hub* hub_;
  WatchCount watches_;
  size_t watch_queue_limit_;
};

}  // namespace hadron::service
