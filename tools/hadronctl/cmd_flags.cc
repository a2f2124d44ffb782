// flags add|remove|set NAME UIDS [FLAG...]
#include <cstdio>

#include "absl/flags/flag.h"
#include "tools/hadronctl/commands.h"
#include "tools/hadronctl/ctl.h"

namespace hadronctl {

int CmdFlags(const std::vector<std::string>& args) {
  const std::string sub = args.size() > 1 ? args[1] : "";
  if (sub != "add" && sub != "remove" && sub != "set") return Usage("unknown flags command " + sub);
  if (args.size() < 4) return Usage("flags " + sub + " takes NAME UIDS [FLAG...]");
  auto uids = ParseUids(args[3]);
  if (!uids) return Usage("bad UID list " + args[3]);
  mv::SetFlagsRequest req;
  req.set_account(args[2]);
  req.set_mailbox(absl::GetFlag(FLAGS_mailbox));
  req.set_op(sub == "add"      ? mv::SetFlagsRequest::ADD
             : sub == "remove" ? mv::SetFlagsRequest::REMOVE
                               : mv::SetFlagsRequest::REPLACE);
  for (uint32_t u : *uids) req.add_uids(u);
  for (size_t i = 4; i < args.size(); ++i) req.add_flags(args[i]);
  mv::SetFlagsResponse resp;
  grpc::Status s = MailFor(args[2])->SetFlags(CallContext().get(), req, &resp);
  if (!s.ok()) return RpcError(s);
  std::printf("%d message(s) changed\n", resp.changed_size());
  return 0;
}

}  // namespace hadronctl
