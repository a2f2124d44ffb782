// libFuzzer entry for modified UTF-7 <-> UTF-8 (mailbox names of UTF8=ACCEPT sessions): both
// directions on arbitrary bytes, with the round-trip invariants checked (a broken one traps).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/imap/utf7.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // UTF-8 -> modified UTF-7: 7-bit printable output that decodes back to the input.
  auto m = hadron::imap::Utf8ToMutf7(in);
  if (m.ok()) {
    for (char c : *m) Check(c >= 0x20 && c <= 0x7e);
    auto back = hadron::imap::Mutf7ToUtf8(*m);
    Check(back.ok() && *back == in);
  }
  // Modified UTF-7 -> UTF-8: valid UTF-8 that encodes and decodes to itself.
  auto u = hadron::imap::Mutf7ToUtf8(in);
  if (u.ok()) {
    auto again = hadron::imap::Utf8ToMutf7(*u);
    Check(again.ok());
    auto back = hadron::imap::Mutf7ToUtf8(*again);
    Check(back.ok() && *back == *u);
  }
  return 0;
}
