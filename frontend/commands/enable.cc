// ENABLE (RFC 5161). Lists every extension of the request that is on after it (already
// enabled ones too, as Dovecot answers); unknown names are ignored.
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {
namespace {

// One enable-able extension a line: the name as advertised and the session flag it sets.
struct Enableable {
  const char* name;
  bool EnabledExtensions::*flag;
};
constexpr Enableable kEnableable[] = {
    {"CONDSTORE", &EnabledExtensions::condstore},
    {"QRESYNC", &EnabledExtensions::qresync},
    {"UIDONLY", &EnabledExtensions::uidonly},
    {"IMAP4rev2", &EnabledExtensions::imap4rev2},
    {"UTF8=ACCEPT", &EnabledExtensions::utf8_accept},
};

// Whether `name` is a token of the capability list (only what is advertised can be enabled).
bool Advertised(const std::string& caps, const char* name) {
  for (absl::string_view tok : absl::StrSplit(caps, ' ')) {
    if (absl::EqualsIgnoreCase(tok, name)) return true;
  }
  return false;
}

}  // namespace

asio::awaitable<void> CmdEnable(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::EnableArgs>(cmd.args);
  EnabledExtensions& e = s.enabled();
  std::vector<const char*> listed;
  const std::string caps = s.Capabilities();
  for (const std::string& requested : a.capabilities) {  // uppercased by the parser
    for (const Enableable& x : kEnableable) {
      if (requested != absl::AsciiStrToUpper(x.name) || !Advertised(caps, x.name)) continue;
      e.*(x.flag) = true;
      bool dup = false;
      for (const char* l : listed) dup |= l == x.name;
      if (!dup) listed.push_back(x.name);
    }
  }
  if (e.qresync) e.condstore = true;  // QRESYNC implies CONDSTORE (RFC 7162 3.2.3)
  s.RefreshMode();
  std::string line = "* ENABLED";
  for (const char* l : listed) absl::StrAppend(&line, " ", l);
  line += "\r\n";
  co_await s.Send(line);
  co_await Complete(s, cmd, "Enabled.");
}

}  // namespace hadron::frontend
