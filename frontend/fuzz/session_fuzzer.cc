// libFuzzer entry for a whole IMAP session (issue 6: "the IMAP command parser in every session
// state"): the real frontend Session and command table over an in-memory transport, against the
// real state service in-process (Store on RocksDB in a temporary directory, InProcessState).
//
// Input: the first byte chooses the session state and the delivery; the rest is what the
// client sends, after a fixed prefix that brings the session into that state.
//   bits 0-3  state (kStates below): not authenticated, authenticated, selected read-write,
//             EXAMINEd, IDLE (selected or not), after ENABLE CONDSTORE / QRESYNC / UTF8=ACCEPT /
//             IMAP4rev2 / UIDONLY, under COMPRESS=DEFLATE (the input is then deflated by the
//             harness, so the fuzzer still writes plain IMAP), an empty mailbox, ...
//   bit 4     LITERAL- instead of LITERAL+ (SessionConfig::literal_minus)
//   bit 5     protocol trace on (the redacting trace formatter runs; the log itself is off)
//   bits 5-7  the size of each read the transport returns (kChunks), so commands, literals and
//             the COMPRESS switch are split at every place
// Each input gets a fresh account "fuzz" (password "pw") with mailboxes and messages; a second
// account "victim" lives for the whole run and must never change (isolation). The session ends
// when the input is used up (EOF). Besides sanitizer reports, the harness aborts when
//   - the session does not finish after EOF (hang),
//   - a mailbox subscription outlives its session,
//   - the victim account's mailboxes or messages changed,
//   - HADRON_FUZZ_STRICT is set and a response says [SERVERBUG] (an internal error).
//
// Build and run: tests/fuzz/run.sh (bazel --config=fuzz //frontend/fuzz:session_fuzzer).
// The seed corpus (session_corpus/, one file per state) and dictionary (session.dict) also run
// as the ordinary test //frontend/fuzz:session_fuzzer_test.
#include <zlib.h>

#include <array>
#include <map>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "asio/co_spawn.hpp"
#include "asio/detached.hpp"
#include "asio/io_context.hpp"
#include "asio/post.hpp"
#include "asio/this_coro.hpp"
#include "asio/use_awaitable.hpp"
#include "frontend/commands/commands.h"
#include "frontend/fuzz/inprocess_state.h"
#include "frontend/limits/connection_limits.h"
#include "frontend/session/session.h"
#include "frontend/session/snapshot_cache.h"
#include "google/protobuf/stubs/logging.h"
#include "spdlog/spdlog.h"

