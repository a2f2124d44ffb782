// hadronctl shard rebalance: moving accounts when a shard is added (sharding, issue 7).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/grpc_tls.h"
#include "common/shard/ring.h"
#include "hadron/state/v1/state.grpc.pb.h"
#include "tools/hadronctl/commands.h"
#include "tools/hadronctl/ctl.h"

// Defined in main.cc (shard rebalance).
ABSL_DECLARE_FLAG(std::string, from);
ABSL_DECLARE_FLAG(std::string, to);
ABSL_DECLARE_FLAG(bool, dry_run);
ABSL_DECLARE_FLAG(std::string, account);

namespace hadronctl {
namespace {

struct RebalanceOptions {
  std::string from, to;
  bool dry_run = false;
  std::string only_account;  // "": every account
  int timeout_seconds = 60;
};

#define RETURN_IF_GRPC(expr, what)                        \
  do {                                                    \
    grpc::Status _s = (expr);                             \
    if (!_s.ok()) return FromGrpc(_s, what);              \
  } while (0)
#define RETURN_IF_ERROR_S(expr)                           \
  do {                                                    \
    absl::Status _st = (expr);                            \
    if (!_st.ok()) return _st;                            \
  } while (0)

namespace sv = ::hadron::state::v1;

// Each ImportMessages call carries at most this much content (gRPC messages are capped at 64 MiB).
constexpr uint64_t kBatchBytes = 16 << 20;
constexpr int kBatchMessages = 200;

class Rebalancer {
 public:
  Rebalancer(const RebalanceOptions& options, hadron::shard::ShardRing from, hadron::shard::ShardRing to,
             const hadron::GrpcTlsConfig& tls)
      : options_(options), from_(std::move(from)), to_(std::move(to)), tls_(tls) {}

  int Run();

 private:
  std::unique_ptr<grpc::ClientContext> Ctx() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(options_.timeout_seconds));
    return ctx;
  }
  absl::StatusOr<sv::State::Stub*> Stub(const std::string& address);
  absl::Status Move(const std::string& name, sv::State::Stub* src, sv::State::Stub* dst,
                    uint64_t* messages, uint64_t* bytes);
  absl::Status Copy(const std::string& name, sv::State::Stub* src, sv::State::Stub* dst,
                    const sv::ShardAccount& exported, uint64_t* messages, uint64_t* bytes);

  RebalanceOptions options_;
  hadron::shard::ShardRing from_, to_;
  hadron::GrpcTlsConfig tls_;
  std::map<std::string, std::unique_ptr<sv::State::Stub>> stubs_;
};

