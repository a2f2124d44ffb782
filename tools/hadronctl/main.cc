// hadronctl: command line over the public Mail API. Each command group lives in its own file
// (cmd_<group>.cc); the shared context (flags, TLS, the Mail stub of an account) is ctl.h.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "tools/hadronctl/commands.h"
#include "tools/hadronctl/ctl.h"

// Connection and call flags.
ABSL_FLAG(std::string, statesvc, "127.0.0.1:50051",
          "HOST:PORT of the state service, or the ordered shard list HOST:PORT,HOST:PORT,...");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA of the statesvc: talk to it over TLS");
ABSL_FLAG(std::string, tls_cert, "", "PEM client certificate (mTLS)");
ABSL_FLAG(std::string, tls_key, "", "PEM key of --tls_cert");
ABSL_FLAG(bool, allow_plaintext, false,
          "allow plaintext gRPC to a non-loopback statesvc (loopback is always allowed)");
ABSL_FLAG(int, timeout_seconds, 10, "deadline of each call");
// Command flags.
ABSL_FLAG(std::string, password, "", "password for account add / account passwd");
ABSL_FLAG(std::string, mailbox, "",
          "mailbox for deliver, flags, expunge (default INBOX), import, export (default: all)");
// Public API slice: watch.
ABSL_FLAG(std::string, cursor, "", "watch: resume after this cursor (from a previous change)");
ABSL_FLAG(int, max_changes, 0, "watch: exit after this many changes (0: run until interrupted)");
// Sharding (issue 7): shard rebalance.
ABSL_FLAG(std::string, from, "", "shard rebalance: the old ordered shard list");
ABSL_FLAG(std::string, to, "", "shard rebalance: the new ordered shard list");
ABSL_FLAG(bool, dry_run, false, "shard rebalance: only print which accounts would move");
ABSL_FLAG(std::string, account, "", "shard rebalance: only this account");

namespace hadronctl {
namespace {

struct Command {
  const char* name;
  CommandFn fn;
  const char* usage;  // one or more lines, each starting with two spaces
};

// One line per command group.
const Command kCommands[] = {
    {"account", CmdAccount, "  account add NAME --password P\n  account passwd NAME --password P\n  account del NAME\n"},
    {"mailbox", CmdMailbox, "  mailbox list NAME\n  mailbox create|delete|subscribe|unsubscribe NAME MAILBOX\n  mailbox rename NAME FROM TO\n"},
    {"deliver", CmdDeliver, "  deliver NAME [--mailbox M] < message.eml\n"},
    {"flags", CmdFlags, "  flags add|remove|set NAME UID[,UID...] [FLAG...] [--mailbox M]\n"},
    {"expunge", CmdExpunge, "  expunge NAME UID[,UID...] [--mailbox M]\n"},
    {"import", CmdImport, "  import mbox NAME FILE|DIR|- [--mailbox M]\n  import maildir NAME DIR [--mailbox M]\n"},
    {"export", CmdExport, "  export mbox NAME FILE|DIR|- [--mailbox M]\n  export maildir NAME DIR [--mailbox M]\n"},
    {"watch", CmdWatch, "  watch NAME [--cursor C] [--max_changes N]   (JSON lines)\n"},
    {"quota", CmdQuota, "  quota get NAME\n  quota set NAME [STORAGE=KIB] [MESSAGE=N]   (a resource left out: no limit)\n"},
    {"backup", CmdBackup, "  backup [--dir=DIR]   (RocksDB checkpoint inside the statesvc's --backup_dir)\n"},
    {"shard", CmdShard, "  shard owner NAME...   (each account's shard index and address)\n  shard rebalance --from=OLD_LIST --to=NEW_LIST [--dry_run] [--account=NAME]\n"},
    {"health", CmdHealth, "  health --target=HOST:PORT [--service=NAME]   (grpc.health.v1; exit 0 when SERVING)\n"},
};

std::string UsageText() {
  std::string text = "usage: hadronctl [--statesvc=HOST:PORT[,HOST:PORT...]] COMMAND\n";
  for (const Command& c : kCommands) text += c.usage;
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

}  // namespace

int Usage(const std::string& why) {
  std::fprintf(stderr, "hadronctl: %s\n%s\n", why.c_str(), UsageText().c_str());
  return kExitUsage;
}

}  // namespace hadronctl

int main(int argc, char** argv) {
  const std::string usage = hadronctl::UsageText();
  absl::SetProgramUsageMessage(usage);
  std::vector<char*> raw = absl::ParseCommandLine(argc, argv);
  std::vector<std::string> args(raw.begin() + 1, raw.end());
  if (args.empty()) return hadronctl::Usage("no command");
  if (absl::GetFlag(FLAGS_timeout_seconds) <= 0) {
    return hadronctl::Usage("--timeout_seconds must be positive");
  }
  if (absl::Status s = hadronctl::InitChannels(); !s.ok()) {
    return hadronctl::Usage(std::string(s.message()));
  }
  for (const auto& c : hadronctl::kCommands) {
    if (args[0] == c.name) return c.fn(args);
  }
  return hadronctl::Usage("unknown command " + args[0]);
}