namespace hadron::frontend::fuzz {
namespace {

// --- the account every input starts from -------------------------------------------------

constexpr char kPlain[] =
    "Return-Path: <alice@example.com>\r\n"
    "From: Alice <alice@example.com>\r\n"
    "To: Bob <bob@example.org>, carol@example.net\r\n"
    "Cc: \"Dave, Jr.\" <dave@example.com>\r\n"
    "Subject: Hello there\r\n"
    "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
    "Message-ID: <1@example.com>\r\n"
    "\r\n"
    "Body text line one\r\n"
    "line two, with some words to search for: invoice budget\r\n";

constexpr char kAlternative[] =
    "From: =?UTF-8?B?SsO8cmdlbg==?= <juergen@example.de>\r\n"
    "To: bob@example.org\r\n"
    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=\r\n"
    "Date: Tue, 8 Feb 1994 10:00:00 +0100\r\n"
    "Message-ID: <2@example.de>\r\n"
    "In-Reply-To: <1@example.com>\r\n"
    "References: <1@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/alternative; boundary=\"b1\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Gr=C3=BC=C3=9Fe, Bob!\r\n"
    "--b1\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<p>Gr\xc3\xbc\xc3\x9f" "e, <b>Bob</b>!</p>\r\n"
    "--b1--\r\n"
    "epilogue\r\n";

constexpr char kMixed[] =
    "From: Carol <carol@example.net>\r\n"
    "To: Alice <alice@example.com>\r\n"
    "Subject: Re: Hello there [report attached]\r\n"
    "Date: Wed, 9 Feb 1994 08:00:00 +0000\r\n"
    "Message-ID: <3@example.net>\r\n"
    "References: <1@example.com> <2@example.de>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=outer\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "See the attachments.\r\n"
    "--outer\r\n"
    "Content-Type: application/octet-stream; name=\"data.bin\"\r\n"
    "Content-Disposition: attachment; filename=\"data.bin\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: inner@example.com\r\n"
    "Subject: Forwarded\r\n"
    "Content-Type: multipart/mixed; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "inner text\r\n"
    "--inner--\r\n"
    "--outer--\r\n";

constexpr char kBroken[] =
    "From: nobody\r\n"
    "Subject: \r\n"
    "Content-Type: multipart/mixed; boundary=\"never-closed\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "--never-closed\r\n"
    "Content-Type: text/plain; charset=\"unknown-8bit\"\r\n"
    "\r\n"
    "\xff\xfe bytes that are not UTF-8\r\n";

constexpr char kHeaderOnly[] = "Subject: only a header\r\n";

struct Seed {
  const char* mailbox;
  const char* raw;
  uint32_t flags;
  std::vector<std::string> keywords;
};

// Mailbox names as the store keeps them: modified UTF-7 ("Entw&APw-rfe" is "Entwürfe").
// kSeen = 1, kAnswered = 2, kFlagged = 4, kDeleted = 8, kDraft = 16 (statesvc/store/types.h).
const std::vector<Seed>& Seeds() {
  static const auto* seeds = new std::vector<Seed>{
      {"INBOX", kPlain, 1, {}},
      {"INBOX", kAlternative, 0, {"$Forwarded"}},
      {"INBOX", kHeaderOnly, 8, {}},  // expunged below: a gap in the UIDs
      {"INBOX", kMixed, 1 | 4, {"$Label1", "Junk"}},
      {"INBOX", kBroken, 8, {}},
      {"INBOX", kPlain, 2 | 16, {"$MDNSent"}},
      {"Archive/2024", kMixed, 1, {}},
      {"Archive/2024", kAlternative, 1, {}},
      {"Sent", kPlain, 1, {}},
      {"Entw&APw-rfe", kHeaderOnly, 16, {}},
  };
  return *seeds;
}

struct Account {
  uint64_t id = 0;
  uint32_t inbox_uid_validity = 0;
  uint64_t inbox_modseq = 0;
};

absl::StatusOr<Account> MakeAccount(store::Store& st, const std::string& name,
                                    const std::string& password) {
  auto id = st.CreateAccount(name, password);
  if (!id.ok()) return id.status();
  Account a;
  a.id = *id;
  for (const char* mb : {"Archive/2024", "Entw&APw-rfe", "Shared/Team/Plans"}) {
    auto r = st.CreateMailbox(a.id, mb);
    if (!r.ok()) return r.status();
  }
  auto sub = st.SetSubscribed(a.id, "Archive/2024", true);
  if (!sub.ok()) return sub;
  int64_t date = 760000000;
  for (const Seed& s : Seeds()) {
    store::Flags flags;
    flags.system = s.flags;
    flags.keywords = s.keywords;
    auto r = st.Append(a.id, s.mailbox, flags, date, -480, s.raw);
    if (!r.ok()) return r.status();
    date += 86400;
  }
  auto inbox = st.GetMailbox(a.id, "INBOX");
  if (!inbox.ok()) return inbox.status();
  std::vector<uint32_t> gone = {3};
  auto ex = st.Expunge(a.id, inbox->id, gone, /*restrict_to_uids=*/true, /*force=*/true);
  if (!ex.ok()) return ex.status();
  store::QuotaLimits quota;
  quota.storage_kib = 512;
  quota.messages = 200;
  auto q = st.SetQuota(a.id, quota);
  if (!q.ok()) return q;
  inbox = st.GetMailbox(a.id, "INBOX");
  if (!inbox.ok()) return inbox.status();
  a.inbox_uid_validity = inbox->uid_validity;
  a.inbox_modseq = inbox->highest_modseq;
  return a;
}

// What must not change in the victim account: its mailboxes and their contents.
std::string Fingerprint(store::Store& st, uint64_t account) {
  auto list = st.ListMailboxes(account);
  if (!list.ok()) return "error: " + list.status().ToString();
  std::string out;
  for (const auto& m : *list) {
    absl::StrAppend(&out, m.name, " ", m.uid_validity, " ", m.uid_next, " ", m.highest_modseq, " ",
                    m.messages, " ", m.size, "\n");
  }
  return out;
}

// --- the process-wide state service ------------------------------------------------------

struct World {
  std::unique_ptr<testing::InProcessState> state;
  uint64_t victim = 0;
  std::string victim_print;
  std::shared_ptr<SnapshotCache> snapshots = std::make_shared<SnapshotCache>();
  std::shared_ptr<ConnectionLimits> limits;
  bool strict = false;
  uint64_t runs = 0;
};

World* g_world = nullptr;

void DestroyWorld() {
  if (!g_world) return;
  g_world->state.reset();  // closes RocksDB and removes its directory
}

World& GetWorld() {
  if (g_world) return *g_world;
  spdlog::set_level(std::getenv("HADRON_FUZZ_LOG") ? spdlog::level::info : spdlog::level::off);
  // proto3 logs every non-UTF-8 string it refuses; the refusal itself is what matters.
  google::protobuf::SetLogHandler(nullptr);
  auto* w = new World();
  auto st = testing::InProcessState::Create();
  if (!st.ok()) {
    fprintf(stderr, "session_fuzzer: cannot start the state service: %s\n",
            st.status().ToString().c_str());
    abort();
  }
  w->state = std::move(*st);
  auto victim = MakeAccount(w->state->store(), "victim", "not-the-fuzz-password-7Hq2");
  if (!victim.ok()) {
    fprintf(stderr, "session_fuzzer: cannot make the victim: %s\n",
            victim.status().ToString().c_str());
    abort();
  }
  w->victim = victim->id;
  w->victim_print = Fingerprint(w->state->store(), w->victim);
  ConnectionLimits::Options lo;
  lo.per_account = 3;
  w->limits = ConnectionLimits::Create(lo);
  w->strict = std::getenv("HADRON_FUZZ_STRICT") != nullptr;
  g_world = w;
  atexit(DestroyWorld);
  return *w;
}

// --- the client side ---------------------------------------------------------------------

// Raw deflate (RFC 1951) of `in`, sync-flushed, as a COMPRESS=DEFLATE client sends it.
std::string Deflate(std::string_view in) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    abort();
  }
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  char buf[4096];
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    deflate(&z, Z_SYNC_FLUSH);
    out.append(buf, sizeof(buf) - z.avail_out);
  } while (z.avail_out == 0);
  deflateEnd(&z);
  return out;
}

