// CREATE (RFC 3501 6.3.3). A trailing separator is dropped; missing parents are created by
// the state service. CREATE-SPECIAL-USE (RFC 6154 3): one of \Archive \Drafts \Junk \Sent
// \Trash, stored with the mailbox; \All and \Flagged (virtual mailboxes), unknown attributes
// and more than one attribute are NO [USEATTR].
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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
  std::string use;
  const auto& uses = std::get<imap::MailboxArgs>(cmd.args).special_use;
  if (uses.size() > 1) {
    co_await s.Tagged(cmd, "NO", "[USEATTR] Only one special-use attribute per mailbox");
    co_return;
  }
  if (!uses.empty()) {
    for (const char* known : {"\\Archive", "\\Drafts", "\\Junk", "\\Sent", "\\Trash"}) {
      if (absl::EqualsIgnoreCase(uses[0], known)) use = known;
    }
    if (use.empty()) {
      co_await s.Tagged(cmd, "NO", absl::StrCat("[USEATTR] Unsupported special-use attribute ",
                                                uses[0]));
      co_return;
    }
  }
  pb::CreateMailboxRequest req;
  req.set_account_id(s.auth()->account_id);
  req.set_name(name);
  req.set_special_use(use);
  auto res = co_await s.state().CreateMailbox(req);
  if (!res.ok()) {
    co_await s.Fail(cmd, res.status());
    co_return;
  }
  if (s.enabled().imap4rev2) {
    // RFC 9051 6.3.4, 6.3.9.7: a name we normalized ("inbox/x" is "INBOX/x") is announced with
    // OLDNAME.
    std::string given(std::get<imap::MailboxArgs>(cmd.args).mailbox);
    while (absl::EndsWith(given, "/")) given.pop_back();
    if (given != name) co_await s.Send(OldNameList(s, name, given));
  }
  // OBJECTID (RFC 8474 4.1): the new mailbox's MAILBOXID in the tagged OK.
  const std::string text = absl::StrCat("[MAILBOXID (", MailboxObjectId(res->mailbox_id(), res->uid_validity()),
                                        ")] Create completed.");
  co_await Complete(s, cmd, text);
}

}  // namespace hadron::frontend
