// NOTIFY (RFC 5465): what a client asked to hear about, and how account changes become the
// untagged STATUS and LIST responses it hears. Pure: the session feeds it the account's mailbox
// list (ListMailboxes) before and after a change event and sends what it returns.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "frontend/protocol/command.h"
#include "hadron/state/v1/state.pb.h"

namespace hadron::frontend {

enum NotifyEvent : uint32_t {
  kNotifyMessageNew = 1 << 0,
  kNotifyMessageExpunge = 1 << 1,
  kNotifyFlagChange = 1 << 2,
  kNotifyMailboxName = 1 << 3,
  kNotifySubscriptionChange = 1 << 4,
};
inline constexpr uint32_t kNotifyMessageEvents =
    kNotifyMessageNew | kNotifyMessageExpunge | kNotifyFlagChange;

// The events this server supports, as NO [BADEVENT (...)] lists them (RFC 5465 3.1).
inline constexpr char kNotifySupportedEvents[] =
    "MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange";

// A validated NOTIFY SET.
struct NotifySpec {
  using Filter = imap::NotifyArgs::Group::Filter;
  // SELECTED or SELECTED-DELAYED: the selected mailbox's events also go out between commands.
  bool selected = false;
  bool selected_delayed = false;  // ... but EXPUNGE only where RFC 3501 allows it
  uint32_t selected_events = 0;
  std::vector<imap::FetchAtt> fetch_atts;  // MessageNew (fetch-att ...) of the selected group
  struct Group {
    Filter filter = Filter::kPersonal;
    std::vector<std::string> names;  // kSubtree, kMailboxes
    uint32_t events = 0;
  };
  std::vector<Group> groups;  // the other filters
  bool wants_account() const { return !groups.empty(); }
};

// Checks a NOTIFY SET against RFC 5465 3.1, 5, 6.1: syntax-level faults are InvalidArgument
// (BAD, message = the text), unsupported events are Unimplemented (NO [BADEVENT (...)]).
absl::StatusOr<NotifySpec> BuildNotifySpec(const imap::NotifyArgs& args);

// What the session last told (or would have told) the client about one mailbox.
struct NotifyMailbox {
  std::string name;
  bool subscribed = false;
  uint32_t uid_validity = 0;
  uint32_t uid_next = 0;
  uint32_t messages = 0;
  uint32_t unseen = 0;
  uint64_t highest_modseq = 0;
};
using NotifySnapshot = std::map<uint64_t, NotifyMailbox>;  // by mailbox id

NotifySnapshot MakeNotifySnapshot(const state::v1::ListMailboxesResponse& list);

// The events the non-selected groups ask for mailbox `name`.
uint32_t NotifyEventsFor(const NotifySpec& spec, const std::string& name, bool subscribed);

// The untagged responses that take a client from `before` to `after` (RFC 5465 5): LIST for
// created, deleted (\NonExistent), renamed (OLDNAME) and (un)subscribed mailboxes; STATUS for
// message changes in mailboxes other than `selected_id` (0: none selected). Names are matched
// as stored (modified UTF-7) and printed in UTF-8 when `utf8_names` (UTF8=ACCEPT, IMAP4rev2).
std::string NotifyDiff(const NotifySpec& spec, const NotifySnapshot& before,
                       const NotifySnapshot& after, uint64_t selected_id, bool condstore,
                       bool utf8_names = false);

// NOTIFY SET STATUS (RFC 5465 3.1): a STATUS for every mailbox a group watches for message
// events, the selected one aside.
std::string NotifyInitialStatus(const NotifySpec& spec, const NotifySnapshot& snapshot,
                                uint64_t selected_id, bool condstore, bool utf8_names = false);

}  // namespace hadron::frontend
