// account add|passwd|del
#include <cstdio>

#include "absl/flags/flag.h"
#include "tools/hadronctl/commands.h"
#include "tools/hadronctl/ctl.h"

namespace hadronctl {

int CmdAccount(const std::vector<std::string>& args) {
  const std::string sub = args.size() > 1 ? args[1] : "";
  if (sub == "add" || sub == "passwd") {
    if (args.size() != 3) return Usage("account " + sub + " takes one NAME");
    const std::string password = absl::GetFlag(FLAGS_password);
    if (password.empty()) return Usage("--password is required");
    mv::Empty empty;
    if (sub == "add") {
      mv::CreateAccountRequest req;
      req.set_name(args[2]);
      req.set_password(password);
      mv::CreateAccountResponse resp;
      grpc::Status s = MailFor(args[2])->CreateAccount(CallContext().get(), req, &resp);
      if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
        std::fprintf(stderr, "hadronctl: account %s already exists\n", args[2].c_str());
        return kExitExists;
      }
      if (!s.ok()) return RpcError(s);
      std::printf("account %s created (id %llu)\n", args[2].c_str(),
                  static_cast<unsigned long long>(resp.account_id()));
      return 0;
    }
    mv::SetPasswordRequest req;
    req.set_name(args[2]);
    req.set_password(password);
    grpc::Status s = MailFor(args[2])->SetPassword(CallContext().get(), req, &empty);
    if (!s.ok()) return RpcError(s);
    std::printf("password of %s changed\n", args[2].c_str());
    return 0;
  }
  if (sub == "del") {
    if (args.size() != 3) return Usage("account del takes one NAME");
    mv::DeleteAccountRequest req;
    req.set_name(args[2]);
    mv::Empty empty;
    grpc::Status s = MailFor(args[2])->DeleteAccount(CallContext().get(), req, &empty);
    if (!s.ok()) return RpcError(s);
    std::printf("account %s deleted\n", args[2].c_str());
    return 0;
  }
  return Usage("unknown account command " + sub);
}

}  // namespace hadronctl
