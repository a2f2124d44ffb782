// Session: the connection loop (read, parse, dispatch) and the helpers command handlers use.
#include "frontend/session/session.h"

#include "frontend/protocol/trace.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "asio/co_spawn.hpp"
#include "asio/detached.hpp"
#include "asio/post.hpp"
#include "asio/steady_timer.hpp"
#include "asio/this_coro.hpp"
#include "asio/use_awaitable.hpp"
#include "common/log.h"
#include "common/overquota.h"
#include "frontend/session/session_metrics.h"
#include "spdlog/spdlog.h"

namespace hadron::frontend {

Session::Session(asio::any_io_executor executor, std::unique_ptr<Transport> transport,
                 StateClient& state, MailboxWatcher* watcher, const SessionConfig& config)
    : executor_(executor),
      transport_(std::move(transport)),
      state_(state),
      watcher_(watcher),
      config_(config),
      reader_(ReaderLimits()),
      want_read_(executor, 1),
      events_(executor, 8),
      timer_(executor),
      id_(NewSessionId()) {}

Authenticated* Session::auth() {
  if (auto* a = std::get_if<Authenticated>(&session_state_)) return a;
  if (auto* s = std::get_if<Selected>(&session_state_)) return &s->auth;
  return nullptr;
}

MailboxView* Session::view() {
  if (auto* s = std::get_if<Selected>(&session_state_)) return s->view.get();
  return nullptr;
}

void Session::Deselect() {
  if (auto* s = std::get_if<Selected>(&session_state_)) {
    if (watcher_ && s->watch_handle) watcher_->Unsubscribe(s->watch_handle);
    MailboxDeselected(s->auth.account_id, s->view->mailbox_id());  // operations
    Authenticated a = s->auth;
    session_state_ = a;
  }
}

void Session::RefreshMode() {
  MailboxView* v = view();
  if (!v) return;
  ResponseMode m;
  m.condstore = enabled_.condstore || enabled_.qresync;
  m.qresync = enabled_.qresync;
  m.uidonly = enabled_.uidonly;
  m.no_recent = enabled_.imap4rev2;
  v->set_mode(m);
}

asio::awaitable<void> Session::EnableCondstore() {
  if (enabled_.condstore) co_return;
  enabled_.condstore = true;
  RefreshMode();
  // RFC 7162 3.1: a CONDSTORE-enabling command issued with a mailbox selected makes the server
  // tell the mailbox's HIGHESTMODSEQ (as Dovecot does, before the command's own answer).
  if (MailboxView* v = view()) {
    co_await Send(absl::StrCat("* OK [HIGHESTMODSEQ ", v->modseq(), "] Highest\r\n"));
  }
}

imap::CommandReader::Limits Session::ReaderLimits() const {
  imap::CommandReader::Limits limits;
  limits.max_literal = config_.max_literal;
  if (config_.literal_minus) limits.max_nonsync_literal = 4096;  // RFC 7888 section 4
  if (config_.trace) limits.keep_wire_head = imap::kTraceMaxBytes;
  return limits;
}

void Session::Unauthenticate() {
  Deselect();
  login_token_.reset();  // the account's session slot
  session_state_ = NotAuthenticated{};
  login_deadline_ = std::chrono::steady_clock::now() + config_.login_timeout;
  enabled_ = EnabledExtensions{};
  need_poll_ = false;
  mailbox_gone_ = false;
  ClearNotify();
}

void Session::EnterSelected(std::unique_ptr<MailboxView> view) {
  Authenticated a = *auth();
  uint64_t handle = 0;
  if (watcher_) {
    std::weak_ptr<Session> weak = weak_from_this();
    auto ex = executor_;
    handle = watcher_->Subscribe(a.account_id, view->mailbox_id(), view->modseq(),
                                 [weak, ex](const state::v1::WatchEvent& ev) {
                                   asio::post(ex, [weak, ev] {
                                     if (auto self = weak.lock()) self->OnWatchEvent(ev);
                                   });
                                 });
  }
  MailboxSelected(a.account_id, view->mailbox_id());  // operations
  session_state_ = Selected{a, std::move(view), handle};
  RefreshMode();
  // Another session on this frontend may have subscribed the mailbox earlier, so the stream can
  // be past our snapshot: the first sync reads the log once to close that gap.
  need_poll_ = true;
}

void Session::OnWatchEvent(const state::v1::WatchEvent& ev) {
  MailboxView* v = view();
  if (!v || v->mailbox_id() != ev.mailbox_id() || auth()->account_id != ev.account_id()) return;
  if (ev.mailbox_gone()) {
    mailbox_gone_ = true;
  } else if (ev.resync()) {
    need_poll_ = true;
  } else if (ev.has_change()) {
    v->Enqueue(ev.change());
  }
  Wake();
}

void Session::Wake() {
  // One wake-up in the channel at a time. If the channel is full (it then holds other events,
  // which end the wait anyway), the flag stays clear so that the next Wake tries again; set
  // without a send, it would silence every later wake-up of this session.
  if (wake_pending_) return;
  wake_pending_ = events_.try_send(asio::error_code{}, Event{Event::kWake, {}, 0});
}

void Session::QueueOwnChange(const pb::Change& change) {
  if (MailboxView* v = view()) v->EnqueueOwn(change);
}

std::string Session::peer_address() const {
  std::string p = transport_->peer();  // "ADDRESS:PORT" ("[v6]:port" never: asio gives "v6:port")
  size_t colon = p.rfind(':');
  return colon == std::string::npos ? p : p.substr(0, colon);
}

bool Session::PlaintextAuthAllowed() const {
  return config_.allow_plaintext_auth || transport_->tls_active() ||
         (config_.loopback_is_secure && transport_->loopback());
}

std::string Session::Capabilities() const {
  // One capability a line, each advertised only when it works (issue 5).
  static constexpr const char* kAlways[] = {
      "IMAP4rev1",
      "IMAP4rev2",  // RFC 9051, in force once ENABLEd (EnabledExtensions::imap4rev2)
      "SASL-IR",
      "ID",
      "ENABLE",
      "IDLE",
      "NAMESPACE",
      "UNSELECT",
      "UIDPLUS",
      "MOVE",
      "CHILDREN",
      "SORT",
      "SORT=DISPLAY",
      "THREAD=ORDEREDSUBJECT",
      "THREAD=REFERENCES",
      "BINARY",
      "PREVIEW",
      "CONDSTORE",
      "QRESYNC",
      "UIDONLY",
      "ESEARCH",
      "SEARCHRES",
      "WITHIN",
      "SAVEDATE",
      "LIST-EXTENDED",
      "LIST-STATUS",
      "STATUS=SIZE",
      "SPECIAL-USE",
      "CREATE-SPECIAL-USE",
      "QUOTA",
      "QUOTA=RES-STORAGE",
      "QUOTA=RES-MESSAGE",
      "OBJECTID",
      "MULTIAPPEND",
  };
  std::string caps;
  for (const char* c : kAlways) absl::StrAppend(&caps, caps.empty() ? "" : " ", c);
  // RFC 7888: one or the other; LITERAL+ by default (what Dovecot advertises, and a LITERAL-
  // client works unchanged against it).
  absl::StrAppend(&caps, config_.literal_minus ? " LITERAL-" : " LITERAL+");
  if (std::holds_alternative<NotAuthenticated>(session_state_)) {
    if (transport_->can_start_tls()) absl::StrAppend(&caps, " STARTTLS");
    if (PlaintextAuthAllowed()) {
      absl::StrAppend(&caps, " AUTH=PLAIN");
      absl::StrAppend(&caps, " AUTH=LOGIN");
    } else {
      // Every mechanism we have is plaintext (RFC 9051 6.2.3, as Dovecot).
      absl::StrAppend(&caps, " LOGINDISABLED");
    }
  } else {
    absl::StrAppend(&caps, " UNAUTHENTICATE");
    absl::StrAppend(&caps, " UTF8=ACCEPT");
    absl::StrAppend(&caps, " COMPRESS=DEFLATE");  // still listed once active, as Dovecot
    absl::StrAppend(&caps, " NOTIFY");  // RFC 5465 (needs a login, as Dovecot lists it)
  }
  absl::StrAppend(&caps, " APPENDLIMIT=", config_.max_literal);
  return caps;
}

void Session::Trace(char who, std::string_view line) const {
  LogWith(spdlog::level::info, {{"session", id_}}, "trace {} {}: {}", transport_->peer(), who,
          line);
}

asio::awaitable<void> Session::Send(std::string_view data) {
  if (closed_ || data.empty()) co_return;
  if (config_.trace) {
    // A line each, the first few of a write (a FETCH of a big body is one write).
    std::string_view rest = data;
    for (int lines = 0; !rest.empty(); ++lines) {
      if (lines == 20) {
        Trace('S', absl::StrCat("... (", rest.size(), " more bytes)"));
        break;
      }
      size_t eol = rest.find("\r\n");
      std::string_view line = rest.substr(0, eol);
      Trace('S', imap::TracePrintable(line));
      rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 2);
    }
  }
  co_await transport_->Write(data);
}

