// LIST and LSUB (RFC 3501 6.3.8, 6.3.9) with CHILDREN (RFC 3348) and special-use attributes.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/imap/strings.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {
namespace {

// Glob match: '*' matches anything, '%' anything but the separator.
bool Match(std::string_view pattern, std::string_view name) {
  size_t p = 0, n = 0;
  // Iterative matcher with backtracking over the last wildcard.
  size_t star_p = std::string_view::npos, star_n = 0;
  bool star_is_percent = false;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '*' || pattern[p] == '%')) {
      star_is_percent = pattern[p] == '%';
      star_p = p++;
      star_n = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star_p != std::string_view::npos &&
               !(star_is_percent && name[star_n] == '/')) {
      p = star_p + 1;
      n = ++star_n;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && (pattern[p] == '*' || pattern[p] == '%')) ++p;
  return p == pattern.size();
}

struct Entry {
  bool exists = false;
  bool subscribed = false;
  bool has_children = false;
  bool has_subscribed_children = false;
  std::string special_use;
};

}  // namespace

asio::awaitable<void> CmdList(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::ListArgs>(cmd.args);
  bool lsub = cmd.name == "LSUB";
  std::vector<std::string> patterns = a.patterns;
  if (patterns.empty()) patterns.push_back(a.pattern);
  if (!lsub && patterns.size() == 1 && patterns[0].empty()) {
    // RFC 3501: the hierarchy delimiter and root name.
    co_await s.Send("* LIST (\\Noselect) \"/\" \"\"\r\n");
    co_await Complete(s, cmd, "List completed.");
    co_return;
  }
  pb::ListMailboxesRequest req;
  req.set_account_id(s.auth()->account_id);
  auto res = co_await s.state().ListMailboxes(req);
  if (!res.ok()) {
    co_await s.Fail(cmd, res.status());
    co_return;
  }
  std::map<std::string, Entry> all;
  for (const auto& m : res->mailboxes()) {
    Entry& e = all[m.name()];
    e.exists = true;
    e.subscribed = m.subscribed();
    e.special_use = m.special_use();
    // Parents, whether they exist or not.
    std::string_view name = m.name();
    for (size_t pos = name.rfind('/'); pos != std::string_view::npos && pos > 0;
         pos = name.rfind('/', pos - 1)) {
      Entry& parent = all[std::string(name.substr(0, pos))];
      parent.has_children = true;
      if (m.subscribed()) parent.has_subscribed_children = true;
      if (pos == 0) break;
    }
  }
  bool subscribed_only = lsub;
  for (const auto& opt : a.select_options) {
    if (opt == "SUBSCRIBED") subscribed_only = true;
  }
  std::string out;
  for (const auto& [name, e] : all) {
    bool matched = false;
    for (const auto& pat : patterns) {
      std::string full = CanonicalMailbox(absl::StrCat(a.reference, pat));
      if (Match(full, name)) matched = true;
    }
    if (!matched) continue;
    std::vector<std::string> attrs;
    if (subscribed_only) {
      if (!e.subscribed) {
        // RFC 3501 6.3.9: a parent of subscribed mailboxes matched by '%' shows as \Noselect.
        if (!e.has_subscribed_children) continue;
        attrs.push_back("\\Noselect");
      }
      if (!lsub && e.subscribed) attrs.push_back("\\Subscribed");
    } else {
      if (!e.exists) attrs.push_back("\\Noselect");
      attrs.push_back(e.has_children ? "\\HasChildren" : "\\HasNoChildren");
    }
    if (!e.special_use.empty()) attrs.push_back(e.special_use);
    absl::StrAppend(&out, "* ", lsub ? "LSUB" : "LIST", " (", absl::StrJoin(attrs, " "),
                    ") \"/\" ", imap::Quote(name), "\r\n");
  }
  co_await s.Send(out);
  co_await Complete(s, cmd, lsub ? "Lsub completed." : "List completed.");
}

}  // namespace hadron::frontend
