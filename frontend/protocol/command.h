// Typed IMAP commands: what the parser produces and command handlers consume.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/imap/datetime.h"
#include "common/imap/seqset.h"

namespace hadron::imap {

// One FETCH data item. Macros ALL/FAST/FULL arrive expanded.
struct FetchAtt {
  enum class Kind {
    kEnvelope,
    kFlags,
    kInternalDate,
    kRfc822,
    kRfc822Header,
    kRfc822Size,
    kRfc822Text,
    kBody,  // BODY without section: the non-extensible BODYSTRUCTURE
    kBodyStructure,
    kUid,
    kBodySection,  // BODY[...] and BODY.PEEK[...]
    kBinary,       // BINARY[...] and BINARY.PEEK[...] (RFC 3516); section is kAll, part = path
    kBinarySize,   // BINARY.SIZE[...]
    kModSeq,
    kPreview,  // PREVIEW and PREVIEW (LAZY) (RFC 8970)
    kSaveDate,  // SAVEDATE (RFC 8514)
    kEmailId,   // EMAILID (RFC 8474)
    kThreadId,  // THREADID (RFC 8474)
  };
  Kind kind = Kind::kFlags;
  bool lazy = false;           // PREVIEW (LAZY)
  bool peek = false;           // BODY.PEEK / BINARY.PEEK
  std::vector<uint32_t> part;  // section part path, e.g. {1, 2} for BODY[1.2.TEXT]
  enum class Section { kAll, kHeader, kHeaderFields, kHeaderFieldsNot, kText, kMime };
  Section section = Section::kAll;
  std::vector<std::string> fields;  // HEADER.FIELDS(.NOT) names, uppercased (as Dovecot echoes)
  std::optional<uint32_t> partial_offset;  // <offset.length>
  uint32_t partial_length = 0;

