// DELETE (RFC 3501 6.3.4).
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdDelete(Session& s, const imap::Command& cmd) {
  std::string name = CanonicalMailbox(std::get<imap::MailboxArgs>(cmd.args).mailbox);
  if (name == "INBOX") {
    co_await s.Tagged(cmd, "NO", "[CANNOT] INBOX can't be deleted.");
    co_return;
  }
  if (s.view() && s.view()->name() == name) {
    // Dovecot's answer: deleting the selected mailbox is refused rather than racing the view.
    co_await s.Tagged(cmd, "NO", "[CANNOT] Can't delete the selected mailbox; close it first");
    co_return;
  }
  pb::MailboxRef ref;
  ref.set_account_id(s.auth()->account_id);
  ref.set_name(name);
  auto res = co_await s.state().DeleteMailbox(ref);
  if (!res.ok()) {
    co_await s.Fail(cmd, res.status());
    co_return;
  }
  co_await Complete(s, cmd, "Delete completed.");
}

}  // namespace hadron::frontend
