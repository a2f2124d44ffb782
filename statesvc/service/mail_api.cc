// hadron.mail.v1.Mail, public API slice (issue 7): mailbox management, Import (client stream),
// FetchMessages (server stream, for export) and WatchAccount (server stream of an account's
// changes with a resume cursor). Every mutation goes through the same store calls as IMAP's,
// so sessions see it exactly as another session's change.
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "statesvc/service/convert.h"
#include "statesvc/service/mail_service.h"

namespace hadron::service {

using namespace ::hadron::mail::v1;  // NOLINT: the generated names are the API here

std::vector<std::string> ImapFlagNames(const store::Flags& flags) {
  static constexpr std::pair<const char*, uint32_t> kSystem[] = {
      {"\\Seen", store::kSeen},       {"\\Answered", store::kAnswered}, {"\\Flagged", store::kFlagged},
      {"\\Deleted", store::kDeleted}, {"\\Draft", store::kDraft}};
  std::vector<std::string> out;
  for (const auto& [name, bit] : kSystem) {
    if (flags.system & bit) out.push_back(name);
  }
  for (const auto& k : flags.keywords) out.push_back(k);
  return out;
}

namespace {

std::string MailboxOrInbox(const std::string& name) { return name.empty() ? "INBOX" : name; }

void MetaToProto(const store::MessageMeta& m, StoredMessage* out) {
  out->set_uid(m.uid);
  out->set_modseq(m.modseq);
  for (auto& f : ImapFlagNames(m.flags)) out->add_flags(std::move(f));
}

// What WatchAccount knows of one mailbox: its name and the last modseq reported.
struct Seen {
  std::string name;
  uint64_t modseq = 0;
};
using SeenMap = std::map<uint64_t, Seen>;  // mailbox id -> seen

// Cursor: "v1" then ";ID:MODSEQ:HEXNAME" per mailbox.
std::string EncodeCursor(const SeenMap& seen) {
  std::string out = "v1";
  for (const auto& [id, s] : seen) {
    absl::StrAppend(&out, ";", id, ":", s.modseq, ":", absl::BytesToHexString(s.name));
  }
  return out;
}

std::optional<SeenMap> DecodeCursor(const std::string& cursor) {
  std::vector<std::string> parts = absl::StrSplit(cursor, ';');
  if (parts.empty() || parts[0] != "v1") return std::nullopt;
  SeenMap seen;
  for (size_t i = 1; i < parts.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(parts[i], ':');
    uint64_t id = 0, modseq = 0;
    if (f.size() != 3 || !absl::SimpleAtoi(f[0], &id) || !absl::SimpleAtoi(f[1], &modseq)) {
      return std::nullopt;
    }
    if (f[2].size() % 2 != 0 ||
        f[2].find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      return std::nullopt;
    }
    seen[id] = Seen{absl::HexStringToBytes(f[2]), modseq};
  }
  return seen;
}

}  // namespace

grpc::Status MailService::DeleteMailbox(grpc::ServerContext*, const DeleteMailboxRequest* req,
                                        Empty*) {
  auto account = store_->LookupAccount(req->account());
  if (!account.ok()) return ToGrpc(account.status());
  return ToGrpc(store_->DeleteMailbox(account->id, req->name()));
}

grpc::Status MailService::RenameMailbox(grpc::ServerContext*, const RenameMailboxRequest* req,
                                        Empty*) {
  auto account = store_->LookupAccount(req->account());
  if (!account.ok()) return ToGrpc(account.status());
  return ToGrpc(store_->RenameMailbox(account->id, req->from(), req->to()));
}

grpc::Status MailService::SetSubscribed(grpc::ServerContext*, const SetSubscribedRequest* req,
                                        Empty*) {
  auto account = store_->LookupAccount(req->account());
  if (!account.ok()) return ToGrpc(account.status());
  return ToGrpc(store_->SetSubscribed(account->id, req->name(), req->subscribed()));
}

grpc::Status MailService::Import(grpc::ServerContext* ctx, grpc::ServerReader<ImportMessage>* reader,
                                 ImportResponse* resp) {
  ImportMessage msg;
  std::string account_name;
  uint64_t account_id = 0;
  while (reader->Read(&msg)) {
    if (account_id == 0) {
      if (msg.account().empty()) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the first message names no account");
      }
      auto account = store_->LookupAccount(msg.account());
      if (!account.ok()) return ToGrpc(account.status());
      account_id = account->id;
      account_name = msg.account();
    } else if (!msg.account().empty() && msg.account() != account_name) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "one account per Import stream");
    }
    ImportResult* result = resp->add_results();
    auto flags = ParseImapFlags(msg.flags());
    if (!flags.ok()) {
      result->set_error(std::string(flags.status().message()));
      continue;
    }
    if (msg.message().empty()) {
      result->set_error("empty message");
      continue;
    }
    const std::string mailbox = MailboxOrInbox(msg.mailbox());
    auto r = store_->Append(account_id, mailbox, *flags, msg.internal_date(),
                            msg.internal_date_tz(), msg.message());
    if (!r.ok() && absl::IsNotFound(r.status()) && msg.create_mailbox() &&
        absl::IsNotFound(store_->GetMailbox(account_id, mailbox).status())) {
      auto created = store_->CreateMailbox(account_id, mailbox);
      if (!created.ok() && !absl::IsAlreadyExists(created.status())) {
        result->set_error(std::string(created.status().message()));
        continue;
      }
      r = store_->Append(account_id, mailbox, *flags, msg.internal_date(), msg.internal_date_tz(),
                         msg.message());
    }
    if (!r.ok()) {
      result->set_error(std::string(r.status().message()));
      // The store is unavailable (disk full, shutting down): stop here, say so.
      if (absl::IsUnavailable(r.status())) return ToGrpc(r.status());
      continue;
    }
    result->set_uid_validity(r->uid_validity);
    result->set_uid(r->uid);
  }
  if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "import cancelled");
  for (const auto& r : resp->results()) {
    if (r.uid() != 0) {
      resp->set_imported(resp->imported() + 1);
    } else {
      resp->set_failed(resp->failed() + 1);
    }
  }
  return grpc::Status::OK;
}

