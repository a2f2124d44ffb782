// Conversions between the store's plain records and the protobuf messages; absl -> grpc status.
#include "statesvc/service/convert.h"

namespace hadron::service {
namespace {

constexpr int kMaxSearchDepth = 64;

absl::StatusOr<store::SearchKey> KeyFromProto(const state::v1::SearchKey& key, int depth) {
  if (depth > kMaxSearchDepth) return absl::InvalidArgumentError("search key nested too deeply");
  if (!state::v1::SearchKey::Kind_IsValid(key.kind())) {
    return absl::InvalidArgumentError("unknown search key kind");
  }
  store::SearchKey out;
  out.kind = static_cast<store::SearchKey::Kind>(key.kind());
  for (const auto& child : key.children()) {
    auto c = KeyFromProto(child, depth + 1);
    if (!c.ok()) return c.status();
    out.children.push_back(std::move(*c));
  }
  for (const auto& r : key.uids()) out.uids.emplace_back(r.first(), r.last());
  out.flag = key.flag();
  out.header_name = key.header_name();
  out.literal_header = key.literal_header();
  out.value = key.value();
  out.date = key.date();
  out.size = key.size();
  return out;
}

}  // namespace

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (status.code()) {
    case absl::StatusCode::kNotFound: code = grpc::StatusCode::NOT_FOUND; break;
    case absl::StatusCode::kAlreadyExists: code = grpc::StatusCode::ALREADY_EXISTS; break;
    case absl::StatusCode::kInvalidArgument: code = grpc::StatusCode::INVALID_ARGUMENT; break;
    case absl::StatusCode::kFailedPrecondition: code = grpc::StatusCode::FAILED_PRECONDITION; break;
    case absl::StatusCode::kResourceExhausted: code = grpc::StatusCode::RESOURCE_EXHAUSTED; break;
    case absl::StatusCode::kUnavailable: code = grpc::StatusCode::UNAVAILABLE; break;
    case absl::StatusCode::kUnauthenticated: code = grpc::StatusCode::UNAUTHENTICATED; break;
    case absl::StatusCode::kPermissionDenied: code = grpc::StatusCode::PERMISSION_DENIED; break;
    case absl::StatusCode::kOutOfRange: code = grpc::StatusCode::OUT_OF_RANGE; break;
    case absl::StatusCode::kAborted: code = grpc::StatusCode::ABORTED; break;
    case absl::StatusCode::kDeadlineExceeded: code = grpc::StatusCode::DEADLINE_EXCEEDED; break;
    case absl::StatusCode::kCancelled: code = grpc::StatusCode::CANCELLED; break;
    case absl::StatusCode::kUnimplemented: code = grpc::StatusCode::UNIMPLEMENTED; break;
    case absl::StatusCode::kDataLoss: code = grpc::StatusCode::DATA_LOSS; break;
    default: code = grpc::StatusCode::INTERNAL; break;
  }
  return grpc::Status(code, std::string(status.message()));
}

store::Flags FromProto(const state::v1::Flags& flags) {
  store::Flags out;
  out.system = flags.system();
  out.keywords.assign(flags.keywords().begin(), flags.keywords().end());
  return out;
}

void ToProto(const store::Flags& flags, state::v1::Flags* out) {
  out->set_system(flags.system);
  for (const auto& k : flags.keywords) out->add_keywords(k);
}

void ToProto(const store::MessageMeta& meta, state::v1::MessageMeta* out) {
  out->set_uid(meta.uid);
  ToProto(meta.flags, out->mutable_flags());
  out->set_modseq(meta.modseq);
}

void ToProto(const store::MailboxInfo& info, state::v1::MailboxInfo* out) {
  out->set_mailbox_id(info.id);
  out->set_name(info.name);
  out->set_uid_validity(info.uid_validity);
  out->set_uid_next(info.uid_next);
  out->set_highest_modseq(info.highest_modseq);
  out->set_messages(info.messages);
  out->set_unseen(info.unseen);
  out->set_size(info.size);
  out->set_subscribed(info.subscribed);
  out->set_special_use(info.special_use);
  out->set_deleted(info.deleted);
  out->set_recent(info.recent);
}

void ToProto(const store::Change& change, state::v1::Change* out) {
  out->set_modseq(change.modseq);
  out->set_kind(static_cast<state::v1::Change::Kind>(change.kind));
  for (const auto& m : change.messages) ToProto(m, out->add_messages());
  for (uint32_t uid : change.expunged) out->add_expunged(uid);
}

void ToProto(const events::Event& event, state::v1::WatchEvent* out) {
  out->set_account_id(event.account);
  out->set_mailbox_id(event.mailbox);
  if (event.change) ToProto(*event.change, out->mutable_change());
  out->set_resync(event.resync);
  out->set_mailbox_gone(event.mailbox_gone);
  out->set_commit_unix_micros(event.commit_unix_micros);
  out->set_account_changed(event.account_changed);
}

absl::StatusOr<store::SearchKey> FromProto(const state::v1::SearchKey& key) {
  return KeyFromProto(key, 0);
}

}  // namespace hadron::service
