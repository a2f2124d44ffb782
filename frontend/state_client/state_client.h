// StateClient: the frontend's only door to the state service. Every call is an Asio awaitable
// that completes on the calling coroutine's executor; no call blocks a thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "asio/awaitable.hpp"
#include "grpcpp/security/credentials.h"
#include "hadron/state/v1/state.pb.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace hadron::frontend {

namespace pb = ::hadron::state::v1;

class StateClient {
 public:
  virtual ~StateClient() = default;

  virtual asio::awaitable<absl::StatusOr<pb::AuthenticateResponse>> Authenticate(
      const pb::AuthenticateRequest& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::ListMailboxesResponse>> ListMailboxes(
      const pb::ListMailboxesRequest& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::MailboxInfo>> GetMailbox(
      const pb::MailboxRef& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::MailboxInfo>> CreateMailbox(
      const pb::CreateMailboxRequest& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::Empty>> DeleteMailbox(const pb::MailboxRef& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::Empty>> RenameMailbox(
      const pb::RenameMailboxRequest& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::Empty>> SetSubscribed(
      const pb::SetSubscribedRequest& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::SelectResponse>> Select(
      const pb::MailboxRef& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::AppendResponse>> Append(
      const pb::AppendRequest& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::AppendBatchResponse>> AppendBatch(
      const pb::AppendBatchRequest& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::FetchResponse>> Fetch(
      const pb::FetchRequest& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::StoreResponse>> Store(
      const pb::StoreRequest& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::ExpungeResponse>> Expunge(
      const pb::ExpungeRequest& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::CopyResponse>> Copy(const pb::CopyRequest& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::SearchResponse>> Search(
      const pb::SearchRequest& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::SortResponse>> Sort(const pb::SortRequest& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::ThreadResponse>> Thread(
      const pb::ThreadRequest& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::GetChangesResponse>> GetChanges(
      const pb::GetChangesRequest& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::ClaimRecentResponse>> ClaimRecent(
      const pb::ClaimRecentRequest& req) = 0;
  virtual asio::awaitable<absl::StatusOr<pb::QuotaInfo>> GetQuota(
      const pb::GetQuotaRequest& req) = 0;
};

// A channel to one statesvc, with the frontend's limits and reconnect policy.
// `credentials`: from GrpcChannelCredentials (common/grpc_tls.h); null means plaintext.
std::shared_ptr<grpc::Channel> NewStateChannel(
    const std::string& target, std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

// The real client over gRPC (one shard for now).
std::unique_ptr<StateClient> NewGrpcStateClient(std::shared_ptr<grpc::Channel> channel);

}  // namespace hadron::frontend
