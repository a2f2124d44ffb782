// deliver NAME [--mailbox M] < message
#include <cstdio>
#include <iostream>
#include <iterator>

#include "absl/flags/flag.h"
#include "tools/hadronctl/commands.h"
#include "tools/hadronctl/ctl.h"

namespace hadronctl {

int CmdDeliver(const std::vector<std::string>& args) {
  if (args.size() != 2) return Usage("deliver takes one NAME (message on stdin)");
  std::string message((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (message.empty()) return Usage("no message on standard input");
  mv::DeliverRequest req;
  req.set_account(args[1]);
  req.set_mailbox(absl::GetFlag(FLAGS_mailbox));
  req.set_message(std::move(message));
  mv::DeliverResponse resp;
  grpc::Status s = MailFor(args[1])->Deliver(CallContext().get(), req, &resp);
  if (!s.ok()) return RpcError(s);
  std::printf("%u\n", resp.uid());
  return 0;
}

}  // namespace hadronctl
