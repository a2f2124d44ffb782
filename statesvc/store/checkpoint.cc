// Backups: RocksDB checkpoints of the live store (Store::Checkpoint).
#include <filesystem>
#include <memory>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status.h"
#include "rocksdb/utilities/checkpoint.h"
#include "statesvc/store/store.h"
#include "statesvc/store/store_internal.h"

namespace hadron::store {

namespace fs = std::filesystem;

absl::StatusOr<CheckpointInfo> Store::Checkpoint(std::string_view requested) {
  if (options_.backup_dir.empty()) {
    return absl::FailedPreconditionError("checkpoints are off: start the statesvc with --backup_dir");
  }
  std::error_code ec;
  const fs::path base = fs::absolute(fs::path(options_.backup_dir), ec).lexically_normal();
  if (ec) return absl::InternalError(absl::StrCat("backup dir: ", ec.message()));

  std::string name(requested);
  if (name.empty()) {
    name = absl::StrCat("checkpoint-",
                        absl::FormatTime("%Y%m%dT%H%M%E6SZ", absl::Now(), absl::UTCTimeZone()));
  }
  if (name.find('\0') != std::string::npos) return absl::InvalidArgumentError("bad checkpoint dir");
  const fs::path req(name);
  for (const auto& part : req) {
    if (part == "..") return absl::InvalidArgumentError("checkpoint dir must not contain ..");
  }
  const fs::path target = (req.is_absolute() ? req : base / req).lexically_normal();
  const fs::path rel = target.lexically_relative(base);
  if (rel.empty() || rel == "." || *rel.begin() == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint dir must be inside the backup dir ", base.string()));
  }
  if (fs::exists(target, ec)) {
    return absl::AlreadyExistsError(absl::StrCat(target.string(), " already exists"));
  }
  fs::create_directories(target.parent_path(), ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", target.parent_path().string(),
                                                  ": ", ec.message()));

  rocksdb::Checkpoint* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_, &raw)));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  CheckpointInfo info;
  // log_size_for_flush 0: always flush the memtables first, so the checkpoint's table files hold
  // every acknowledged write (its WAL copy is then only what arrived during the flush).
  RETURN_IF_ERROR(FromRocks(checkpoint->CreateCheckpoint(target.string(), 0, &info.sequence)));
  info.dir = target.string();
  for (const auto& entry : fs::directory_iterator(target, ec)) {
    if (!entry.is_regular_file()) continue;
    ++info.files;
    info.bytes += entry.file_size();
  }
  return info;
}

}  // namespace hadron::store
