// CLOSE and UNSELECT (RFC 3501 6.4.2, RFC 3691): CLOSE silently expunges \Deleted messages of a
// read-write mailbox; UNSELECT does not.
#include "frontend/commands/commands.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdClose(Session& s, const imap::Command& cmd) {
  MailboxView* v = s.view();
  if (cmd.name == "CLOSE" && !v->read_only()) {
    pb::ExpungeRequest req;
    req.set_account_id(s.auth()->account_id);
    req.set_mailbox_id(v->mailbox_id());
    auto res = co_await s.state().Expunge(req);
    if (!res.ok()) {
      co_await s.Fail(cmd, res.status());
      co_return;
    }
  }
  s.Deselect();
  co_await s.Tagged(cmd, "OK", cmd.name == "CLOSE" ? "Close completed." : "Unselect completed.");
}

}  // namespace hadron::frontend
