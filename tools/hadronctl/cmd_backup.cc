// backup [--dir=DIR]: asks the statesvc for a RocksDB checkpoint of its live store
// (Mail.Checkpoint). The checkpoint is written by the statesvc, on its filesystem, inside its
// --backup_dir; restoring it is an offline step (docs/operations.md, "Back up and restore").
// With several shards, back up each: hadronctl --statesvc=SHARD backup.
#include <chrono>
#include <cstdio>

#include "absl/flags/flag.h"
#include "tools/hadronctl/commands.h"
#include "tools/hadronctl/ctl.h"

ABSL_FLAG(std::string, dir, "",
          "backup: checkpoint directory on the statesvc, relative to its --backup_dir or an "
          "absolute path inside it (must not exist); empty: checkpoint-<UTC time>");
ABSL_FLAG(int, backup_timeout_seconds, 600, "backup: deadline of the checkpoint call");

namespace hadronctl {

int CmdBackup(const std::vector<std::string>& args) {
  if (args.size() != 1) return Usage("backup takes no arguments (use --dir=DIR)");
  if (absl::GetFlag(FLAGS_backup_timeout_seconds) <= 0) {
    return Usage("--backup_timeout_seconds must be positive");
  }
  // A checkpoint is one statesvc's: with a shard list, MailFor would pick one shard silently.
  if (absl::GetFlag(FLAGS_statesvc).find(',') != std::string::npos) {
    return Usage("backup checkpoints one statesvc: run it once per shard, --statesvc=HOST:PORT");
  }
  mv::CheckpointRequest req;
  req.set_dir(absl::GetFlag(FLAGS_dir));
  mv::CheckpointResponse resp;
  // A checkpoint flushes the memtables and links (or copies) every table file: it may take
  // longer than a mail call.
  auto ctx = CallContext(false);
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(absl::GetFlag(FLAGS_backup_timeout_seconds)));
  grpc::Status s = MailFor("")->Checkpoint(ctx.get(), req, &resp);
  if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
    std::fprintf(stderr, "hadronctl: backup failed: %s\n", s.error_message().c_str());
    return kExitExists;
  }
  if (!s.ok()) return RpcError(s);
  std::printf("checkpoint %s sequence=%llu files=%llu bytes=%llu\n", resp.dir().c_str(),
              static_cast<unsigned long long>(resp.sequence()),
              static_cast<unsigned long long>(resp.files()),
              static_cast<unsigned long long>(resp.bytes()));
  return 0;
}

}  // namespace hadronctl