// What the harness learns from the server's output (which is otherwise dropped).
struct Observed {
  size_t written = 0;
  std::map<std::string, std::string> prefix_status;  // tag of a prefix command -> OK/NO/BAD
  bool serverbug = false;
  bool echo = false;  // HADRON_FUZZ_ECHO: copy the output to stderr
};

// The client: hands out `input` in reads of at most `chunk` bytes, then EOF. Output is
// counted, checked for the prefix's tagged answers (tags "P1X".."P4X") and dropped.
class FuzzTransport final : public Transport {
 public:
  FuzzTransport(std::string input, size_t chunk, Observed* observed)
      : input_(std::move(input)), chunk_(chunk), observed_(observed) {}

  asio::awaitable<size_t> ReadSome(asio::mutable_buffer buf) override {
    // Reads complete later, from the executor, as socket reads do.
    auto ex = co_await asio::this_coro::executor;
    co_await asio::post(ex, asio::use_awaitable);
    if (closed_ || pos_ >= input_.size()) throw asio::system_error(asio::error::eof);
    size_t n = std::min({buf.size(), chunk_, input_.size() - pos_});
    memcpy(buf.data(), input_.data() + pos_, n);
    pos_ += n;
    co_return n;
  }

  asio::awaitable<void> Write(std::string_view data) override {
    if (closed_) throw asio::system_error(asio::error::broken_pipe);
    observed_->written += data.size();
    if (observed_->echo) fwrite(data.data(), 1, data.size(), stderr);
    // Session::Tagged writes one line at a time.
    if (data.size() > 6 && data[0] == 'P' && data[2] == 'X' && data[3] == ' ') {
      std::string_view rest = data.substr(4);
      observed_->prefix_status[std::string(data.substr(0, 3))] =
          std::string(rest.substr(0, rest.find(' ')));
    }
    if (data.find("[SERVERBUG]") != std::string_view::npos) observed_->serverbug = true;
    co_return;
  }

