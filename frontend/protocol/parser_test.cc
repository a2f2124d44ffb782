// Table tests: command text -> typed command (or BAD message), directly and through the reader.
#include <gtest/gtest.h>

#include "frontend/protocol/test_util.h"

namespace hadron::imap {
namespace {

using testing::Describe;
using testing::Drive;

struct Case {
  const char* wire;      // one command without the final CRLF; literals inline
  const char* expected;  // Describe() output, or "BAD <message>"
};

const Case kCases[] = {
    // No-argument commands, case-insensitive verbs.
    {"a CAPABILITY", "a CAPABILITY"},
    {"a noop", "a NOOP"},
    {"a LOGOUT", "a LOGOUT"},
    {"a STARTTLS", "a STARTTLS"},
    {"a CHECK", "a CHECK"},
    {"a CLOSE", "a CLOSE"},
    {"a UNSELECT", "a UNSELECT"},
    {"a IDLE", "a IDLE"},
    {"a NAMESPACE", "a NAMESPACE"},
    {"a NOOP extra", "BAD Unexpected argument"},
    {"a NOOP ", "BAD Unexpected argument"},
    {"a EXPUNGE", "a EXPUNGE"},
    {"a UID EXPUNGE 1:3,5", "a UID EXPUNGE uids=1:3,5"},
    {"a UID EXPUNGE", "BAD Missing argument"},
    // Tags and verbs.
    {"", "BAD Missing tag"},
    {" NOOP", "BAD Missing tag"},
    {"a+b NOOP", "BAD Invalid tag"},
    {"a", "BAD Invalid tag"},
    {"a ", "BAD Missing command"},
    {"a FROB", "BAD Unknown command"},
    {"a UID NOOP", "BAD Unknown command"},
    {"a UID", "BAD Missing argument"},
    {"A1.b] NOOP", "A1.b] NOOP"},
    // LOGIN: atoms, quoted strings with escapes, literals.
    {"a LOGIN joe secret", "a LOGIN user=joe pass=secret"},
    {"a LOGIN \"joe q\" \"p\\\"w\\\\d\"", "a LOGIN user=joe q pass=p\"w\\d"},
    {"a LOGIN {3}\r\njoe {4+}\r\nab c", "a LOGIN user=joe pass=ab c"},
    {"a LOGIN joe", "BAD Missing argument"},
    {"a LOGIN joe  x", "BAD Expected string"},
    {"a LOGIN \"joe x", "BAD Unterminated quoted string"},
    {"a LOGIN \"jo\\e\" x", "BAD Invalid escape in quoted string"},
    {"a LOGIN joe x y", "BAD Unexpected argument"},
    {"a LOGIN {5}\r\njoe", "BAD Truncated literal"},
    // AUTHENTICATE.
    {"a AUTHENTICATE plain", "a AUTHENTICATE mech=PLAIN ir=NIL"},
    {"a AUTHENTICATE PLAIN AGpvZQBzZWNyZXQ=", "a AUTHENTICATE mech=PLAIN ir=\"AGpvZQBzZWNyZXQ=\""},
    {"a AUTHENTICATE PLAIN =", "a AUTHENTICATE mech=PLAIN ir=\"=\""},
    {"a AUTHENTICATE PLAIN a*b", "BAD Invalid initial response"},
    {"a AUTHENTICATE login dXNlcg==", "a AUTHENTICATE mech=LOGIN ir=\"dXNlcg==\""},
    // UNAUTHENTICATE (RFC 8437), COMPRESS (RFC 4978; the mechanism in AuthenticateArgs).
    {"a UNAUTHENTICATE", "a UNAUTHENTICATE"},
    {"a UNAUTHENTICATE x", "BAD Unexpected argument"},
    {"a compress deflate", "a COMPRESS mech=DEFLATE ir=NIL"},
    {"a COMPRESS", "BAD Missing argument"},
    {"a COMPRESS DEFLATE x", "BAD Unexpected argument"},
    // Mailbox commands; INBOX is case-insensitive.
    {"a SELECT inbox", "a SELECT mbox=INBOX"},
    {"a SELECT \"Inbox/Sub\"", "a SELECT mbox=Inbox/Sub"},
    {"a EXAMINE Archive (CONDSTORE)", "a EXAMINE mbox=Archive condstore"},
    {"a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))",
     "a SELECT mbox=INBOX qresync=67890007/20050715194045000/41,43:211,214:541"},
    {"A02 SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541))",
     "A02 SELECT mbox=INBOX qresync=67890007/90060115194045000/41:211,214:541"},
    {"B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 "
     "15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))",
     "B04 SELECT mbox=INBOX qresync=67890007/90060115194045000/1:29997/(5000,7500,9000,9990:9999 "
     "15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)"},
    {"a EXAMINE x (QRESYNC (1 2))", "a EXAMINE mbox=x qresync=1/2"},
    {"a EXAMINE x (CONDSTORE QRESYNC (1 2 (1 5)))", "a EXAMINE mbox=x condstore qresync=1/2/(1 5)"},
    {"a SELECT x (QRESYNC (0 2))", "BAD Invalid QRESYNC parameters"},
    {"a SELECT x (QRESYNC (1 0))", "BAD Invalid QRESYNC parameters"},
    {"a SELECT x (QRESYNC (1))", "BAD Expected space"},
    {"a SELECT x (QRESYNC (1 2 $))", "BAD Invalid QRESYNC known-uids"},
    {"a SELECT x (QRESYNC (1 2 1:*))", "BAD Invalid QRESYNC known-uids"},
    {"a SELECT x (FOO)", "BAD Unknown SELECT parameter FOO"},
    {"a SELECT INBOX (", "BAD Missing argument"},
    {"a SELECT", "BAD Missing argument"},
    {"a CREATE Projects/2024", "a CREATE mbox=Projects/2024"},
    // CREATE-SPECIAL-USE (RFC 6154 5.2): USE keeps the attributes as sent.
    {"a CREATE Stuff (USE (\\Archive))", "a CREATE mbox=Stuff use=\\Archive"},
    {"a CREATE MySpecialMailbox (use (\\Drafts \\Sent))",
     "a CREATE mbox=MySpecialMailbox use=\\Drafts,\\Sent"},
    {"a CREATE Stuff (USE ())", "a CREATE mbox=Stuff"},
    {"a CREATE Stuff (X-FOO 1 USE (\\Junk))", "a CREATE mbox=Stuff use=\\Junk"},
    {"a CREATE Stuff (USE (Archive))", "BAD Expected special-use attribute"},
    {"a CREATE Stuff (USE (\\))", "BAD Expected special-use attribute"},
    {"a CREATE Stuff (USE \\Archive)", "BAD Expected USE list"},
    {"a CREATE Stuff (USE (\\Archive)", "BAD Missing argument"},
    {"a DELETE Trash", "a DELETE mbox=Trash"},
    {"a SUBSCRIBE \"a b\"", "a SUBSCRIBE mbox=a b"},
    {"a UNSUBSCRIBE {3}\r\nx y", "a UNSUBSCRIBE mbox=x y"},
    {"a RENAME old new", "a RENAME from=old to=new"},
    {"a RENAME old", "BAD Missing argument"},
    {"a SELECT a%b", "BAD Unexpected argument"},
    // LIST / LSUB.
    {"a LIST \"\" *", "a LIST ref= pat=*"},
    {"a LIST \"\" %/x]", "a LIST ref= pat=%/x]"},
    {"a LIST ~/Mail \"foo bar\"", "a LIST ref=~/Mail pat=foo bar"},
    {"a LIST (SUBSCRIBED) \"\" (\"a*\" b%) RETURN (CHILDREN status (messages UNSEEN))",
     "a LIST ref= pat=a* ext pats=a*,b% sel=SUBSCRIBED ret=CHILDREN,STATUS status=MESSAGES,UNSEEN"},
    {"a LIST \"\" * RETURN (SPECIAL-USE)", "a LIST ref= pat=* ext ret=SPECIAL-USE"},
    // LIST-EXTENDED (RFC 5258): the RFC's examples, then the errors.
    {"A02 LIST (SUBSCRIBED) \"\" \"*\"", "A02 LIST ref= pat=* ext sel=SUBSCRIBED"},
    {"A03 LIST () \"\" \"%\" RETURN (CHILDREN)", "A03 LIST ref= pat=% ext ret=CHILDREN"},
    {"A04 LIST (REMOTE) \"\" \"%\" RETURN (CHILDREN)",
     "A04 LIST ref= pat=% ext sel=REMOTE ret=CHILDREN"},
    {"A05 LIST (REMOTE SUBSCRIBED) \"/\" \"*\"", "A05 LIST ref=/ pat=* ext sel=REMOTE,SUBSCRIBED"},
    {"A06 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\" RETURN (CHILDREN)",
     "A06 LIST ref= pat=% ext sel=SUBSCRIBED,RECURSIVEMATCH ret=CHILDREN"},
    {"B01 LIST \"\" (\"INBOX\" \"Drafts\" \"Sent/%\")",
     "B01 LIST ref= pat=INBOX ext pats=INBOX,Drafts,Sent/%"},
    {"a LIST \"\" % RETURN ()", "a LIST ref= pat=% ext"},
    {"a LIST (special-use) \"\" *", "a LIST ref= pat=* ext sel=SPECIAL-USE"},
    {"a LIST (RECURSIVEMATCH) \"\" %", "BAD RECURSIVEMATCH needs another selection option"},
    {"a LIST (REMOTE RECURSIVEMATCH) \"\" %",
     "BAD RECURSIVEMATCH needs another selection option"},
    {"a LIST (FOO) \"\" %", "BAD Unknown LIST selection option FOO"},
    {"a LIST \"\" % RETURN (FOO)", "BAD Unknown LIST return option FOO"},
    {"a LIST \"\" % RETURN (STATUS (MESSAGES BOGUS))", "BAD Invalid status item BOGUS"},
    {"a LIST \"\" % RETURN (STATUS ())", "BAD Empty list"},
    {"a LIST \"\" () RETURN (CHILDREN)", "BAD Expected mailbox pattern"},
    // LIST-STATUS (RFC 5819 5).
    {"A01 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))",
     "A01 LIST ref= pat=% ext ret=STATUS status=MESSAGES,UNSEEN"},
    {"A02 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" % RETURN (STATUS (MESSAGES))",
     "A02 LIST ref= pat=% ext sel=SUBSCRIBED,RECURSIVEMATCH ret=STATUS status=MESSAGES"},
    {"a LIST \"\" * FOO (X)", "BAD Expected RETURN"},
    {"a LIST \"\"", "BAD Missing argument"},
    {"a LSUB \"\" *", "a LSUB ref= pat=*"},
    // STATUS.
    {"a STATUS INBOX (messages UIDNEXT uidvalidity UNSEEN RECENT HIGHESTMODSEQ SIZE)",
     "a STATUS mbox=INBOX items=MESSAGES,UIDNEXT,UIDVALIDITY,UNSEEN,RECENT,HIGHESTMODSEQ,SIZE"},
    {"a STATUS INBOX (FOO)", "BAD Invalid status item FOO"},
    {"A042 STATUS blurdybloop (UIDNEXT MESSAGES SIZE DELETED)",
     "A042 STATUS mbox=blurdybloop items=UIDNEXT,MESSAGES,SIZE,DELETED"},
    {"a STATUS INBOX ()", "BAD Empty list"},
    {"a STATUS INBOX MESSAGES", "BAD Expected list"},
    // APPEND.
    {"a APPEND Drafts {5}\r\nhello", "a APPEND mbox=Drafts flags= msg=hello"},
    {"a APPEND Drafts (\\seen $Label1) {5+}\r\nhello",
     "a APPEND mbox=Drafts flags=\\Seen,$Label1 msg=hello"},
    {"a APPEND Drafts () \" 7-Jul-1996 02:44:25 -0700\" {2}\r\nhi",
     "a APPEND mbox=Drafts flags= date=07-Jul-1996 02:44:25 -0700 msg=hi"},
    {"a APPEND Drafts \"17-Jul-1996 02:44:25 -0700\" ~{2}\r\nhi",
     "a APPEND mbox=Drafts flags= date=17-Jul-1996 02:44:25 -0700 msg=hi binary"},
    {"a APPEND Drafts (\\Recent) {2}\r\nhi", "BAD Invalid system flag \\Recent"},
    {"a APPEND Drafts \"32-Jul-1996 02:44:25 -0700\" {2}\r\nhi", "BAD Invalid date-time"},
    {"a APPEND Drafts \"hello\"", "BAD Invalid date-time"},
    {"a APPEND Drafts hello", "BAD Expected message literal"},
    {"a APPEND Drafts", "BAD Missing argument"},
    {"a APPEND Drafts ", "BAD Missing message literal"},
    // MULTIAPPEND (RFC 3502): each message with its own flags and date.
    {"a APPEND Drafts {2}\r\nhi {2}\r\nho", "a APPEND mbox=Drafts flags= msg=hi flags= msg=ho"},
    {"a APPEND Drafts (\\Seen) {2}\r\nhi \"17-Jul-1996 02:44:25 -0700\" {2+}\r\nho",
     "a APPEND mbox=Drafts flags=\\Seen msg=hi flags= date=17-Jul-1996 02:44:25 -0700 msg=ho"},
    {"a APPEND Drafts {2}\r\nhi ", "BAD Missing message literal"},
    {"a APPEND Drafts {2}\r\nhi x", "BAD Expected message literal"},
    {"a APPEND Drafts {2}\r\nhi (\\Recent) {2}\r\nho", "BAD Invalid system flag \\Recent"},
    // UTF8 (RFC 6855 section 4).
    {"a APPEND Drafts UTF8 (~{2}\r\nhi)", "a APPEND mbox=Drafts flags= msg=hi binary utf8"},
    {"a APPEND Drafts (\\Seen) utf8 (~{2+}\r\nhi) {2}\r\nho",
     "a APPEND mbox=Drafts flags=\\Seen msg=hi binary utf8 flags= msg=ho"},
    {"a APPEND Drafts UTF8 ({2}\r\nhi)", "BAD UTF8 data must be a literal8"},
    {"a APPEND Drafts UTF8 (~{2}\r\nhi", "BAD Missing argument"},
    {"a APPEND Drafts UTF8 (~{2}\r\nhi x", "BAD Expected ) after UTF8 literal"},
    {"a APPEND Drafts UTF8 (~", "BAD UTF8 data must be a literal8"},
    {"a APPEND Drafts UTF8 (~x", "BAD UTF8 data must be a literal8"},
    {"a APPEND Drafts UTF8 ~{2}\r\nhi", "BAD Expected ( after UTF8"},
    // FETCH.
    {"a FETCH 1:* ALL", "a FETCH set=1:* atts=FLAGS,INTERNALDATE,RFC822.SIZE,ENVELOPE"},
    {"a FETCH 1 fast", "a FETCH set=1 atts=FLAGS,INTERNALDATE,RFC822.SIZE"},
    {"a FETCH 1 FULL", "a FETCH set=1 atts=FLAGS,INTERNALDATE,RFC822.SIZE,ENVELOPE,BODY"},
    {"a FETCH 2,4:3 (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE BODY)",
     "a FETCH set=2,4:3 atts=UID,FLAGS,RFC822.SIZE,INTERNALDATE,ENVELOPE,BODYSTRUCTURE,BODY"},
    {"a FETCH * (RFC822 RFC822.HEADER RFC822.TEXT MODSEQ)",
     "a FETCH set=* atts=RFC822,RFC822.HEADER,RFC822.TEXT,MODSEQ"},
    {"a FETCH 1 body[]", "a FETCH set=1 atts=BODY[]"},
    {"a FETCH 1 BODY.PEEK[]<0.100>", "a FETCH set=1 atts=BODY[]<0>/peek/len100"},
    {"a FETCH 1 (BODY.PEEK[HEADER.FIELDS (From to \"Subject\")])",
     "a FETCH set=1 atts=BODY[HEADER.FIELDS (FROM TO SUBJECT)]/peek"},
    {"a FETCH 1 BODY[1.2.HEADER.FIELDS.NOT (X-A)]<10.5>",
     "a FETCH set=1 atts=BODY[1.2.HEADER.FIELDS.NOT (X-A)]<10>/len5"},
    {"a FETCH 1 (BODY[1.2] BODY[3.TEXT] BODY[2.MIME] BODY[HEADER] BODY[TEXT])",
     "a FETCH set=1 atts=BODY[1.2],BODY[3.TEXT],BODY[2.MIME],BODY[HEADER],BODY[TEXT]"},
    {"a FETCH 1 (BINARY.PEEK[1]<0.10> BINARY[] BINARY.SIZE[2.1])",
     "a FETCH set=1 atts=BINARY[1]<0>/peek/len10,BINARY[],BINARY.SIZE[2.1]"},
    {"a FETCH 1 PREVIEW", "a FETCH set=1 atts=PREVIEW"},
    {"a FETCH $ (UID savedate)", "a FETCH set=$ atts=UID,SAVEDATE"},
    {"a UID FETCH $ FLAGS", "a UID FETCH set=$ atts=FLAGS"},
    {"a FETCH $:3 FLAGS", "BAD Invalid sequence set"},
    {"a STORE $ +FLAGS (\\Seen)", "a STORE set=$ op=+ flags=\\Seen"},
    {"a UID COPY $ Trash", "a UID COPY set=$ mbox=Trash"},
    {"a UID MOVE $ Trash", "a UID MOVE set=$ mbox=Trash"},
    {"a UID EXPUNGE $", "a UID EXPUNGE uids=$"},
    {"a FETCH 1 (UID PREVIEW (lazy) FLAGS)", "a FETCH set=1 atts=UID,PREVIEW/lazy,FLAGS"},
    {"a FETCH 1 (PREVIEW (LAZY LAZY))", "a FETCH set=1 atts=PREVIEW/lazy"},
    {"a FETCH 1 PREVIEW (LAZY)", "a FETCH set=1 atts=PREVIEW/lazy"},
    {"a FETCH 1 (PREVIEW (FOO))", "BAD 'FOO' is not a supported PREVIEW modifier"},
    {"a FETCH 1 (PREVIEW ())", "BAD Invalid PREVIEW modifier"},
    {"a FETCH 1 (PREVIEW(LAZY))", "BAD Expected space"},
    {"a FETCH 1 BODY[MIME]", "BAD Invalid section"},
    {"a FETCH 1 BODY[0]", "BAD Invalid section"},
    {"a FETCH 1 BODY[1.]", "BAD Invalid section"},
    {"a FETCH 1 BODY[HEADER.FIELDS ()]", "BAD Expected string"},
    {"a FETCH 1 BODY[HEADER.FIELDS (A:B)]", "BAD Invalid header field name"},
    {"a FETCH 1 BODY[]<0.0>", "BAD Invalid partial"},
    {"a FETCH 1 BODY[]<5>", "BAD Invalid partial"},
    {"a FETCH 1 BODY.PEEK", "BAD Missing argument"},
    {"a FETCH 1 BINARY[TEXT]", "BAD Invalid section"},
    {"a FETCH 1 (FLAGS", "BAD Missing argument"},
    {"a FETCH 1 (FLAGS) junk", "BAD Expected FETCH modifiers"},
    {"a FETCH 1 FOO", "BAD Unknown FETCH attribute FOO"},
    {"a FETCH 0 FLAGS", "BAD Invalid sequence set"},
    {"a FETCH 1: FLAGS", "BAD Invalid sequence set"},
    {"a FETCH 1a FLAGS", "BAD Invalid sequence set"},
    {"a FETCH 1", "BAD Missing argument"},
    {"a FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)", "a FETCH set=1:* atts=FLAGS changedsince=12345"},
    {"a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 5 VANISHED)",
     "a UID FETCH set=1:* atts=FLAGS changedsince=5 vanished"},
    {"a FETCH 1:* (FLAGS) (VANISHED)", "BAD Unknown FETCH modifier VANISHED"},
    {"a FETCH $ FLAGS", "a FETCH set=$ atts=FLAGS"},
    {"a UID FETCH 1:4294967295 UID", "a UID FETCH set=1:4294967295 atts=UID"},
    {"a UID FETCH 1:4294967296 UID", "BAD Invalid sequence set"},
    // STORE.
    {"a STORE 1 FLAGS (\\Seen)", "a STORE set=1 op== flags=\\Seen"},
    {"a STORE 1:2 +FLAGS.SILENT (\\deleted \\FLAGGED)",
     "a STORE set=1:2 op=+ silent flags=\\Deleted,\\Flagged"},
    {"a STORE 1 -flags \\Seen $Work", "a STORE set=1 op=- flags=\\Seen,$Work"},
    {"a STORE 1 FLAGS ()", "a STORE set=1 op== flags="},
    {"a UID STORE 5 (UNCHANGEDSINCE 0) +FLAGS (x)",
     "a UID STORE set=5 op=+ flags=x unchangedsince=0"},
    {"a STORE 1 FLAGS (\\Recent)", "BAD Invalid system flag \\Recent"},
    {"a STORE 1 FLAGS \\Foo", "BAD Invalid system flag \\Foo"},
    {"a STORE 1 LABELS (x)", "BAD Invalid STORE data item LABELS"},
    {"a STORE 1 FLAGS", "BAD Missing argument"},
    {"a STORE 1 (FOO 1) FLAGS x", "BAD Unknown STORE modifier FOO"},
    // COPY / MOVE.
    {"a COPY 1:3 Trash", "a COPY set=1:3 mbox=Trash"},
    {"a UID COPY 7,9 \"Saved Items\"", "a UID COPY set=7,9 mbox=Saved Items"},
    {"a MOVE * inbox", "a MOVE set=* mbox=INBOX"},
    {"a UID MOVE 1:* Archive", "a UID MOVE set=1:* mbox=Archive"},
    {"a COPY 1:3", "BAD Missing argument"},
    // SEARCH: every key.
    {"a SEARCH ALL", "a SEARCH AND(ALL)"},
    {"a SEARCH answered deleted DRAFT FLAGGED SEEN UNANSWERED UNDELETED UNDRAFT UNFLAGGED "
     "UNSEEN NEW OLD RECENT",
     "a SEARCH AND(ANSWERED DELETED DRAFT FLAGGED SEEN UNANSWERED UNDELETED UNDRAFT UNFLAGGED "
     "UNSEEN NEW OLD RECENT)"},
    {"a SEARCH KEYWORD $Forwarded UNKEYWORD Junk",
     "a SEARCH AND(KEYWORD:$Forwarded UNKEYWORD:Junk)"},
    {"a SEARCH KEYWORD \\Seen", "BAD Expected atom"},
    {"a SEARCH BEFORE 1-Feb-1994 ON \"02-feb-1994\" SINCE 3-FEB-1994",
     "a SEARCH AND(BEFORE:01-Feb-1994 ON:02-Feb-1994 SINCE:03-Feb-1994)"},
    {"a SEARCH SENTBEFORE 1-Feb-1994 SENTON 2-Feb-1994 SENTSINCE 3-Feb-1994",
     "a SEARCH AND(SENTBEFORE:01-Feb-1994 SENTON:02-Feb-1994 SENTSINCE:03-Feb-1994)"},
    {"a SEARCH SINCE 30-Feb-1994", "BAD Invalid date"},
    {"a SEARCH SINCE yesterday", "BAD Invalid date"},
    {"a SEARCH LARGER 1000 SMALLER 99999999999", "a SEARCH AND(LARGER:1000 SMALLER:99999999999)"},
    {"a SEARCH LARGER x", "BAD Expected number"},
    {"a SEARCH HEADER Message-ID \"<a@b>\"", "a SEARCH AND(HEADER:Message-ID=<a@b>)"},
    {"a SEARCH BODY x TEXT \"y z\" FROM joe TO {3}\r\nann CC c BCC d SUBJECT hi",
     "a SEARCH AND(BODY:x TEXT:y z FROM:joe TO:ann CC:c BCC:d SUBJECT:hi)"},
    {"a SEARCH 1:5,7 UID 10:*", "a SEARCH AND(SEQ:1:5,7 UID:10:*)"},
    // SORT (RFC 5256, RFC 5957) and THREAD.
    {"a SORT (SUBJECT) UTF-8 ALL", "a SORT by=SUBJECT charset=UTF-8 AND(ALL)"},
    {"a UID SORT (reverse date FROM Size) us-ascii SEEN 1:3",
     "a UID SORT by=-DATE,FROM,SIZE charset=US-ASCII AND(SEEN SEQ:1:3)"},
    {"a SORT (ARRIVAL CC TO DISPLAYFROM REVERSE DISPLAYTO) \"UTF-8\" ALL",
     "a SORT by=ARRIVAL,CC,TO,DISPLAYFROM,-DISPLAYTO charset=UTF-8 AND(ALL)"},
    {"a SORT (SUBJECT) UTF-8", "BAD Missing argument"},
    {"a SORT SUBJECT UTF-8 ALL", "BAD Invalid sort list argument"},
    {"a SORT () UTF-8 ALL", "BAD Invalid sort list argument"},
    {"a SORT (FOO) UTF-8 ALL", "BAD Unknown sort argument: FOO"},
    {"a SORT (DATE REVERSE) UTF-8 ALL", "BAD Sort list ends with REVERSE"},
    {"a SORT (REVERSE REVERSE DATE) UTF-8 ALL", "BAD Invalid sort list argument"},
    {"a SORT (DATE  SIZE) UTF-8 ALL", "BAD Invalid sort list argument"},
    {"a SORT (DATE) UTF-8 ALL extra)", "BAD Unknown search key EXTRA"},
    {"a THREAD REFERENCES UTF-8 ALL", "a THREAD alg=REFERENCES charset=UTF-8 AND(ALL)"},
    {"a UID THREAD orderedsubject US-ASCII UNSEEN SUBJECT x",
     "a UID THREAD alg=ORDEREDSUBJECT charset=US-ASCII AND(UNSEEN SUBJECT:x)"},
    {"a THREAD REFS UTF-8 ALL", "BAD Unknown thread algorithm."},
    {"a THREAD REFERENCES UTF-8", "BAD Missing argument"},
    {"a THREAD", "BAD Missing argument"},
    {"a SEARCH UID $", "a SEARCH AND(UID:$)"},
    {"a SEARCH NOT SEEN", "a SEARCH AND(NOT(SEEN))"},
    {"a SEARCH OR SEEN FLAGGED", "a SEARCH AND(OR(SEEN FLAGGED))"},
    {"a SEARCH OR (SEEN FROM x) NOT (DELETED)", "a SEARCH AND(OR(AND(SEEN FROM:x) NOT(AND(DELETED))))"},
    {"a SEARCH MODSEQ 620162338", "a SEARCH AND(MODSEQ:620162338)"},
    {"a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338", "a SEARCH AND(MODSEQ:620162338)"},
    {"a SEARCH CHARSET utf-8 SUBJECT {4}\r\n\xc3\xa9t\xc3",
     "a SEARCH charset=UTF-8 AND(SUBJECT:\xc3\xa9t\xc3)"},
    {"a SEARCH RETURN (MIN max COUNT) UNSEEN", "a SEARCH return=(MIN,MAX,COUNT) AND(UNSEEN)"},
    {"a SEARCH RETURN () ALL", "a SEARCH return=() AND(ALL)"},
    {"a UID SEARCH RETURN (SAVE) CHARSET US-ASCII SEEN",
     "a UID SEARCH return=(SAVE) charset=US-ASCII AND(SEEN)"},
    {"a SEARCH RETURN (PARTIAL 1:10) ALL", "BAD Unknown SEARCH return option PARTIAL"},
    {"a SEARCH RETURN (FOO) ALL", "BAD Unknown SEARCH return option FOO"},
    {"a SEARCH", "BAD Missing argument"},
    {"a SEARCH FOO", "BAD Unknown search key FOO"},
    {"a SEARCH OR SEEN", "BAD Missing argument"},
    {"a SEARCH (SEEN", "BAD Missing argument"},
    {"a SEARCH ()", "BAD Invalid search key"},
    {"a SEARCH SEEN)", "BAD Unexpected argument"},
    // SEARCHRES (RFC 5182): "$" wherever a sequence set goes, alone.
    {"a SEARCH $", "a SEARCH AND(SEQ:$)"},
    {"a SEARCH RETURN (SAVE) $ SMALLER 4096", "a SEARCH return=(SAVE) AND(SEQ:$ SMALLER:4096)"},
    {"a SEARCH $,1", "BAD Invalid sequence set"},
    {"a SEARCH 1:$", "BAD Invalid sequence set"},
    {"a UID SEARCH RETURN (SAVE MIN MAX) ALL", "a UID SEARCH return=(SAVE,MIN,MAX) AND(ALL)"},
    {"a SEARCH RETURN (ALL", "BAD Missing argument"},
    {"a SEARCH RETURN ALL", "BAD Expected list"},
    // WITHIN (RFC 5032): seconds, nz-number.
    {"a SEARCH OLDER 3600 younger 60", "a SEARCH AND(OLDER:3600 YOUNGER:60)"},
    {"a SEARCH YOUNGER 0", "BAD Invalid search interval parameter"},
    {"a SEARCH OLDER", "BAD Missing argument"},
    {"a SEARCH OLDER x", "BAD Expected number"},
    {"a SEARCH OLDER 4294967296", "BAD Number too large"},
    // SAVEDATE (RFC 8514).
    {"a SEARCH SAVEDBEFORE 1-Feb-1994 SAVEDON 2-Feb-1994 SAVEDSINCE 3-Feb-1994 SAVEDATESUPPORTED",
     "a SEARCH AND(SAVEDBEFORE:01-Feb-1994 SAVEDON:02-Feb-1994 SAVEDSINCE:03-Feb-1994 "
     "SAVEDATESUPPORTED)"},
    {"a SEARCH SAVEDON x", "BAD Invalid date"},
    // ID and ENABLE.
    {"a ID NIL", "a ID"},
    {"a ID (\"name\" \"Thunderbird\" \"version\" NIL)",
     "a ID name=\"Thunderbird\" version=NIL"},
    {"a ID ()", "a ID"},
    {"a ID (\"name\")", "BAD Expected space"},
    {"a ID (\"name\"", "BAD Missing argument"},
    {"a ID foo", "BAD Expected string or NIL"},
    {"a ENABLE condstore UTF8=ACCEPT", "a ENABLE caps=CONDSTORE,UTF8=ACCEPT"},
    {"a ENABLE", "BAD Missing argument"},
    // QUOTA (RFC 9208) and OBJECTID (RFC 8474).
    {"a GETQUOTA \"User quota\"", "a GETQUOTA root=User quota"},
    {"a GETQUOTA \"\"", "a GETQUOTA root="},
    {"a GETQUOTA", "BAD Missing argument"},
    {"a GETQUOTAROOT inbox", "a GETQUOTAROOT mbox=INBOX"},
    {"a SETQUOTA \"\" (STORAGE 512)", "a SETQUOTA root= STORAGE=512"},
    {"a SETQUOTA \"\" (storage 512 MESSAGE 10)", "a SETQUOTA root= STORAGE=512 MESSAGE=10"},
    {"a SETQUOTA \"\" ()", "a SETQUOTA root="},
    {"a SETQUOTA \"\" (STORAGE)", "BAD Expected space"},
    {"a SETQUOTA \"\" (STORAGE x)", "BAD Expected number"},
    {"a SETQUOTA \"\" STORAGE 1", "BAD Expected resource list"},
    {"a FETCH 1 (EMAILID THREADID)", "a FETCH set=1 atts=EMAILID,THREADID"},
    {"a SEARCH EMAILID M6d99ac3275bb4e", "a SEARCH AND(EMAILID:M6d99ac3275bb4e)"},
    {"a SEARCH THREADID T64b478a75b7ea9", "a SEARCH AND(THREADID:T64b478a75b7ea9)"},
    {"a SEARCH EMAILID a.b", "BAD Unexpected argument"},
    {"a SEARCH THREADID", "BAD Missing argument"},
    {"a STATUS INBOX (MAILBOXID DELETED-STORAGE)", "a STATUS mbox=INBOX items=MAILBOXID,DELETED-STORAGE"},
    // NOTIFY (RFC 5465 8); filters: 0 selected 1 selected-delayed 2 inboxes 3 personal
    // 4 subscribed 5 subtree 6 mailboxes.
    {"a NOTIFY NONE", "a NOTIFY NONE"},
    {"a notify set status (selected (MessageNew (uid body.peek[header.fields (from to subject)]) "
     "MessageExpunge)) (subtree Lists (MessageNew MessageExpunge))",
     "a NOTIFY SET status (0 ev=MessageNew,MessageExpunge "
     "fetch=UID,BODY[HEADER.FIELDS (FROM TO SUBJECT)]) (5 m=Lists ev=MessageNew,MessageExpunge)"},
    {"a NOTIFY SET (mailboxes (misc inbox \"a b\") (MessageNew MessageExpunge)) (personal NONE)",
     "a NOTIFY SET (6 m=misc,INBOX,a b ev=MessageNew,MessageExpunge) (3 ev=)"},
    {"a NOTIFY SET (SELECTED-DELAYED NONE) (inboxes (MailboxName)) (subscribed (Foo))",
     "a NOTIFY SET (1 ev=) (2 ev=MailboxName) (4 ev=Foo)"},
    {"a NOTIFY", "BAD Missing argument"},
    {"a NOTIFY NONE x", "BAD Unexpected argument"},
    {"a NOTIFY SET", "BAD Missing argument"},
    {"a NOTIFY SET STATUS", "BAD Missing argument"},
    {"a NOTIFY SET (bogus NONE)", "BAD Unknown mailbox filter BOGUS"},
    {"a NOTIFY SET (personal ())", "BAD Expected atom"},
    {"a NOTIFY SET (personal NONE", "BAD Missing argument"},
    {"a NOTIFY SET (subtree NONE)", "BAD Expected space"},
    {"a NOTIFY SET (personal (MessageNew (FOO) MessageExpunge))", "BAD Unknown FETCH attribute FOO"},
    {"a NOTIFY GET", "BAD Expected NOTIFY SET or NOTIFY NONE"},
};

TEST(ParseCommandTest, Table) {
  for (const Case& c : kCases) {
    absl::StatusOr<Command> cmd = ParseCommand(c.wire);
    std::string got = cmd.ok() ? Describe(*cmd) : "BAD " + std::string(cmd.status().message());
    EXPECT_EQ(got, c.expected) << "input: " << c.wire;
  }
}

// The same inputs through the reader, whole and one byte at a time, give the same result.
TEST(ParseCommandTest, TableThroughReaderByteByByte) {
  for (const Case& c : kCases) {
    std::string wire = c.wire;
    if (wire.empty() || wire[0] == ' ') continue;  // blank lines are skipped by the reader
    // The reader waits for the rest of a literal rather than call it truncated.
    if (std::string_view(c.expected) == "BAD Truncated literal") continue;
    std::string input = wire + "\r\n";
    std::vector<std::string> whole = Drive(input, input.size());
    std::vector<std::string> bytes = Drive(input, 1);
    EXPECT_EQ(whole, bytes) << "input: " << c.wire;
    ASSERT_FALSE(bytes.empty()) << "input: " << c.wire;
    std::string last = bytes.back();
    std::string expected = c.expected;
    if (expected.rfind("BAD ", 0) == 0) {
      // Errors carry the tag when there is one.
      std::string tag = ExtractTag(wire);
      EXPECT_EQ(last, "ERR " + tag + " " + expected.substr(4)) << "input: " << c.wire;
    } else {
      EXPECT_EQ(last, "CMD " + expected) << "input: " << c.wire;
    }
  }
}

TEST(ParseCommandTest, NestingIsBounded) {
  std::string deep = "a SEARCH ";
  for (int i = 0; i < 40; ++i) deep += "(";
  deep += "SEEN";
  for (int i = 0; i < 40; ++i) deep += ")";
  EXPECT_EQ(ParseCommand(deep).status().message(), "Too deep nesting");
  std::string nots = "a SEARCH ";
  for (int i = 0; i < 20000; ++i) nots += "NOT ";
  nots += "SEEN";
  EXPECT_EQ(ParseCommand(nots).status().message(), "Too deep nesting");
  std::string ok = "a SEARCH ";
  for (int i = 0; i < 10; ++i) ok += "NOT (";
  ok += "SEEN";
  for (int i = 0; i < 10; ++i) ok += ")";
  EXPECT_TRUE(ParseCommand(ok).ok());
  EXPECT_EQ(ParseCommand("a SEARCH NOT NOT SEEN", /*max_nesting=*/2).status().message(),
            "Too deep nesting");
  EXPECT_TRUE(ParseCommand("a SEARCH NOT SEEN", /*max_nesting=*/2).ok());
}

TEST(FetchAttTest, ResponseNames) {
  absl::StatusOr<Command> cmd =
      ParseCommand("a FETCH 1 (BODY.PEEK[1.HEADER.FIELDS (from To)]<0.10> RFC822.HEADER BODY)");
  ASSERT_TRUE(cmd.ok());
  const auto& atts = std::get<FetchArgs>(cmd->args).atts;
  ASSERT_EQ(atts.size(), 3u);
  EXPECT_EQ(atts[0].ResponseName(), "BODY[1.HEADER.FIELDS (FROM TO)]<0>");
  EXPECT_TRUE(atts[0].peek);
  EXPECT_EQ(atts[0].part, (std::vector<uint32_t>{1}));
  EXPECT_EQ(atts[0].section, FetchAtt::Section::kHeaderFields);
  EXPECT_EQ(atts[0].partial_offset, 0u);
  EXPECT_EQ(atts[0].partial_length, 10u);
  EXPECT_EQ(atts[1].ResponseName(), "RFC822.HEADER");
  EXPECT_EQ(atts[2].kind, FetchAtt::Kind::kBody);
}

TEST(ParseCommandTest, NeverCrashesOnPrefixes) {
  // Every prefix of every table input parses or fails cleanly.
  for (const Case& c : kCases) {
    std::string_view w = c.wire;
    for (size_t n = 0; n <= w.size(); ++n) (void)ParseCommand(w.substr(0, n));
  }
}

}  // namespace
}  // namespace hadron::imap
