// import mbox FILE|DIR|- ; import maildir DIR   (NAME is the account)
//   mbox: one file (or stdin) into --mailbox, or a directory tree of *.mbox files (as `export
//   mbox` writes it) into the mailboxes named by their paths.
//   maildir: a Dovecot Maildir++ (root = INBOX, ".Sub.Folder" = Sub/Folder), keeping flags
//   (":2," info), keywords (dovecot-keywords) and internal dates (file mtimes).
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "tools/hadronctl/commands.h"
#include "tools/hadronctl/ctl.h"
#include "tools/hadronctl/mailfmt.h"
#include "tools/hadronctl/progress.h"

namespace hadronctl {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxMessageBytes = 60u << 20;

bool MailboxFlagGiven() { return !absl::GetFlag(FLAGS_mailbox).empty(); }

std::string Join(const std::string& prefix, const std::string& name) {
  if (prefix.empty()) return name;
  if (name.empty()) return prefix;
  return prefix + "/" + name;
}

// Sends messages on one Import stream; collects what failed.
class Importer {
 public:
  Importer(const std::string& account, uint64_t total, const char* what)
      : account_(account), ctx_(CallContext(/*with_deadline=*/false)), progress_(what, total) {
    writer_ = MailFor(account)->Import(ctx_.get(), &response_);
  }

  // `label` names the message in error reports (file name, mbox position).
  bool Send(const std::string& mailbox, std::string content, const std::vector<std::string>& flags,
            int64_t internal_date, const std::string& label) {
    labels_.push_back(label);
    if (content.size() > kMaxMessageBytes) {
      local_errors_.emplace_back(label, "larger than 60 MiB, skipped");
      labels_.pop_back();
      progress_.Add();
      return true;
    }
    mv::ImportMessage m;
    if (first_) m.set_account(account_);
    first_ = false;
    m.set_mailbox(mailbox);
    m.set_message(std::move(content));
    for (const auto& f : flags) m.add_flags(f);
    m.set_internal_date(internal_date);
    m.set_create_mailbox(true);
    progress_.Add();
    return writer_->Write(m);
  }

  int Finish() {
    writer_->WritesDone();
    grpc::Status s = writer_->Finish();
    if (!s.ok()) return RpcError(s);
    int failed = static_cast<int>(local_errors_.size());
    for (const auto& [label, why] : local_errors_) {
      std::fprintf(stderr, "hadronctl: %s: %s\n", label.c_str(), why.c_str());
    }
    for (int i = 0; i < response_.results_size(); ++i) {
      const auto& r = response_.results(i);
      if (r.uid() != 0) continue;
      ++failed;
      const std::string& label = i < static_cast<int>(labels_.size()) ? labels_[i] : "?";
      std::fprintf(stderr, "hadronctl: %s: %s\n", label.c_str(), r.error().c_str());
    }
    std::printf("imported %u message(s), %d failed\n", response_.imported(), failed);
    return failed == 0 ? 0 : kExitFailed;
  }

 private:
  std::string account_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  mv::ImportResponse response_;
  std::unique_ptr<grpc::ClientWriter<mv::ImportMessage>> writer_;
  Progress progress_;
  bool first_ = true;
  std::vector<std::string> labels_;
  std::vector<std::pair<std::string, std::string>> local_errors_;
};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int ImportMboxStream(Importer& imp, std::istream& in, const std::string& mailbox,
                     const std::string& label) {
  mailfmt::MboxReader reader(in);
  mailfmt::MboxMessage m;
  int n = 0;
  while (reader.Next(&m)) {
    ++n;
    if (!imp.Send(mailbox, std::move(m.content), m.flags, m.internal_date,
                  label + " message " + std::to_string(n))) {
      return -1;  // the stream broke: Finish reports why
    }
  }
  return n;
}

int ImportMbox(const std::string& account, const std::string& path) {
  const std::string mailbox = MailboxFlagGiven() ? absl::GetFlag(FLAGS_mailbox) : "INBOX";
  if (path == "-") {
    Importer imp(account, 0, "importing");
    ImportMboxStream(imp, std::cin, mailbox, "stdin");
    return imp.Finish();
  }
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    // A tree of NAME.mbox files: the mailbox is the relative path without ".mbox".
    std::vector<std::pair<std::string, fs::path>> files;
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (!it->is_regular_file() || it->path().extension() != ".mbox") continue;
      std::string rel = fs::relative(it->path(), path).replace_extension("").generic_string();
      files.emplace_back(MailboxFlagGiven() ? Join(absl::GetFlag(FLAGS_mailbox), rel) : rel,
                         it->path());
    }
    if (ec) return Usage("cannot read " + path + ": " + ec.message());
    std::sort(files.begin(), files.end());
    Importer imp(account, 0, "importing");
    for (const auto& [box, file] : files) {
      std::ifstream in(file, std::ios::binary);
      if (ImportMboxStream(imp, in, box, file.string()) < 0) break;
    }
    return imp.Finish();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Usage("cannot open " + path);
  Importer imp(account, 0, "importing");
  ImportMboxStream(imp, in, mailbox, path);
  return imp.Finish();
}

