// Helpers shared by the state store's implementation files (not part of its API).
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "rocksdb/db.h"

namespace hadron::store {

// Column family indexes into Store::handles_, in kCfNames order.
enum CfIndex {
  kDefault = 0,
  kAccounts,
  kAccountNames,
  kMailboxes,
  kMailboxNames,
  kMessages,
  kBlobs,
  kParsed,
  kChanges,
  kMeta,
  kExpunged,
  kExpungedByTime,
  kNumCfs,
};

absl::Status FromRocks(const rocksdb::Status& s);

// The value of `key`, or nullopt if absent.
absl::StatusOr<std::optional<std::string>> GetValue(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                                    const std::string& key,
                                                    const rocksdb::Snapshot* snapshot);

// A snapshot released on destruction.
class ScopedSnapshot {
 public:
  explicit ScopedSnapshot(rocksdb::DB* db) : db_(db), snap_(db->GetSnapshot()) {}
  ~ScopedSnapshot() { db_->ReleaseSnapshot(snap_); }
  ScopedSnapshot(const ScopedSnapshot&) = delete;
  ScopedSnapshot& operator=(const ScopedSnapshot&) = delete;
  const rocksdb::Snapshot* get() const { return snap_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snap_;
};

}  // namespace hadron::store
