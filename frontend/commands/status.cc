// STATUS (RFC 3501 6.3.10, RFC 9051 6.3.11) with SIZE (RFC 8438), DELETED (RFC 9051) and
// HIGHESTMODSEQ (RFC 7162 3.1.6); the item rendering is shared with LIST-STATUS (list.cc).
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/imap/strings.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

// STATUS DELETED-STORAGE (RFC 9208 4.2.4 ... 5.1): what an EXPUNGE would free, in units of 1024
// octets (rounded down, as QUOTA STORAGE usage is): the sizes of the messages with \Deleted.
asio::awaitable<absl::StatusOr<uint64_t>> DeletedStorageKib(Session& s, const pb::MailboxInfo& info) {
  if (info.deleted() == 0) co_return uint64_t{0};
  pb::SearchRequest search;
  search.set_account_id(s.auth()->account_id);
  search.set_mailbox_id(info.mailbox_id());
  search.mutable_key()->set_kind(pb::SearchKey::FLAG_SET);
  search.mutable_key()->set_flag(pb::DELETED);
  auto found = co_await s.state().Search(search);
  if (!found.ok()) co_return found.status();
  pb::FetchRequest fetch;
  fetch.set_account_id(s.auth()->account_id);
  fetch.set_mailbox_id(info.mailbox_id());
  *fetch.mutable_uids() = found->uids();
  auto fetched = co_await s.state().Fetch(fetch);
  if (!fetched.ok()) co_return fetched.status();
  uint64_t bytes = 0;
  for (const auto& m : fetched->messages()) {
    if (!m.missing() && !m.expunged()) bytes += m.size();
  }
  co_return bytes / 1024;
}

std::string StatusItemsError(const Session& s, const std::vector<std::string>& items) {
  for (const auto& item : items) {
    // RFC 9051 dropped RECENT (status-att has no RECENT).
    if (item == "RECENT" && s.enabled().imap4rev2) return "RECENT is not an IMAP4rev2 STATUS item";
    if (item == "APPENDLIMIT") {
      return absl::StrCat("Unsupported STATUS item ", item);
    }
  }
  return "";
}

asio::awaitable<void> EnableCondstoreFor(Session& s, const std::vector<std::string>& items) {
  for (const auto& item : items) {
    // RFC 7162 3.1: STATUS (HIGHESTMODSEQ) is a CONDSTORE enabling command.
    if (item == "HIGHESTMODSEQ") co_await s.EnableCondstore();
  }
}

bool NeedsGetMailbox(const std::vector<std::string>& items) {
  for (const auto& item : items) {
    if (item == "RECENT") return true;  // counted by GetMailbox only
  }
  return false;
}

std::string FormatStatusItems(const pb::MailboxInfo& info, const std::vector<std::string>& items,
                              std::optional<uint64_t> deleted_storage_kib) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    if (item == "MESSAGES") out.push_back(absl::StrCat(item, " ", info.messages()));
    else if (item == "RECENT") out.push_back(absl::StrCat(item, " ", info.recent()));
    else if (item == "UIDNEXT") out.push_back(absl::StrCat(item, " ", info.uid_next()));
    else if (item == "UIDVALIDITY") out.push_back(absl::StrCat(item, " ", info.uid_validity()));
    else if (item == "UNSEEN") out.push_back(absl::StrCat(item, " ", info.unseen()));
    else if (item == "DELETED") out.push_back(absl::StrCat(item, " ", info.deleted()));
    else if (item == "SIZE") out.push_back(absl::StrCat(item, " ", info.size()));
    else if (item == "HIGHESTMODSEQ") out.push_back(absl::StrCat(item, " ", info.highest_modseq()));
    else if (item == "MAILBOXID") {
      out.push_back(absl::StrCat(item, " (", MailboxObjectId(info.mailbox_id(), info.uid_validity()), ")"));
    } else if (item == "DELETED-STORAGE" && deleted_storage_kib) {
      out.push_back(absl::StrCat(item, " ", *deleted_storage_kib));
    }
  }
  return absl::StrJoin(out, " ");
}

asio::awaitable<void> CmdStatus(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::StatusArgs>(cmd.args);
  std::string error = StatusItemsError(s, a.items);
  if (!error.empty()) {
    co_await s.Tagged(cmd, "BAD", error);
    co_return;
  }
  co_await EnableCondstoreFor(s, a.items);
  pb::MailboxRef ref;
  ref.set_account_id(s.auth()->account_id);
  ref.set_name(CanonicalMailbox(a.mailbox));
  auto res = co_await s.state().GetMailbox(ref);
  if (!res.ok()) {
    co_await s.Fail(cmd, res.status());
    co_return;
  }
  std::optional<uint64_t> deleted_storage;
  for (const auto& item : a.items) {
    if (item != "DELETED-STORAGE") continue;
    auto kib = co_await DeletedStorageKib(s, *res);
    if (!kib.ok()) {
      co_await s.Fail(cmd, kib.status());
      co_return;
    }
    deleted_storage = *kib;
  }
  co_await s.Send(absl::StrCat("* STATUS ", imap::Quote(MailboxToWire(s, res->name())), " (",
                               FormatStatusItems(*res, a.items, deleted_storage), ")\r\n"));
  co_await Complete(s, cmd, "Status completed.");
}

}  // namespace hadron::frontend