struct MaildirFile {
  std::string mailbox;
  fs::path path;
  std::vector<std::string> flags;
  int64_t date = 0;
};

// The messages of one Maildir folder, in dovecot-uidlist order when there is one.
void ScanMaildirFolder(const fs::path& dir, const std::string& mailbox,
                       std::vector<MaildirFile>& out) {
  auto keywords = mailfmt::ParseDovecotKeywords(ReadFile(dir / "dovecot-keywords"));
  std::map<std::string, uint64_t> order;  // base -> uid
  {
    std::istringstream uidlist(ReadFile(dir / "dovecot-uidlist"));
    std::string line;
    bool header = true;
    while (std::getline(uidlist, line)) {
      if (header) {
        header = false;
        continue;
      }
      uint64_t uid = 0;
      size_t sp = line.find(' ');
      size_t colon = line.find(':');
      if (sp == std::string::npos || colon == std::string::npos) continue;
      if (!absl::SimpleAtoi(line.substr(0, sp), &uid)) continue;
      order[mailfmt::MaildirBase(line.substr(colon + 1))] = uid;
    }
  }
  std::vector<std::pair<std::pair<uint64_t, std::string>, MaildirFile>> files;
  for (const char* sub : {"cur", "new"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir / sub, ec)) {
      if (!e.is_regular_file()) continue;
      const std::string name = e.path().filename().string();
      if (name.empty() || name[0] == '.') continue;
      MaildirFile f;
      f.mailbox = mailbox;
      f.path = e.path();
      f.flags = mailfmt::MaildirFlags(name, keywords);
      struct stat st;
      if (::stat(e.path().c_str(), &st) == 0) f.date = st.st_mtime;
      if (f.date <= 0) {
        // The base name starts with the delivery time ("1234567890.M..."), as Dovecot's are.
        int64_t t = 0;
        if (absl::SimpleAtoi(name.substr(0, name.find('.')), &t)) f.date = t;
      }
      auto it = order.find(mailfmt::MaildirBase(name));
      uint64_t key = it == order.end() ? UINT64_MAX : it->second;
      files.push_back({{key, name}, std::move(f)});
    }
  }
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [key, f] : files) out.push_back(std::move(f));
}

int ImportMaildir(const std::string& account, const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(fs::path(root) / "cur", ec) && !fs::is_directory(fs::path(root) / "new", ec)) {
    return Usage(root + " is not a Maildir (no cur/ or new/)");
  }
  const std::string prefix = MailboxFlagGiven() ? absl::GetFlag(FLAGS_mailbox) : "";
  std::vector<MaildirFile> files;
  ScanMaildirFolder(root, prefix.empty() ? "INBOX" : prefix, files);
  std::vector<std::pair<std::string, fs::path>> folders;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    if (!e.is_directory()) continue;
    auto name = mailfmt::MaildirFolderToMailbox(e.path().filename().string());
    if (!name) continue;
    folders.emplace_back(Join(prefix, *name), e.path());
  }
  std::sort(folders.begin(), folders.end());
  for (const auto& [name, path] : folders) ScanMaildirFolder(path, name, files);
  Importer imp(account, files.size(), "importing");
  for (auto& f : files) {
    if (!imp.Send(f.mailbox, mailfmt::ToCrlf(ReadFile(f.path)), f.flags, f.date, f.path.string())) {
      break;
    }
  }
  return imp.Finish();
}

}  // namespace

int CmdImport(const std::vector<std::string>& args) {
  const std::string sub = args.size() > 1 ? args[1] : "";
  if (sub != "mbox" && sub != "maildir") return Usage("import takes mbox or maildir");
  if (args.size() != 4) return Usage("import " + sub + " takes NAME " + (sub == "mbox" ? "FILE|DIR|-" : "DIR"));
  if (sub == "mbox") return ImportMbox(args[2], args[3]);
  return ImportMaildir(args[2], args[3]);
}

}  // namespace hadronctl
