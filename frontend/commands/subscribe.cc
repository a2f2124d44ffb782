// SUBSCRIBE and UNSUBSCRIBE (RFC 3501 6.3.6, 6.3.7).
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdSubscribe(Session& s, const imap::Command& cmd) {
  bool subscribe = cmd.name == "SUBSCRIBE";
  pb::SetSubscribedRequest req;
  req.set_account_id(s.auth()->account_id);
  req.set_name(CanonicalMailbox(std::get<imap::MailboxArgs>(cmd.args).mailbox));
  req.set_subscribed(subscribe);
  auto res = co_await s.state().SetSubscribed(req);
  if (!res.ok()) {
    co_await s.Fail(cmd, res.status());
    co_return;
  }
  co_await Complete(s, cmd, subscribe ? "Subscribe completed." : "Unsubscribe completed.");
}

}  // namespace hadron::frontend
