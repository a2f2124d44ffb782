// The command table (CONVENTIONS 2): one row per IMAP verb, with the flags that drive state
// checks and when pending EXPUNGEs may be sent.
#pragma once

#include <cstdint>
#include <string_view>

#include "asio/awaitable.hpp"
#include "frontend/protocol/command.h"

namespace hadron::frontend {

class Session;

enum CommandFlags : uint32_t {
  kNeedAuth = 1 << 0,      // Authenticated or Selected
  kNeedSelected = 1 << 1,  // Selected
  kNeedNotAuth = 1 << 2,   // NotAuthenticated only
  // The non-UID form works on sequence numbers: no EXPUNGE may be sent while it runs.
  kNoExpungeUnlessUid = 1 << 3,
};

using CommandHandler = asio::awaitable<void> (*)(Session&, const imap::Command&);

struct CommandSpec {
  std::string_view name;
  CommandHandler handler;
  uint32_t flags;
};

// Finds the row for a verb ("FETCH" with uid=true is UID FETCH). nullptr if unknown.
const CommandSpec* FindCommand(std::string_view name, bool uid);

// Checks the session state against the table and runs the handler (SessionConfig::dispatch).
asio::awaitable<void> DispatchCommand(Session& s, const imap::Command& cmd);

// Whether pending EXPUNGEs may be reported when `cmd` completes.
bool AllowsExpunge(const imap::Command& cmd);

// LOGIN or a plaintext SASL mechanism without TLS where that is not allowed (Dovecot's text).
inline constexpr std::string_view kPrivacyRequired =
    "[PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";

// Handlers, one per file in frontend/commands/.
asio::awaitable<void> CmdCapability(Session&, const imap::Command&);
asio::awaitable<void> CmdNoop(Session&, const imap::Command&);  // NOOP and CHECK
asio::awaitable<void> CmdLogout(Session&, const imap::Command&);
asio::awaitable<void> CmdStartTls(Session&, const imap::Command&);
asio::awaitable<void> CmdLogin(Session&, const imap::Command&);
asio::awaitable<void> CmdAuthenticate(Session&, const imap::Command&);
asio::awaitable<void> CmdSelect(Session&, const imap::Command&);  // SELECT and EXAMINE
asio::awaitable<void> CmdCreate(Session&, const imap::Command&);
asio::awaitable<void> CmdDelete(Session&, const imap::Command&);
asio::awaitable<void> CmdRename(Session&, const imap::Command&);
asio::awaitable<void> CmdSubscribe(Session&, const imap::Command&);  // and UNSUBSCRIBE
asio::awaitable<void> CmdList(Session&, const imap::Command&);       // and LSUB
asio::awaitable<void> CmdStatus(Session&, const imap::Command&);
asio::awaitable<void> CmdAppend(Session&, const imap::Command&);
asio::awaitable<void> CmdClose(Session&, const imap::Command&);  // and UNSELECT
asio::awaitable<void> CmdExpunge(Session&, const imap::Command&);
asio::awaitable<void> CmdSearch(Session&, const imap::Command&);
asio::awaitable<void> CmdSort(Session&, const imap::Command&);
asio::awaitable<void> CmdThread(Session&, const imap::Command&);
asio::awaitable<void> CmdFetch(Session&, const imap::Command&);
asio::awaitable<void> CmdStore(Session&, const imap::Command&);
asio::awaitable<void> CmdCopy(Session&, const imap::Command&);  // and MOVE
asio::awaitable<void> CmdIdle(Session&, const imap::Command&);
asio::awaitable<void> CmdId(Session&, const imap::Command&);
asio::awaitable<void> CmdNamespace(Session&, const imap::Command&);
asio::awaitable<void> CmdEnable(Session&, const imap::Command&);
asio::awaitable<void> CmdUnauthenticate(Session&, const imap::Command&);
asio::awaitable<void> CmdCompress(Session&, const imap::Command&);
asio::awaitable<void> CmdGetQuota(Session&, const imap::Command&);
asio::awaitable<void> CmdGetQuotaRoot(Session&, const imap::Command&);
asio::awaitable<void> CmdSetQuota(Session&, const imap::Command&);
asio::awaitable<void> CmdNotify(Session&, const imap::Command&);

}  // namespace hadron::frontend
