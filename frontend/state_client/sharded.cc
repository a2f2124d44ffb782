// Routing of state calls and Watch subscriptions to the shard of the session's account.
#include "frontend/state_client/sharded.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/shard/ring.h"

namespace hadron::frontend {
namespace {

class ShardedStateClient final : public StateClient {
 public:
  explicit ShardedStateClient(std::vector<std::unique_ptr<StateClient>> shards)
      : shards_(std::move(shards)) {}

  asio::awaitable<absl::StatusOr<pb::AuthenticateResponse>> Authenticate(
      const pb::AuthenticateRequest& req) override {
    size_t shard = shard::OwnerOf(req.username(), shards_.size());
    auto call = shards_[shard]->Authenticate(req);
    absl::StatusOr<pb::AuthenticateResponse> res = co_await std::move(call);
    if (res.ok()) {
      if (res->account_id() > shard::kLocalIdMask) {
        co_return absl::InternalError("statesvc account id out of range");
      }
      res->set_account_id(shard::GlobalId(shard, res->account_id()));
    }
    co_return res;
  }

#define HADRON_ROUTED(Method, Req, Resp)                                   \
  asio::awaitable<absl::StatusOr<Resp>> Method(const Req& req) override {  \
    auto call = Route<Req, Resp>(req, &StateClient::Method);               \
    absl::StatusOr<Resp> result = co_await std::move(call);                \
    co_return result;                                                      \
  }
  HADRON_ROUTED(ListMailboxes, pb::ListMailboxesRequest, pb::ListMailboxesResponse)
  HADRON_ROUTED(GetMailbox, pb::MailboxRef, pb::MailboxInfo)
  HADRON_ROUTED(CreateMailbox, pb::CreateMailboxRequest, pb::MailboxInfo)
  HADRON_ROUTED(DeleteMailbox, pb::MailboxRef, pb::Empty)
  HADRON_ROUTED(RenameMailbox, pb::RenameMailboxRequest, pb::Empty)
  HADRON_ROUTED(SetSubscribed, pb::SetSubscribedRequest, pb::Empty)
  HADRON_ROUTED(Select, pb::MailboxRef, pb::SelectResponse)
  HADRON_ROUTED(Append, pb::AppendRequest, pb::AppendResponse)
  HADRON_ROUTED(Fetch, pb::FetchRequest, pb::FetchResponse)
  HADRON_ROUTED(Store, pb::StoreRequest, pb::StoreResponse)
  HADRON_ROUTED(Expunge, pb::ExpungeRequest, pb::ExpungeResponse)
  HADRON_ROUTED(Copy, pb::CopyRequest, pb::CopyResponse)
  HADRON_ROUTED(Search, pb::SearchRequest, pb::SearchResponse)
  HADRON_ROUTED(Sort, pb::SortRequest, pb::SortResponse)
  HADRON_ROUTED(Thread, pb::ThreadRequest, pb::ThreadResponse)
  HADRON_ROUTED(GetChanges, pb::GetChangesRequest, pb::GetChangesResponse)
  HADRON_ROUTED(ClaimRecent, pb::ClaimRecentRequest, pb::ClaimRecentResponse)
  HADRON_ROUTED(GetQuota, pb::GetQuotaRequest, pb::QuotaInfo)
  HADRON_ROUTED(AppendBatch, pb::AppendBatchRequest, pb::AppendBatchResponse)
#undef HADRON_ROUTED

 private:
  template <typename Req, typename Resp>
  using Method = asio::awaitable<absl::StatusOr<Resp>> (StateClient::*)(const Req&);

  // Every request names the session's account: its top byte picks the shard, the rest is the
  // shard's own id. Shard 0 needs no copy of the request (its ids are the shard's).
  template <typename Req, typename Resp>
  asio::awaitable<absl::StatusOr<Resp>> Route(const Req& req, Method<Req, Resp> method) {
    size_t shard = shard::ShardOfId(req.account_id());
    if (shard >= shards_.size()) {
      co_return absl::InternalError(absl::StrCat("account id of unknown shard ", shard));
    }
    StateClient* client = shards_[shard].get();
    if (shard == 0) {
      auto call = (client->*method)(req);
      absl::StatusOr<Resp> out = co_await std::move(call);
      co_return out;
    }
    Req local = req;
    local.set_account_id(shard::LocalId(req.account_id()));
    auto call = (client->*method)(local);
    absl::StatusOr<Resp> out = co_await std::move(call);
    co_return out;
  }

  std::vector<std::unique_ptr<StateClient>> shards_;
};

class ShardedWatcher final : public MailboxWatcher {
 public:
  explicit ShardedWatcher(std::vector<std::unique_ptr<MailboxWatcher>> shards)
      : shards_(std::move(shards)) {}

  uint64_t Subscribe(uint64_t account, uint64_t mailbox, uint64_t since_modseq,
                     Listener listener) override {
    size_t shard = shard::ShardOfId(account);
    if (shard >= shards_.size()) shard = 0;  // cannot happen: ids come from Authenticate
    if (shard != 0) {
      // The shard's events name its own id; the session compares them with the global one.
      listener = [inner = std::move(listener), account](const state::v1::WatchEvent& ev) {
        state::v1::WatchEvent copy = ev;
        copy.set_account_id(account);
        inner(copy);
      };
    }
    uint64_t handle = shards_[shard]->Subscribe(shard::LocalId(account), mailbox, since_modseq,
                                                std::move(listener));
    return shard::GlobalId(shard, handle);
  }

  void Unsubscribe(uint64_t handle) override {
    size_t shard = shard::ShardOfId(handle);
    if (shard < shards_.size()) shards_[shard]->Unsubscribe(shard::LocalId(handle));
  }

  bool connected() const override {
    for (const auto& s : shards_) {
      if (!s->connected()) return false;
    }
    return true;
  }

 private:
  std::vector<std::unique_ptr<MailboxWatcher>> shards_;
};

}  // namespace

std::unique_ptr<StateClient> NewShardedStateClient(
    std::vector<std::unique_ptr<StateClient>> shards) {
  return std::make_unique<ShardedStateClient>(std::move(shards));
}

std::unique_ptr<MailboxWatcher> NewShardedMailboxWatcher(
    std::vector<std::unique_ptr<MailboxWatcher>> shards) {
  return std::make_unique<ShardedWatcher>(std::move(shards));
}

}  // namespace hadron::frontend
