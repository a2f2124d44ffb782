// hadronctl: command line over the public Mail API (accounts, passwords, mailboxes, delivery).
#include <cctype>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "common/grpc_tls.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "grpcpp/grpcpp.h"
#include "hadron/mail/v1/mail.grpc.pb.h"

ABSL_FLAG(std::string, statesvc, "127.0.0.1:50051", "HOST:PORT of the state service");
ABSL_FLAG(std::string, password, "", "password for account add / account passwd");
ABSL_FLAG(std::string, mailbox, "INBOX", "mailbox for deliver");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA of the statesvc: talk to it over TLS");
ABSL_FLAG(std::string, tls_cert, "", "PEM client certificate (mTLS)");
ABSL_FLAG(std::string, tls_key, "", "PEM key of --tls_cert");
ABSL_FLAG(bool, allow_plaintext, false,
          "allow plaintext gRPC to a non-loopback statesvc (loopback is always allowed)");
ABSL_FLAG(int, timeout_seconds, 10, "deadline of each call");

namespace {

namespace mv = ::hadron::mail::v1;

constexpr int kExitUsage = 2;
constexpr int kExitExists = 3;
constexpr int kExitFailed = 1;

constexpr char kUsage[] =
    "usage: hadronctl [--statesvc=HOST:PORT] COMMAND\n"
    "  account add NAME --password P\n"
    "  account passwd NAME --password P\n"
    "  account del NAME\n"
    "  mailbox list NAME\n"
    "  mailbox create NAME MAILBOX\n"
    "  deliver NAME [--mailbox M] < message.eml\n"
    "  flags add|remove|set NAME UID[,UID...] [FLAG...] [--mailbox M]\n"
    "  expunge NAME UID[,UID...] [--mailbox M]\n"
    "  quota get NAME\n"
    "  quota set NAME [STORAGE=KIB] [MESSAGE=N]   (a resource left out: no limit)";

// "1,5,7" -> {1, 5, 7}; nullopt on anything else.
std::optional<std::vector<uint32_t>> ParseUids(const std::string& text) {
  std::vector<uint32_t> out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    uint32_t v = 0;
    if (!absl::SimpleAtoi(part, &v) || v == 0) return std::nullopt;
    out.push_back(v);
  }
  return out;
}

int Usage(const std::string& why) {
  std::fprintf(stderr, "hadronctl: %s\n%s\n", why.c_str(), kUsage);
  return kExitUsage;
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(absl::GetFlag(FLAGS_timeout_seconds)));
  ctx->set_wait_for_ready(false);
  return ctx;
}

