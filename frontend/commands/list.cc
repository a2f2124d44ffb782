// LIST and LSUB (RFC 3501 6.3.8, 6.3.9; RFC 9051 6.3.9) with LIST-EXTENDED (RFC 5258:
// selection options SUBSCRIBED, REMOTE, RECURSIVEMATCH; return options SUBSCRIBED, CHILDREN;
// pattern lists; \NonExistent, \Subscribed, CHILDINFO), LIST-STATUS (RFC 5819), CHILDREN
// (RFC 3348) and SPECIAL-USE (RFC 6154).
//
// Where the RFCs leave room we answer as Dovecot 2.3 does: a plain LIST always carries
// \HasChildren/\HasNoChildren and the special-use attributes; an extended LIST carries only
// what its RETURN options ask for, and a name that exists only as the parent of others is
// \NonExistent (plain LIST: \Noselect). Once IMAP4rev2 is enabled, \NonExistent replaces
// \Noselect and the child attributes are always sent (RFC 9051 6.3.9, 7.3.1). INBOX comes first.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
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

// INBOX is case-insensitive, in patterns too (as Dovecot: "in%" lists INBOX): the pattern's
// leading characters that spell a prefix of "INBOX" in any case are uppercased.
std::string InboxCasePattern(std::string pattern) {
  static constexpr std::string_view kInbox = "INBOX";
  for (size_t i = 0; i < pattern.size() && i < kInbox.size(); ++i) {
    if (absl::ascii_toupper(static_cast<unsigned char>(pattern[i])) != kInbox[i]) break;
    pattern[i] = kInbox[i];
  }
  return pattern;
}

struct Entry {
  bool exists = false;
  bool subscribed = false;
  bool has_children = false;  // an existing mailbox below it
  bool child_matches = false;  // a mailbox below, not matched itself, meets the selection
  bool child_subscribed = false;  // a subscribed name below it (LSUB's \Noselect parents)
  std::string special_use;
  const pb::MailboxInfo* info = nullptr;
};

// Calls f(parent) for each parent of `name`, innermost first.
template <typename F>
void ForEachParent(std::string_view name, F f) {
  for (size_t pos = name.rfind('/'); pos != std::string_view::npos && pos > 0;
       pos = name.rfind('/', pos - 1)) {
    f(std::string(name.substr(0, pos)));
  }
}

}  // namespace

