// COPY, MOVE and their UID forms (RFC 3501 6.4.7, RFC 6851, RFC 4315 COPYUID).
#include "absl/strings/str_cat.h"
#include "common/imap/seqset.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdCopy(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::CopyArgs>(cmd.args);
  bool move = cmd.name == "MOVE";
  MailboxView* v = s.view();
  if (move && v->read_only()) {
    co_await s.Tagged(cmd, "NO", "[READ-ONLY] Mailbox is read-only.");
    co_return;
  }
  auto set = ResolveSet(*v, a.set, cmd.uid);
  if (!set.ok()) {
    co_await s.Tagged(cmd, "BAD", std::string(set.status().message()));
    co_return;
  }
  if (set->empty()) {
    co_await Complete(s, cmd, move ? "No messages found." : "No messages found.");
    co_return;
  }
  pb::CopyRequest req;
  req.set_account_id(s.auth()->account_id);
  req.set_mailbox_id(v->mailbox_id());
  req.set_destination(CanonicalMailbox(a.mailbox));
  req.set_move(move);
  for (const auto& su : *set) req.add_uids(su.uid);
  auto res = co_await s.state().Copy(req);
  if (!res.ok()) {
    if (res.status().code() == absl::StatusCode::kNotFound) {
      co_await s.Tagged(cmd, "NO", "[TRYCREATE] Mailbox doesn't exist");
    } else {
      co_await s.Fail(cmd, res.status());
    }
    co_return;
  }
  std::string copyuid;
  if (res->source_uids_size() > 0) {
    copyuid = absl::StrCat(
        "[COPYUID ", res->uid_validity(), " ",
        imap::FormatUidSet({res->source_uids().begin(), res->source_uids().end()}), " ",
        imap::FormatUidSet({res->destination_uids().begin(), res->destination_uids().end()}),
        "] ");
  }
  bool into_selected = res->destination_id() == v->mailbox_id();
  if (move) {
    s.QueueOwnChange(ExpungeChange(res->source_modseq(), res->expunged()));
    // RFC 6851 4.3: COPYUID goes in an untagged OK before the EXPUNGEs.
    if (!copyuid.empty()) co_await s.Send(absl::StrCat("* OK ", copyuid, "Moved UIDs.\r\n"));
    co_await Complete(s, cmd, "Move completed.", into_selected);
  } else {
    co_await Complete(s, cmd, absl::StrCat(copyuid, "Copy completed."), into_selected);
  }
}

}  // namespace hadron::frontend
