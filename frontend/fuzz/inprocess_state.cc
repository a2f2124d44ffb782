#include "frontend/fuzz/inprocess_state.h"

#include <cstdlib>
#include <filesystem>
#include <utility>

#include "asio/post.hpp"
#include "asio/this_coro.hpp"
#include "asio/use_awaitable.hpp"
#include "grpcpp/grpcpp.h"
#include "statesvc/service/convert.h"

namespace hadron::frontend::testing {
namespace {

namespace sv = ::hadron::state::v1;

// What a message looks like after a trip over the wire: serialized and parsed again (proto3
// rejects a string field that is not UTF-8 when parsing, as the gRPC server would).
template <typename M>
absl::Status RoundTrip(const M& in, M* out) {
  std::string bytes;
  if (!in.SerializeToString(&bytes) || !out->ParseFromString(bytes)) {
    return absl::InternalError("message did not survive serialization");
  }
  return absl::OkStatus();
}

class DirectStateClient final : public StateClient {
 public:
  explicit DirectStateClient(service::StateService* service) : service_(service) {}

  template <typename Req, typename Resp, typename Fn>
  asio::awaitable<absl::StatusOr<Resp>> Call(const Req& req, Fn fn) {
    Req wire;
    absl::Status st = RoundTrip(req, &wire);
    Resp resp;
    if (st.ok()) {
      grpc::ServerContext ctx;
      grpc::Status gs = (service_->*fn)(&ctx, &wire, &resp);
      if (!gs.ok()) st = absl::Status(static_cast<absl::StatusCode>(gs.error_code()), gs.error_message());
    }
    // Complete later, from the executor, like a gRPC completion posted back.
    auto ex = co_await asio::this_coro::executor;
    co_await asio::post(ex, asio::use_awaitable);
    if (!st.ok()) {
      absl::StatusOr<Resp> failed(st);
      co_return failed;
    }
    Resp out;
    st = RoundTrip(resp, &out);
    if (!st.ok()) {
      absl::StatusOr<Resp> failed(st);
      co_return failed;
    }
    absl::StatusOr<Resp> result(std::move(out));
    co_return result;
  }

#define HADRON_DIRECT(Method, Req, Resp)                                            \
  asio::awaitable<absl::StatusOr<Resp>> Method(const Req& req) override {          \
    auto call = Call<Req, Resp>(req, &service::StateService::Method);              \
    absl::StatusOr<Resp> result = co_await std::move(call);                        \
    co_return result;                                                              \
  }

  HADRON_DIRECT(Authenticate, pb::AuthenticateRequest, pb::AuthenticateResponse)
  HADRON_DIRECT(ListMailboxes, pb::ListMailboxesRequest, pb::ListMailboxesResponse)
  HADRON_DIRECT(GetMailbox, pb::MailboxRef, pb::MailboxInfo)
  HADRON_DIRECT(CreateMailbox, pb::CreateMailboxRequest, pb::MailboxInfo)
  HADRON_DIRECT(DeleteMailbox, pb::MailboxRef, pb::Empty)
  HADRON_DIRECT(RenameMailbox, pb::RenameMailboxRequest, pb::Empty)
  HADRON_DIRECT(SetSubscribed, pb::SetSubscribedRequest, pb::Empty)
  HADRON_DIRECT(Select, pb::MailboxRef, pb::SelectResponse)
  HADRON_DIRECT(Append, pb::AppendRequest, pb::AppendResponse)
  HADRON_DIRECT(AppendBatch, pb::AppendBatchRequest, pb::AppendBatchResponse)
  HADRON_DIRECT(Fetch, pb::FetchRequest, pb::FetchResponse)
  HADRON_DIRECT(Store, pb::StoreRequest, pb::StoreResponse)
  HADRON_DIRECT(Expunge, pb::ExpungeRequest, pb::ExpungeResponse)
  HADRON_DIRECT(Copy, pb::CopyRequest, pb::CopyResponse)
  HADRON_DIRECT(Search, pb::SearchRequest, pb::SearchResponse)
  HADRON_DIRECT(Sort, pb::SortRequest, pb::SortResponse)
  HADRON_DIRECT(Thread, pb::ThreadRequest, pb::ThreadResponse)
  HADRON_DIRECT(GetChanges, pb::GetChangesRequest, pb::GetChangesResponse)
  HADRON_DIRECT(ClaimRecent, pb::ClaimRecentRequest, pb::ClaimRecentResponse)
  HADRON_DIRECT(GetQuota, pb::GetQuotaRequest, pb::QuotaInfo)
#undef HADRON_DIRECT

