// STORE and UID STORE (RFC 3501 6.4.6). The session's own change answers at once; other
// sessions see it at their sync points.
#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/imap/seqset.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

asio::awaitable<void> CmdStore(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::StoreArgs>(cmd.args);
  MailboxView* v = s.view();
  if (a.has_unchanged_since) co_await s.EnableCondstore();  // RFC 7162 3.1
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
  pb::StoreResponse res;
  if (a.has_unchanged_since && a.unchanged_since == 0) {
    // UNCHANGEDSINCE 0 fails for every message (RFC 7162 3.1.3): nothing to ask the service.
    for (const auto& su : *set) res.add_modified(su.uid);
  } else {
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
    if (a.has_unchanged_since) req.set_unchanged_since(a.unchanged_since);
    auto r = co_await s.state().Store(req);
    if (!r.ok()) {
      co_await s.Fail(cmd, r.status());
      co_return;
    }
    res = std::move(*r);
  }
  for (const auto& m : res.updated()) v->ApplyOwnFlags(m);
  for (const auto& m : res.unchanged()) v->ApplyOwnFlags(m);
  absl::flat_hash_set<uint32_t> updated, present, modified;
  for (const auto& m : res.updated()) updated.insert(m.uid());
  for (const auto& m : res.unchanged()) present.insert(m.uid());
  for (uint32_t uid : res.modified()) modified.insert(uid);
  present.insert(updated.begin(), updated.end());
  const ResponseMode& mode = v->mode();
  bool some_gone = false;
  std::string out;
  std::vector<uint32_t> failed;  // MODIFIED: sequence numbers, or UIDs for UID STORE
  for (const auto& su : *set) {
    if (modified.contains(su.uid)) {
      failed.push_back(cmd.uid || mode.uidonly ? su.uid : su.seq);
      continue;
    }
    if (!present.contains(su.uid)) {
      some_gone = true;
      continue;
    }
    // .SILENT still tells a CONDSTORE client the new MODSEQ of what changed (RFC 7162 3.1.3),
    // as Dovecot does; with nothing changed there is nothing to say.
    if (a.silent && !(mode.condstore && updated.contains(su.uid))) continue;
    if (mode.uidonly) {
      absl::StrAppend(&out, "* ", su.uid, " UIDFETCH (");
    } else {
      absl::StrAppend(&out, "* ", su.seq, " FETCH (");
      if (cmd.uid || mode.qresync) absl::StrAppend(&out, "UID ", su.uid, " ");
    }
    if (mode.condstore) {
      absl::StrAppend(&out, "MODSEQ (", v->ModSeqAt(su.seq), ")", a.silent ? "" : " ");
    }
    if (!a.silent) absl::StrAppend(&out, "FLAGS ", v->FlagsAt(su.seq));
    out += ")\r\n";
  }
  co_await s.Send(out);
  if (some_gone) {
    co_await s.Sync(AllowsExpunge(cmd));
    co_await s.Tagged(cmd, "NO", "[EXPUNGEISSUED] Some of the messages no longer exist.");
    co_return;
  }
  if (!failed.empty()) {
    std::sort(failed.begin(), failed.end());
    std::string text = absl::StrCat("[MODIFIED ", imap::FormatUidSet(std::move(failed)),
                                    "] Conditional store failed.");
    co_await Complete(s, cmd, text);
    co_return;
  }
  co_await Complete(s, cmd, "Store completed.");
}

}  // namespace hadron::frontend
