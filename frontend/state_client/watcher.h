// MailboxWatcher: the frontend's end of the statesvc Watch stream. One stream per frontend (per
// shard) carries the changes of every mailbox some session here has selected; the watcher fans
// them out to the sessions' listeners. It reconnects by itself and resumes each mailbox from
// the last modseq it delivered.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "asio/io_context.hpp"
#include "hadron/state/v1/state.pb.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace hadron::frontend {

class MailboxWatcher {
 public:
  // Called on a gRPC thread; must not block (post to the session's strand).
  using Listener = std::function<void(const state::v1::WatchEvent&)>;

  virtual ~MailboxWatcher() = default;
  // Starts delivering changes of (account, mailbox) after `since_modseq` to `listener`.
  // Returns a handle for Unsubscribe.
  virtual uint64_t Subscribe(uint64_t account, uint64_t mailbox, uint64_t since_modseq,
                             Listener listener) = 0;
  virtual void Unsubscribe(uint64_t handle) = 0;
  // Whether the stream is up (readiness).
  virtual bool connected() const = 0;
};

// The gRPC implementation. Reconnect timers run on `io`.
std::unique_ptr<MailboxWatcher> NewGrpcMailboxWatcher(std::shared_ptr<grpc::Channel> channel,
                                                      asio::io_context& io);

}  // namespace hadron::frontend
