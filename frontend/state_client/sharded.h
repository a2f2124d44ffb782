// Sharding (issue 7): a StateClient and a MailboxWatcher over N statesvc shards. Authenticate
// goes to the shard that owns the user name (common/shard/ring.h); the account id it returns
// carries the shard index in its top byte (shard::GlobalId), so every later call of the
// session, and its Watch subscriptions, go to that shard without a lookup, and ids of two
// shards never collide in the frontend (snapshot cache, event routing). Shard 0's ids pass
// through unchanged.
#pragma once

#include <memory>
#include <vector>

#include "frontend/state_client/state_client.h"
#include "frontend/state_client/watcher.h"

namespace hadron::frontend {

std::unique_ptr<StateClient> NewShardedStateClient(
    std::vector<std::unique_ptr<StateClient>> shards);
std::unique_ptr<MailboxWatcher> NewShardedMailboxWatcher(
    std::vector<std::unique_ptr<MailboxWatcher>> shards);

}  // namespace hadron::frontend
