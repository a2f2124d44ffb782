// Helpers shared by command handlers: set resolution, flag conversion, completion.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "asio/awaitable.hpp"
#include "common/imap/seqset.h"
#include "frontend/protocol/command.h"
#include "frontend/session/mailbox_view.h"

namespace hadron::frontend {

class Session;

struct SeqUid {
  uint32_t seq;
  uint32_t uid;
};

// The messages of the view a set names, ascending. Sequence numbers beyond the view are an
// error (BAD, as Dovecot answers); UIDs that are not in the view are skipped (RFC 3501 6.4.8).
absl::StatusOr<std::vector<SeqUid>> ResolveSet(const MailboxView& view,
                                               const imap::SequenceSet& set, bool uid_mode);

// IMAP flag names to the wire form; \Recent and unknown system flags are dropped.
pb::Flags ToFlags(const std::vector<std::string>& names);

// Syncs (emitting what the command may see) and sends "<tag> OK <text>".
// With `poll`, the change log is read first (after APPEND/COPY into the selected mailbox, whose
// new messages must be announced in UID order with everyone else's).
asio::awaitable<void> Complete(Session& s, const imap::Command& cmd, std::string_view text,
                               bool poll = false);

// Whether `v` lies in one of `ranges` (sorted, disjoint, as imap::Resolve gives them).
bool InRanges(const std::vector<std::pair<uint32_t, uint32_t>>& ranges, uint32_t v);

// UIDs of `ranges` (ascending, as imap::Resolve gives them) up to `uid_limit` that are not in
// the view, as a compact UID set ("" if none).
std::string MissingUids(const MailboxView& v,
                        const std::vector<std::pair<uint32_t, uint32_t>>& ranges,
                        uint32_t uid_limit);

// VANISHED (EARLIER) data (RFC 7162 3.2.5.2, 3.2.6): the UIDs of `ranges` up to `uid_limit`
// expunged since `modseq`, from the change log; when the log no longer reaches back, every
// UID of the ranges that is not in the view (the RFC allows reporting UIDs never seen).
asio::awaitable<std::string> VanishedSince(
    Session& s, const MailboxView& v, const std::vector<std::pair<uint32_t, uint32_t>>& ranges,
    uint64_t modseq, uint32_t uid_limit);

// A change log entry for messages this session expunged (EXPUNGE, MOVE).
pb::Change ExpungeChange(uint64_t modseq, const google::protobuf::RepeatedField<uint32_t>& uids);

// Mailbox names: "INBOX" in any case is INBOX.
std::string CanonicalMailbox(absl::string_view name);

// STATUS items (status.cc, shared with LIST-STATUS): the BAD text for items this session may
// not ask for ("" if none), CONDSTORE enabled by HIGHESTMODSEQ (RFC 7162 3.1), whether RECENT
// needs GetMailbox, and "NAME value ..." for `info`.
std::string StatusItemsError(const Session& s, const std::vector<std::string>& items);
asio::awaitable<void> EnableCondstoreFor(Session& s, const std::vector<std::string>& items);
bool NeedsGetMailbox(const std::vector<std::string>& items);
// STATUS / LIST-STATUS DELETED-STORAGE: what an EXPUNGE of `info` would free, in KiB.
asio::awaitable<absl::StatusOr<uint64_t>> DeletedStorageKib(Session& s,
                                                            const pb::MailboxInfo& info);
// DELETED-STORAGE (RFC 9208) is listed only when its value is given (DeletedStorageKib).
std::string FormatStatusItems(const pb::MailboxInfo& info, const std::vector<std::string>& items,
                              std::optional<uint64_t> deleted_storage_kib = std::nullopt);

// An unsolicited `* LIST () "/" name ("OLDNAME" (old))` (RFC 9051 6.3.9.7) for IMAP4rev2
// sessions, after CREATE or RENAME normalized the name the client gave.
std::string OldNameList(const Session& s, std::string_view name, std::string_view old);

// Answers NO [CANNOT] and returns true when a mailbox name in `cmd` is not modified UTF-7 and
// UTF8=ACCEPT is not enabled (names.cc).
asio::awaitable<bool> RejectInvalidMailboxNames(Session& s, const imap::Command& cmd);

// OBJECTID (RFC 8474) MAILBOXID: from the mailbox's id and UIDVALIDITY, both kept by RENAME and
// never reused.
std::string MailboxObjectId(uint64_t mailbox_id, uint32_t uid_validity);

// QUOTA (RFC 9208): the one quota root of every account (Dovecot's default name).
inline constexpr char kQuotaRoot[] = "User quota";
// "* QUOTA "User quota" (STORAGE u l MESSAGE u l)\r\n" listing the resources that have a limit;
// empty when none has (RFC 9208's quota-list needs at least one resource).
std::string QuotaResponse(const pb::QuotaInfo& q);

// Whether this session's mailbox names are UTF-8 on the wire: after ENABLE UTF8=ACCEPT
// (RFC 6855) or ENABLE IMAP4rev2 (RFC 9051 5.1). Stored names are modified UTF-7 either way.
bool Utf8Names(const Session& s);

// A stored mailbox name (modified UTF-7) as this session sees it: UTF-8 when Utf8Names(),
// unchanged otherwise (or when it is not valid modified UTF-7).
std::string MailboxToWire(const Session& s, std::string_view stored);

// When Utf8Names(): rewrites the mailbox names (and LIST reference and patterns) of `cmd` from
// UTF-8 to the stored modified UTF-7 form; InvalidArgument (a BAD) for a name that is not UTF-8.
// With UTF8=ACCEPT also InvalidArgument for SEARCH CHARSET, and SORT/THREAD with a charset
// other than UTF-8 (RFC 6855 section 3 and erratum 4029). Otherwise it does nothing.
absl::Status MailboxesFromWire(const Session& s, imap::Command& cmd);

}  // namespace hadron::frontend
