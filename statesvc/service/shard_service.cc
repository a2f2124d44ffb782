// Sharding (issue 7): the internal RPCs that move an account between shards.
#include "statesvc/service/convert.h"
#include "statesvc/service/state_service.h"
#include "statesvc/store/objectid.h"
#include "spdlog/spdlog.h"

namespace hadron::service {

namespace pb = ::hadron::state::v1;

grpc::Status StateService::ExportAccount(grpc::ServerContext*, const pb::ShardAccountRequest* req,
                                         pb::ShardAccount* resp) {
  auto t = store_->ExportAccount(req->name());
  if (!t.ok()) return ToGrpc(t.status());
  resp->set_name(t->account.name);
  resp->set_account_id(t->id);
  resp->set_scrypt_n(t->account.scrypt_n);
  resp->set_scrypt_r(t->account.scrypt_r);
  resp->set_scrypt_p(t->account.scrypt_p);
  resp->set_salt(t->account.salt);
  resp->set_hash(t->account.hash);
  if (t->limits.storage_kib) resp->set_storage_limit_kib(*t->limits.storage_kib);
  if (t->limits.messages) resp->set_message_limit(*t->limits.messages);
  resp->set_moving(t->moving);
  for (const auto& [sha, thread] : t->thread_index) {
    auto* e = resp->add_thread_index();
    e->set_message_id_sha256(sha);
    e->set_thread(thread);
  }
  for (const auto& mb : t->mailboxes) {
    auto* out = resp->add_mailboxes();
    ToProto(mb.record.info, out->mutable_info());
    for (const auto& k : mb.record.keywords) out->add_keywords(k);
    for (const auto& [uid, rec] : mb.messages) {
      auto* m = out->add_messages();
      m->set_uid(uid);
      ToProto(rec.flags, m->mutable_flags());
      m->set_modseq(rec.modseq);
      m->set_internal_date(rec.internal_date);
      m->set_internal_date_tz(rec.internal_date_tz);
      m->set_save_date(rec.save_date != 0 ? rec.save_date : rec.internal_date);
      m->set_size(rec.size);
      m->set_email_id(store::EmailId(rec.blob));
      m->set_thread(rec.thread);
    }
  }
  return grpc::Status::OK;
}

grpc::Status StateService::ImportAccount(grpc::ServerContext*, const pb::ShardAccount* req,
                                         pb::ImportAccountResponse* resp) {
  store::AccountTransfer t;
  t.account.name = req->name();
  t.account.scrypt_n = req->scrypt_n();
  t.account.scrypt_r = req->scrypt_r();
  t.account.scrypt_p = req->scrypt_p();
  t.account.salt = req->salt();
  t.account.hash = req->hash();
  if (req->has_storage_limit_kib()) t.limits.storage_kib = req->storage_limit_kib();
  if (req->has_message_limit()) t.limits.messages = req->message_limit();
  for (const auto& mb : req->mailboxes()) {
    store::MailboxTransfer mt;
    auto& info = mt.record.info;
    info.id = mb.info().mailbox_id();
    info.name = mb.info().name();
    info.uid_validity = mb.info().uid_validity();
    info.uid_next = mb.info().uid_next();
    info.highest_modseq = mb.info().highest_modseq();
    info.subscribed = mb.info().subscribed();
    info.special_use = mb.info().special_use();
    mt.record.keywords.assign(mb.keywords().begin(), mb.keywords().end());
    t.mailboxes.push_back(std::move(mt));
  }
  for (const auto& e : req->thread_index()) t.thread_index.emplace_back(e.message_id_sha256(), e.thread());
  auto r = store_->ImportAccount(t);
  if (!r.ok()) return ToGrpc(r.status());
  spdlog::info("account imported from another shard: id {}, {} mailboxes", r->first,
               r->second.size());
  resp->set_account_id(r->first);
  for (const auto& info : r->second) ToProto(info, resp->add_mailboxes());
  return grpc::Status::OK;
}

grpc::Status StateService::ImportMessages(grpc::ServerContext*,
                                          const pb::ImportMessagesRequest* req, pb::Empty*) {
  std::vector<store::ImportedMessage> messages;
  messages.reserve(req->messages_size());
  for (const auto& m : req->messages()) {
    store::ImportedMessage im;
    im.uid = m.uid();
    im.flags = FromProto(m.flags());
    im.modseq = m.modseq();
    im.internal_date = m.internal_date();
    im.internal_date_tz = m.internal_date_tz();
    im.save_date = m.save_date();
    im.content = m.content();
    im.thread = m.thread();
    messages.push_back(std::move(im));
  }
  return ToGrpc(store_->ImportMessages(req->account_id(), req->mailbox_id(), std::move(messages)));
}

grpc::Status StateService::SetAccountMoving(grpc::ServerContext*,
                                            const pb::SetAccountMovingRequest* req, pb::Empty*) {
  auto st = store_->SetAccountMoving(req->name(), req->moving());
  if (st.ok()) spdlog::info("account {} for a move", req->moving() ? "locked" : "unlocked");
  return ToGrpc(st);
}

grpc::Status StateService::RemoveMovedAccount(grpc::ServerContext*,
                                              const pb::ShardAccountRequest* req, pb::Empty*) {
  auto st = store_->RemoveMovedAccount(req->name());
  if (st.ok()) spdlog::info("moved account removed");
  return ToGrpc(st);
}

grpc::Status StateService::ListAccounts(grpc::ServerContext*, const pb::ListAccountsRequest*,
                                        pb::ListAccountsResponse* resp) {
  auto names = store_->ListAccountNames();
  if (!names.ok()) return ToGrpc(names.status());
  for (auto& n : *names) resp->add_names(std::move(n));
  return grpc::Status::OK;
}

}  // namespace hadron::service