grpc::Status MailService::FetchMessages(grpc::ServerContext* ctx, const FetchMessagesRequest* req,
                                        grpc::ServerWriter<StoredMessage>* writer) {
  auto account = store_->LookupAccount(req->account());
  if (!account.ok()) return ToGrpc(account.status());
  auto sel = store_->Select(account->id, MailboxOrInbox(req->mailbox()));
  if (!sel.ok()) return ToGrpc(sel.status());
  std::vector<uint32_t> uids;
  for (const auto& m : sel->messages) {
    if (m.uid > req->after_uid()) uids.push_back(m.uid);
  }
  constexpr size_t kBatch = 64;
  for (size_t i = 0; i < uids.size(); i += kBatch) {
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    absl::Span<const uint32_t> batch(uids.data() + i, std::min(kBatch, uids.size() - i));
    auto msgs = store_->Fetch(account->id, sel->info.id, batch, false, req->want_content());
    if (!msgs.ok()) return ToGrpc(msgs.status());
    for (auto& m : *msgs) {
      if (m.missing || m.expunged) continue;
      StoredMessage out;
      out.set_uid(m.uid);
      for (auto& f : ImapFlagNames(m.flags)) out.add_flags(std::move(f));
      out.set_internal_date(m.internal_date);
      out.set_internal_date_tz(m.internal_date_tz);
      out.set_size(m.size);
      out.set_modseq(m.modseq);
      if (req->want_content()) out.set_content(std::move(m.content));
      if (!writer->Write(out)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    }
  }
  return grpc::Status::OK;
}

grpc::Status MailService::WatchAccount(grpc::ServerContext* ctx, const WatchAccountRequest* req,
                                       grpc::ServerWriter<AccountChange>* writer) {
  auto account = store_->LookupAccount(req->account());
  if (!account.ok()) return ToGrpc(account.status());
  const uint64_t id = account->id;
  SeenMap seen;
  bool first = true;
  if (!req->cursor().empty()) {
    auto decoded = DecodeCursor(req->cursor());
    if (!decoded) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad cursor");
    seen = std::move(*decoded);
    first = false;
  }
  auto send = [&](AccountChange& change) {
    change.set_cursor(EncodeCursor(seen));
    return writer->Write(change);
  };
  const grpc::Status gone(grpc::StatusCode::CANCELLED, "client went away");
  while (!ctx->IsCancelled()) {
    auto list = store_->ListMailboxes(id);
    if (!list.ok()) return ToGrpc(list.status());  // e.g. the account was deleted
    if (first) {
      for (const auto& m : *list) seen[m.id] = Seen{m.name, m.highest_modseq};
      AccountChange snap;
      snap.set_kind(AccountChange::SNAPSHOT);
      if (!send(snap)) return gone;
      first = false;
      continue;
    }
    std::map<uint64_t, const store::MailboxInfo*> now;
    for (const auto& m : *list) now[m.id] = &m;
    // Deleted mailboxes (a rename keeps the id).
    for (auto it = seen.begin(); it != seen.end();) {
      if (now.count(it->first)) {
        ++it;
        continue;
      }
      AccountChange c;
      c.set_kind(AccountChange::MAILBOX_DELETED);
      c.set_mailbox(it->second.name);
      it = seen.erase(it);
      if (!send(c)) return gone;
    }
    for (const auto& [mid, info] : now) {
      auto it = seen.find(mid);
      if (it == seen.end()) {
        it = seen.emplace(mid, Seen{info->name, 0}).first;
        AccountChange c;
        c.set_kind(AccountChange::MAILBOX_CREATED);
        c.set_mailbox(info->name);
        if (!send(c)) return gone;
      } else if (it->second.name != info->name) {
        AccountChange c;
        c.set_kind(AccountChange::MAILBOX_RENAMED);
        c.set_old_name(it->second.name);
        c.set_mailbox(info->name);
        it->second.name = info->name;
        if (!send(c)) return gone;
      }
      if (info->highest_modseq <= it->second.modseq) continue;
      auto changes = store_->GetChanges(id, mid, it->second.modseq);
      if (!changes.ok()) {
        if (absl::IsNotFound(changes.status())) continue;  // deleted meanwhile: next round
        return ToGrpc(changes.status());
      }
      if (changes->mailbox_gone) continue;
      if (changes->resync) {
        it->second.modseq = changes->highest_modseq;
        AccountChange c;
        c.set_kind(AccountChange::RESYNC);
        c.set_mailbox(info->name);
        c.set_modseq(changes->highest_modseq);
        if (!send(c)) return gone;
        continue;
      }
      for (const auto& ch : changes->changes) {
        AccountChange c;
        c.set_mailbox(info->name);
        c.set_modseq(ch.modseq);
        switch (ch.kind) {
          case store::Change::kAppend: c.set_kind(AccountChange::MESSAGES_ADDED); break;
          case store::Change::kFlags: c.set_kind(AccountChange::FLAGS_CHANGED); break;
          case store::Change::kExpunge: c.set_kind(AccountChange::MESSAGES_EXPUNGED); break;
        }
        for (const auto& m : ch.messages) MetaToProto(m, c.add_messages());
        for (uint32_t u : ch.expunged) c.add_uids(u);
        it->second.modseq = std::max(it->second.modseq, ch.modseq);
        if (!send(c)) return gone;
      }
      it->second.modseq = std::max(it->second.modseq, changes->highest_modseq);
    }
    absl::SleepFor(kWatchAccountPoll);
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
}

}  // namespace hadron::service
