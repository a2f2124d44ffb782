// GETQUOTAROOT (RFC 9208 4.2.2): every mailbox of the account is under its one quota root.
#include "absl/strings/str_cat.h"
#include "common/imap/strings.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdGetQuotaRoot(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::MailboxArgs>(cmd.args);
  const uint64_t account_id = s.auth()->account_id;
  pb::MailboxRef ref;
  ref.set_account_id(account_id);
  ref.set_name(CanonicalMailbox(a.mailbox));
  auto mailbox = co_await s.state().GetMailbox(ref);
  if (!mailbox.ok()) {
    co_await s.Fail(cmd, mailbox.status());
    co_return;
  }
  pb::GetQuotaRequest req;
  req.set_account_id(account_id);
  auto res = co_await s.state().GetQuota(req);
  if (!res.ok()) {
    co_await s.Fail(cmd, res.status());
    co_return;
  }
  std::string quota = QuotaResponse(*res);
  std::string out = absl::StrCat("* QUOTAROOT ", imap::Quote(MailboxToWire(s, a.mailbox)));
  if (!quota.empty()) absl::StrAppend(&out, " \"", kQuotaRoot, "\"");
  absl::StrAppend(&out, "\r\n", quota);
  co_await s.Send(out);
  co_await Complete(s, cmd, "Getquotaroot completed.");
}

}  // namespace hadron::frontend
