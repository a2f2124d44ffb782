#include "tools/hadronctl/ctl.h"

#include <chrono>
#include <cstdio>
#include <map>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/grpc_tls.h"
#include "common/shard/ring.h"

namespace hadronctl {
namespace {

hadron::GrpcTlsConfig TlsFromFlags() {
  hadron::GrpcTlsConfig tls;
  tls.ca = absl::GetFlag(FLAGS_tls_ca);
  tls.cert = absl::GetFlag(FLAGS_tls_cert);
  tls.key = absl::GetFlag(FLAGS_tls_key);
  tls.allow_plaintext = absl::GetFlag(FLAGS_allow_plaintext);
  return tls;
}

// target -> stub
std::map<std::string, std::unique_ptr<mv::Mail::Stub>>& Stubs() {
  static auto* stubs = new std::map<std::string, std::unique_ptr<mv::Mail::Stub>>();
  return *stubs;
}

mv::Mail::Stub* StubFor(const std::string& target) {
  auto& stubs = Stubs();
  auto it = stubs.find(target);
  if (it != stubs.end()) return it->second.get();
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxSendMessageSize(64 << 20);
  channel_args.SetMaxReceiveMessageSize(64 << 20);
  auto credentials = hadron::GrpcChannelCredentials(TlsFromFlags(), target);
  // InitChannels checked the credentials; an error here is a bug, but fall back to insecure
  // would be wrong: abort loudly.
  if (!credentials.ok()) {
    std::fprintf(stderr, "hadronctl: %s\n", std::string(credentials.status().message()).c_str());
    std::exit(kExitUsage);
  }
  auto stub = mv::Mail::NewStub(grpc::CreateCustomChannel(target, *credentials, channel_args));
  auto* raw = stub.get();
  stubs.emplace(target, std::move(stub));
  return raw;
}

}  // namespace

// Sharding (issue 7): --statesvc is the ordered shard list; common/shard/ring.h places accounts.
const hadron::shard::ShardRing& Ring() {
  static const auto* ring = new hadron::shard::ShardRing([] {
    auto r = hadron::shard::ShardRing::Parse(absl::GetFlag(FLAGS_statesvc));
    return r.ok() ? *r : hadron::shard::ShardRing({absl::GetFlag(FLAGS_statesvc)});
  }());
  return *ring;
}

absl::Status InitChannels() {
  auto ring = hadron::shard::ShardRing::Parse(absl::GetFlag(FLAGS_statesvc));
  if (!ring.ok()) return absl::InvalidArgumentError("--statesvc: " + std::string(ring.status().message()));
  for (const auto& address : ring->addresses()) {
    auto credentials = hadron::GrpcChannelCredentials(TlsFromFlags(), address);
    if (!credentials.ok()) return credentials.status();
  }
  return absl::OkStatus();
}

const hadron::shard::ShardRing& ShardList() { return Ring(); }

mv::Mail::Stub* MailFor(const std::string& account) {
  return StubFor(Ring().AddressOf(account));
}

std::unique_ptr<grpc::ClientContext> CallContext(bool with_deadline) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (with_deadline) {
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(absl::GetFlag(FLAGS_timeout_seconds)));
  }
  ctx->set_wait_for_ready(false);
  return ctx;
}

int RpcError(const grpc::Status& s) {
  std::string msg = s.error_message();
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
      s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    msg = "cannot reach statesvc at " + absl::GetFlag(FLAGS_statesvc) + ": " + msg;
  }
  for (char& c : msg) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::fprintf(stderr, "hadronctl: %s\n", msg.c_str());
  return kExitFailed;
}

std::optional<std::vector<uint32_t>> ParseUids(const std::string& text) {
  std::vector<uint32_t> out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    uint32_t v = 0;
    if (!absl::SimpleAtoi(part, &v) || v == 0) return std::nullopt;
    out.push_back(v);
  }
  return out;
}

}  // namespace hadronctl