absl::Status FromGrpc(const grpc::Status& s, const std::string& what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

absl::StatusOr<sv::State::Stub*> Rebalancer::Stub(const std::string& address) {
  auto it = stubs_.find(address);
  if (it != stubs_.end()) return it->second.get();
  auto credentials = hadron::GrpcChannelCredentials(tls_, address);
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxSendMessageSize(64 << 20);
  channel_args.SetMaxReceiveMessageSize(64 << 20);
  auto stub = sv::State::NewStub(grpc::CreateCustomChannel(address, *credentials, channel_args));
  auto* raw = stub.get();
  stubs_[address] = std::move(stub);
  return raw;
}

// What must be equal on both sides after a move: everything a client can see, per mailbox and
// per message (the content by its SHA-256, which is the EMAILID).
std::string Fingerprint(const sv::ShardAccount& a) {
  std::vector<std::string> lines;
  lines.push_back(absl::StrCat("account ", a.name(), " scrypt ", a.scrypt_n(), "/", a.scrypt_r(),
                               "/", a.scrypt_p(), " hash ", a.hash().size(), ":",
                               a.hash() == "" ? "" : "set", " storage_limit ",
                               a.has_storage_limit_kib() ? std::to_string(a.storage_limit_kib()) : "-",
                               " message_limit ",
                               a.has_message_limit() ? std::to_string(a.message_limit()) : "-"));
  std::vector<std::string> threads;
  for (const auto& e : a.thread_index()) {
    threads.push_back(absl::StrCat(absl::BytesToHexString(e.message_id_sha256()), "=", e.thread()));
  }
  std::sort(threads.begin(), threads.end());
  lines.push_back(absl::StrCat("thread index ", threads.size(), ": ", absl::StrJoin(threads, " ")));
  std::vector<const sv::ShardMailbox*> mailboxes;
  for (const auto& mb : a.mailboxes()) mailboxes.push_back(&mb);
  std::sort(mailboxes.begin(), mailboxes.end(), [](const auto* x, const auto* y) {
    return x->info().name() < y->info().name();
  });
  for (const auto* mb : mailboxes) {
    const auto& i = mb->info();
    lines.push_back(absl::StrCat("mailbox ", i.name(), " id ", i.mailbox_id(), " uidvalidity ", i.uid_validity(),
                                 " uidnext ", i.uid_next(), " highestmodseq ", i.highest_modseq(),
                                 " messages ", i.messages(), " unseen ", i.unseen(), " deleted ",
                                 i.deleted(), " size ", i.size(), " subscribed ", i.subscribed(),
                                 " use ", i.special_use(), " keywords ",
                                 absl::StrJoin(mb->keywords(), " ")));
    for (const auto& m : mb->messages()) {
      std::vector<std::string> keywords(m.flags().keywords().begin(), m.flags().keywords().end());
      std::sort(keywords.begin(), keywords.end());
      lines.push_back(absl::StrCat("  uid ", m.uid(), " flags ", m.flags().system(), " ",
                                   absl::StrJoin(keywords, " "), " modseq ", m.modseq(), " date ",
                                   m.internal_date(), " ", m.internal_date_tz(), " saved ",
                                   m.save_date(), " size ", m.size(), " ", m.email_id(),
                                   " thread ", m.thread()));
    }
  }
  return absl::StrJoin(lines, "\n");
}

std::string FirstDifference(const std::string& a, const std::string& b) {
  std::vector<std::string> la = absl::StrSplit(a, '\n'), lb = absl::StrSplit(b, '\n');
  for (size_t i = 0; i < std::max(la.size(), lb.size()); ++i) {
    std::string x = i < la.size() ? la[i] : "(nothing)";
    std::string y = i < lb.size() ? lb[i] : "(nothing)";
    if (x != y) return absl::StrCat("source: ", x, " / destination: ", y);
  }
  return "";
}

absl::Status Rebalancer::Copy(const std::string& name, sv::State::Stub* src, sv::State::Stub* dst,
                              const sv::ShardAccount& exported, uint64_t* messages,
                              uint64_t* bytes) {
  sv::ImportAccountResponse created;
  RETURN_IF_GRPC(dst->ImportAccount(Ctx().get(), exported, &created), "import account");
  std::map<std::string, uint64_t> new_ids;
  for (const auto& mb : created.mailboxes()) new_ids[mb.name()] = mb.mailbox_id();
  for (const auto& mb : exported.mailboxes()) {
    const uint64_t target = new_ids[mb.info().name()];
    if (target == 0) return absl::InternalError("mailbox missing after import: " + mb.info().name());
    int i = 0;
    const int n = mb.messages_size();
    while (i < n) {
      sv::FetchRequest fetch;
      fetch.set_account_id(exported.account_id());
      fetch.set_mailbox_id(mb.info().mailbox_id());
      fetch.set_want_content(true);
      uint64_t batch_bytes = 0;
      std::map<uint32_t, const sv::ShardMessage*> meta;
      while (i < n && fetch.uids_size() < kBatchMessages &&
             (fetch.uids_size() == 0 || batch_bytes + mb.messages(i).size() <= kBatchBytes)) {
        fetch.add_uids(mb.messages(i).uid());
        meta[mb.messages(i).uid()] = &mb.messages(i);
        batch_bytes += mb.messages(i).size();
        ++i;
      }
      sv::FetchResponse fetched;
      RETURN_IF_GRPC(src->Fetch(Ctx().get(), fetch, &fetched), "fetch from the source");
      sv::ImportMessagesRequest import;
      import.set_account_id(created.account_id());
      import.set_mailbox_id(target);
      for (auto& f : *fetched.mutable_messages()) {
        if (f.missing() || f.expunged()) {
          return absl::InternalError(absl::StrCat("message ", f.uid(), " of ", mb.info().name(),
                                                  " vanished while the account was locked"));
        }
        const sv::ShardMessage* m = meta[f.uid()];
        if (m == nullptr) return absl::InternalError("fetch answered an unknown UID");
        auto* out = import.add_messages();
        *out = *m;
        out->set_content(std::move(*f.mutable_content()));
        *bytes += out->content().size();
        ++*messages;
      }
      sv::Empty empty;
      RETURN_IF_GRPC(dst->ImportMessages(Ctx().get(), import, &empty), "import messages");
    }
  }
  return absl::OkStatus();
}

absl::Status Rebalancer::Move(const std::string& name, sv::State::Stub* src, sv::State::Stub* dst,
                              uint64_t* messages, uint64_t* bytes) {
  sv::ShardAccountRequest who;
  who.set_name(name);
  sv::Empty empty;
  // A copy left on the destination by an interrupted earlier run: the source still has the
  // account, so that copy is incomplete. Remove it (this also leaves a "moved" marker there,
  // which the import below clears).
  {
    sv::ShardAccount stale;
    grpc::Status s = dst->ExportAccount(Ctx().get(), who, &stale);
    if (s.ok()) {
      std::fprintf(stderr, "hadronctl: %s: removing an incomplete copy on the destination\n",
                   name.c_str());
      sv::SetAccountMovingRequest lock;
      lock.set_name(name);
      lock.set_moving(true);
      RETURN_IF_GRPC(dst->SetAccountMoving(Ctx().get(), lock, &empty), "lock the stale copy");
      RETURN_IF_GRPC(dst->RemoveMovedAccount(Ctx().get(), who, &empty), "remove the stale copy");
    } else if (s.error_code() != grpc::StatusCode::NOT_FOUND) {
      return FromGrpc(s, "look up the destination");
    }
  }
  sv::SetAccountMovingRequest lock;
  lock.set_name(name);
  lock.set_moving(true);
  RETURN_IF_GRPC(src->SetAccountMoving(Ctx().get(), lock, &empty), "lock the account");
  absl::Status st = [&]() -> absl::Status {
    sv::ShardAccount exported;
    RETURN_IF_GRPC(src->ExportAccount(Ctx().get(), who, &exported), "export");
    RETURN_IF_ERROR_S(Copy(name, src, dst, exported, messages, bytes));
    sv::ShardAccount copied;
    RETURN_IF_GRPC(dst->ExportAccount(Ctx().get(), who, &copied), "export the copy");
    std::string a = Fingerprint(exported), b = Fingerprint(copied);
    if (a != b || exported.hash() != copied.hash() || exported.salt() != copied.salt()) {
      return absl::DataLossError("the copy differs from the source: " + FirstDifference(a, b));
    }
    return absl::OkStatus();
  }();
  if (!st.ok()) {
    lock.set_moving(false);
    grpc::Status s = src->SetAccountMoving(Ctx().get(), lock, &empty);
    if (!s.ok()) {
      std::fprintf(stderr, "hadronctl: %s: could not unlock the source: %s\n", name.c_str(),
                   s.error_message().c_str());
    }
    return st;
  }
  RETURN_IF_GRPC(src->RemoveMovedAccount(Ctx().get(), who, &empty), "remove from the source");
  return absl::OkStatus();
}

int Rebalancer::Run() {
  struct Plan {
    std::string name;
    size_t from_shard, to_shard;
  };
  std::vector<Plan> plan;
  size_t total = 0;
  for (size_t i = 0; i < from_.size(); ++i) {
    auto stub = Stub(from_.address(i));
    if (!stub.ok()) {
      std::fprintf(stderr, "hadronctl: %s\n", std::string(stub.status().message()).c_str());
      return 2;
    }
    sv::ListAccountsResponse names;
    grpc::Status s = (*stub)->ListAccounts(Ctx().get(), sv::ListAccountsRequest(), &names);
    if (!s.ok()) {
      std::fprintf(stderr, "hadronctl: list accounts of %s: %s\n", from_.address(i).c_str(),
                   s.error_message().c_str());
      return 1;
    }
    for (const auto& name : names.names()) {
      if (!options_.only_account.empty() && name != hadron::shard::RoutingKey(options_.only_account)) {
        continue;
      }
      ++total;
      size_t owner = to_.OwnerOf(name);
      if (to_.address(owner) != from_.address(i)) plan.push_back(Plan{name, i, owner});
    }
  }
  for (const auto& p : plan) {
    std::printf("%s\t%zu %s -> %zu %s\n", p.name.c_str(), p.from_shard,
                from_.address(p.from_shard).c_str(), p.to_shard, to_.address(p.to_shard).c_str());
  }
  std::printf("%zu of %zu accounts %s\n", plan.size(), total,
              options_.dry_run ? "would move" : "to move");
  if (options_.dry_run) return 0;
  int failed = 0;
  uint64_t messages = 0, bytes = 0;
  const auto started = std::chrono::steady_clock::now();
  for (const auto& p : plan) {
    auto src = Stub(from_.address(p.from_shard));
    auto dst = Stub(to_.address(p.to_shard));
    absl::Status st = !src.ok() ? src.status() : !dst.ok() ? dst.status() : absl::OkStatus();
    if (st.ok()) st = Move(p.name, *src, *dst, &messages, &bytes);
    if (!st.ok()) {
      ++failed;
      std::fprintf(stderr, "hadronctl: %s NOT moved (left on %s, unlocked): %s\n", p.name.c_str(),
                   from_.address(p.from_shard).c_str(), std::string(st.message()).c_str());
    } else {
      std::printf("moved %s\n", p.name.c_str());
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double per = seconds > 0 ? 1 / seconds : 0;
  std::printf("moved %zu accounts (%llu messages, %llu bytes); %d failed\n", plan.size() - failed,
              static_cast<unsigned long long>(messages), static_cast<unsigned long long>(bytes),
              failed);
  std::printf("took %.2f s: %.1f accounts/s, %.0f messages/s, %.1f MiB/s\n", seconds,
              (plan.size() - failed) * per, messages * per, bytes * per / (1 << 20));
  return failed == 0 ? 0 : 1;
}

}  // namespace

int CmdShardRebalance(const std::vector<std::string>& args) {
  RebalanceOptions options;
  options.from = absl::GetFlag(FLAGS_from);
  options.to = absl::GetFlag(FLAGS_to);
  options.dry_run = absl::GetFlag(FLAGS_dry_run);
  options.only_account = absl::GetFlag(FLAGS_account);
  options.timeout_seconds = std::max(absl::GetFlag(FLAGS_timeout_seconds), 60);
  if (args.size() != 2) return Usage("shard rebalance takes only flags");
  if (options.from.empty() || options.to.empty()) {
    return Usage("shard rebalance needs --from=OLD_LIST and --to=NEW_LIST");
  }
  auto from = hadron::shard::ShardRing::Parse(options.from);
  if (!from.ok()) return Usage("--from: " + std::string(from.status().message()));
  auto to = hadron::shard::ShardRing::Parse(options.to);
  if (!to.ok()) return Usage("--to: " + std::string(to.status().message()));
  for (size_t i = 0; i < std::min(from->size(), to->size()); ++i) {
    if (from->address(i) != to->address(i)) {
      std::fprintf(stderr, "hadronctl: warning: shard %zu is %s in --from but %s in --to; "
                   "shards are identified by position, so most accounts may move\n", i,
                   from->address(i).c_str(), to->address(i).c_str());
    }
  }
  hadron::GrpcTlsConfig tls;
  tls.ca = absl::GetFlag(FLAGS_tls_ca);
  tls.cert = absl::GetFlag(FLAGS_tls_cert);
  tls.key = absl::GetFlag(FLAGS_tls_key);
  tls.allow_plaintext = absl::GetFlag(FLAGS_allow_plaintext);
  Rebalancer r(options, std::move(*from), std::move(*to), tls);
  return r.Run();
}

}  // namespace hadronctl