asio::awaitable<void> Session::SendParts(std::span<const std::string_view> parts) {
  if (closed_ || parts.empty()) co_return;
  if (config_.trace) {  // traced as one write, as Send does
    std::string all;
    for (std::string_view p : parts) all.append(p);
    co_await Send(all);
    co_return;
  }
  co_await transport_->WriteParts(parts);
}

asio::awaitable<void> Session::Tagged(const imap::Command& cmd, std::string_view status,
                                      std::string_view text) {
  if (cmd.tag.empty()) co_return;  // notify: a FETCH the session runs for MessageNew
  last_status_.assign(status.data(), status.size());  // operations: command metrics
  std::string line;
  line.reserve(cmd.tag.size() + status.size() + text.size() + 4);
  line.append(cmd.tag).append(" ").append(status).append(" ").append(text).append("\r\n");
  co_await Send(line);
}

asio::awaitable<void> Session::Fail(const imap::Command& cmd, const absl::Status& status) {
  std::string_view code;
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      code = "[NONEXISTENT] ";
      break;
    case absl::StatusCode::kAlreadyExists:
      code = "[ALREADYEXISTS] ";
      break;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      if (absl::StrContains(status.message(), "another shard")) {  // sharding: a move (issue 7)
        co_await Tagged(cmd, "NO", absl::StrCat("[UNAVAILABLE] ", status.message()));
        co_return;
      }
      co_await Tagged(cmd, "NO", "[UNAVAILABLE] State service unavailable, try again later");
      co_return;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      code = "[AUTHENTICATIONFAILED] ";
      break;
    case absl::StatusCode::kResourceExhausted:
      code = IsOverQuota(status) ? "[OVERQUOTA] " : "[LIMIT] ";
      break;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
      code = "[CANNOT] ";
      break;
    default:
      LogWith(spdlog::level::err, {{"session", id_}}, "command {} failed: {}", cmd.name,
              status.ToString());
      co_await Tagged(cmd, "NO", "[SERVERBUG] Internal error");
      co_return;
  }
  std::string msg(status.message());
  for (char& c : msg) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  // Named, not a temporary: GCC 12 destroys conditional temporaries in co_await twice.
  std::string text(code);
  text += msg.empty() ? std::string("Failed") : msg;
  co_await Tagged(cmd, "NO", text);
}

