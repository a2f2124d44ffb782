// SELECT and EXAMINE (RFC 3501 6.3.1, 6.3.2): one body with a read-only flag.
#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/imap/seqset.h"
#include "common/imap/strings.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {

namespace {

// How far behind the current modseq a shared base may be and still be caught up with the change
// log rather than a full Select: no more changes than would make the view rebase anyway.
bool WorthCatchingUp(const SnapshotBase& base, const pb::MailboxInfo& info) {
  if (base.uid_validity() != info.uid_validity()) return false;
  if (base.modseq() > info.highest_modseq()) return false;
  uint64_t behind = info.highest_modseq() - base.modseq();
  return behind <= std::max<uint64_t>(MailboxView::kRebaseMinimum,
                                      base.size() / MailboxView::kRebaseFraction);
}

}  // namespace

// The QRESYNC part of the SELECT answer (RFC 7162 3.2.5): VANISHED (EARLIER) for what was
// expunged since the client's modseq, then a FETCH for every message changed since then.
asio::awaitable<std::string> QresyncAnswer(Session& s, const MailboxView& v,
                                           const imap::QresyncParams& q, uint32_t uid_next) {
  std::string out;
  std::vector<std::pair<uint32_t, uint32_t>> known;
  if (q.known_uids) known = imap::Resolve(*q.known_uids, v.MaxUid());
  else known.emplace_back(1, UINT32_MAX);
  std::string vanished = co_await VanishedSince(s, v, known, q.modseq, uid_next - 1);
  if (!vanished.empty()) absl::StrAppend(&out, "* VANISHED (EARLIER) ", vanished, "\r\n");
  for (uint32_t seq : v.ChangedSince(q.modseq)) {
    uint32_t uid = v.UidAt(seq);
    if (!InRanges(known, uid)) continue;
    if (v.mode().uidonly) absl::StrAppend(&out, "* ", uid, " UIDFETCH (");
    else absl::StrAppend(&out, "* ", seq, " FETCH (UID ", uid, " ");
    absl::StrAppend(&out, "FLAGS ", v.FlagsAt(seq), " MODSEQ (", v.ModSeqAt(seq), "))\r\n");
  }
  co_return out;
}

