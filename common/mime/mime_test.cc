// Tests for the MIME parser and IMAP renderings; expected strings are Dovecot 2.3.19's output.
#include "common/mime/mime.h"

#include <gtest/gtest.h>

#include <string>

namespace hadron::mime {
namespace {

std::string Get(std::string_view raw, std::vector<uint32_t> part, SectionKind kind,
                std::vector<std::string> fields = {}) {
  MessageStructure msg = ParseMessage(raw);
  return ExtractSection(raw, msg, Section{std::move(part), kind, std::move(fields)});
}

constexpr std::string_view kPlain =
    "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nFrom: Fred Foobar <foobar@Blurdybloop.COM>\r\n"
    "Subject: afternoon meeting\r\nTo: mooch@owatagu.siam.edu\r\n"
    "Message-Id: <B27397-0100000@Blurdybloop.COM>\r\nMIME-Version: 1.0\r\n"
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n"
    "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

TEST(MimeTest, PlainText) {
  MessageStructure msg = ParseMessage(kPlain);
  EXPECT_EQ(msg.envelope,
            "(\"Mon, 7 Feb 1994 21:52:25 -0800\" \"afternoon meeting\" ((\"Fred Foobar\" NIL "
            "\"foobar\" \"Blurdybloop.COM\")) ((\"Fred Foobar\" NIL \"foobar\" "
            "\"Blurdybloop.COM\")) ((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.COM\")) ((NIL "
            "NIL \"mooch\" \"owatagu.siam.edu\")) NIL NIL NIL "
            "\"<B27397-0100000@Blurdybloop.COM>\")");
  EXPECT_EQ(msg.body, "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 55 1)");
  EXPECT_EQ(msg.bodystructure,
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 55 1 NIL NIL NIL "
            "NIL)");
  EXPECT_EQ(Get(kPlain, {1}, SectionKind::kAll),
            "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n");
  EXPECT_EQ(Get(kPlain, {}, SectionKind::kText), Get(kPlain, {1}, SectionKind::kAll));
  EXPECT_EQ(Get(kPlain, {1}, SectionKind::kMime).size(), 249u);  // the whole message header
  EXPECT_EQ(Get(kPlain, {2}, SectionKind::kAll), "");
  EXPECT_EQ(Get(kPlain, {1, 1}, SectionKind::kAll), "");
  EXPECT_EQ(Get(kPlain, {1}, SectionKind::kHeader), "");
  EXPECT_EQ(Get(kPlain, {1}, SectionKind::kText), "");
}

TEST(MimeTest, HeaderFields) {
  EXPECT_EQ(Get(kPlain, {}, SectionKind::kHeaderFields, {"from", "TO"}),
            "From: Fred Foobar <foobar@Blurdybloop.COM>\r\nTo: mooch@owatagu.siam.edu\r\n\r\n");
  EXPECT_EQ(Get(kPlain, {}, SectionKind::kHeaderFieldsNot, {"from", "to"}),
            "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nSubject: afternoon meeting\r\n"
            "Message-Id: <B27397-0100000@Blurdybloop.COM>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n");
  constexpr std::string_view kFold = "Subject: one\r\n two\r\nX-A: 1\r\nx-a: 2\r\nTo: t@t\r\n\r\nb\r\n";
  EXPECT_EQ(Get(kFold, {}, SectionKind::kHeaderFields, {"x-a", "subject"}),
            "Subject: one\r\n two\r\nX-A: 1\r\nx-a: 2\r\n\r\n");
  EXPECT_EQ(Get(kFold, {}, SectionKind::kHeaderFields, {"nothere"}), "\r\n");
  EXPECT_EQ(Get(kFold, {}, SectionKind::kHeaderFieldsNot, {"x-a"}),
            "Subject: one\r\n two\r\nTo: t@t\r\n\r\n");
  EXPECT_EQ(ParseMessage(kFold).envelope,
            "(NIL {7}\r\none two NIL NIL NIL ((NIL NIL \"t\" \"t\")) NIL NIL NIL NIL)");
}

constexpr std::string_view kAlt =
    "From: a@b.c\r\nTo: x@y.z, \"Q, R\" <q@r.s>\r\nSubject: alt\r\n"
    "Content-Type: multipart/alternative; boundary=\"XX\"\r\n\r\npreamble\r\n--XX\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
    "\r\nh=C3=A9llo\r\nline2\r\n--XX\r\nContent-Type: text/html; charset=\"utf-8\"\r\n\r\n"
    "<p>hi</p>\r\n--XX--\r\nepilogue\r\n";

TEST(MimeTest, MultipartAlternative) {
  MessageStructure msg = ParseMessage(kAlt);
  EXPECT_EQ(msg.envelope,
            "(NIL \"alt\" ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" "
            "\"b.c\")) ((NIL NIL \"x\" \"y.z\")(\"Q, R\" NIL \"q\" \"r.s\")) NIL NIL NIL NIL)");
  EXPECT_EQ(msg.body,
            "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 17 1)"
            "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 9 0) \"alternative\")");
  EXPECT_EQ(msg.bodystructure,
            "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 17 1 NIL "
            "NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 9 0 NIL NIL "
            "NIL NIL) \"alternative\" (\"boundary\" \"XX\") NIL NIL NIL)");
  EXPECT_EQ(Get(kAlt, {1}, SectionKind::kAll), "h=C3=A9llo\r\nline2");
  EXPECT_EQ(Get(kAlt, {1, 1}, SectionKind::kAll), "h=C3=A9llo\r\nline2");
  EXPECT_EQ(Get(kAlt, {1}, SectionKind::kMime),
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
  EXPECT_EQ(Get(kAlt, {2}, SectionKind::kAll), "<p>hi</p>");
  EXPECT_EQ(Get(kAlt, {3}, SectionKind::kAll), "");
  EXPECT_EQ(Get(kAlt, {}, SectionKind::kText).size(), 202u);
  EXPECT_EQ(SearchableText(kAlt, msg), "h\xc3\xa9llo\r\nline2\n<p>hi</p>");
}

TEST(MimeTest, MixedWithAttachment) {
  constexpr std::string_view raw =
      "From: a@b.c\r\nSubject: mixed\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n"
      " boundary=\"=_b1\"; foo=bar\r\nContent-Language: en\r\n\r\n--=_b1\r\n"
      "Content-Type: text/plain\r\n\r\nbody text\r\n--=_b1\r\n"
      "Content-Type: application/pdf; name=\"doc.pdf\"\r\nContent-Transfer-Encoding: base64\r\n"
      "Content-Disposition: attachment; filename=\"doc.pdf\"; size=12\r\n"
      "Content-ID: <cid1@x>\r\nContent-Description: A document\r\n"
      "Content-Language: en, de\r\nContent-Location: http://x/y\r\n"
      "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n\r\nSGVsbG8gd29ybGQh\r\n--=_b1--\r\n";
  MessageStructure msg = ParseMessage(raw);
  EXPECT_EQ(msg.bodystructure,
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 9 0 NIL NIL NIL "
            "NIL)(\"application\" \"pdf\" (\"name\" \"doc.pdf\") \"<cid1@x>\" \"A document\" "
            "\"base64\" 16 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" (\"attachment\" (\"filename\" "
            "\"doc.pdf\" \"size\" \"12\")) (\"en\" \"de\") \"http://x/y\") \"mixed\" "
            "(\"boundary\" \"=_b1\" \"foo\" \"bar\") NIL (\"en\") NIL)");
  EXPECT_EQ(msg.body,
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 9 0)"
            "(\"application\" \"pdf\" (\"name\" \"doc.pdf\") \"<cid1@x>\" \"A document\" "
            "\"base64\" 16) \"mixed\")");
  EXPECT_EQ(Get(raw, {2}, SectionKind::kAll), "SGVsbG8gd29ybGQh");
  EXPECT_EQ(Get(raw, {1}, SectionKind::kMime), "Content-Type: text/plain\r\n\r\n");
  EXPECT_EQ(Get(raw, {2}, SectionKind::kMime).size(), 296u);
}

constexpr std::string_view kNested =
    "From: a@b.c\r\nSubject: fwd\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n"
    "Content-Type: text/plain\r\n\r\nsee attached\r\n--b1\r\nContent-Type: message/rfc822\r\n"
    "\r\nFrom: inner@x.y\r\nSubject: inner\r\nDate: Tue, 1 Jan 2019 10:00:00 +0100\r\n"
    "Content-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\nContent-Type: text/plain\r\n"
    "\r\ninner text\r\n--b2\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n--b2--\r\n\r\n--b1--\r\n";

TEST(MimeTest, NestedMessage) {
  MessageStructure msg = ParseMessage(kNested);
  EXPECT_EQ(msg.bodystructure,
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 0 NIL NIL NIL "
            "NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 220 (\"Tue, 1 Jan 2019 10:00:00 "
            "+0100\" \"inner\" ((NIL NIL \"inner\" \"x.y\")) ((NIL NIL \"inner\" \"x.y\")) ((NIL "
            "NIL \"inner\" \"x.y\")) NIL NIL NIL NIL NIL) ((\"text\" \"plain\" (\"charset\" "
            "\"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" "
            "\"us-ascii\") NIL NIL \"7bit\" 8 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" "
            "\"b2\") NIL NIL NIL) 14 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL "
            "NIL)");
  EXPECT_EQ(Get(kNested, {2}, SectionKind::kAll).size(), 220u);
  EXPECT_EQ(Get(kNested, {2}, SectionKind::kMime), "Content-Type: message/rfc822\r\n\r\n");
  EXPECT_EQ(Get(kNested, {2}, SectionKind::kHeader),
            "From: inner@x.y\r\nSubject: inner\r\nDate: Tue, 1 Jan 2019 10:00:00 +0100\r\n"
            "Content-Type: multipart/alternative; boundary=b2\r\n\r\n");
  EXPECT_EQ(Get(kNested, {2}, SectionKind::kText).size(), 97u);
  EXPECT_EQ(Get(kNested, {2, 1}, SectionKind::kAll), "inner text");
  EXPECT_EQ(Get(kNested, {2, 2}, SectionKind::kAll), "<b>x</b>");
  EXPECT_EQ(Get(kNested, {2, 1}, SectionKind::kMime), "Content-Type: text/plain\r\n\r\n");
  EXPECT_EQ(Get(kNested, {2}, SectionKind::kHeaderFields, {"subject"}),
            "Subject: inner\r\n\r\n");
  EXPECT_EQ(Get(kNested, {2, 3}, SectionKind::kAll), "");
  EXPECT_EQ(Get(kNested, {1}, SectionKind::kHeader), "");
}

TEST(MimeTest, TopLevelMessageRfc822) {
  constexpr std::string_view raw =
      "Subject: fwd2\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner2\r\n\r\ninner body\r\n";
  MessageStructure msg = ParseMessage(raw);
  EXPECT_EQ(msg.body,
            "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 31 (NIL \"inner2\" NIL NIL NIL NIL NIL "
            "NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 1) "
            "3)");
  EXPECT_EQ(Get(raw, {1, 1}, SectionKind::kAll), "inner body\r\n");
  EXPECT_EQ(Get(raw, {1}, SectionKind::kHeader), "Subject: inner2\r\n\r\n");
  EXPECT_EQ(Get(raw, {1}, SectionKind::kMime), "Subject: fwd2\r\nContent-Type: message/rfc822\r\n\r\n");
  EXPECT_EQ(Get(raw, {1, 1}, SectionKind::kMime), "Subject: inner2\r\n\r\n");
}

TEST(MimeTest, MalformedBoundaries) {
  constexpr std::string_view unclosed =
      "Subject: u\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n"
      "Content-Type: text/plain\r\n\r\npart one\r\n--zz\r\n\r\npart two no end\r\n";
  EXPECT_EQ(ParseMessage(unclosed).body,
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 0)(\"text\" "
            "\"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 17 1) \"mixed\")");
  EXPECT_EQ(Get(unclosed, {2}, SectionKind::kAll), "part two no end\r\n");

  constexpr std::string_view never_found =
      "Subject: u\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\njust text\r\nmore\r\n";
  EXPECT_EQ(ParseMessage(never_found).bodystructure,
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL "
            "NIL) \"mixed\" (\"boundary\" \"zz\") NIL NIL NIL)");
  EXPECT_EQ(Get(never_found, {1}, SectionKind::kAll), "");

  constexpr std::string_view no_param =
      "Subject: u\r\nContent-Type: multipart/mixed\r\n\r\n--zz\r\n\r\njust text\r\n--zz--\r\n";
  EXPECT_EQ(ParseMessage(no_param).bodystructure,
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL "
            "NIL) \"mixed\" NIL NIL NIL NIL)");

  // A line with an outer boundary ends the inner multipart too.
  constexpr std::string_view outer =
      "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/"
      "alternative; boundary=c\r\n\r\n--c\r\n\r\ninner\r\n--a\r\n\r\nsecond\r\n--a--\r\n";
  EXPECT_EQ(Get(outer, {1}, SectionKind::kAll), "--c\r\n\r\ninner");
  EXPECT_EQ(Get(outer, {1, 1}, SectionKind::kAll), "inner");
  EXPECT_EQ(Get(outer, {2}, SectionKind::kAll), "second");

  // Empty parts: the line break before a boundary belongs to the boundary.
  constexpr std::string_view empty =
      "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\r\n--a\r\n"
      "Content-Type: text/plain\r\n--a--";
  EXPECT_EQ(Get(empty, {1}, SectionKind::kMime), "");
  EXPECT_EQ(Get(empty, {2}, SectionKind::kMime), "Content-Type: text/plain");
}

TEST(MimeTest, BareLf) {
  constexpr std::string_view raw =
      "Subject: lf\nContent-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: text/plain\n"
      "\nline a\nline b\n--q--\n";
  // Parsed as is: bare LF works as a line end.
  EXPECT_EQ(Get(raw, {1}, SectionKind::kAll), "line a\nline b");
  // Normalized like Dovecot serves it.
  std::string crlf = NormalizeLineEndings(raw);
  EXPECT_EQ(crlf.size(), 114u);  // Dovecot's RFC822.SIZE
  EXPECT_EQ(ParseMessage(crlf).bodystructure,
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 1 NIL NIL NIL "
            "NIL) \"mixed\" (\"boundary\" \"q\") NIL NIL NIL)");
  EXPECT_EQ(Get(crlf, {}, SectionKind::kHeader),
            "Subject: lf\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n");
}

TEST(MimeTest, EnvelopeGroupsAndEncodedWords) {
  constexpr std::string_view raw =
      "From: =?UTF-8?B?SsO8cmdlbg==?= <j@x.de>, undisclosed-recipients:;\r\n"
      "To: Team: a@b.c, \"B\" <b@c.d>;, solo@x.y\r\nCc: Empty:;\r\nBcc: <bare@x.y>\r\n"
      "Reply-To: \"Quote \\\"me\\\"\" <r@x.y>\r\nSender: s@x.y (Comment Name)\r\n"
      "Subject: =?iso-8859-1?Q?caf=E9?= test\r\nIn-Reply-To: <prev@x>\r\n"
      "Message-ID: <id@x>\r\nDate: 1 Feb 2020 03:04:05 GMT\r\n\r\nx\r\n";
  EXPECT_EQ(ParseMessage(raw).envelope,
            "(\"1 Feb 2020 03:04:05 GMT\" \"=?iso-8859-1?Q?caf=E9?= test\" "
            "((\"=?UTF-8?B?SsO8cmdlbg==?=\" NIL \"j\" \"x.de\")(NIL NIL "
            "\"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) ((\"Comment Name\" NIL \"s\" "
            "\"x.y\")) (({10}\r\nQuote \"me\" NIL \"r\" \"x.y\")) ((NIL NIL \"Team\" NIL)(NIL "
            "NIL \"a\" \"b.c\")(\"B\" NIL \"b\" \"c.d\")(NIL NIL NIL NIL)(NIL NIL \"solo\" "
            "\"x.y\")) ((NIL NIL \"Empty\" NIL)(NIL NIL NIL NIL)) ((NIL NIL \"bare\" \"x.y\")) "
            "\"<prev@x>\" \"<id@x>\")");
  EXPECT_EQ(HeaderValues(raw, "subject"), std::vector<std::string>{"caf\xc3\xa9 test"});
  EXPECT_EQ(HeaderValues(raw, "FROM").at(0),
            "J\xc3\xbcrgen <j@x.de>, undisclosed-recipients:;");
  EXPECT_EQ(SentDate(raw), absl::CivilDay(2020, 2, 1));
  EXPECT_EQ(SentDate(kPlain), absl::CivilDay(1994, 2, 7));
  EXPECT_EQ(SentDate("Subject: none\r\n\r\n"), std::nullopt);
}

TEST(MimeTest, EnvelopeOddAddresses) {
  constexpr std::string_view raw =
      "Subject: has \"quotes\" and \\ back\r\nFrom: noat, @x, <@route:a@b>\r\n"
      "To: \"long\r\n folded\" <a@b>\r\n\r\nb\r\n";
  EXPECT_EQ(ParseMessage(raw).envelope,
            "(NIL {23}\r\nhas \"quotes\" and \\ back ((NIL NIL \"noat\" \"MISSING_DOMAIN\")(NIL "
            "NIL \"MISSING_MAILBOX\" \"x\")(NIL \"@route\" \"a\" \"b\")) ((NIL NIL \"noat\" "
            "\"MISSING_DOMAIN\")(NIL NIL \"MISSING_MAILBOX\" \"x\")(NIL \"@route\" \"a\" \"b\")) "
            "((NIL NIL \"noat\" \"MISSING_DOMAIN\")(NIL NIL \"MISSING_MAILBOX\" \"x\")(NIL "
            "\"@route\" \"a\" \"b\")) ((\"long folded\" NIL \"a\" \"b\")) NIL NIL NIL NIL)");
  EXPECT_EQ(ParseMessage("Subject: nob\r\n").envelope,
            "(NIL \"nob\" NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST(MimeTest, ParameterQuirks) {
  EXPECT_EQ(ParseMessage("Content-Type: image/GIF; Name=A\r\nContent-Transfer-Encoding: "
                         "BASE64\r\n\r\nR0lG\r\n")
                .bodystructure,
            "(\"image\" \"GIF\" (\"Name\" \"A\") NIL NIL \"BASE64\" 6 NIL NIL NIL NIL)");
  EXPECT_EQ(ParseMessage("Content-Type: application/x-stuff; title*=us-ascii'en-us'This%20is\r\n"
                         "Content-Disposition: attachment; filename*0=\"a\"; "
                         "filename*1=\"b.txt\"\r\n\r\nx\r\n")
                .bodystructure,
            "(\"application\" \"x-stuff\" (\"title*\" \"us-ascii'en-us'This%20is\") NIL NIL "
            "\"7bit\" 3 NIL (\"attachment\" (\"filename\" \"ab.txt\")) NIL NIL)");
  EXPECT_EQ(ParseMessage("Subject: caf\xc3\xa9\r\nContent-Type: text/plain; "
                         "name=\"f\xc3\xa9.txt\"\r\n\r\nb\r\n")
                .bodystructure,
            "(\"text\" \"plain\" (\"name\" {7}\r\nf\xc3\xa9.txt \"charset\" \"us-ascii\") NIL NIL "
            "\"7bit\" 3 1 NIL NIL NIL NIL)");
  // Dovecot 2.3.19: a type without "/subtype" followed by anything is no type at all.
  EXPECT_EQ(ParseMessage("Content-Type: text;\r\n\r\nx\r\n").bodystructure,
            "(\"\" \"\" NIL NIL NIL \"7bit\" 3 NIL NIL NIL NIL)");
  EXPECT_EQ(ParseMessage("Content-Type: text\r\n\r\nx\r\n").bodystructure,
            "(\"text\" \"\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL)");
  // RFC 2231 pieces whose indexes do not run 0..n-1 are listed one by one.
  EXPECT_EQ(ParseMessage("Content-Type: image/png; name*=a; name*0*=b; name*1=c\r\n\r\nx\r\n")
                .bodystructure,
            "(\"image\" \"png\" (\"name*0*\" \"a\" \"name*0*\" \"b\" \"name*1\" \"c\") NIL NIL "
            "\"7bit\" 3 NIL NIL NIL NIL)");
  EXPECT_EQ(ParseMessage("Subject: s\r\nContent-Type: Text/Plain; charset=utf-8\r\n\r\nx\r\n")
                .bodystructure,
            "(\"Text\" \"Plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL)");
}

TEST(MimeTest, DigestDefaultsToMessage) {
  constexpr std::string_view raw =
      "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: in digest\r\n\r\n"
      "body\r\n--d--\r\n";
  EXPECT_EQ(ParseMessage(raw).bodystructure,
            "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 26 (NIL \"in digest\" NIL NIL NIL NIL "
            "NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 0 "
            "NIL NIL NIL NIL) 2 NIL NIL NIL NIL) \"digest\" (\"boundary\" \"d\") NIL NIL NIL)");
  EXPECT_EQ(Get(raw, {1, 1}, SectionKind::kAll), "body");
}

TEST(MimeTest, DeepNestingIsBounded) {
  std::string raw;
  for (int i = 0; i < 500; ++i) raw += "Content-Type: message/rfc822\r\n\r\n";
  raw += "x\r\n";
  MessageStructure msg = ParseMessage(raw);
  EXPECT_FALSE(msg.bodystructure.empty());
  auto back = DeserializeStructure(SerializeStructure(msg));
  ASSERT_TRUE(back.ok()) << back.status();
}

TEST(MimeTest, SerializeRoundTrip) {
  MessageStructure msg = ParseMessage(kNested);
  std::string bytes = SerializeStructure(msg);
  absl::StatusOr<MessageStructure> back = DeserializeStructure(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->bodystructure, msg.bodystructure);
  EXPECT_EQ(RenderBodyStructure(*back), msg.bodystructure);
  EXPECT_EQ(RenderBody(*back), msg.body);
  EXPECT_EQ(back->envelope, msg.envelope);
  EXPECT_EQ(ExtractSection(kNested, *back, Section{{2, 1}, SectionKind::kAll, {}}), "inner text");
}

TEST(MimeTest, DeserializeRejectsCorruptInput) {
  std::string bytes = SerializeStructure(ParseMessage(kNested));
  EXPECT_FALSE(DeserializeStructure("").ok());
  EXPECT_EQ(DeserializeStructure("\x07").status().code(), absl::StatusCode::kInvalidArgument);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DeserializeStructure(std::string_view(bytes).substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DeserializeStructure(bytes + "x").ok());
  // Flipping bytes must never crash; whatever decodes must render without crashing.
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string b = bytes;
    b[i] = static_cast<char>(b[i] ^ 0xff);
    auto r = DeserializeStructure(b);
    if (r.ok()) {
      (void)RenderBodyStructure(*r);
      (void)ExtractSection(kNested, *r, Section{{2, 1}, SectionKind::kAll, {}});
    }
  }
}

TEST(MimeTest, ContainsIgnoreCase) {
  EXPECT_TRUE(ContainsIgnoreCase("Hello World", "o wOR"));
  EXPECT_FALSE(ContainsIgnoreCase("Hello", "world"));
  EXPECT_TRUE(ContainsIgnoreCase("x", ""));
}

TEST(MimeTest, SearchableTextDecodesBase64) {
  constexpr std::string_view raw =
      "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8gd29ybGQh\r\n--a\r\n"
      "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8=\r\n--a--\r\n";
  EXPECT_EQ(SearchableText(raw, ParseMessage(raw)), "Hello world!");
}

// Expected bytes checked against Dovecot 2.3.19 (tests/differential runs the full comparison).
TEST(MimeTest, BinaryDecodesLeavesLikeDovecot) {
  const std::string raw =
      "Subject: b\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n"
      "--X\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "aGVsbG8=\r\n"
      "--X\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
      "caf=C3=A9 =\r\nsoft  \r\nend\r\n"
      "--X\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n"
      "--X\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nbad\rcr\r\n"
      "--X\r\n\r\nplain\r\n--X--\r\n";
  MessageStructure msg = ParseMessage(raw);
  auto b64 = ExtractBinary(raw, msg, {1});
  ASSERT_TRUE(b64.ok());
  EXPECT_EQ(b64->data, "hello");
  EXPECT_TRUE(b64->literal8);
  auto qp = ExtractBinary(raw, msg, {2});
  ASSERT_TRUE(qp.ok());
  EXPECT_EQ(qp->data, "caf\xC3\xA9 soft\r\nend");
  EXPECT_EQ(ExtractBinary(raw, msg, {3}).status().code(), absl::StatusCode::kFailedPrecondition);
  // A CR not followed by LF is invalid quoted-printable for Dovecot.
  EXPECT_EQ(ExtractBinary(raw, msg, {4}).status().code(), absl::StatusCode::kDataLoss);
  auto plain = ExtractBinary(raw, msg, {5});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->data, "plain");
  EXPECT_FALSE(plain->literal8);
  // Missing parts are empty; one undecodable part fails every BINARY.SIZE of the message.
  EXPECT_EQ(ExtractBinary(raw, msg, {9})->data, "");
  EXPECT_EQ(BinarySize(raw, msg, {1}).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(MimeTest, BinaryOfAMultipartRewritesConvertedHeaders) {
  const std::string raw =
      "Content-Type: multipart/mixed; boundary=X\r\n\r\n"
      "--X\r\nContent-Transfer-Encoding: base64\r\nContent-Type: text/plain\r\n\r\naGk=\r\n"
      "--X--\r\n";
  MessageStructure msg = ParseMessage(raw);
  auto all = ExtractBinary(raw, msg, {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->data,
            "Content-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\nContent-Type: text/plain\r\n"
            "Content-Transfer-Encoding: binary\r\n\r\nhi\r\n--X--\r\n");
  EXPECT_EQ(*BinarySize(raw, msg, {1}), 2u);
}


TEST(MimeSearchTest, NormalizeLikeDovecot) {
  // Titlecase, then one level of canonical/compatibility decomposition.
  EXPECT_EQ(SearchNormalize("caf\xc3\xa9"), "CAFE\xcc\x81");             // é -> E + U+0301
  EXPECT_EQ(SearchNormalize("\xd0\xbf\xd1\x80\xd0\xb8"), "\xd0\x9f\xd0\xa0\xd0\x98");  // при
  EXPECT_EQ(SearchNormalize("\xcf\x83\xcf\x82"), "\xce\xa3\xce\xa3");      // σς -> ΣΣ
  EXPECT_EQ(SearchNormalize("stra\xc3\x9f" "e"), "STRA\xc3\x9f" "E");     // ß has no simple title
  EXPECT_EQ(SearchNormalize("\xef\xac\x81"), "fi");                       // ﬁ: not titlecased again
  EXPECT_EQ(SearchNormalize("\xc7\x86"), "\xc7\x85");                     // ǆ -> ǅ, kept
  EXPECT_EQ(SearchNormalize("\xe2\x84\xab"), "\xc3\x85");                 // Å sign -> Å, one level
  EXPECT_EQ(SearchNormalize("a\xff\xfe" "b"), "A\xef\xbf\xbd" "B");       // one U+FFFD per run
  EXPECT_EQ(SearchNormalize("\xea\xb0\x80"), "\xe1\x84\x80\xe1\x85\xa1");  // 가 -> jamo
}

TEST(MimeSearchTest, CharsetToUtf8) {
  EXPECT_EQ(CharsetToUtf8("iso-8859-1", "caf\xe9"), "caf\xc3\xa9");
  EXPECT_EQ(CharsetToUtf8("KOI8-R", "\xd0\xd2\xc9"), "\xd0\xbf\xd1\x80\xd0\xb8");
  EXPECT_EQ(CharsetToUtf8("x-unknown", "caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(CharsetToUtf8("us-ascii", "a\x80" "b"), "a\xef\xbf\xbd" "b");
  EXPECT_EQ(CharsetToUtf8("utf-8", "ok"), "ok");
}

TEST(MimeSearchTest, HeaderValuesAsDovecotCompares) {
  constexpr std::string_view raw =
      "From: \"O'Brien, Pat\" <pat@example.ie>\r\nTo: bare@x.y, Team: a@b.c;, x@\r\n"
      "Subject:   lots   of\r\n\tspace =?koi8-r?B?0NLJ?=\r\nSubject: second\r\n\r\nbody\r\n";
  EXPECT_EQ(SearchHeaderValues(raw, "from", HeaderSearch::kAddress),
            std::vector<std::string>{"\"O\\'BRIEN, PAT\" <PAT@EXAMPLE.IE>"});
  EXPECT_EQ(SearchHeaderValues(raw, "To", HeaderSearch::kAddress),
            std::vector<std::string>{"<BARE@X.Y>, TEAM: <A@B.C>;, <X@MISSING_DOMAIN>"});
  EXPECT_EQ(SearchHeaderValues(raw, "Subject", HeaderSearch::kCompressLwsp),
            (std::vector<std::string>{"LOTS OF SPACE \xd0\x9f\xd0\xa0\xd0\x98", "SECOND"}));
  EXPECT_EQ(SearchHeaderValues(raw, "Subject", HeaderSearch::kPlain).at(0),
            "LOTS   OF\tSPACE \xd0\x9f\xd0\xa0\xd0\x98");
}

TEST(MimeSearchTest, TextsPerPartDecodedAndConverted) {
  constexpr std::string_view raw =
      "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\npreamble\r\n--b\r\n"
      "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "Y2Fm6Q==\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\nbinary\r\n--b--\r\n";
  MessageStructure msg = ParseMessage(raw);
  std::vector<std::string> bodies = SearchTexts(raw, msg, false);
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0], "CAFE\xcc\x81");
  std::vector<std::string> all = SearchTexts(raw, msg, true);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0], "SUBJECT: S\r\nCONTENT-TYPE: MULTIPART/MIXED; BOUNDARY=B\r\n\r\n");
  EXPECT_EQ(all[1].substr(all[1].size() - 10), "\r\n\r\nCAFE\xcc\x81");
  EXPECT_EQ(all[2], "CONTENT-TYPE: APPLICATION/OCTET-STREAM\r\n\r\n");
}

TEST(MimeTest, BoundaryEdgesLikeDovecot) {
  // An empty boundary: "--" lines delimit, "----" closes.
  constexpr std::string_view empty =
      "Content-Type: multipart/alternative; boundary=\"\"\r\n\r\n--\r\n\r\nx\r\n----\r\n";
  EXPECT_EQ(Get(empty, {1}, SectionKind::kAll), "x");
  EXPECT_EQ(Get(empty, {1}, SectionKind::kMime), "\r\n");
  // The line break of a close-delimiter stays in the part when a boundary line follows at once.
  constexpr std::string_view nested =
      "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; "
      "boundary=ab\r\n\r\n--ab\r\n\r\ninner\r\n--ab--\r\n--a\r\n\r\nouter\r\n--a--\r\n";
  EXPECT_EQ(Get(nested, {1}, SectionKind::kAll), "--ab\r\n\r\ninner\r\n--ab--\r\n");
  EXPECT_EQ(Get(nested, {2}, SectionKind::kAll), "outer");
  // A boundary inside a part's header: that header ends before the line break, the enclosing
  // part keeps it.
  constexpr std::string_view in_header =
      "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; "
      "boundary=b\r\n\r\n--b\r\nand \r\n--a\r\n\r\nz\r\n--a--\r\n";
  EXPECT_EQ(Get(in_header, {1, 1}, SectionKind::kMime), "and ");
  EXPECT_EQ(Get(in_header, {1}, SectionKind::kAll), "--b\r\nand \r\n");
  // message/rfc822 is parsed as a message whatever its transfer encoding.
  constexpr std::string_view b64 =
      "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3Vi\r\n";
  EXPECT_EQ(Get(b64, {1}, SectionKind::kHeader), "U3Vi\r\n");
  EXPECT_EQ(Get(b64, {1}, SectionKind::kHeaderFields, {"Subject"}), "");
}

TEST(MimeTest, HeaderFieldsNotKeepsOddLines) {
  EXPECT_EQ(Get("Subject: header only", {}, SectionKind::kHeaderFieldsNot, {"From"}),
            "Subject: header only");
  EXPECT_EQ(Get(" folded first\r\nSubject: s\r\nNo colon\r\n\tmore\r\nFrom: a@b\r\n\r\nx\r\n", {},
                SectionKind::kHeaderFieldsNot, {"from"}),
            " folded first\r\nSubject: s\r\nNo colon\r\n\tmore\r\n\r\n");
}

TEST(MimeTest, BinaryOfEmptyEncapsulatedMessage) {
  // The encapsulated message of an empty message/rfc822 body starts after the boundary's line
  // break; none of it belongs to BINARY[1].
  constexpr std::string_view raw =
      "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n"
      "\r\n--x--\r\n";
  MessageStructure msg = ParseMessage(raw);
  auto bin = ExtractBinary(raw, msg, {1});
  ASSERT_TRUE(bin.ok());
  EXPECT_EQ(bin->data, "");
  EXPECT_EQ(*BinarySize(raw, msg, {1}), 0u);
}

}  // namespace
}  // namespace hadron::mime