  // The name the FETCH response uses: "BODY[1.HEADER.FIELDS (FROM TO)]<0>" (only the origin
  // octet of a partial is echoed, RFC 3501 7.4.2), BODY for BODY.PEEK, BINARY for BINARY.PEEK,
  // "RFC822.HEADER", "UID", ...
  std::string ResponseName() const;
};

struct SearchKey {
  enum class Kind {
    kAll,
    kAnd,  // children, all must match (parenthesized list and the top level)
    kOr,   // children[0] OR children[1]
    kNot,  // children[0]
    kSeqSet,
    kUidSet,
    kAnswered,
    kDeleted,
    kDraft,
    kFlagged,
    kSeen,
    kUnanswered,
    kUndeleted,
    kUndraft,
    kUnflagged,
    kUnseen,
    kNew,
    kOld,
    kRecent,
    kKeyword,    // value = keyword
    kUnkeyword,  // value = keyword
    kBefore,     // date
    kOn,
    kSince,
    kSentBefore,
    kSentOn,
    kSentSince,
    kLarger,  // number
    kSmaller,
    kHeader,  // header = field name as written, value = substring
    kBody,    // value
    kText,
    kFrom,
    kTo,
    kCc,
    kBcc,
    kSubject,
    kModSeq,  // number = mod-sequence-valzer (entry name/type, if given, are ignored)
    kOlder,    // number = seconds (RFC 5032 WITHIN)
    kYounger,  // number = seconds
    kSavedBefore,  // date (RFC 8514 SAVEDATE)
    kSavedOn,
    kSavedSince,
    kSaveDateSupported,
    kEmailId,   // value = objectid (RFC 8474)
    kThreadId,  // value = objectid (RFC 8474)
  };
  Kind kind = Kind::kAll;
  std::vector<SearchKey> children;
  SequenceSet set;  // kSeqSet, kUidSet
  std::string header, value;
  absl::CivilDay date;
  uint64_t number = 0;
};

struct NoArgs {};
struct LoginArgs {
  std::string user, password;
};
struct AuthenticateArgs {
  std::string mechanism;                    // uppercased
  std::optional<std::string> initial_response;  // SASL-IR, base64 as sent; "=" means empty
};
// SELECT/EXAMINE (QRESYNC (...)) (RFC 7162 3.2.5).
struct QresyncParams {
  uint32_t uid_validity = 0;
  uint64_t modseq = 0;
  std::optional<SequenceSet> known_uids;
  std::optional<SequenceSet> match_seqs, match_uids;  // the sequence match data
};
// SELECT EXAMINE CREATE DELETE SUBSCRIBE UNSUBSCRIBE. "inbox" in any case becomes "INBOX".
struct MailboxArgs {
  std::string mailbox;
  bool condstore = false;                // SELECT/EXAMINE (CONDSTORE)
  std::optional<QresyncParams> qresync;  // SELECT/EXAMINE (QRESYNC (...))
  std::vector<std::string> special_use;  // CREATE (USE (\Sent ...)), RFC 6154; as sent
};
struct RenameArgs {
  std::string from, to;
};
// LIST and LSUB. LIST-EXTENDED options are uppercased and validated (RFC 5258, RFC 5819,
// RFC 6154); `pattern` is patterns[0].
struct ListArgs {
  bool extended = false;  // selection options, a pattern list or RETURN given (RFC 5258 3)
  std::string reference, pattern;
  std::vector<std::string> patterns;        // all patterns (LIST "" ("a" "b"))
  std::vector<std::string> select_options;  // LIST (SUBSCRIBED) ...
  std::vector<std::string> return_options;  // ... RETURN (SPECIAL-USE CHILDREN STATUS)
  std::vector<std::string> status_items;    // RETURN (STATUS (MESSAGES UNSEEN)), uppercased
};
struct StatusArgs {
  std::string mailbox;
  std::vector<std::string> items;  // uppercased, validated: MESSAGES RECENT UIDNEXT ...
};
struct AppendMessage {
  std::vector<std::string> flags;  // system flags in canonical case ("\Seen"), keywords as sent
  std::optional<DateTime> date;
  std::string message;
  bool binary = false;  // sent as literal8 ~{n}
  bool utf8 = false;    // sent as UTF8 (~{n}) (RFC 6855 section 4)
};
// APPEND; several messages with MULTIAPPEND (RFC 3502), all stored or none.
struct AppendArgs {
  std::string mailbox;
  std::vector<AppendMessage> messages;  // at least one
};
struct FetchArgs {
  SequenceSet set;
  std::vector<FetchAtt> atts;  // ALL/FAST/FULL expanded; UID FETCH does not add kUid itself
  uint64_t changed_since = 0;  // (CHANGEDSINCE n); 0 = absent
  bool vanished = false;       // (VANISHED) modifier, UID FETCH only
};
struct StoreArgs {
  SequenceSet set;
  enum class Op { kReplace, kAdd, kRemove } op = Op::kReplace;
  bool silent = false;
  std::vector<std::string> flags;  // system flags in canonical case, keywords as sent
  uint64_t unchanged_since = 0;      // (UNCHANGEDSINCE n)
  bool has_unchanged_since = false;  // the modifier was given (n may legally be 0)
};
struct CopyArgs {  // COPY and MOVE
  SequenceSet set;
  std::string mailbox;
};
struct SearchArgs {
  std::optional<std::string> charset;  // uppercased
  SearchKey key;                       // top-level keys ANDed into one kAnd
  std::vector<std::string> return_options;  // uppercased: MIN MAX ALL COUNT SAVE
  bool has_return = false;             // "RETURN (...)" given, even empty: answer with ESEARCH
};
// SORT (RFC 5256, RFC 5957): SORT (criteria) charset search-keys.
struct SortCriterion {
  enum class Key { kArrival, kCc, kDate, kFrom, kSize, kSubject, kTo, kDisplayFrom, kDisplayTo };
  Key key = Key::kArrival;
  bool reverse = false;
};
struct SortArgs {
  std::vector<SortCriterion> criteria;  // at least one
  std::string charset;                  // uppercased
  SearchKey key;                        // top-level keys ANDed into one kAnd
};
// THREAD (RFC 5256): THREAD algorithm charset search-keys.
struct ThreadArgs {
  enum class Algorithm { kOrderedSubject, kReferences };
  Algorithm algorithm = Algorithm::kOrderedSubject;
  std::string charset;  // uppercased
  SearchKey key;        // top-level keys ANDed into one kAnd
};
struct IdArgs {
  std::vector<std::pair<std::string, std::optional<std::string>>> params;  // empty for NIL
};
struct EnableArgs {
  std::vector<std::string> capabilities;  // uppercased
};
struct ExpungeArgs {  // EXPUNGE (uids empty) and UID EXPUNGE set
  std::optional<SequenceSet> uids;
};

// GETQUOTA root, SETQUOTA root (resource limit ...) (RFC 9208).
struct QuotaArgs {
  std::string root;
  std::vector<std::pair<std::string, uint64_t>> limits;  // SETQUOTA; names uppercased
};

// NOTIFY (RFC 5465 8): NOTIFY NONE, or NOTIFY SET [STATUS] event-group... Filter names are
// checked here (BAD); events are kept as sent and checked by the handler (NO [BADEVENT]).
struct NotifyArgs {
  struct Group {
    enum class Filter {
      kSelected, kSelectedDelayed, kInboxes, kPersonal, kSubscribed, kSubtree, kMailboxes
    };
    Filter filter = Filter::kSelected;
    std::vector<std::string> mailboxes;  // kSubtree, kMailboxes: one or more ("inbox" = INBOX)
    std::vector<std::string> events;     // as sent; empty for NONE
    std::vector<FetchAtt> fetch_atts;    // MessageNew (fetch-att ...)
    bool has_fetch_atts = false;
  };
  bool none = false;    // NOTIFY NONE
  bool status = false;  // NOTIFY SET STATUS
  std::vector<Group> groups;
};

struct Command {
  std::string tag;
  std::string name;  // uppercased verb; "UID FETCH" is name "FETCH" with uid = true
  bool uid = false;
  std::variant<NoArgs, LoginArgs, AuthenticateArgs, MailboxArgs, RenameArgs, ListArgs,
               StatusArgs, AppendArgs, FetchArgs, StoreArgs, CopyArgs, SearchArgs, IdArgs,
               EnableArgs, ExpungeArgs, SortArgs, ThreadArgs,
               QuotaArgs,
               NotifyArgs>
      args;
};

}  // namespace hadron::imap