asio::awaitable<void> CmdSelect(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::MailboxArgs>(cmd.args);
  bool read_only = cmd.name == "EXAMINE";
  if (a.qresync && !s.enabled().qresync) {
    co_await s.Tagged(cmd, "BAD", "QRESYNC not enabled");
    co_return;
  }
  if (s.enabled().uidonly && a.qresync && a.qresync->match_seqs) {
    // RFC 9586 3.6: no message numbers, so no sequence match data.
    co_await s.Tagged(cmd, "BAD", "[UIDREQUIRED] Sequence match data is not allowed with UIDONLY");
    co_return;
  }
  if (a.condstore) s.enabled().condstore = true;  // SELECT answers with HIGHESTMODSEQ itself
  bool was_selected = s.view() != nullptr;
  // RFC 3501: a failed SELECT leaves no mailbox selected, so leave first.
  s.Deselect();
  if (was_selected) co_await s.Send("* OK [CLOSED] Previous mailbox closed.\r\n");
  const uint64_t account_id = s.auth()->account_id;
  pb::MailboxRef ref;
  ref.set_account_id(account_id);
  ref.set_name(CanonicalMailbox(a.mailbox));
  std::shared_ptr<SnapshotCache> cache = s.config().snapshots;
  std::unique_ptr<MailboxView> view;
  uint32_t uid_next = 0;
  if (cache) {
    // Another session here may hold this mailbox already: start from its base and replay the
    // change log after it, instead of reading (and copying) every message again.
    auto info = co_await s.state().GetMailbox(ref);
    std::shared_ptr<const SnapshotBase> base;
    if (info.ok()) base = cache->Find(account_id, info->mailbox_id());
    if (base && WorthCatchingUp(*base, *info)) {
      if (base->modseq() == info->highest_modseq()) {
        // Nothing changed since the base was taken (later changes come with the first sync).
        view = std::make_unique<MailboxView>(base, *info, read_only);
      } else {
        pb::GetChangesRequest req;
        req.set_account_id(account_id);
        req.set_mailbox_id(base->mailbox_id());
        req.set_since_modseq(base->modseq());
        auto changes = co_await s.state().GetChanges(req);
        if (changes.ok() && !changes->resync() && !changes->mailbox_gone()) {
          view = std::make_unique<MailboxView>(base, *info, read_only);
          for (const auto& c : changes->changes()) view->Enqueue(c);
          view->Settle();
        }
      }
      if (view) uid_next = std::max(info->uid_next(), view->MaxUid() + 1);
    }
  }
  if (!view) {
    ref.set_columns(true);  // the compact answer SnapshotBase::FromSelect reads fastest
    auto res = co_await s.state().Select(ref);
    if (!res.ok()) {
      co_await s.Fail(cmd, res.status());
      co_return;
    }
    std::shared_ptr<const SnapshotBase> base = SnapshotBase::FromSelect(*res);
    if (cache) {
      auto cached = cache->Find(account_id, base->mailbox_id());
      if (cached && cached->uid_validity() == base->uid_validity() &&
          cached->modseq() == base->modseq() && cached->size() == base->size()) {
        base = std::move(cached);  // the same messages: keep one copy
      } else {
        cache->Publish(account_id, base);
      }
    }
    view = std::make_unique<MailboxView>(std::move(base), res->info(), read_only);
    uid_next = res->info().uid_next();
  }
  if (cache) view->AttachCache(cache, account_id);
  std::string flags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";
  for (const auto& k : view->AllKeywords()) absl::StrAppend(&flags, " ", k);
  std::string out = absl::StrCat("* FLAGS (", flags, ")\r\n");
  if (read_only) {
    absl::StrAppend(&out, "* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n");
  } else {
    absl::StrAppend(&out, "* OK [PERMANENTFLAGS (", flags, " \\*)] Flags permitted.\r\n");
  }
  s.EnterSelected(std::move(view));
  MailboxView* v = s.view();
  if (read_only) v->set_claimed_up_to(v->MaxUid());
  else co_await s.ClaimRecent();
  v->MarkCountsReported();
  const EnabledExtensions& on = s.enabled();
  absl::StrAppend(&out, "* ", v->size(), " EXISTS\r\n");
  // IMAP4rev2 has no \Recent; UNSEEN is a message number, which UIDONLY does not give out.
  if (!on.imap4rev2) absl::StrAppend(&out, "* ", v->RecentCount(), " RECENT\r\n");
  if (!on.imap4rev2 && !on.uidonly) {
    if (auto first = v->FirstWithout(pb::SEEN)) {
      absl::StrAppend(&out, "* OK [UNSEEN ", *first, "] First unseen.\r\n");
    }
  }
  absl::StrAppend(&out, "* OK [UIDVALIDITY ", v->uid_validity(), "] UIDs valid\r\n",
                  "* OK [UIDNEXT ", uid_next, "] Predicted next UID\r\n",
                  "* OK [MAILBOXID (", MailboxObjectId(v->mailbox_id(), v->uid_validity()),
                  ")] Ok\r\n");
  if (on.condstore || on.qresync) {
    absl::StrAppend(&out, "* OK [HIGHESTMODSEQ ", v->modseq(), "] Highest\r\n");
  }
  if (on.imap4rev2) {
    // RFC 9051 6.3.2: the LIST response with the mailbox's name and delimiter.
    absl::StrAppend(&out, "* LIST () \"/\" ", imap::Quote(MailboxToWire(s, v->name())), "\r\n");
  }
  if (a.qresync && a.qresync->uid_validity == v->uid_validity()) {
    std::string answer = co_await QresyncAnswer(s, *v, *a.qresync, uid_next);
    out += answer;
  }
  co_await s.Send(out);
  co_await s.Tagged(cmd, "OK",
                    read_only ? "[READ-ONLY] Examine completed." : "[READ-WRITE] Select completed.");
}

}  // namespace hadron::frontend