  bool tls_active() const override { return false; }
  bool can_start_tls() const override { return false; }
  asio::awaitable<absl::Status> StartTls() override {
    co_return absl::UnavailableError("no TLS in the fuzzer");
  }
  void Close() override { closed_ = true; }
  std::string peer() const override { return "127.0.0.1:14300"; }
  bool loopback() const override { return true; }

 private:
  std::string input_;
  size_t chunk_;
  size_t pos_ = 0;
  bool closed_ = false;
  Observed* observed_;
};

// The tags of the plain-text prefix commands that must answer OK (IDLE answers only at DONE).
std::vector<std::string> ExpectedOk(std::string_view plain_prefix) {
  std::vector<std::string> tags;
  while (!plain_prefix.empty()) {
    size_t eol = plain_prefix.find("\r\n");
    std::string_view line = plain_prefix.substr(0, eol);
    if (line.size() > 4 && line[0] == 'P' && line[2] == 'X' && line.substr(3) != " IDLE") {
      tags.emplace_back(line.substr(0, 3));
    }
    if (eol == std::string_view::npos) break;
    plain_prefix.remove_prefix(eol + 2);
  }
  return tags;
}

// The states (bits 0-3 of the first byte): the plain prefix, and the prefix sent compressed
// (after COMPRESS DEFLATE; then the fuzz input is compressed too).
struct State {
  const char* name;
  bool compress;
  std::string (*prefix)(const Account&);
};

std::string Login() { return "P1X LOGIN fuzz pw\r\n"; }

constexpr size_t kStates = 16;
const std::array<State, kStates> kStateTable = {{
    {"not authenticated", false, [](const Account&) { return std::string(); }},
    {"authenticated", false, [](const Account&) { return Login(); }},
    {"selected", false, [](const Account&) { return Login() + "P2X SELECT INBOX\r\n"; }},
    {"examined", false, [](const Account&) { return Login() + "P2X EXAMINE INBOX\r\n"; }},
    {"selected, IDLE", false,
     [](const Account&) { return Login() + "P2X SELECT INBOX\r\nP3X IDLE\r\n"; }},
    {"authenticated, IDLE", false, [](const Account&) { return Login() + "P2X IDLE\r\n"; }},
    {"CONDSTORE", false,
     [](const Account&) {
       return Login() + "P2X ENABLE CONDSTORE\r\nP3X SELECT INBOX (CONDSTORE)\r\n";
     }},
    {"QRESYNC", false,
     [](const Account& a) {
       return absl::StrCat(Login(), "P2X ENABLE QRESYNC\r\nP3X SELECT INBOX (QRESYNC (",
                           a.inbox_uid_validity, " 1 1:10))\r\n");
     }},
    {"UTF8=ACCEPT", false,
     [](const Account&) {
       return Login() + "P2X ENABLE UTF8=ACCEPT\r\nP3X SELECT \"Entw\xc3\xbcrfe\"\r\n";
     }},
    {"IMAP4rev2", false,
     [](const Account&) { return Login() + "P2X ENABLE IMAP4rev2\r\nP3X SELECT INBOX\r\n"; }},
    {"COMPRESS, selected", true, [](const Account&) { return std::string("P3X SELECT INBOX\r\n"); }},
    {"UIDONLY", false,
     [](const Account&) { return Login() + "P2X ENABLE UIDONLY\r\nP3X SELECT INBOX\r\n"; }},
    {"empty mailbox", false, [](const Account&) { return Login() + "P2X SELECT Trash\r\n"; }},
    {"AUTHENTICATE, everything enabled", false,
     [](const Account&) {
       // SASL-IR: base64 of "\0fuzz\0pw".
       return std::string(
           "P1X AUTHENTICATE PLAIN AGZ1enoAcHc=\r\n"
           "P2X ENABLE CONDSTORE QRESYNC UTF8=ACCEPT IMAP4rev2\r\n"
           "P3X SELECT Archive/2024\r\n");
     }},
    {"COMPRESS, authenticated", true, [](const Account&) { return std::string(); }},
    {"QRESYNC, examined, IDLE", false,
     [](const Account& a) {
       return absl::StrCat(Login(), "P2X ENABLE QRESYNC\r\nP3X EXAMINE INBOX (QRESYNC (",
                           a.inbox_uid_validity, " ", a.inbox_modseq, "))\r\nP4X IDLE\r\n");
     }},
}};

