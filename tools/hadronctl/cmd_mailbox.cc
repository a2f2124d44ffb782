// mailbox list|create
#include <cstdio>

#include "tools/hadronctl/commands.h"
#include "tools/hadronctl/ctl.h"

namespace hadronctl {

int CmdMailbox(const std::vector<std::string>& args) {
  const std::string sub = args.size() > 1 ? args[1] : "";
  if (sub == "list") {
    if (args.size() != 3) return Usage("mailbox list takes one NAME");
    mv::ListMailboxesRequest req;
    req.set_account(args[2]);
    mv::ListMailboxesResponse resp;
    grpc::Status s = MailFor(args[2])->ListMailboxes(CallContext().get(), req, &resp);
    if (!s.ok()) return RpcError(s);
    for (const auto& m : resp.mailboxes()) {
      std::printf("%s\tmessages=%u unseen=%u size=%llu uidvalidity=%u uidnext=%u%s%s\n",
                  m.name().c_str(), m.messages(), m.unseen(),
                  static_cast<unsigned long long>(m.size()), m.uid_validity(), m.uid_next(),
                  m.special_use().empty() ? "" : " ", m.special_use().c_str());
    }
    return 0;
  }
  if (sub == "create") {
    if (args.size() != 4) return Usage("mailbox create takes NAME MAILBOX");
    mv::CreateMailboxRequest req;
    req.set_account(args[2]);
    req.set_name(args[3]);
    mv::Empty empty;
    grpc::Status s = MailFor(args[2])->CreateMailbox(CallContext().get(), req, &empty);
    if (!s.ok()) return RpcError(s);
    std::printf("mailbox %s created\n", args[3].c_str());
    return 0;
  }
  return Usage("unknown mailbox command " + sub);
}

}  // namespace hadronctl