asio::awaitable<void> CmdList(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::ListArgs>(cmd.args);
  const bool lsub = cmd.name == "LSUB";
  const bool rev2 = s.enabled().imap4rev2;
  std::vector<std::string> patterns = a.patterns;
  if (patterns.empty()) patterns.push_back(a.pattern);
  if (!lsub && !a.extended && patterns.size() == 1 && patterns[0].empty()) {
    // RFC 3501 6.3.8: the hierarchy delimiter and root name.
    co_await s.Send("* LIST (\\Noselect) \"/\" \"\"\r\n");
    co_await Complete(s, cmd, "List completed.");
    co_return;
  }
  for (auto& pat : patterns) {
    pat = InboxCasePattern(CanonicalMailbox(absl::StrCat(a.reference, pat)));
  }
  auto matches = [&patterns](std::string_view name) {
    for (const auto& pat : patterns) {
      if (Match(pat, name)) return true;
    }
    return false;
  };

  // Options (the parser has validated them).
  bool sel_subscribed = lsub, sel_special = false, recursive = false;
  for (const auto& opt : a.select_options) {
    if (opt == "SUBSCRIBED") sel_subscribed = true;
    if (opt == "SPECIAL-USE") sel_special = true;
    if (opt == "RECURSIVEMATCH") recursive = true;
  }
  bool ret_subscribed = sel_subscribed && !lsub, ret_children = !a.extended || rev2,
       ret_special = !a.extended || sel_special;
  for (const auto& opt : a.return_options) {
    if (opt == "SUBSCRIBED") ret_subscribed = true;
    if (opt == "CHILDREN") ret_children = true;
    if (opt == "SPECIAL-USE") ret_special = true;
  }
  if (!a.status_items.empty()) {
    std::string error = StatusItemsError(s, a.status_items);
    if (!error.empty()) {
      co_await s.Tagged(cmd, "BAD", error);
      co_return;
    }
    co_await EnableCondstoreFor(s, a.status_items);
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
    e.info = &m;
    // Parents, whether they exist or not.
    ForEachParent(m.name(), [&](std::string parent) {
      Entry& p = all[parent];
      p.has_children = true;
      if (m.subscribed()) p.child_subscribed = true;
    });
  }
  auto meets_selection = [&](const Entry& e) {
    return (!sel_subscribed || e.subscribed) && (!sel_special || !e.special_use.empty());
  };
  if (recursive) {
    // RFC 5258 3: CHILDINFO tells of children that meet the selection options but that the
    // patterns do not list themselves (as Dovecot: with "*" they are listed, no CHILDINFO).
    for (const auto& [name, e] : all) {
      if (!meets_selection(e) || matches(name)) continue;
      ForEachParent(name, [&](std::string parent) { all[parent].child_matches = true; });
    }
  }

  // INBOX first (as Dovecot), then by name.
  std::vector<const std::pair<const std::string, Entry>*> order;
  order.reserve(all.size());
  if (auto it = all.find("INBOX"); it != all.end()) order.push_back(&*it);
  for (const auto& kv : all) {
    if (kv.first != "INBOX") order.push_back(&kv);
  }

  std::string out;
  for (const auto* kv : order) {
    const std::string& name = kv->first;
    const Entry& e = kv->second;
    if (!matches(name)) continue;
    std::vector<std::string> attrs;
    std::string extra;
    if (lsub) {
      if (!e.subscribed) {
        // RFC 3501 6.3.9: a parent of subscribed mailboxes that '%' stops at is \Noselect.
        bool below_unmatched = false;
        for (auto it = all.upper_bound(name); it != all.end(); ++it) {
          if (!absl::StartsWith(it->first, name + "/")) break;
          if (it->second.subscribed && !matches(it->first)) below_unmatched = true;
        }
        if (!below_unmatched) continue;
        attrs.push_back("\\Noselect");
      }
      if (!e.special_use.empty()) attrs.push_back(e.special_use);
      absl::StrAppend(&out, "* LSUB (", absl::StrJoin(attrs, " "), ") \"/\" ",
                      imap::Quote(MailboxToWire(s, name)), "\r\n");
      continue;
    }
    bool selected = meets_selection(e);
    if (!selected && !(recursive && e.child_matches)) continue;
    if (!e.exists) attrs.push_back(a.extended || rev2 ? "\\NonExistent" : "\\Noselect");
    if (ret_subscribed && e.subscribed) attrs.push_back("\\Subscribed");
    if (ret_children) attrs.push_back(e.has_children ? "\\HasChildren" : "\\HasNoChildren");
    if (ret_special && !e.special_use.empty()) attrs.push_back(e.special_use);
    if (recursive && e.child_matches) {
      std::vector<std::string> info;
      if (sel_subscribed) info.push_back("\"SUBSCRIBED\"");
      if (sel_special) info.push_back("\"SPECIAL-USE\"");
      extra = absl::StrCat(" (\"CHILDINFO\" (", absl::StrJoin(info, " "), "))");
    }
    absl::StrAppend(&out, "* LIST (", absl::StrJoin(attrs, " "), ") \"/\" ",
                    imap::Quote(MailboxToWire(s, name)), extra, "\r\n");
    if (!a.status_items.empty() && e.exists && selected) {
      // RFC 5819: the STATUS follows its LIST response; none for names that cannot be selected,
      // nor for those listed only for their children (RFC 5819 5, example A02).
      pb::MailboxInfo fresh;
      const pb::MailboxInfo* info = e.info;
      if (NeedsGetMailbox(a.status_items)) {
        pb::MailboxRef ref;
        ref.set_account_id(s.auth()->account_id);
        ref.set_name(name);
        auto got = co_await s.state().GetMailbox(ref);
        if (!got.ok()) continue;  // gone meanwhile: RFC 5819 lets us omit it
        fresh = std::move(*got);
        info = &fresh;
      }
      // DELETED-STORAGE (RFC 9208) as STATUS answers it (RFC 5819 allows every STATUS item).
      std::optional<uint64_t> deleted_storage;
      if (std::find(a.status_items.begin(), a.status_items.end(), "DELETED-STORAGE") !=
          a.status_items.end()) {
        auto kib = co_await DeletedStorageKib(s, *info);
        if (!kib.ok()) continue;  // gone meanwhile, as above
        deleted_storage = *kib;
      }
      absl::StrAppend(&out, "* STATUS ", imap::Quote(MailboxToWire(s, name)), " (",
                      FormatStatusItems(*info, a.status_items, deleted_storage), ")\r\n");
    }
  }
  co_await s.Send(out);
  co_await Complete(s, cmd, lsub ? "Lsub completed." : "List completed.");
}

}  // namespace hadron::frontend
