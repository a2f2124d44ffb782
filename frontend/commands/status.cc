// STATUS (RFC 3501 6.3.10).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/imap/strings.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdStatus(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::StatusArgs>(cmd.args);
  pb::MailboxRef ref;
  ref.set_account_id(s.auth()->account_id);
  ref.set_name(CanonicalMailbox(a.mailbox));
  auto res = co_await s.state().GetMailbox(ref);
  if (!res.ok()) {
    co_await s.Fail(cmd, res.status());
    co_return;
  }
  std::vector<std::string> items;
  for (const auto& item : a.items) {
    if (item == "MESSAGES") items.push_back(absl::StrCat(item, " ", res->messages()));
    else if (item == "RECENT") items.push_back(absl::StrCat(item, " ", res->recent()));
    else if (item == "UIDNEXT") items.push_back(absl::StrCat(item, " ", res->uid_next()));
    else if (item == "UIDVALIDITY") items.push_back(absl::StrCat(item, " ", res->uid_validity()));
    else if (item == "UNSEEN") items.push_back(absl::StrCat(item, " ", res->unseen()));
    else if (item == "DELETED") items.push_back(absl::StrCat(item, " ", res->deleted()));
    else if (item == "SIZE") items.push_back(absl::StrCat(item, " ", res->size()));
    else {
      co_await s.Tagged(cmd, "BAD", absl::StrCat("Unknown STATUS item ", item));
      co_return;
    }
  }
  co_await s.Send(absl::StrCat("* STATUS ", imap::Quote(res->name()), " (",
                               absl::StrJoin(items, " "), ")\r\n"));
  co_await Complete(s, cmd, "Status completed.");
}

}  // namespace hadron::frontend
