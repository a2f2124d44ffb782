// The gRPC implementation of StateClient: callback-API unary calls whose completion is posted
// back to the awaiting coroutine's executor.
#include <chrono>
#include <functional>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "asio/associated_executor.hpp"
#include "asio/async_result.hpp"
#include "asio/post.hpp"
#include "asio/use_awaitable.hpp"
#include "common/tsan.h"
#include "frontend/state_client/state_client.h"
#include "grpcpp/grpcpp.h"
#include "hadron/state/v1/state.grpc.pb.h"

namespace hadron::frontend {
namespace {

constexpr auto kCallDeadline = std::chrono::seconds(30);
constexpr int kMaxMessageBytes = 64 << 20;

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

// The body of every unary completion, on a gRPC thread: hands the status to the coroutine's
// executor. It reads the callback's captures, which gRPC copied (std::function copy in its
// headers) on the calling thread before starting the call inside the uninstrumented libgrpc:
// TSAN sees both accesses but not the ordering, so tests/tsan.supp names this function. Keep it
// this small: nothing else may run here.
template <typename Handler, typename Executor>
void HadronUnaryCallDone(const std::shared_ptr<Handler>& handler, const Executor& ex,
                         grpc::Status s) {
  HADRON_HAPPENS_AFTER(handler.get());
  asio::post(ex, [handler, s]() mutable { (*handler)(s); });
}

// Runs one unary callback-API call and resumes the coroutine on its own executor.
template <typename Resp, typename Start>
asio::awaitable<absl::StatusOr<Resp>> Call(Start start) {
  auto ctx = std::make_shared<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  auto resp = std::make_shared<Resp>();
  auto initiate = [ctx, resp, start](auto handler) mutable {
    auto ex = asio::get_associated_executor(handler);
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    // gRPC orders the start of the call before its callback, but TSAN cannot see inside it.
    HADRON_HAPPENS_BEFORE(shared.get());
    start(ctx.get(), resp.get(), [shared, ex, ctx, resp](grpc::Status s) {
      HadronUnaryCallDone(shared, ex, std::move(s));
    });
  };
  // GCC 12 mishandles temporaries inside co_await expressions; keep every operand named.
  auto op = asio::async_initiate<decltype(asio::use_awaitable), void(grpc::Status)>(
      std::move(initiate), asio::use_awaitable);
  grpc::Status status = co_await std::move(op);
  absl::StatusOr<Resp> out = status.ok() ? absl::StatusOr<Resp>(std::move(*resp))
                                         : absl::StatusOr<Resp>(FromGrpc(status));
  co_return out;
}

class GrpcStateClient final : public StateClient {
 public:
  explicit GrpcStateClient(std::shared_ptr<grpc::Channel> channel)
      : stub_(state::v1::State::NewStub(channel)) {}

#define HADRON_UNARY(Method, Req, Resp)                                                     \
  asio::awaitable<absl::StatusOr<Resp>> Method(const Req& req) override {                   \
    auto call = Call<Resp>([this, &req](grpc::ClientContext* ctx, Resp* resp,               \
                                        std::function<void(grpc::Status)> done) {           \
      stub_->async()->Method(ctx, &req, resp, std::move(done));                             \
    });                                                                                     \
    absl::StatusOr<Resp> result = co_await std::move(call);                                 \
    co_return result;                                                                       \
  }

  HADRON_UNARY(Authenticate, pb::AuthenticateRequest, pb::AuthenticateResponse)
  HADRON_UNARY(ListMailboxes, pb::ListMailboxesRequest, pb::ListMailboxesResponse)
  HADRON_UNARY(GetMailbox, pb::MailboxRef, pb::MailboxInfo)
  HADRON_UNARY(CreateMailbox, pb::CreateMailboxRequest, pb::MailboxInfo)
  HADRON_UNARY(DeleteMailbox, pb::MailboxRef, pb::Empty)
  HADRON_UNARY(RenameMailbox, pb::RenameMailboxRequest, pb::Empty)
  HADRON_UNARY(SetSubscribed, pb::SetSubscribedRequest, pb::Empty)
  HADRON_UNARY(Select, pb::MailboxRef, pb::SelectResponse)
  HADRON_UNARY(Append, pb::AppendRequest, pb::AppendResponse)
  HADRON_UNARY(AppendBatch, pb::AppendBatchRequest, pb::AppendBatchResponse)
  HADRON_UNARY(Fetch, pb::FetchRequest, pb::FetchResponse)
  HADRON_UNARY(Store, pb::StoreRequest, pb::StoreResponse)
  HADRON_UNARY(Expunge, pb::ExpungeRequest, pb::ExpungeResponse)
  HADRON_UNARY(Copy, pb::CopyRequest, pb::CopyResponse)
  HADRON_UNARY(Search, pb::SearchRequest, pb::SearchResponse)
  HADRON_UNARY(Sort, pb::SortRequest, pb::SortResponse)
  HADRON_UNARY(Thread, pb::ThreadRequest, pb::ThreadResponse)
  HADRON_UNARY(GetChanges, pb::GetChangesRequest, pb::GetChangesResponse)
  HADRON_UNARY(ClaimRecent, pb::ClaimRecentRequest, pb::ClaimRecentResponse)
  HADRON_UNARY(GetQuota, pb::GetQuotaRequest, pb::QuotaInfo)
#undef HADRON_UNARY

 private:
  std::unique_ptr<state::v1::State::Stub> stub_;
};

}  // namespace

std::shared_ptr<grpc::Channel> NewStateChannel(
    const std::string& target, std::shared_ptr<grpc::ChannelCredentials> credentials) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // A restarted statesvc must be found again within a second, not after gRPC's default
  // exponential backoff (up to two minutes) during which every call fails fast.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // gRPC core reads the "minimum reconnect backoff" as the time one connection attempt (TCP, TLS
  // handshake, HTTP/2 SETTINGS) may take. At 100 ms a TLS handshake on a busy machine timed out
  // and the first calls failed with UNAVAILABLE. A refused connection (statesvc down) still
  // fails at once, so recovery keeps the 100 ms..1 s backoff above.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 5000);
  if (!credentials) credentials = grpc::InsecureChannelCredentials();
  return grpc::CreateCustomChannel(target, credentials, args);
}

std::unique_ptr<StateClient> NewGrpcStateClient(std::shared_ptr<grpc::Channel> channel) {
  return std::make_unique<GrpcStateClient>(std::move(channel));
}

}  // namespace hadron::frontend