int RpcError(const grpc::Status& s) {
  std::string msg = s.error_message();
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE || s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    msg = "cannot reach statesvc at " + absl::GetFlag(FLAGS_statesvc) + ": " + msg;
  }
  for (char& c : msg) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::fprintf(stderr, "hadronctl: %s\n", msg.c_str());
  return kExitFailed;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> raw = absl::ParseCommandLine(argc, argv);
  std::vector<std::string> args(raw.begin() + 1, raw.end());
  if (args.empty()) return Usage("no command");
  if (absl::GetFlag(FLAGS_timeout_seconds) <= 0) return Usage("--timeout_seconds must be positive");

  grpc::ChannelArguments channel_args;
  channel_args.SetMaxSendMessageSize(64 << 20);
  channel_args.SetMaxReceiveMessageSize(64 << 20);
  hadron::GrpcTlsConfig tls;
  tls.ca = absl::GetFlag(FLAGS_tls_ca);
  tls.cert = absl::GetFlag(FLAGS_tls_cert);
  tls.key = absl::GetFlag(FLAGS_tls_key);
  tls.allow_plaintext = absl::GetFlag(FLAGS_allow_plaintext);
  auto credentials = hadron::GrpcChannelCredentials(tls, absl::GetFlag(FLAGS_statesvc));
  if (!credentials.ok()) return Usage(std::string(credentials.status().message()));
  auto channel =
      grpc::CreateCustomChannel(absl::GetFlag(FLAGS_statesvc), *credentials, channel_args);
  auto mail = mv::Mail::NewStub(channel);

  const std::string& cmd = args[0];
  const std::string sub = args.size() > 1 ? args[1] : "";
  if (cmd == "account" && (sub == "add" || sub == "passwd")) {
    if (args.size() != 3) return Usage("account " + sub + " takes one NAME");
    const std::string password = absl::GetFlag(FLAGS_password);
    if (password.empty()) return Usage("--password is required");
    mv::Empty empty;
    if (sub == "add") {
      mv::CreateAccountRequest req;
      req.set_name(args[2]);
      req.set_password(password);
      mv::CreateAccountResponse resp;
      grpc::Status s = mail->CreateAccount(Context().get(), req, &resp);
      if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
        std::fprintf(stderr, "hadronctl: account %s already exists\n", args[2].c_str());
        return kExitExists;
      }
      if (!s.ok()) return RpcError(s);
      std::printf("account %s created (id %llu)\n", args[2].c_str(),
                  static_cast<unsigned long long>(resp.account_id()));
      return 0;
    }
    mv::SetPasswordRequest req;
    req.set_name(args[2]);
    req.set_password(password);
    grpc::Status s = mail->SetPassword(Context().get(), req, &empty);
    if (!s.ok()) return RpcError(s);
    std::printf("password of %s changed\n", args[2].c_str());
    return 0;
  }
  if (cmd == "account" && sub == "del") {
    if (args.size() != 3) return Usage("account del takes one NAME");
    mv::DeleteAccountRequest req;
    req.set_name(args[2]);
    mv::Empty empty;
    grpc::Status s = mail->DeleteAccount(Context().get(), req, &empty);
    if (!s.ok()) return RpcError(s);
    std::printf("account %s deleted\n", args[2].c_str());
    return 0;
  }
  if (cmd == "mailbox" && sub == "list") {
    if (args.size() != 3) return Usage("mailbox list takes one NAME");
    mv::ListMailboxesRequest req;
    req.set_account(args[2]);
    mv::ListMailboxesResponse resp;
    grpc::Status s = mail->ListMailboxes(Context().get(), req, &resp);
    if (!s.ok()) return RpcError(s);
    for (const auto& m : resp.mailboxes()) {
      std::printf("%s\tmessages=%u unseen=%u size=%llu uidvalidity=%u uidnext=%u%s%s\n",
                  m.name().c_str(), m.messages(), m.unseen(),
                  static_cast<unsigned long long>(m.size()), m.uid_validity(), m.uid_next(),
                  m.special_use().empty() ? "" : " ", m.special_use().c_str());
    }
    return 0;
  }
  if (cmd == "mailbox" && sub == "create") {
    if (args.size() != 4) return Usage("mailbox create takes NAME MAILBOX");
    mv::CreateMailboxRequest req;
    req.set_account(args[2]);
    req.set_name(args[3]);
    mv::Empty empty;
    grpc::Status s = mail->CreateMailbox(Context().get(), req, &empty);
    if (!s.ok()) return RpcError(s);
    std::printf("mailbox %s created\n", args[3].c_str());
    return 0;
  }
  if (cmd == "deliver") {
    if (args.size() != 2) return Usage("deliver takes one NAME (message on stdin)");
    std::string message((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (message.empty()) return Usage("no message on standard input");
    mv::DeliverRequest req;
    req.set_account(args[1]);
    req.set_mailbox(absl::GetFlag(FLAGS_mailbox));
    req.set_message(std::move(message));
    mv::DeliverResponse resp;
    grpc::Status s = mail->Deliver(Context().get(), req, &resp);
    if (!s.ok()) return RpcError(s);
    std::printf("%u\n", resp.uid());
    return 0;
  }
  if (cmd == "flags" && (sub == "add" || sub == "remove" || sub == "set")) {
    if (args.size() < 4) return Usage("flags " + sub + " takes NAME UIDS [FLAG...]");
    auto uids = ParseUids(args[3]);
    if (!uids) return Usage("bad UID list " + args[3]);
    mv::SetFlagsRequest req;
    req.set_account(args[2]);
    req.set_mailbox(absl::GetFlag(FLAGS_mailbox));
    req.set_op(sub == "add" ? mv::SetFlagsRequest::ADD
                            : sub == "remove" ? mv::SetFlagsRequest::REMOVE : mv::SetFlagsRequest::REPLACE);
    for (uint32_t u : *uids) req.add_uids(u);
    for (size_t i = 4; i < args.size(); ++i) req.add_flags(args[i]);
    mv::SetFlagsResponse resp;
    grpc::Status s = mail->SetFlags(Context().get(), req, &resp);
    if (!s.ok()) return RpcError(s);
    std::printf("%d message(s) changed\n", resp.changed_size());
    return 0;
  }
  if (cmd == "expunge") {
    if (args.size() != 3) return Usage("expunge takes NAME UIDS");
    auto uids = ParseUids(args[2]);
    if (!uids) return Usage("bad UID list " + args[2]);
    mv::ExpungeRequest req;
    req.set_account(args[1]);
    req.set_mailbox(absl::GetFlag(FLAGS_mailbox));
    for (uint32_t u : *uids) req.add_uids(u);
    mv::ExpungeResponse resp;
    grpc::Status s = mail->Expunge(Context().get(), req, &resp);
    if (!s.ok()) return RpcError(s);
    std::printf("%d message(s) expunged\n", resp.expunged_size());
    return 0;
  }
  if (cmd == "quota" && (sub == "get" || sub == "set")) {
    if (args.size() < 3 || (sub == "get" && args.size() != 3)) {
      return Usage("quota " + sub + " takes NAME" + (sub == "set" ? " [STORAGE=KIB] [MESSAGE=N]" : ""));
    }
    mv::Quota resp;
    grpc::Status s;
    if (sub == "get") {
      mv::GetQuotaRequest req;
      req.set_account(args[2]);
      s = mail->GetQuota(Context().get(), req, &resp);
    } else {
      mv::SetQuotaRequest req;
      req.set_account(args[2]);
      for (size_t i = 3; i < args.size(); ++i) {
        std::vector<std::string> kv = absl::StrSplit(args[i], absl::MaxSplits('=', 1));
        uint64_t v = 0;
        if (kv.size() != 2 || !absl::SimpleAtoi(kv[1], &v)) return Usage("bad limit " + args[i]);
        std::string name = kv[0];
        for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (name == "STORAGE") {
          req.set_storage_limit_kib(v);
        } else if (name == "MESSAGE") {
          req.set_message_limit(v);
        } else {
          return Usage("unknown quota resource " + kv[0] + " (STORAGE or MESSAGE)");
        }
      }
      s = mail->SetQuota(Context().get(), req, &resp);
    }
    if (!s.ok()) return RpcError(s);
    const std::string storage_limit =
        resp.has_storage_limit_kib() ? std::to_string(resp.storage_limit_kib()) : "none";
    const std::string message_limit =
        resp.has_message_limit() ? std::to_string(resp.message_limit()) : "none";
    std::printf("storage_used_bytes=%llu storage_limit_kib=%s messages_used=%llu message_limit=%s\n",
                static_cast<unsigned long long>(resp.storage_used()), storage_limit.c_str(),
                static_cast<unsigned long long>(resp.messages_used()), message_limit.c_str());
    return 0;
  }
  return Usage("unknown command " + cmd);
}
