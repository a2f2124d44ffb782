// Tests for Preview (FETCH PREVIEW), expectations taken from Dovecot 2.3.19's answers.
#include <string>

#include "common/mime/mime.h"
#include "gtest/gtest.h"

namespace hadron::mime {
namespace {

std::string P(const std::string& raw) { return Preview(raw, ParseMessage(raw)); }

std::string Multi(const std::string& sub, const std::string& ct1, const std::string& b1,
                  const std::string& ct2, const std::string& b2) {
  return "Subject: x\r\nContent-Type: multipart/" + sub + "; boundary=b\r\n\r\n--b\r\n" +
         "Content-Type: " + ct1 + "\r\n\r\n" + b1 + "\r\n--b\r\nContent-Type: " + ct2 +
         "\r\n\r\n" + b2 + "\r\n--b--\r\n";
}

TEST(PreviewTest, CollapsesWhitespace) {
  EXPECT_EQ(P("Subject: x\r\n\r\n  Hello   world\r\n  this is\ta test.\r\n"),
            "Hello world this is a test.");
  EXPECT_EQ(P("Subject: x\r\n\r\na b\r\n"), "a b");
}

TEST(PreviewTest, EmptyBodies) {
  EXPECT_EQ(P("Subject: x\r\n\r\n"), "");
  EXPECT_EQ(P("Subject: x\r\n\r\n   \r\n\r\n"), "");
  EXPECT_EQ(P("Subject: x\r\nContent-Type: application/octet-stream\r\n\r\nbinary\r\n"), "");
  EXPECT_EQ(P("Subject: x\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\ninner\r\n"),
            "");
}

TEST(PreviewTest, LengthLimit) {
  std::string body;
  for (int i = 0; i < 40; ++i) body += "abcdefghi ";
  std::string p = P("Subject: x\r\n\r\n" + body + "\r\n");
  EXPECT_EQ(p.size(), 199u);
  EXPECT_EQ(p.back(), 'i');
  std::string e;
  for (int i = 0; i < 300; ++i) e += "\xc3\xa9";
  EXPECT_EQ(P("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + e + "\r\n"),
            e.substr(0, 400));
}

TEST(PreviewTest, Decoding) {
  EXPECT_EQ(P("Subject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
              "Content-Transfer-Encoding: base64\r\n\r\nSOlsbG8gd29ybGQ=\r\n"),
            "H\xc3\xa9llo world");
  EXPECT_EQ(P("Subject: x\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
              "H=C3=A9llo=\r\n wor=3Dld\r\n"),
            "H\xc3\xa9llo wor=ld");
  EXPECT_EQ(P("Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
              "a=ZZb=\r\nsoft= \r\nend=4\r\n=C3=A9\r\n"),
            "a=ZZbsoftend=4 \xc3\xa9");
  EXPECT_EQ(P("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nab\xff\xfe" "cd\r\n"),
            "ab\xef\xbf\xbd" "cd");
  EXPECT_EQ(P(std::string("Subject: x\r\n\r\na\0b \xef\xbb\xbf" "c\r\n", 22)), "ab c");
}

TEST(PreviewTest, QuotedLines) {
  EXPECT_EQ(P("Subject: x\r\n\r\n> quoted line\r\n>more\r\nreal text\r\n"), "real text");
  EXPECT_EQ(P("Subject: x\r\n\r\n> quoted line\r\n>more\r\n"), ">quoted line more");
}

TEST(PreviewTest, PartChoice) {
  EXPECT_EQ(P(Multi("alternative", "text/html", "<b>html</b>", "text/plain", "plain part")),
            "plain part");
  EXPECT_EQ(P(Multi("mixed", "text/html", "<i>hi</i> there", "text/plain", "plain")),
            "hi there");
  EXPECT_EQ(P(Multi("mixed", "image/png", "xx", "text/plain", "plain part")), "plain part");
  EXPECT_EQ(P(Multi("mixed", "text/plain", "first", "text/plain", "second")), "first");
  EXPECT_EQ(P(Multi("mixed", "text/plain", "  ", "text/plain", "second")), "");
  EXPECT_EQ(P("Content-Type: text\r\n\r\nx\r\n"), "");
  EXPECT_EQ(P("Content-Type: text; charset=us-ascii\r\n\r\nx\r\n"), "");
  // A digest child without Content-Type: the encapsulated message, header included, is the text.
  EXPECT_EQ(P("Content-Type: multipart/digest; boundary=B\r\n\r\n--B\r\n\r\nContent-Type: "
              "text/plain\r\nSubject: ee\r\n\r\nmessage 1\r\n--B--\r\n"),
            "Content-Type: text/plain Subject: ee message 1");
  EXPECT_EQ(P(Multi("mixed", "text/enriched", "rich", "text/plain", "second")), "rich");
}

std::string H(const std::string& body) {
  return P("Subject: x\r\nContent-Type: text/html\r\n\r\n" + body + "\r\n");
}

TEST(PreviewTest, Html) {
  EXPECT_EQ(H("<html><head><title>T</title><style>p{}</style></head><body><p>Hi &lt;there&gt; "
              "&nbsp;x&eacute;</p><blockquote>q</blockquote>after</body></html>"),
            "T Hi <there> \xc2\xa0x\xc3\xa9 after");
  EXPECT_EQ(H("a<p>&gt;q"), "a >q");
  EXPECT_EQ(H("a\n&gt;q"), "a");
  EXPECT_EQ(H("a<!-- x -->b"), "ab");
  EXPECT_EQ(H("a<script>x</script>b"), "a b");
  EXPECT_EQ(H("a<![CDATA[c d]]>b"), "ac db");
  EXPECT_EQ(H("a&amp;&quot;&apos;&euro;&#x263a;&#9731;&nosuch;&amp b"),
            "a&\"'\xe2\x82\xac\xe2\x98\xba\xe2\x98\x83" "amp b");
  EXPECT_EQ(H("a<img alt='>'>b"), "a b");
  EXPECT_EQ(H("a< b"), "a");
  EXPECT_EQ(H("&gt;start"), ">start");
  EXPECT_EQ(H("<html>\n&gt;x\nb"), "b");
  EXPECT_EQ(H("a&lt"), "alt");
  EXPECT_EQ(H("<p>&gt; not quote</p>\r\n>raw\r\n<!-- c -->z<script>s()</script>w&#65;&#x42;"
              "&bogus;"),
            "z wAB");
}

}  // namespace
}  // namespace hadron::mime
