// quota get|set
#include <cctype>
#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "tools/hadronctl/commands.h"
#include "tools/hadronctl/ctl.h"

namespace hadronctl {

int CmdQuota(const std::vector<std::string>& args) {
  const std::string sub = args.size() > 1 ? args[1] : "";
  if (sub != "get" && sub != "set") return Usage("unknown quota command " + sub);
  if (args.size() < 3 || (sub == "get" && args.size() != 3)) {
    return Usage("quota " + sub + " takes NAME" + (sub == "set" ? " [STORAGE=KIB] [MESSAGE=N]" : ""));
  }
  mv::Quota resp;
  grpc::Status s;
  if (sub == "get") {
    mv::GetQuotaRequest req;
    req.set_account(args[2]);
    s = MailFor(args[2])->GetQuota(CallContext().get(), req, &resp);
  } else {
    mv::SetQuotaRequest req;
    req.set_account(args[2]);
    for (size_t i = 3; i < args.size(); ++i) {
      std::vector<std::string> kv = absl::StrSplit(args[i], absl::MaxSplits('=', 1));
      uint64_t v = 0;
      if (kv.size() != 2 || !absl::SimpleAtoi(kv[1], &v)) return Usage("bad limit " + args[i]);
      std::string name = kv[0];
      for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (name == "STORAGE") {
        req.set_storage_limit_kib(v);
      } else if (name == "MESSAGE") {
        req.set_message_limit(v);
      } else {
        return Usage("unknown quota resource " + kv[0] + " (STORAGE or MESSAGE)");
      }
    }
    s = MailFor(args[2])->SetQuota(CallContext().get(), req, &resp);
  }
  if (!s.ok()) return RpcError(s);
  const std::string storage_limit =
      resp.has_storage_limit_kib() ? std::to_string(resp.storage_limit_kib()) : "none";
  const std::string message_limit =
      resp.has_message_limit() ? std::to_string(resp.message_limit()) : "none";
  std::printf("storage_used_bytes=%llu storage_limit_kib=%s messages_used=%llu message_limit=%s\n",
              static_cast<unsigned long long>(resp.storage_used()), storage_limit.c_str(),
              static_cast<unsigned long long>(resp.messages_used()), message_limit.c_str());
  return 0;
}

}  // namespace hadronctl
