// hadronctl's shared context: the flags every command may read, the Mail stub of an account
// (the one place that knows which state service holds an account), call deadlines, errors.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "common/shard/ring.h"
#include "grpcpp/grpcpp.h"
#include "hadron/mail/v1/mail.grpc.pb.h"

// Defined in main.cc.
ABSL_DECLARE_FLAG(std::string, statesvc);
ABSL_DECLARE_FLAG(std::string, password);
ABSL_DECLARE_FLAG(std::string, mailbox);
ABSL_DECLARE_FLAG(std::string, tls_ca);
ABSL_DECLARE_FLAG(std::string, tls_cert);
ABSL_DECLARE_FLAG(std::string, tls_key);
ABSL_DECLARE_FLAG(bool, allow_plaintext);
ABSL_DECLARE_FLAG(int, timeout_seconds);
ABSL_DECLARE_FLAG(std::string, cursor);
ABSL_DECLARE_FLAG(int, max_changes);

namespace hadronctl {

namespace mv = ::hadron::mail::v1;

constexpr int kExitUsage = 2;
constexpr int kExitExists = 3;
constexpr int kExitFailed = 1;

// A command group: args[0] is the group's name, the rest its words (flags already parsed).
using CommandFn = int (*)(const std::vector<std::string>& args);

// Checks the transport flags (TLS, plaintext policy) before any command runs.
absl::Status InitChannels();

// The ordered shard list of --statesvc (sharding, issue 7).
const hadron::shard::ShardRing& ShardList();

// The Mail stub serving `account`: the shard that owns it. Stubs and channels are made once and
// cached.
mv::Mail::Stub* MailFor(const std::string& account);

// A client context with the --timeout_seconds deadline (nullopt deadline: no deadline, for
// streams that run as long as they need).
std::unique_ptr<grpc::ClientContext> CallContext(bool with_deadline = true);

// Prints a one-line error for a failed call; returns the exit code.
int RpcError(const grpc::Status& s);

// Prints "hadronctl: WHY" and the usage; returns kExitUsage.
int Usage(const std::string& why);

// "1,5,7" -> {1, 5, 7}; nullopt on anything else.
std::optional<std::vector<uint32_t>> ParseUids(const std::string& text);

}  // namespace hadronctl
