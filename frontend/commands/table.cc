// The command table.
#include <array>

#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {
namespace {

constexpr uint32_t kSel = kNeedAuth | kNeedSelected;

// UID forms are rows of their own: they differ in the EXPUNGE rule.
constexpr CommandSpec kCommands[] = {
    {"CAPABILITY", CmdCapability, 0},
    {"NOOP", CmdNoop, 0},
    {"LOGOUT", CmdLogout, 0},
    {"STARTTLS", CmdStartTls, kNeedNotAuth},
    {"LOGIN", CmdLogin, kNeedNotAuth},
    {"AUTHENTICATE", CmdAuthenticate, kNeedNotAuth},
    {"ID", CmdId, 0},
    {"ENABLE", CmdEnable, kNeedAuth},
    {"UNAUTHENTICATE", CmdUnauthenticate, kNeedAuth},
    {"COMPRESS", CmdCompress, kNeedAuth},
    {"NAMESPACE", CmdNamespace, kNeedAuth},
    {"SELECT", CmdSelect, kNeedAuth},
    {"EXAMINE", CmdSelect, kNeedAuth},
    {"CREATE", CmdCreate, kNeedAuth},
    {"DELETE", CmdDelete, kNeedAuth},
    {"RENAME", CmdRename, kNeedAuth},
    {"SUBSCRIBE", CmdSubscribe, kNeedAuth},
    {"UNSUBSCRIBE", CmdSubscribe, kNeedAuth},
    {"LIST", CmdList, kNeedAuth},
    {"LSUB", CmdList, kNeedAuth},
    {"STATUS", CmdStatus, kNeedAuth},
    {"APPEND", CmdAppend, kNeedAuth},
    {"IDLE", CmdIdle, kNeedAuth},
    {"CHECK", CmdNoop, kSel},
    {"CLOSE", CmdClose, kSel},
    {"UNSELECT", CmdClose, kSel},
    {"EXPUNGE", CmdExpunge, kSel},
    {"SEARCH", CmdSearch, kSel | kNoExpungeUnlessUid},
    {"SORT", CmdSort, kSel | kNoExpungeUnlessUid},
    {"THREAD", CmdThread, kSel | kNoExpungeUnlessUid},
    {"FETCH", CmdFetch, kSel | kNoExpungeUnlessUid},
    {"STORE", CmdStore, kSel | kNoExpungeUnlessUid},
    {"COPY", CmdCopy, kSel},
    {"MOVE", CmdCopy, kSel},
    {"GETQUOTA", CmdGetQuota, kNeedAuth},
    {"GETQUOTAROOT", CmdGetQuotaRoot, kNeedAuth},
    {"SETQUOTA", CmdSetQuota, kNeedAuth},
    {"NOTIFY", CmdNotify, kNeedAuth},
    // UID forms.
    {"UID FETCH", CmdFetch, kSel},
    {"UID STORE", CmdStore, kSel},
    {"UID SEARCH", CmdSearch, kSel},
    {"UID SORT", CmdSort, kSel},
    {"UID THREAD", CmdThread, kSel},
    {"UID COPY", CmdCopy, kSel},
    {"UID MOVE", CmdCopy, kSel},
    {"UID EXPUNGE", CmdExpunge, kSel},
};

bool HasSeqSetKey(const imap::SearchKey& k) {
  if (k.kind == imap::SearchKey::Kind::kSeqSet) return true;
  for (const auto& c : k.children) {
    if (HasSeqSetKey(c)) return true;
  }
  return false;
}

// RFC 9586 3: once UIDONLY is on, no message number may appear in a command.
bool UsesMessageNumbers(const imap::Command& cmd) {
  if (cmd.uid) {
    if (const auto* a = std::get_if<imap::SearchArgs>(&cmd.args)) return HasSeqSetKey(a->key);
    if (const auto* a = std::get_if<imap::SortArgs>(&cmd.args)) return HasSeqSetKey(a->key);
    if (const auto* a = std::get_if<imap::ThreadArgs>(&cmd.args)) return HasSeqSetKey(a->key);
    return false;
  }
  return cmd.name == "FETCH" || cmd.name == "STORE" || cmd.name == "SEARCH" ||
         cmd.name == "COPY" || cmd.name == "MOVE" || cmd.name == "SORT" || cmd.name == "THREAD";
}

}  // namespace

const CommandSpec* FindCommand(std::string_view name, bool uid) {
  for (const auto& c : kCommands) {
    bool row_uid = c.name.substr(0, 4) == "UID ";
    if (row_uid != uid) continue;
    if ((row_uid ? c.name.substr(4) : c.name) == name) return &c;
  }
  return nullptr;
}

bool AllowsExpunge(const imap::Command& cmd) {
  const CommandSpec* spec = FindCommand(cmd.name, cmd.uid);
  return spec == nullptr || !(spec->flags & kNoExpungeUnlessUid);
}

asio::awaitable<void> DispatchCommand(Session& s, const imap::Command& cmd) {
  const CommandSpec* spec = FindCommand(cmd.name, cmd.uid);
  if (spec == nullptr) {
    co_await s.Tagged(cmd, "BAD", "Unknown command");
    co_return;
  }
  bool authenticated = s.auth() != nullptr;
  if ((spec->flags & kNeedAuth) && !authenticated) {
    co_await s.Tagged(cmd, "BAD", "Command not valid in this state: log in first");
    co_return;
  }
  if ((spec->flags & kNeedNotAuth) && authenticated) {
    co_await s.Tagged(cmd, "BAD", "Command not valid in this state: already authenticated");
    co_return;
  }
  if ((spec->flags & kNeedSelected) && s.view() == nullptr) {
    co_await s.Tagged(cmd, "BAD", "Command not valid in this state: no mailbox selected");
    co_return;
  }
  if (s.enabled().uidonly && UsesMessageNumbers(cmd)) {
    co_await s.Tagged(cmd, "BAD", "[UIDREQUIRED] Message numbers are not allowed with UIDONLY");
    co_return;
  }
  if (MailboxView* v = s.view()) v->TakeReportedChanges();  // counted per command
  if (Utf8Names(s)) {
    // UTF8=ACCEPT / IMAP4rev2: names arrive in UTF-8 and are stored in modified UTF-7 (so the
    // converted names are valid modified UTF-7 by construction).
    imap::Command converted = cmd;
    absl::Status st = MailboxesFromWire(s, converted);
    if (!st.ok()) {
      std::string text(st.message());
      co_await s.Tagged(cmd, "BAD", text);
      co_return;
    }
    co_await spec->handler(s, converted);
    co_return;
  }
  if (co_await RejectInvalidMailboxNames(s, cmd)) co_return;
  co_await spec->handler(s, cmd);
}

}  // namespace hadron::frontend
