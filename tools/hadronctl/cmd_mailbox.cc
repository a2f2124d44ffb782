// mailbox list|create|delete|rename|subscribe|unsubscribe
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
      std::printf("%s\tmessages=%u unseen=%u size=%llu uidvalidity=%u uidnext=%u%s%s%s\n",
                  m.name().c_str(), m.messages(), m.unseen(),
                  static_cast<unsigned long long>(m.size()), m.uid_validity(), m.uid_next(),
                  m.special_use().empty() ? "" : " ", m.special_use().c_str(),
                  m.subscribed() ? " subscribed" : "");
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
  if (sub == "delete") {
    if (args.size() != 4) return Usage("mailbox delete takes NAME MAILBOX");
    mv::DeleteMailboxRequest req;
    req.set_account(args[2]);
    req.set_name(args[3]);
    mv::Empty empty;
    grpc::Status s = MailFor(args[2])->DeleteMailbox(CallContext().get(), req, &empty);
    if (!s.ok()) return RpcError(s);
    std::printf("mailbox %s deleted\n", args[3].c_str());
    return 0;
  }
  if (sub == "rename") {
    if (args.size() != 5) return Usage("mailbox rename takes NAME FROM TO");
    mv::RenameMailboxRequest req;
    req.set_account(args[2]);
    req.set_from(args[3]);
    req.set_to(args[4]);
    mv::Empty empty;
    grpc::Status s = MailFor(args[2])->RenameMailbox(CallContext().get(), req, &empty);
    if (!s.ok()) return RpcError(s);
    std::printf("mailbox %s renamed to %s\n", args[3].c_str(), args[4].c_str());
    return 0;
  }
  if (sub == "subscribe" || sub == "unsubscribe") {
    if (args.size() != 4) return Usage("mailbox " + sub + " takes NAME MAILBOX");
    mv::SetSubscribedRequest req;
    req.set_account(args[2]);
    req.set_name(args[3]);
    req.set_subscribed(sub == "subscribe");
    mv::Empty empty;
    grpc::Status s = MailFor(args[2])->SetSubscribed(CallContext().get(), req, &empty);
    if (!s.ok()) return RpcError(s);
    std::printf("mailbox %s %sd\n", args[3].c_str(), sub.c_str());
    return 0;
  }
  return Usage("unknown mailbox command " + sub);
}

}  // namespace hadronctl
