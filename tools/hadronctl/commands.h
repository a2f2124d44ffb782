// hadronctl command groups, one file each (cmd_<group>.cc); main.cc's table dispatches to them.
#pragma once

#include <string>
#include <vector>

namespace hadronctl {

int CmdAccount(const std::vector<std::string>& args);
int CmdMailbox(const std::vector<std::string>& args);
int CmdDeliver(const std::vector<std::string>& args);
int CmdFlags(const std::vector<std::string>& args);
int CmdExpunge(const std::vector<std::string>& args);
int CmdQuota(const std::vector<std::string>& args);
int CmdBackup(const std::vector<std::string>& args);
int CmdShard(const std::vector<std::string>& args);  // sharding (issue 7)
int CmdShardRebalance(const std::vector<std::string>& args);  // sharding: cmd_rebalance.cc
int CmdImport(const std::vector<std::string>& args);
int CmdExport(const std::vector<std::string>& args);
int CmdWatch(const std::vector<std::string>& args);
int CmdHealth(const std::vector<std::string>& args);  // grpc.health.v1 (operations)

}  // namespace hadronctl
