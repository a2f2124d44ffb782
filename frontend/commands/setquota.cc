// SETQUOTA (RFC 9208 4.2.3): limits are set by the operator through the public API
// (hadron.mail.v1 SetQuota, `hadronctl quota set`), not by users; refused as Dovecot does for
// non-admin users, so QUOTASET is not advertised.
#include "frontend/commands/commands.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdSetQuota(Session& s, const imap::Command& cmd) {
  co_await s.Tagged(cmd, "NO", "[NOPERM] Quota can be changed only by the administrator.");
}

}  // namespace hadron::frontend
