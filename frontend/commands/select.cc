// SELECT and EXAMINE (RFC 3501 6.3.1, 6.3.2): one body with a read-only flag.
#include <memory>

#include "absl/strings/str_cat.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdSelect(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::MailboxArgs>(cmd.args);
  bool read_only = cmd.name == "EXAMINE";
  bool was_selected = s.view() != nullptr;
  // RFC 3501: a failed SELECT leaves no mailbox selected, so leave first.
  s.Deselect();
  if (was_selected) co_await s.Send("* OK [CLOSED] Previous mailbox closed.\r\n");
  pb::MailboxRef ref;
  ref.set_account_id(s.auth()->account_id);
  ref.set_name(CanonicalMailbox(a.mailbox));
  auto res = co_await s.state().Select(ref);
  if (!res.ok()) {
    co_await s.Fail(cmd, res.status());
    co_return;
  }
  auto view = std::make_unique<MailboxView>(*res, read_only);
  std::string flags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";
  for (const auto& k : view->AllKeywords()) absl::StrAppend(&flags, " ", k);
  std::string out = absl::StrCat("* FLAGS (", flags, ")\r\n");
  if (read_only) {
    absl::StrAppend(&out, "* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n");
  } else {
    absl::StrAppend(&out, "* OK [PERMANENTFLAGS (", flags, " \\*)] Flags permitted.\r\n");
  }
  s.EnterSelected(std::move(view));
  MailboxView* v = s.view();
  if (read_only) v->set_claimed_up_to(v->MaxUid());
  else co_await s.ClaimRecent();
  v->MarkCountsReported();
  absl::StrAppend(&out, "* ", v->size(), " EXISTS\r\n* ", v->RecentCount(), " RECENT\r\n");
  if (auto first = v->FirstWithout(pb::SEEN)) {
    absl::StrAppend(&out, "* OK [UNSEEN ", *first, "] First unseen.\r\n");
  }
  absl::StrAppend(&out, "* OK [UIDVALIDITY ", res->info().uid_validity(), "] UIDs valid\r\n",
                  "* OK [UIDNEXT ", res->info().uid_next(), "] Predicted next UID\r\n");
  co_await s.Send(out);
  co_await s.Tagged(cmd, "OK",
                    read_only ? "[READ-ONLY] Examine completed." : "[READ-WRITE] Select completed.");
}

}  // namespace hadron::frontend
