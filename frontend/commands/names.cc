// Mailbox names given by clients must be modified UTF-7 (RFC 3501 5.1.3) unless UTF8=ACCEPT
// (RFC 6855) is enabled. Checked once, before any handler, for every command that names a
// mailbox; Dovecot answers the same names with NO.
#include "absl/strings/str_cat.h"
#include "common/imap/mailbox_name.h"
#include "common/imap/strings.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {
namespace {

struct Names {
  std::vector<const std::string*> out;
  void operator()(const imap::MailboxArgs& a) { out.push_back(&a.mailbox); }
  void operator()(const imap::RenameArgs& a) {
    out.push_back(&a.from);
    out.push_back(&a.to);
  }
  void operator()(const imap::StatusArgs& a) { out.push_back(&a.mailbox); }
  void operator()(const imap::AppendArgs& a) { out.push_back(&a.mailbox); }
  void operator()(const imap::CopyArgs& a) { out.push_back(&a.mailbox); }
  void operator()(const auto&) {}
};

}  // namespace

std::string OldNameList(const Session& s, std::string_view name, std::string_view old) {
  return absl::StrCat("* LIST () \"/\" ", imap::Quote(MailboxToWire(s, name)),
                      " (\"OLDNAME\" (", imap::Quote(MailboxToWire(s, old)), "))\r\n");
}

asio::awaitable<bool> RejectInvalidMailboxNames(Session& s, const imap::Command& cmd) {
  if (s.enabled().utf8_accept) co_return false;
  Names names;
  std::visit(names, cmd.args);
  for (const std::string* name : names.out) {
    if (!imap::IsValidModifiedUtf7(*name)) {
      co_await s.Tagged(cmd, "NO", "[CANNOT] Mailbox name is not valid mUTF-7");
      co_return true;
    }
  }
  co_return false;
}

}  // namespace hadron::frontend
