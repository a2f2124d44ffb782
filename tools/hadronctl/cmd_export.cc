// export mbox NAME FILE|DIR|- ; export maildir NAME DIR   (NAME is the account)
//   With --mailbox, that mailbox only; otherwise every mailbox of the account (mbox: one
//   DIR/<mailbox>.mbox file each; maildir: a Dovecot Maildir++ tree).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "tools/hadronctl/commands.h"
#include "tools/hadronctl/ctl.h"
#include "tools/hadronctl/mailfmt.h"
#include "tools/hadronctl/progress.h"

namespace hadronctl {
namespace {

namespace fs = std::filesystem;

// Mailboxes to export with their message counts (for the progress bar).
std::optional<std::vector<std::pair<std::string, uint32_t>>> Mailboxes(const std::string& account,
                                                                       int* rc) {
  mv::ListMailboxesRequest req;
  req.set_account(account);
  mv::ListMailboxesResponse resp;
  grpc::Status s = MailFor(account)->ListMailboxes(CallContext().get(), req, &resp);
  if (!s.ok()) {
    *rc = RpcError(s);
    return std::nullopt;
  }
  const bool one = !absl::GetFlag(FLAGS_mailbox).empty();
  const std::string wanted = absl::GetFlag(FLAGS_mailbox);
  std::vector<std::pair<std::string, uint32_t>> out;
  for (const auto& m : resp.mailboxes()) {
    if (one && m.name() != wanted) continue;
    out.emplace_back(m.name(), m.messages());
  }
  if (one && out.empty()) {
    std::fprintf(stderr, "hadronctl: no mailbox %s\n", wanted.c_str());
    *rc = kExitFailed;
    return std::nullopt;
  }
  return out;
}

// Calls `fn` for each message of `mailbox` (with content); returns the call's status.
template <typename Fn>
grpc::Status EachMessage(const std::string& account, const std::string& mailbox, Fn fn) {
  mv::FetchMessagesRequest req;
  req.set_account(account);
  req.set_mailbox(mailbox);
  req.set_want_content(true);
  auto ctx = CallContext(/*with_deadline=*/false);
  auto reader = MailFor(account)->FetchMessages(ctx.get(), req);
  mv::StoredMessage m;
  while (reader->Read(&m)) fn(m);
  return reader->Finish();
}

bool WriteFile(const fs::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << data;
  return static_cast<bool>(out);
}

int ExportMbox(const std::string& account, const std::string& target) {
  int rc = 0;
  auto boxes = Mailboxes(account, &rc);
  if (!boxes) return rc;
  const bool one = !absl::GetFlag(FLAGS_mailbox).empty();
  if (!one && target == "-") return Usage("export mbox of a whole account writes a directory; use --mailbox for one file or -");
  uint64_t total = 0;
  for (const auto& b : *boxes) total += b.second;
  Progress progress("exporting", total);
  uint64_t written = 0;
  for (const auto& [box, count] : *boxes) {
    std::ofstream file;
    std::ostream* out = &std::cout;
    if (target != "-") {
      fs::path p = one ? fs::path(target) : fs::path(target) / (box + ".mbox");
      std::error_code ec;
      if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
      file.open(p, std::ios::binary | std::ios::trunc);
      if (!file) {
        std::fprintf(stderr, "hadronctl: cannot write %s\n", p.c_str());
        return kExitFailed;
      }
      out = &file;
    }
    grpc::Status s = EachMessage(account, box, [&](const mv::StoredMessage& m) {
      std::vector<std::string> flags(m.flags().begin(), m.flags().end());
      *out << mailfmt::MboxEntry(m.content(), flags, m.internal_date());
      ++written;
      progress.Add();
    });
    if (!s.ok()) return RpcError(s);
    out->flush();
    if (!*out) {
      std::fprintf(stderr, "hadronctl: write error\n");
      return kExitFailed;
    }
  }
  if (target != "-") std::printf("exported %llu message(s)\n", static_cast<unsigned long long>(written));
  return 0;
}

int ExportMaildir(const std::string& account, const std::string& root) {
  int rc = 0;
  auto boxes = Mailboxes(account, &rc);
  if (!boxes) return rc;
  uint64_t total = 0;
  for (const auto& b : *boxes) total += b.second;
  Progress progress("exporting", total);
  uint64_t written = 0;
  const std::string host = "hadron";
  for (const auto& [box, count] : *boxes) {
    const bool inbox = box == "INBOX";
    fs::path dir = inbox ? fs::path(root) : fs::path(root) / mailfmt::MailboxToMaildirFolder(box);
    std::error_code ec;
    for (const char* sub : {"cur", "new", "tmp"}) fs::create_directories(dir / sub, ec);
    if (ec) {
      std::fprintf(stderr, "hadronctl: cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
      return kExitFailed;
    }
    if (!inbox) WriteFile(dir / "maildirfolder", "");
    std::map<std::string, int> letters;
    bool dropped = false;
    bool failed = false;
    std::string uidlist;
    uint32_t last_uid = 0;
    grpc::Status s = EachMessage(account, box, [&](const mv::StoredMessage& m) {
      if (failed) return;
      std::vector<std::string> flags(m.flags().begin(), m.flags().end());
      const std::string content = mailfmt::ToLf(m.content());
      const std::string base = std::to_string(m.internal_date()) + ".M" + std::to_string(m.uid()) +
                               "P" + std::to_string(getpid()) + "." + host;
      const std::string name = base + ",S=" + std::to_string(content.size()) +
                               mailfmt::MaildirInfo(flags, letters, &dropped);
      fs::path p = dir / "cur" / name;
      if (!WriteFile(p, content)) {
        std::fprintf(stderr, "hadronctl: cannot write %s\n", p.c_str());
        failed = true;
        return;
      }
      struct timespec times[2];
      times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(m.internal_date());
      times[0].tv_nsec = times[1].tv_nsec = 0;
      utimensat(AT_FDCWD, p.c_str(), times, 0);
      uidlist += std::to_string(m.uid()) + " :" + base + "\n";
      last_uid = m.uid();
      ++written;
      progress.Add();
    });
    if (!s.ok()) return RpcError(s);
    if (failed) return kExitFailed;
    std::string keywords;
    std::vector<std::pair<int, std::string>> by_index;
    for (const auto& [k, i] : letters) by_index.emplace_back(i, k);
    std::sort(by_index.begin(), by_index.end());
    for (const auto& [i, k] : by_index) keywords += std::to_string(i) + " " + k + "\n";
    if (!keywords.empty()) WriteFile(dir / "dovecot-keywords", keywords);
    WriteFile(dir / "dovecot-uidlist",
              "3 V" + std::to_string(time(nullptr)) + " N" + std::to_string(last_uid + 1) + "\n" +
                  uidlist);
    if (dropped) {
      std::fprintf(stderr, "hadronctl: %s: more than 26 keywords; Maildir keeps the first 26\n",
                   box.c_str());
    }
  }
  std::printf("exported %llu message(s)\n", static_cast<unsigned long long>(written));
  return 0;
}

}  // namespace

int CmdExport(const std::vector<std::string>& args) {
  const std::string sub = args.size() > 1 ? args[1] : "";
  if (sub != "mbox" && sub != "maildir") return Usage("export takes mbox or maildir");
  if (args.size() != 4) return Usage("export " + sub + " takes NAME " + (sub == "mbox" ? "FILE|DIR|-" : "DIR"));
  if (sub == "mbox") return ExportMbox(args[2], args[3]);
  return ExportMaildir(args[2], args[3]);
}

}  // namespace hadronctl