asio::awaitable<void> Session::Sync(bool allow_expunge, bool poll) {
  MailboxView* v = view();
  if (!v) co_return;
  if (mailbox_gone_) {
    co_await Send("* BYE [CLOSED] The selected mailbox was deleted or renamed\r\n");
    logout_ = true;
    co_return;
  }
  if (!poll && !need_poll_) {
    co_await Emit(allow_expunge);
    co_return;
  }
  need_poll_ = false;
  pb::GetChangesRequest req;
  req.set_account_id(auth()->account_id);
  req.set_mailbox_id(v->mailbox_id());
  req.set_since_modseq(v->modseq());
  auto changes = co_await state_.GetChanges(req);
  if (changes.ok()) {
    if (changes->mailbox_gone()) {
      // The RFC gives no way to tell a client its mailbox vanished other than ending the session.
      co_await Send("* BYE [CLOSED] The selected mailbox was deleted or renamed\r\n");
      logout_ = true;
      co_return;
    }
    if (changes->resync()) {
      // The log no longer reaches back to our snapshot: read the mailbox again and let the
      // view turn the difference into ordinary changes.
      bool ok = co_await Resync();
      if (!ok) {
        co_await Send("* BYE [UNAVAILABLE] The mailbox changed beyond repair; please reselect\r\n");
        logout_ = true;
        co_return;
      }
      co_await Emit(allow_expunge);
      co_return;
    }
    for (const auto& c : changes->changes()) v->Enqueue(c);
  } else {
    // Try again at the next sync point, and apply nothing meanwhile: queued stream events may
    // be ahead of a change only the poll can bring, and the view's modseq must not pass it.
    need_poll_ = true;
    co_return;
  }
  co_await Emit(allow_expunge);
}

