// NOTIFY (RFC 5465): validation of NOTIFY SET and the STATUS/LIST responses for account changes.
#include "frontend/session/notify.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/imap/strings.h"
#include "common/imap/utf7.h"

namespace hadron::frontend {
namespace {

using Filter = NotifySpec::Filter;

// 0 for an event name this server does not know or support.
uint32_t EventBit(const std::string& name) {
  std::string upper = absl::AsciiStrToUpper(name);
  if (upper == "MESSAGENEW") return kNotifyMessageNew;
  if (upper == "MESSAGEEXPUNGE") return kNotifyMessageExpunge;
  if (upper == "FLAGCHANGE") return kNotifyFlagChange;
  if (upper == "MAILBOXNAME") return kNotifyMailboxName;
  if (upper == "SUBSCRIPTIONCHANGE") return kNotifySubscriptionChange;
  return 0;
}

// RFC 5465 5.4 - 5.7: events about mailboxes or the server, not messages.
bool IsMailboxEvent(const std::string& name) {
  std::string upper = absl::AsciiStrToUpper(name);
  return upper == "MAILBOXNAME" || upper == "SUBSCRIPTIONCHANGE" ||
         upper == "MAILBOXMETADATACHANGE" || upper == "SERVERMETADATACHANGE";
}

bool Matches(const NotifySpec::Group& g, const std::string& name, bool subscribed) {
  switch (g.filter) {
    case Filter::kInboxes:  // every mailbox can receive mail here (deliver --mailbox), as Dovecot
    case Filter::kPersonal:
      return true;
    case Filter::kSubscribed:
      return subscribed;
    case Filter::kSubtree:
      for (const auto& n : g.names) {
        if (name == n || (name.size() > n.size() && absl::StartsWith(name, n) &&
                          name[n.size()] == '/')) {
          return true;
        }
      }
      return false;
    case Filter::kMailboxes:
      for (const auto& n : g.names) {
        if (name == n) return true;
      }
      return false;
    case Filter::kSelected:
    case Filter::kSelectedDelayed:
      return false;
  }
  return false;
}

// A stored (modified UTF-7) name as the client reads it, quoted.
std::string Wire(const std::string& stored, bool utf8_names) {
  if (!utf8_names) return imap::Quote(stored);
  auto utf8 = imap::Mutf7ToUtf8(stored);
  return imap::Quote(utf8.ok() ? *utf8 : stored);
}

std::string ListLine(bool utf8, const std::string& attrs, const std::string& name,
                     const std::string& old = "") {
  std::string out = absl::StrCat("* LIST (", attrs, ") \"/\" ", Wire(name, utf8));
  if (!old.empty()) absl::StrAppend(&out, " (\"OLDNAME\" (", Wire(old, utf8), "))");
  out += "\r\n";
  return out;
}

}  // namespace

absl::StatusOr<NotifySpec> BuildNotifySpec(const imap::NotifyArgs& args) {
  NotifySpec spec;
  std::vector<std::string> unsupported;
  for (const auto& g : args.groups) {
    const bool selected = g.filter == Filter::kSelected || g.filter == Filter::kSelectedDelayed;
    uint32_t events = 0;
    for (const auto& e : g.events) {
      uint32_t bit = EventBit(e);
      if (bit == 0) unsupported.push_back(e);
      // RFC 5465 6.1: the selected filters take message events only.
      if (selected && IsMailboxEvent(e)) {
        return absl::InvalidArgumentError(
            absl::StrCat(e, " can not be used with SELECTED or SELECTED-DELAYED"));
      }
      events |= bit;
    }
    std::set<std::string> upper;
    for (const auto& e : g.events) upper.insert(absl::AsciiStrToUpper(e));
    const bool has_new = upper.count("MESSAGENEW") > 0;
    const bool has_expunge = upper.count("MESSAGEEXPUNGE") > 0;
    // RFC 5465 5: MessageNew and MessageExpunge go together; FlagChange and AnnotationChange
    // need both.
    if (has_new != has_expunge) {
      return absl::InvalidArgumentError("MessageNew and MessageExpunge must be specified together");
    }
    if ((upper.count("FLAGCHANGE") > 0 || upper.count("ANNOTATIONCHANGE") > 0) && !has_new) {
      return absl::InvalidArgumentError(
          "FlagChange and AnnotationChange require MessageNew and MessageExpunge");
    }
    if (g.has_fetch_atts && !selected) {
      return absl::InvalidArgumentError(
          "MessageNew fetch attributes are allowed only with SELECTED or SELECTED-DELAYED");
    }
    if (selected) {
      if (spec.selected) return absl::InvalidArgumentError("Duplicate SELECTED filter");
      spec.selected = true;
      spec.selected_delayed = g.filter == Filter::kSelectedDelayed;
      spec.selected_events = events;
      spec.fetch_atts = g.fetch_atts;
      continue;
    }
    if (events == 0) continue;  // NONE: the default
    NotifySpec::Group out;
    out.filter = g.filter;
    out.names = g.mailboxes;
    out.events = events;
    spec.groups.push_back(std::move(out));
  }
  if (!unsupported.empty()) {
    return absl::UnimplementedError(absl::StrCat("Unsupported NOTIFY events: ",
                                                 absl::StrJoin(unsupported, " ")));
  }
  return spec;
}

NotifySnapshot MakeNotifySnapshot(const state::v1::ListMailboxesResponse& list) {
  NotifySnapshot out;
  for (const auto& m : list.mailboxes()) {
    NotifyMailbox& n = out[m.mailbox_id()];
    n.name = m.name();
    n.subscribed = m.subscribed();
    n.uid_validity = m.uid_validity();
    n.uid_next = m.uid_next();
    n.messages = m.messages();
    n.unseen = m.unseen();
    n.highest_modseq = m.highest_modseq();
  }
  return out;
}

uint32_t NotifyEventsFor(const NotifySpec& spec, const std::string& name, bool subscribed) {
  uint32_t events = 0;
  for (const auto& g : spec.groups) {
    if (Matches(g, name, subscribed)) events |= g.events;
  }
  return events;
}

std::string NotifyDiff(const NotifySpec& spec, const NotifySnapshot& before,
                       const NotifySnapshot& after, uint64_t selected_id, bool condstore,
                       bool utf8_names) {
  std::string out;
  // Deleted mailboxes first, so a name deleted and created again reads in order.
  for (const auto& [id, old] : before) {
    if (after.count(id) > 0) continue;
    if (NotifyEventsFor(spec, old.name, old.subscribed) & kNotifyMailboxName) {
      out += ListLine(utf8_names, "\\NonExistent", old.name);
    }
  }
  for (const auto& [id, now] : after) {
    auto it = before.find(id);
    uint32_t events = NotifyEventsFor(spec, now.name, now.subscribed);
    NotifyMailbox fresh;  // a new mailbox, as it was when created
    if (it == before.end()) {
      if (events & kNotifyMailboxName) {
        out += ListLine(utf8_names, now.subscribed ? "\\Subscribed" : "", now.name);
      } else if (now.subscribed && (events & kNotifySubscriptionChange)) {
        // Created and subscribed between two reads: the subscription is still news.
        out += ListLine(utf8_names, "\\Subscribed", now.name);
      }
      if (id == selected_id || (now.messages == 0 && now.uid_next <= 1)) continue;
      // Messages arrived between two reads too: report them as if it had been read empty.
      fresh.name = now.name;
      fresh.subscribed = now.subscribed;
      fresh.uid_validity = now.uid_validity;
      fresh.uid_next = 1;
    }
    const NotifyMailbox& old = it == before.end() ? fresh : it->second;
    if (old.name != now.name) {
      // RENAME keeps the id: one LIST with OLDNAME (RFC 5465 5.4), for either name watched.
      uint32_t either = events | NotifyEventsFor(spec, old.name, old.subscribed);
      if (either & kNotifyMailboxName) out += ListLine(utf8_names, "", now.name, old.name);
    }
    if (old.subscribed != now.subscribed) {
      // RFC 5465 5.5; a mailbox just unsubscribed still counts for SUBSCRIBED here.
      uint32_t either = events | NotifyEventsFor(spec, now.name, old.subscribed);
      if (either & kNotifySubscriptionChange) {
        out += ListLine(utf8_names, now.subscribed ? "\\Subscribed" : "", now.name);
      }
    }
    if (id == selected_id) continue;  // the view reports the selected mailbox itself
    std::vector<std::string> items;
    if ((now.messages != old.messages || now.uid_next != old.uid_next ||
         now.uid_validity != old.uid_validity) &&
        (events & (kNotifyMessageNew | kNotifyMessageExpunge))) {
      // RFC 5465 5.2, 5.3: MESSAGES and UIDNEXT (and UNSEEN, as Dovecot sends).
      items.push_back(absl::StrCat("MESSAGES ", now.messages));
      items.push_back(absl::StrCat("UIDNEXT ", now.uid_next));
      if (now.uid_validity != old.uid_validity) {
        items.push_back(absl::StrCat("UIDVALIDITY ", now.uid_validity));
      }
      items.push_back(absl::StrCat("UNSEEN ", now.unseen));
    } else if (now.unseen != old.unseen && (events & kNotifyFlagChange)) {
      items.push_back(absl::StrCat("UNSEEN ", now.unseen));  // RFC 5465 5.4
    }
    // HIGHESTMODSEQ once CONDSTORE is on (RFC 5465 5.4, RFC 7162), with whatever else changed;
    // alone for a flag change that left UNSEEN as it was.
    if (condstore && now.highest_modseq != old.highest_modseq &&
        (!items.empty() || (events & kNotifyFlagChange))) {
      items.push_back(absl::StrCat("HIGHESTMODSEQ ", now.highest_modseq));
    }
    if (!items.empty()) {
      absl::StrAppend(&out, "* STATUS ", Wire(now.name, utf8_names), " (",
                      absl::StrJoin(items, " "), ")\r\n");
    }
  }
  return out;
}

std::string NotifyInitialStatus(const NotifySpec& spec, const NotifySnapshot& snapshot,
                                uint64_t selected_id, bool condstore, bool utf8_names) {
  std::string out;
  for (const auto& [id, m] : snapshot) {
    if (id == selected_id) continue;
    uint32_t events = NotifyEventsFor(spec, m.name, m.subscribed);
    if (!(events & kNotifyMessageEvents)) continue;
    absl::StrAppend(&out, "* STATUS ", Wire(m.name, utf8_names), " (MESSAGES ", m.messages,
                    " UIDNEXT ", m.uid_next, " UIDVALIDITY ", m.uid_validity, " UNSEEN ",
                    m.unseen);
    // As Dovecot: HIGHESTMODSEQ when CONDSTORE is on or flag changes are watched.
    if (condstore || (events & kNotifyFlagChange)) {
      absl::StrAppend(&out, " HIGHESTMODSEQ ", m.highest_modseq);
    }
    out += ")\r\n";
  }
  return out;
}

}  // namespace hadron::frontend
