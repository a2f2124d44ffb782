// Session: one IMAP connection's state machine. It owns the command reader and the mailbox
// view; commands (frontend/commands) run on it one at a time, on the session's strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "asio/any_io_executor.hpp"
#include "asio/awaitable.hpp"
#include "asio/experimental/channel.hpp"
#include "asio/steady_timer.hpp"
#include "frontend/protocol/command.h"
#include "frontend/limits/connection_limits.h"
#include "frontend/limits/login_throttle.h"
#include "frontend/protocol/reader.h"
#include "frontend/session/mailbox_view.h"
#include "frontend/session/notify.h"
#include "frontend/session/transport.h"
#include "frontend/state_client/state_client.h"
#include "frontend/state_client/watcher.h"

namespace hadron::frontend {

class Session;
// Runs one parsed command (the command table lives in frontend/commands).
using CommandDispatcher = asio::awaitable<void> (*)(Session&, const imap::Command&);

struct SessionConfig {
  CommandDispatcher dispatch = nullptr;
  std::chrono::seconds login_timeout{60};
  std::chrono::seconds idle_timeout{30 * 60};
  std::chrono::seconds idle_keepalive{120};
  std::chrono::milliseconds idle_poll{250};
  size_t max_literal = 64 << 20;  // APPENDLIMIT
  // Advertise LITERAL- instead of LITERAL+: non-synchronizing literals up to 4096 bytes only.
  bool literal_minus = false;
  std::string server_name = "Hadron";
  // Shared mailbox bases of this frontend (null: every view keeps its own base).
  std::shared_ptr<SnapshotCache> snapshots;
  // Failed-login throttling and connection limits of this frontend (null: none).
  std::shared_ptr<LoginThrottle> login_throttle;
  bool throttle_loopback = false;  // also throttle failed logins by address on loopback
  // Plaintext authentication (LOGIN, AUTHENTICATE PLAIN/LOGIN) needs TLS unless it is allowed
  // everywhere, or the peer is on loopback and loopback counts as secure (Dovecot's
  // disable_plaintext_auth, whose default this is). Otherwise: LOGINDISABLED, no AUTH=.
  bool allow_plaintext_auth = false;
  bool loopback_is_secure = true;
  // Log every command and response (cut, credentials redacted): --trace_protocol.
  bool trace = false;
  std::shared_ptr<ConnectionLimits> limits;
};

// Extensions a client turns on for its session (RFC 5161), one a line.
struct EnabledExtensions {
  bool utf8_accept = false;  // UTF8=ACCEPT (RFC 6855)
  bool condstore = false;    // CONDSTORE (RFC 7162): ENABLE or any CONDSTORE-enabling command
  bool qresync = false;      // QRESYNC (RFC 7162); implies condstore
  bool imap4rev2 = false;    // IMAP4rev2 (RFC 9051)
  bool uidonly = false;      // UIDONLY (RFC 9586)
};

struct NotAuthenticated {};
struct Authenticated {
  uint64_t account_id;
  std::string user;
};
struct Selected {
  Authenticated auth;
  std::unique_ptr<MailboxView> view;
  uint64_t watch_handle = 0;
};
using SessionState = std::variant<NotAuthenticated, Authenticated, Selected>;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::any_io_executor executor, std::unique_ptr<Transport> transport,
          StateClient& state, MailboxWatcher* watcher, const SessionConfig& config);

  // Runs the connection to its end. Call through co_spawn on a strand.
  asio::awaitable<void> Run();

  // --- for command handlers ---
  asio::awaitable<void> Send(std::string_view data);  // raw bytes, already CRLF-terminated
  // Sends the concatenation of `parts` with one scatter/gather write (FETCH bodies, uncopied).
  asio::awaitable<void> SendParts(std::span<const std::string_view> parts);
  asio::awaitable<void> Tagged(const imap::Command& cmd, std::string_view status,
                               std::string_view text);
  // Reads one raw line (AUTHENTICATE continuation). nullopt on timeout or disconnect.
  asio::awaitable<std::optional<std::string>> ReadLine();
  // Until when to wait for the client's next bytes: the login deadline before login, else the
  // idle timeout from now.
  std::chrono::steady_clock::time_point InputDeadline() const;
  // Waits for input, a change event, or `timeout`; returns true if input landed in reader().
  // Throws on disconnect.
  enum class Wait { kInput, kEvent, kTimeout };
  asio::awaitable<Wait> WaitInput(std::chrono::milliseconds timeout);
  // Waits for input until `deadline`, ignoring change events; false on timeout (and, with
  // `wake_on_drain`, as soon as the session is draining).
  asio::awaitable<bool> WaitInputUntil(std::chrono::steady_clock::time_point deadline,
                                       bool wake_on_drain = false);

  // Applies the changes queued for the view and emits what RFC 3501 7.4.1 allows. With
  // `poll`, first reads the change log from the statesvc (NOOP, CHECK, after SELECT, after a
  // resync), so changes committed just before are seen even if their event is still in flight.
  asio::awaitable<void> Sync(bool allow_expunge, bool poll = false);

  // Pushes the enabled extensions into the selected view's ResponseMode.
  void RefreshMode();
  // Turns CONDSTORE on for a CONDSTORE-enabling command (RFC 7162 3.1); the first time with a
  // mailbox selected, sends its HIGHESTMODSEQ.
  asio::awaitable<void> EnableCondstore();
  // Enters Selected with `view` and subscribes it to the mailbox's change stream.
  void EnterSelected(std::unique_ptr<MailboxView> view);
  // Claims \Recent for the messages of the view that no session has seen (read-write only).
  asio::awaitable<void> ClaimRecent();
  // Queues a change this session made itself (its answer must precede the tagged OK).
  void QueueOwnChange(const pb::Change& change);

  // One protocol trace line ('C' client, 'S' server) when config().trace is set.
  void Trace(char who, std::string_view line) const;
  // Whether LOGIN and the plaintext SASL mechanisms may be used on this connection now.
  bool PlaintextAuthAllowed() const;
  std::string Capabilities() const;
  // The reader limits of this session (APPENDLIMIT, LITERAL- when configured).
  imap::CommandReader::Limits ReaderLimits() const;
  // UNAUTHENTICATE (RFC 8437): deselects (dropping the change subscription), forgets the
  // user and the ENABLEd extensions. TLS and COMPRESS stay.
  void Unauthenticate();
  // Puts a layer (COMPRESS) over the transport: `wrap` gets the current one and returns the
  // new one. Only between commands, when no read is in flight.
  template <typename F>
  void WrapTransport(F wrap) {
    transport_ = wrap(std::move(transport_));
  }
  bool compression_active() const { return compression_active_; }
  // Whether the reader coroutine may be inside a transport read (then no layer may be added).
  bool read_in_flight() const { return read_requested_; }
  void set_compression_active() { compression_active_ = true; }
  // The source address of the connection (no port), for limits and throttling.
  std::string peer_address() const;
  // Holds this login's per-account slot until logout (or UNAUTHENTICATE).
  void set_login_token(std::unique_ptr<ConnectionLimits::Token> token) {
    login_token_ = std::move(token);
  }
  StateClient& state() { return state_; }
  const SessionConfig& config() const { return config_; }
  SessionState& session_state() { return session_state_; }
  Authenticated* auth();
  MailboxView* view();
  Transport& transport() { return *transport_; }
  imap::CommandReader& reader() { return reader_; }
  void set_logout() { logout_ = true; }
  // Extensions this client turned on (ENABLE, or a command that implies one).
  EnabledExtensions& enabled() { return enabled_; }
  const EnabledExtensions& enabled() const { return enabled_; }
  // Leaves Selected for Authenticated (CLOSE, UNSELECT, a failed SELECT).
  void Deselect();
  // Maps a state-service error to an IMAP NO/BAD line for `cmd`.
  asio::awaitable<void> Fail(const imap::Command& cmd, const absl::Status& status);

  // --- operations (session_metrics.h, docs/operations.md) ---
  // The id every log line about this session carries ("session" field).
  const std::string& id() const { return id_; }
  // Draining (SIGTERM), callable from any thread: an idle session (between commands with no
  // command bytes pending, or in IDLE) is sent "* BYE Server shutting down" and closed; a
  // running command finishes first.
  void BeginDrain();
  bool draining() const { return draining_; }
  // The status word of the last tagged answer ("OK", "NO", "BAD"; "" before one), for metrics.
  const std::string& last_status() const { return last_status_; }
  void clear_last_status() { last_status_.clear(); }
  // NOTIFY (RFC 5465, session_notify.cc): replaces what the client listens to (watching the
  // account's changes when a group needs them); with `send_status`, the STATUS of every watched
  // mailbox. On error the previous setting stays.
  asio::awaitable<absl::Status> SetNotify(NotifySpec spec, bool send_status);
  void ClearNotify();  // NOTIFY NONE, UNAUTHENTICATE, logout
  // Sends what NOTIFY asked for and is due: STATUS/LIST for account changes, and the selected
  // mailbox's changes (between commands and in IDLE).
  asio::awaitable<void> FlushNotifications();

 private:
  asio::awaitable<void> ReaderLoop();
  asio::awaitable<void> Emit(bool allow_expunge);
  // Re-reads the selected mailbox after the change log lost our place; false if the view
  // cannot follow (deleted, new UIDVALIDITY).
  asio::awaitable<bool> Resync();
  void OnWatchEvent(const state::v1::WatchEvent& event);
  // NOTIFY: waits for a command's input until `deadline`, sending notifications meanwhile.
  asio::awaitable<bool> WaitCommandInput(std::chrono::steady_clock::time_point deadline,
                                         bool wake_on_drain = false);
  void Wake();

  asio::any_io_executor executor_;
  std::unique_ptr<Transport> transport_;
  StateClient& state_;
  MailboxWatcher* watcher_;
  SessionConfig config_;
  imap::CommandReader reader_;
  SessionState session_state_;
  // Everything a waiting session can be woken by arrives on one channel, so no wake-up is ever
  // lost to a cancelled receive (racing two receives with || can drop a message).
  struct Event {
    enum Kind { kData, kEof, kWake, kTimeout } kind;
    std::string data;
    uint64_t generation = 0;  // kTimeout: which WaitInput armed it
  };
  // The reader coroutine reads only when asked (so STARTTLS never races a pending read).
  asio::experimental::channel<void(asio::error_code, bool)> want_read_;
  asio::experimental::channel<void(asio::error_code, Event)> events_;
  asio::steady_timer timer_;
  uint64_t timer_generation_ = 0;
  bool wake_pending_ = false;
  bool need_poll_ = false;
  bool mailbox_gone_ = false;
  bool read_requested_ = false;
  // Before login, the login timeout counts from the connection (or UNAUTHENTICATE), not from
  // the last byte: a client trickling bytes must not stay unauthenticated forever (issue 6).
  std::chrono::steady_clock::time_point login_deadline_;
  bool logout_ = false;
  bool closed_ = false;
  bool compression_active_ = false;
  EnabledExtensions enabled_;
  std::unique_ptr<ConnectionLimits::Token> login_token_;
  // Operations: log id, drain flag (set on the session's strand), last tagged status.
  const std::string id_;
  bool draining_ = false;
  std::string last_status_;
  struct NotifyState;  // NOTIFY (session_notify.cc)
  std::shared_ptr<NotifyState> notify_;
};

}  // namespace hadron::frontend
