// watch NAME [--cursor=C] [--max_changes=N]: an account's changes, one JSON object a line.
#include <cstdio>

#include "absl/flags/flag.h"
#include "google/protobuf/util/json_util.h"
#include "tools/hadronctl/commands.h"
#include "tools/hadronctl/ctl.h"

namespace hadronctl {

int CmdWatch(const std::vector<std::string>& args) {
  if (args.size() != 2) return Usage("watch takes one NAME");
  mv::WatchAccountRequest req;
  req.set_account(args[1]);
  req.set_cursor(absl::GetFlag(FLAGS_cursor));
  const int max_changes = absl::GetFlag(FLAGS_max_changes);
  auto ctx = CallContext(/*with_deadline=*/false);
  auto reader = MailFor(args[1])->WatchAccount(ctx.get(), req);
  mv::AccountChange change;
  int seen = 0;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = false;
  while (reader->Read(&change)) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(change, &json, options);
    if (change.kind() == mv::AccountChange::SNAPSHOT) {
      // The starting point: JSON omits the default enum value, so name it.
      json.insert(1, "\"kind\":\"SNAPSHOT\",");
    }
    std::printf("%s\n", json.c_str());
    std::fflush(stdout);
    if (change.kind() != mv::AccountChange::SNAPSHOT && max_changes > 0 && ++seen >= max_changes) {
      ctx->TryCancel();
      break;
    }
  }
  grpc::Status s = reader->Finish();
  if (max_changes > 0 && seen >= max_changes) return 0;
  return RpcError(s);
}

}  // namespace hadronctl
