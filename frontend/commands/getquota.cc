// GETQUOTA (RFC 9208 4.2.1): the account's one quota root, "User quota" (Dovecot's name).
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdGetQuota(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::QuotaArgs>(cmd.args);
  pb::GetQuotaRequest req;
  req.set_account_id(s.auth()->account_id);
  auto res = co_await s.state().GetQuota(req);
  if (!res.ok()) {
    co_await s.Fail(cmd, res.status());
    co_return;
  }
  // Without any limit the account has no quota root (a QUOTA response needs a resource).
  std::string out = QuotaResponse(*res);
  if (a.root != kQuotaRoot || out.empty()) {
    co_await s.Tagged(cmd, "NO", "[NONEXISTENT] Quota root does not exist.");
    co_return;
  }
  co_await s.Send(out);
  co_await Complete(s, cmd, "Getquota completed.");
}

}  // namespace hadron::frontend
