// RENAME (RFC 3501 6.3.5): children move with their parent (the state service does it).
#include "absl/strings/match.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdRename(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::RenameArgs>(cmd.args);
  std::string from = CanonicalMailbox(a.from);
  std::string to = CanonicalMailbox(a.to);
  while (absl::EndsWith(to, "/")) to.pop_back();
  if (to.empty()) {
    co_await s.Tagged(cmd, "NO", "[CANNOT] Invalid mailbox name");
    co_return;
  }
  if (to == "INBOX") {
    co_await s.Tagged(cmd, "NO", "[ALREADYEXISTS] Mailbox already exists");
    co_return;
  }
  pb::RenameMailboxRequest req;
  req.set_account_id(s.auth()->account_id);
  req.set_from(from);
  req.set_to(to);
  auto res = co_await s.state().RenameMailbox(req);
  if (!res.ok()) {
    co_await s.Fail(cmd, res.status());
    co_return;
  }
  if (s.enabled().imap4rev2) {
    // RFC 9051 6.3.6, 6.3.9.7: a new name we normalized is announced with OLDNAME.
    std::string given(a.to);
    while (absl::EndsWith(given, "/")) given.pop_back();
    if (given != to) co_await s.Send(OldNameList(s, to, given));
  }
  co_await Complete(s, cmd, "Rename completed.");
}

}  // namespace hadron::frontend
