// hadron.mail.v1.Mail (the public provisioning and delivery API) over the store.
#include "statesvc/service/mail_service.h"

#include "spdlog/spdlog.h"
#include "statesvc/service/convert.h"
#include "statesvc/store/names.h"

namespace hadron::service {

using namespace ::hadron::mail::v1;  // NOLINT: the generated names are the API here

absl::StatusOr<store::Flags> ParseImapFlags(
    const google::protobuf::RepeatedPtrField<std::string>& names) {
  static constexpr std::pair<const char*, uint32_t> kSystem[] = {
      {"\\Seen", store::kSeen},       {"\\Answered", store::kAnswered}, {"\\Flagged", store::kFlagged},
      {"\\Deleted", store::kDeleted}, {"\\Draft", store::kDraft}};
  store::Flags flags;
  for (const auto& name : names) {
    if (!name.empty() && name[0] == '\\') {
      bool known = false;
      for (const auto& [n, bit] : kSystem) {
        if (store::EqualsIgnoreCase(name, n)) {
          flags.system |= bit;
          known = true;
        }
      }
      if (store::EqualsIgnoreCase(name, "\\Recent")) known = true;  // session-only in IMAP
      if (!known) return absl::InvalidArgumentError("unknown system flag " + name);
      continue;
    }
    flags.keywords.push_back(name);
  }
  return flags;
}

grpc::Status MailService::CreateAccount(grpc::ServerContext*, const CreateAccountRequest* req,
                                        CreateAccountResponse* resp) {
  auto id = store_->CreateAccount(req->name(), req->password());
  if (!id.ok()) return ToGrpc(id.status());
  spdlog::info("account created: id {}", *id);
  resp->set_account_id(*id);
  return grpc::Status::OK;
}

grpc::Status MailService::DeleteAccount(grpc::ServerContext*, const DeleteAccountRequest* req,
                                        Empty*) {
  auto status = store_->DeleteAccount(req->name());
  if (status.ok()) spdlog::info("account deleted");
  return ToGrpc(status);
}

grpc::Status MailService::SetPassword(grpc::ServerContext*, const SetPasswordRequest* req, Empty*) {
  return ToGrpc(store_->SetPassword(req->name(), req->password()));
}

grpc::Status MailService::ListMailboxes(grpc::ServerContext*, const ListMailboxesRequest* req,
                                        ListMailboxesResponse* resp) {
  auto account = store_->LookupAccount(req->account());
  if (!account.ok()) return ToGrpc(account.status());
  auto list = store_->ListMailboxes(account->id);
  if (!list.ok()) return ToGrpc(list.status());
  for (const auto& m : *list) {
    Mailbox* out = resp->add_mailboxes();
    out->set_name(m.name);
    out->set_messages(m.messages);
    out->set_unseen(m.unseen);
    out->set_uid_validity(m.uid_validity);
    out->set_uid_next(m.uid_next);
    out->set_special_use(m.special_use);
    out->set_size(m.size);
    out->set_subscribed(m.subscribed);
  }
  return grpc::Status::OK;
}

grpc::Status MailService::CreateMailbox(grpc::ServerContext*, const CreateMailboxRequest* req,
                                        Empty*) {
  auto account = store_->LookupAccount(req->account());
  if (!account.ok()) return ToGrpc(account.status());
  return ToGrpc(store_->CreateMailbox(account->id, req->name()).status());
}

grpc::Status MailService::Deliver(grpc::ServerContext*, const DeliverRequest* req,
                                  DeliverResponse* resp) {
  auto account = store_->LookupAccount(req->account());
  if (!account.ok()) return ToGrpc(account.status());
  auto flags = ParseImapFlags(req->flags());
  if (!flags.ok()) return ToGrpc(flags.status());
  if (req->message().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty message");
  const std::string mailbox = req->mailbox().empty() ? "INBOX" : req->mailbox();
  // The same path as State.Append, so IMAP sessions see the delivery as an ordinary APPEND.
  auto r = store_->Append(account->id, mailbox, *flags, req->internal_date(), 0, req->message());
  if (!r.ok()) return ToGrpc(r.status());
  resp->set_uid_validity(r->uid_validity);
  resp->set_uid(r->uid);
  return grpc::Status::OK;
}

grpc::Status MailService::SetFlags(grpc::ServerContext*, const SetFlagsRequest* req,
                                   SetFlagsResponse* resp) {
  auto account = store_->LookupAccount(req->account());
  if (!account.ok()) return ToGrpc(account.status());
  auto flags = ParseImapFlags(req->flags());
  if (!flags.ok()) return ToGrpc(flags.status());
  auto mailbox = store_->GetMailbox(account->id, req->mailbox().empty() ? "INBOX" : req->mailbox());
  if (!mailbox.ok()) return ToGrpc(mailbox.status());
  store::StoreOp op = req->op() == SetFlagsRequest::ADD      ? store::StoreOp::kAdd
                      : req->op() == SetFlagsRequest::REMOVE ? store::StoreOp::kRemove
                                                             : store::StoreOp::kReplace;
  std::vector<uint32_t> uids(req->uids().begin(), req->uids().end());
  // The same path as an IMAP STORE, so sessions see it as another session's change.
  auto r = store_->StoreFlags(account->id, mailbox->id, uids, op, *flags, 0);
  if (!r.ok()) return ToGrpc(r.status());
  for (const auto& m : r->updated) resp->add_changed(m.uid);
  return grpc::Status::OK;
}

grpc::Status MailService::Expunge(grpc::ServerContext*, const ExpungeRequest* req,
                                  ExpungeResponse* resp) {
  auto account = store_->LookupAccount(req->account());
  if (!account.ok()) return ToGrpc(account.status());
  auto mailbox = store_->GetMailbox(account->id, req->mailbox().empty() ? "INBOX" : req->mailbox());
  if (!mailbox.ok()) return ToGrpc(mailbox.status());
  std::vector<uint32_t> uids(req->uids().begin(), req->uids().end());
  auto r = store_->Expunge(account->id, mailbox->id, uids, /*restrict_to_uids=*/true,
                           /*force=*/true);
  if (!r.ok()) return ToGrpc(r.status());
  for (uint32_t uid : r->expunged) resp->add_expunged(uid);
  return grpc::Status::OK;
}

}  // namespace hadron::service

namespace hadron::service {

using namespace ::hadron::mail::v1;  // NOLINT: the generated names are the API here

namespace {

void QuotaToProto(const store::Quota& q, Quota* out) {
  out->set_storage_used(q.usage.storage);
  out->set_messages_used(q.usage.messages);
  if (q.limits.storage_kib) out->set_storage_limit_kib(*q.limits.storage_kib);
  if (q.limits.messages) out->set_message_limit(*q.limits.messages);
}

}  // namespace

grpc::Status MailService::SetQuota(grpc::ServerContext*, const SetQuotaRequest* req, Quota* resp) {
  auto account = store_->LookupAccount(req->account());
  if (!account.ok()) return ToGrpc(account.status());
  store::QuotaLimits limits;
  if (req->has_storage_limit_kib()) limits.storage_kib = req->storage_limit_kib();
  if (req->has_message_limit()) limits.messages = req->message_limit();
  auto status = store_->SetQuota(account->id, limits);
  if (!status.ok()) return ToGrpc(status);
  auto q = store_->GetQuota(account->id);
  if (!q.ok()) return ToGrpc(q.status());
  QuotaToProto(*q, resp);
  return grpc::Status::OK;
}

grpc::Status MailService::GetQuota(grpc::ServerContext*, const GetQuotaRequest* req, Quota* resp) {
  auto account = store_->LookupAccount(req->account());
  if (!account.ok()) return ToGrpc(account.status());
  auto q = store_->GetQuota(account->id);
  if (!q.ok()) return ToGrpc(q.status());
  QuotaToProto(*q, resp);
  return grpc::Status::OK;
}

grpc::Status MailService::Checkpoint(grpc::ServerContext*, const CheckpointRequest* req,
                                     CheckpointResponse* resp) {
  auto info = store_->Checkpoint(req->dir());
  if (!info.ok()) {
    spdlog::warn("checkpoint failed: {}", info.status().ToString());
    return ToGrpc(info.status());
  }
  spdlog::info("checkpoint written: {} (sequence {}, {} files, {} bytes)", info->dir, info->sequence,
               info->files, info->bytes);
  resp->set_dir(info->dir);
  resp->set_sequence(info->sequence);
  resp->set_files(info->files);
  resp->set_bytes(info->bytes);
  return grpc::Status::OK;
}

}  // namespace hadron::service
