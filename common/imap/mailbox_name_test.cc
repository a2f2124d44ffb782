#include "common/imap/mailbox_name.h"

#include <gtest/gtest.h>

namespace hadron::imap {
namespace {

TEST(ModifiedUtf7, Valid) {
  for (const char* name : {"INBOX", "", "a b", "Bad&-Name", "&-", "&-&-", "~peter/mail/&U,BTFw-/&ZeVnLIqe-",
                           "Entw&APw-rfe", "Ok&AOk-", "&2D3eAA-" /* U+1F600 */, "caf&AOk-!"}) {
    EXPECT_TRUE(IsValidModifiedUtf7(name)) << name;
  }
}

TEST(ModifiedUtf7, Invalid) {
  for (const char* name : {"Bad&Name",        // & without -
                           "Bad&AOk",         // unterminated
                           "Bad&AGE-",        // "a" encoded
                           "&AOk=-",          // '=' not in the alphabet
                           "&AO/-",           // '/' is ',' in modified BASE64
                           "&AOl-",           // non-zero padding bits
                           "&AOkA-",          // a superfluous BASE64 character
                           "&2D0-",           // lone high surrogate
                           "&3gA-",           // lone low surrogate
                           "caf\xc3\xa9",     // 8-bit
                           "tab\there", "del\x7f"}) {
    EXPECT_FALSE(IsValidModifiedUtf7(name)) << name;
  }
}

}  // namespace
}  // namespace hadron::imap
