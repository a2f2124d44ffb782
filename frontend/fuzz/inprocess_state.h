// An in-process state service for frontend tests and fuzzing: the real statesvc (Store on a
// RocksDB in a temporary directory, the events Hub, StateService) called directly, without a
// socket or gRPC channel. Requests and responses still go through protobuf serialization, as
// they would on the wire, and every call completes asynchronously (posted back to the caller's
// executor), as GrpcStateClient's calls do.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "frontend/state_client/state_client.h"
#include "frontend/state_client/watcher.h"
#include "statesvc/events/hub.h"
#include "statesvc/service/state_service.h"
#include "statesvc/store/store.h"

namespace hadron::frontend::testing {

class InProcessState {
 public:
  // Opens a fresh store in a new directory under `parent` (TEST_TMPDIR or /tmp if empty).
  static absl::StatusOr<std::unique_ptr<InProcessState>> Create(std::string parent = "");
  ~InProcessState();  // closes the store and removes its directory

  store::Store& store() { return *store_; }
  StateClient& client() { return *client_; }
  // Fans the hub's events out to sessions, like GrpcMailboxWatcher does with the Watch stream.
  MailboxWatcher& watcher() { return *watcher_; }
  // Subscriptions still open on the watcher (a session that ended must have none).
  size_t open_watches() const;
  const std::string& dir() const { return dir_; }

 private:
  InProcessState() = default;
  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<events::Hub> hub_;
  std::unique_ptr<service::StateService> service_;
  std::unique_ptr<StateClient> client_;
  std::unique_ptr<MailboxWatcher> watcher_;
};

}  // namespace hadron::frontend::testing
