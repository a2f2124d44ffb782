// CREATE (RFC 3501 6.3.3). A trailing separator is dropped; missing parents are created by
// the state service.
#include "absl/strings/match.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdCreate(Session& s, const imap::Command& cmd) {
  std::string name = CanonicalMailbox(std::get<imap::MailboxArgs>(cmd.args).mailbox);
  while (absl::EndsWith(name, "/")) name.pop_back();
  if (name.empty()) {
    co_await s.Tagged(cmd, "NO", "[CANNOT] Invalid mailbox name");
    co_return;
  }
  if (name == "INBOX") {
    co_await s.Tagged(cmd, "NO", "[ALREADYEXISTS] Mailbox already exists");
    co_return;
  }
  pb::CreateMailboxRequest req;
  req.set_account_id(s.auth()->account_id);
  req.set_name(name);
  auto res = co_await s.state().CreateMailbox(req);
  if (!res.ok()) {
    co_await s.Fail(cmd, res.status());
    co_return;
  }
  co_await Complete(s, cmd, "Create completed.");
}

}  // namespace hadron::frontend
