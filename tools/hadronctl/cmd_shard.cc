// hadronctl shard ...: where accounts live (sharding, issue 7); rebalance is cmd_rebalance.cc.
#include <cstdio>
#include <string>
#include <vector>

#include "common/shard/ring.h"
#include "tools/hadronctl/commands.h"
#include "tools/hadronctl/ctl.h"

namespace hadronctl {

int CmdShard(const std::vector<std::string>& args) {
  const std::string sub = args.size() > 1 ? args[1] : "";
  if (sub == "owner") {
    const hadron::shard::ShardRing& ring = ShardList();
    if (args.size() < 3) return Usage("shard owner takes NAME...");
    for (size_t i = 2; i < args.size(); ++i) {
      size_t owner = ring.OwnerOf(args[i]);
      std::printf("%s\t%zu\t%s\n", args[i].c_str(), owner, ring.address(owner).c_str());
    }
    return 0;
  }
  if (sub == "rebalance") return CmdShardRebalance(args);
  return Usage("unknown shard command " + sub);
}

}  // namespace hadronctl
