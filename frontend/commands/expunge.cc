// EXPUNGE and UID EXPUNGE (RFC 3501 6.4.3, RFC 4315 2.1). The EXPUNGE responses come from the
// sync point, in the same way as other sessions' expunges.
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdExpunge(Session& s, const imap::Command& cmd) {
  MailboxView* v = s.view();
  if (v->read_only()) {
    co_await s.Tagged(cmd, "NO", "[READ-ONLY] Mailbox is read-only.");
    co_return;
  }
  pb::ExpungeRequest req;
  req.set_account_id(s.auth()->account_id);
  req.set_mailbox_id(v->mailbox_id());
  const auto& a = std::get<imap::ExpungeArgs>(cmd.args);
  if (cmd.uid && a.uids) {
    auto set = ResolveSet(*v, *a.uids, true);
    if (!set.ok()) {
      co_await s.Tagged(cmd, "BAD", std::string(set.status().message()));
      co_return;
    }
    req.set_restrict_to_uids(true);
    for (const auto& su : *set) req.add_uids(su.uid);
    if (set->empty()) {
      co_await Complete(s, cmd, "Expunge completed.");
      co_return;
    }
  }
  auto res = co_await s.state().Expunge(req);
  if (!res.ok()) {
    co_await s.Fail(cmd, res.status());
    co_return;
  }
  s.QueueOwnChange(ExpungeChange(res->modseq(), res->expunged()));
  co_await Complete(s, cmd, "Expunge completed.");
}

}  // namespace hadron::frontend
