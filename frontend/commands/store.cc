// STORE and UID STORE (RFC 3501 6.4.6). The session's own change answers at once; other
// sessions see it at their sync points.
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdStore(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::StoreArgs>(cmd.args);
  MailboxView* v = s.view();
  if (v->read_only()) {
    co_await s.Tagged(cmd, "NO", "[READ-ONLY] Mailbox is read-only.");
    co_return;
  }
  auto set = ResolveSet(*v, a.set, cmd.uid);
  if (!set.ok()) {
    co_await s.Tagged(cmd, "BAD", std::string(set.status().message()));
    co_return;
  }
  if (set->empty()) {
    co_await Complete(s, cmd, "Store completed.");
    co_return;
  }
  pb::StoreRequest req;
  req.set_account_id(s.auth()->account_id);
  req.set_mailbox_id(v->mailbox_id());
  for (const auto& su : *set) req.add_uids(su.uid);
  switch (a.op) {
    case imap::StoreArgs::Op::kReplace: req.set_op(pb::StoreRequest::REPLACE); break;
    case imap::StoreArgs::Op::kAdd: req.set_op(pb::StoreRequest::ADD); break;
    case imap::StoreArgs::Op::kRemove: req.set_op(pb::StoreRequest::REMOVE); break;
  }
  *req.mutable_flags() = ToFlags(a.flags);
  auto res = co_await s.state().Store(req);
  if (!res.ok()) {
    co_await s.Fail(cmd, res.status());
    co_return;
  }
  for (const auto& m : res->updated()) v->ApplyOwnFlags(m);
  for (const auto& m : res->unchanged()) v->ApplyOwnFlags(m);
  bool some_gone = false;
  if (!a.silent) {
    std::string out;
    absl::flat_hash_set<uint32_t> present;
    for (const auto& m : res->updated()) present.insert(m.uid());
    for (const auto& m : res->unchanged()) present.insert(m.uid());
    for (const auto& su : *set) {
      if (!present.contains(su.uid)) {
        some_gone = true;
        continue;
      }
      absl::StrAppend(&out, "* ", su.seq, " FETCH (");
      if (cmd.uid) absl::StrAppend(&out, "UID ", su.uid, " ");
      absl::StrAppend(&out, "FLAGS ", v->FlagsAt(su.seq), ")\r\n");
    }
    co_await s.Send(out);
  }
  if (some_gone) {
    co_await s.Sync(AllowsExpunge(cmd));
    co_await s.Tagged(cmd, "NO", "[EXPUNGEISSUED] Some of the messages no longer exist.");
    co_return;
  }
  co_await Complete(s, cmd, "Store completed.");
}

}  // namespace hadron::frontend