asio::awaitable<bool> Session::Resync() {
  MailboxView* v = view();
  pb::MailboxRef ref;
  ref.set_account_id(auth()->account_id);
  ref.set_name(v->name());
  ref.set_columns(true);
  auto fresh = co_await state_.Select(ref);
  if (!fresh.ok()) {
    if (fresh.status().code() == absl::StatusCode::kUnavailable) {
      need_poll_ = true;  // try again at the next sync point
      co_return true;
    }
    co_return false;
  }
  if (view() != v || fresh->info().mailbox_id() != v->mailbox_id()) co_return false;
  co_return v->Resync(*fresh);
}

asio::awaitable<void> Session::Emit(bool allow_expunge) {
  MailboxView* v = view();
  v->ApplyPending();
  if (!v->read_only() && v->MaxUid() > v->claimed_up_to()) co_await ClaimRecent();
  co_await Send(v->Render(allow_expunge));
}

asio::awaitable<void> Session::ClaimRecent() {
  MailboxView* v = view();
  uint32_t up_to = v->MaxUid();
  pb::ClaimRecentRequest req;
  req.set_account_id(auth()->account_id);
  req.set_mailbox_id(v->mailbox_id());
  req.set_up_to_uid(up_to);
  auto res = co_await state_.ClaimRecent(req);
  // Without an answer the messages are simply not \Recent here; try again next time.
  if (res.ok() && view() == v) v->MarkRecent(res->first_uid(), up_to);
}

asio::awaitable<void> Session::ReaderLoop() {
  auto self = shared_from_this();
  // The buffer is held while a read waits, i.e. for as long as the session is idle: a session
  // between commands (or in IDLE) keeps a small one, and a read that fills it (a literal, a
  // pipelined burst) moves to a large one until a read comes back short. Not zero-filled, so
  // the pages the kernel never writes into cost no memory.
  constexpr size_t kSmallRead = 1024;
  constexpr size_t kLargeRead = 16 * 1024;
  std::unique_ptr<char[]> buf;
  size_t capacity = 0;
  size_t wanted = kSmallRead;
  try {
    for (;;) {
      co_await want_read_.async_receive(asio::use_awaitable);
      if (capacity != wanted) {
        buf.reset(new char[wanted]);  // not value-initialized
        capacity = wanted;
      }
      size_t n = co_await transport_->ReadSome(asio::buffer(buf.get(), capacity));
      wanted = n == capacity ? kLargeRead : kSmallRead;
      // Named: GCC 12 destroys brace-initialized temporaries in co_await expressions twice.
      Event ev{Event::kData, std::string(buf.get(), n), 0};
      co_await events_.async_send(asio::error_code{}, std::move(ev), asio::use_awaitable);
    }
  } catch (const std::exception&) {
    events_.try_send(asio::error_code{}, Event{Event::kEof, {}, 0});
  }
}

asio::awaitable<Session::Wait> Session::WaitInput(std::chrono::milliseconds timeout) {
  if (!read_requested_) {
    want_read_.try_send(asio::error_code{}, true);
    read_requested_ = true;
  }
  uint64_t generation = ++timer_generation_;
  timer_.expires_after(timeout);
  std::weak_ptr<Session> weak = weak_from_this();
  timer_.async_wait([weak, generation](const asio::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) {
      self->events_.try_send(asio::error_code{}, Event{Event::kTimeout, {}, generation});
    }
  });
  for (;;) {
    Event ev = co_await events_.async_receive(asio::use_awaitable);
    switch (ev.kind) {
      case Event::kData:
        read_requested_ = false;
        timer_.cancel();
        reader_.Feed(ev.data);
        co_return Wait::kInput;
      case Event::kEof:
        timer_.cancel();
        throw asio::system_error(asio::error::eof);
      case Event::kWake:
        wake_pending_ = false;
        timer_.cancel();
        co_return Wait::kEvent;
      case Event::kTimeout:
        if (ev.generation != generation) continue;  // armed by an earlier wait
        co_return Wait::kTimeout;
    }
  }
}

asio::awaitable<bool> Session::WaitInputUntil(std::chrono::steady_clock::time_point deadline,
                                              bool wake_on_drain) {
  for (;;) {
    if (wake_on_drain && draining_) co_return false;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) co_return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) +
                std::chrono::milliseconds(1);
    if (co_await WaitInput(left) == Wait::kInput) co_return true;
  }
}

