// Conversions between the store's plain records and the protobuf messages; absl -> grpc status.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "hadron/state/v1/state.pb.h"
#include "statesvc/events/hub.h"
#include "statesvc/store/types.h"

namespace hadron::service {

// The one place where absl codes become gRPC codes.
grpc::Status ToGrpc(const absl::Status& status);

store::Flags FromProto(const state::v1::Flags& flags);
void ToProto(const store::Flags& flags, state::v1::Flags* out);
void ToProto(const store::MessageMeta& meta, state::v1::MessageMeta* out);
void ToProto(const store::MailboxInfo& info, state::v1::MailboxInfo* out);
void ToProto(const store::Change& change, state::v1::Change* out);
void ToProto(const events::Event& event, state::v1::WatchEvent* out);
absl::StatusOr<store::SearchKey> FromProto(const state::v1::SearchKey& key);

}  // namespace hadron::service