 private:
  service::StateService* service_;
};

// The hub's events, converted as the Watch stream converts them, handed to the listeners.
class HubWatcher final : public MailboxWatcher {
 public:
  explicit HubWatcher(events::Hub* hub) : hub_(hub) {}
  ~HubWatcher() override {
    for (auto& [handle, sub] : subs_) hub_->Unsubscribe(sub.account, sub.mailbox, sub.subscriber.get());
  }

  uint64_t Subscribe(uint64_t account, uint64_t mailbox, uint64_t since_modseq,
                     Listener listener) override {
    auto sub = std::make_shared<Forward>(std::move(listener));
    hub_->Subscribe(account, mailbox, sub);
    uint64_t handle = ++next_;
    subs_[handle] = Sub{account, mailbox, std::move(sub)};
    return handle;
  }
  void Unsubscribe(uint64_t handle) override {
    auto it = subs_.find(handle);
    if (it == subs_.end()) return;
    hub_->Unsubscribe(it->second.account, it->second.mailbox, it->second.subscriber.get());
    subs_.erase(it);
  }
  bool connected() const override { return true; }
  size_t size() const { return subs_.size(); }

 private:
  struct Forward final : events::Subscriber {
    explicit Forward(Listener l) : listener(std::move(l)) {}
    void Deliver(const events::Event& event) override {
      sv::WatchEvent out;
      service::ToProto(event, &out);
      listener(out);
    }
    Listener listener;
  };
  struct Sub {
    uint64_t account = 0;
    uint64_t mailbox = 0;
    std::shared_ptr<Forward> subscriber;
  };
  events::Hub* hub_;
  uint64_t next_ = 0;
  std::map<uint64_t, Sub> subs_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<InProcessState>> InProcessState::Create(std::string parent) {
  if (parent.empty()) {
    const char* t = std::getenv("TEST_TMPDIR");
    parent = t && *t ? t : "/tmp";
  }
  std::string tmpl = parent + "/hadron-inproc-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return absl::InternalError("mkdtemp failed in " + parent);
  std::unique_ptr<InProcessState> s(new InProcessState());
  s->dir_ = tmpl;
  store::StoreOptions options;
  // Fast logins: the KDF is not what is tested here (and every fuzz input logs in).
  options.scrypt.n = 16;
  options.scrypt.r = 1;
  options.sync_writes = false;
  options.min_free_bytes = 0;
  auto st = store::Store::Open(s->dir_, options);
  if (!st.ok()) return st.status();
  s->store_ = std::move(*st);
  s->hub_ = std::make_unique<events::Hub>();
  s->store_->SetListener(s->hub_.get());
  s->service_ = std::make_unique<service::StateService>(s->store_.get(), s->hub_.get());
  s->client_ = std::make_unique<DirectStateClient>(s->service_.get());
  s->watcher_ = std::make_unique<HubWatcher>(s->hub_.get());
  return s;
}

size_t InProcessState::open_watches() const {
  return static_cast<const HubWatcher*>(watcher_.get())->size();
}

InProcessState::~InProcessState() {
  watcher_.reset();
  client_.reset();
  if (store_) store_->SetListener(nullptr);
  service_.reset();
  store_.reset();
  hub_.reset();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace hadron::frontend::testing