std::chrono::steady_clock::time_point Session::InputDeadline() const {
  if (std::holds_alternative<NotAuthenticated>(session_state_)) return login_deadline_;
  // Logged in: idle for this long since the last input.
  return std::chrono::steady_clock::now() + config_.idle_timeout;
}

asio::awaitable<std::optional<std::string>> Session::ReadLine() {
  for (;;) {
    if (auto line = reader_.NextLine()) co_return line;
    bool got = co_await WaitInputUntil(InputDeadline());
    if (!got) co_return std::nullopt;
  }
}

asio::awaitable<void> Session::Run() {
  auto self = shared_from_this();
  login_deadline_ = std::chrono::steady_clock::now() + config_.login_timeout;
  asio::co_spawn(executor_, ReaderLoop(), asio::detached);
  LogWith(spdlog::level::info, {{"session", id_}, {"peer", transport_->peer()}},
          "session started{}", transport_->tls_active() ? " (TLS)" : "");
  std::string end_reason = "logout";
  try {
    co_await Send(absl::StrCat("* OK [CAPABILITY ", Capabilities(), "] ", config_.server_name,
                               " ready.\r\n"));
    while (!logout_) {
      auto event = reader_.Next();
      if (std::holds_alternative<imap::CommandReader::NeedMore>(event)) {
        // Draining (operations): between commands with no command bytes pending, say BYE.
        const bool between_commands = reader_.between_commands();
        if (draining_ && between_commands) {
          co_await Send("* BYE Server shutting down\r\n");
          Metrics().drain_byes.Inc();
          end_reason = "drained";
          break;
        }
        bool got = co_await WaitCommandInput(InputDeadline(), /*wake_on_drain=*/between_commands);
        if (logout_) break;  // a notification ended the session (selected mailbox gone)
        if (!got && draining_ && between_commands) continue;  // operations: to the BYE above
        if (!got) {
          co_await Send("* BYE Autologout; idle for too long\r\n");
          break;
        }
      } else if (auto* lit = std::get_if<imap::CommandReader::NeedLiteral>(&event)) {
        // Sizes above the limit never reach here (the reader reports them as errors).
        reader_.AcceptLiteral();
        if (lit->synchronizing) co_await Send("+ OK\r\n");
      } else if (auto* parsed = std::get_if<imap::CommandReader::Parsed>(&event)) {
        if (config_.trace) {
          Trace('C', imap::TraceCommand(parsed->command, parsed->wire_head, parsed->wire_size));
        }
        co_await config_.dispatch(*this, parsed->command);
      } else if (auto* err = std::get_if<imap::CommandReader::Error>(&event)) {
        Metrics().commands.WithLabels({"UNPARSED", err->too_big ? "NO" : "BAD"}).Inc();
        if (err->nonsync_too_big) {
          co_await Send(absl::StrCat(err->tag, " BAD [TOOBIG] ", err->message, "\r\n"));
        } else if (err->too_big) {
          co_await Send(absl::StrCat(err->tag, " NO [TOOBIG] ", err->message, "\r\n"));
        } else {
          co_await Send(absl::StrCat(err->tag, " BAD ", err->message, "\r\n"));
        }
        if (err->fatal) {
          co_await Send("* BYE Protocol error\r\n");
          break;
        }
      }
    }
  } catch (const asio::system_error& e) {
    end_reason = e.code().message();
  } catch (const std::exception& e) {
    LogWith(spdlog::level::err, {{"session", id_}}, "session failed: {}", e.what());
    end_reason = "failed";
  }
  LogWith(spdlog::level::info, {{"session", id_}}, "session ended: {}", end_reason);
  closed_ = true;
  Deselect();
  ClearNotify();
  timer_.cancel();
  want_read_.close();
  events_.close();
  transport_->Close();
}

}  // namespace hadron::frontend

namespace hadron::frontend {

void Session::BeginDrain() {
  std::weak_ptr<Session> weak = weak_from_this();
  asio::post(executor_, [weak] {
    auto self = weak.lock();
    if (!self || self->draining_) return;
    self->draining_ = true;
    // Wakes a session waiting between commands or in IDLE; the events channel is the one way.
    self->Wake();
  });
}

}  // namespace hadron::frontend
