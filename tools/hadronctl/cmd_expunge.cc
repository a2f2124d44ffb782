// expunge NAME UIDS [--mailbox M]
#include <cstdio>

#include "absl/flags/flag.h"
#include "tools/hadronctl/commands.h"
#include "tools/hadronctl/ctl.h"

namespace hadronctl {

int CmdExpunge(const std::vector<std::string>& args) {
  if (args.size() != 3) return Usage("expunge takes NAME UIDS");
  auto uids = ParseUids(args[2]);
  if (!uids) return Usage("bad UID list " + args[2]);
  mv::ExpungeRequest req;
  req.set_account(args[1]);
  req.set_mailbox(absl::GetFlag(FLAGS_mailbox));
  for (uint32_t u : *uids) req.add_uids(u);
  mv::ExpungeResponse resp;
  grpc::Status s = MailFor(args[1])->Expunge(CallContext().get(), req, &resp);
  if (!s.ok()) return RpcError(s);
  std::printf("%d message(s) expunged\n", resp.expunged_size());
  return 0;
}

}  // namespace hadronctl