constexpr std::array<size_t, 8> kChunks = {1, 16384, 4096, 13, 2, 7, 64, 512};

}  // namespace
}  // namespace hadron::frontend::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hadron::frontend;
  using namespace hadron::frontend::fuzz;
  if (size == 0) return 0;
  World& w = GetWorld();
  ++w.runs;
  const uint8_t control = data[0];
  const State& state = kStateTable[control & 0x0f];
  std::string_view fuzz(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto account = MakeAccount(w.state->store(), "fuzz", "pw");
  if (!account.ok()) {
    fprintf(stderr, "session_fuzzer: cannot make the account: %s\n",
            account.status().ToString().c_str());
    abort();
  }

  std::string wire;
  std::vector<std::string> expect_ok;
  if (state.compress) {
    wire = Login() + "P2X COMPRESS DEFLATE\r\n";
    expect_ok = ExpectedOk(wire);  // what follows is compressed both ways
    std::string rest = state.prefix(*account);
    rest.append(fuzz);
    wire += Deflate(rest);
  } else {
    wire = state.prefix(*account);
    expect_ok = ExpectedOk(wire);
    wire.append(fuzz);
  }

  SessionConfig config;
  config.dispatch = &DispatchCommand;
  config.literal_minus = (control & 0x10) != 0;
  config.trace = (control & 0x20) != 0;
  config.snapshots = w.snapshots;
  config.limits = w.limits;

  Observed observed;
  observed.echo = std::getenv("HADRON_FUZZ_ECHO") != nullptr;
  {
    asio::io_context io;
    auto transport =
        std::make_unique<FuzzTransport>(std::move(wire), kChunks[control >> 5], &observed);
    auto session = std::make_shared<Session>(io.get_executor(), std::move(transport),
                                             w.state->client(), &w.state->watcher(), config);
    asio::co_spawn(io, session->Run(), asio::detached);
    io.run_for(std::chrono::seconds(20));
    if (!io.stopped()) {
      fprintf(stderr, "session_fuzzer: the session did not end after EOF (state: %s)\n",
              state.name);
      abort();
    }
  }
  // The prefix is fixed and the account fresh: a prefix command that fails means the harness no
  // longer reaches its state (or the server broke), and fuzzing that state would be pointless.
  for (const std::string& tag : expect_ok) {
    auto it = observed.prefix_status.find(tag);
    if (it == observed.prefix_status.end() || it->second != "OK") {
      fprintf(stderr, "session_fuzzer: prefix command %s of state \"%s\" answered %s\n",
              tag.c_str(), state.name,
              it == observed.prefix_status.end() ? "nothing" : it->second.c_str());
      abort();
    }
  }
  if (w.state->open_watches() != 0) {
    fprintf(stderr, "session_fuzzer: %zu mailbox subscription(s) outlived the session\n",
            w.state->open_watches());
    abort();
  }
  auto del = w.state->store().DeleteAccount("fuzz");
  if (!del.ok()) {
    fprintf(stderr, "session_fuzzer: cannot delete the account: %s\n", del.ToString().c_str());
    abort();
  }
  std::string print = Fingerprint(w.state->store(), w.victim);
  if (print != w.victim_print) {
    fprintf(stderr, "session_fuzzer: the victim account changed (state: %s)\nbefore:\n%safter:\n%s",
            state.name, w.victim_print.c_str(), print.c_str());
    abort();
  }
  if (w.strict && observed.serverbug) {
    fprintf(stderr, "session_fuzzer: [SERVERBUG] in the answers (HADRON_FUZZ_STRICT)\n");
    abort();
  }
  return 0;
}
