// libFuzzer entry for the SASL decoding of AUTHENTICATE: base64 responses and PLAIN messages,
// with their invariants checked (a broken invariant traps, reported like a crash).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/escaping.h"
#include "common/imap/sasl.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  namespace sasl = hadron::imap::sasl;
  // The input as a client's base64 line, initial or not.
  auto initial = sasl::DecodeResponse(in, true);
  auto cont = sasl::DecodeResponse(in, false);
  if (in != "=") Check(initial.ok() == cont.ok());
  if (cont.ok()) {
    auto plain = sasl::ParsePlain(*cont);
    if (plain.ok()) {
      Check(plain->authzid.find('\0') == std::string::npos);
      Check(plain->authcid.find('\0') == std::string::npos);
      Check(plain->password.find('\0') == std::string::npos);
      Check(plain->authzid.size() + plain->authcid.size() + plain->password.size() + 2 ==
            cont->size());
    }
  }
  // The input as a decoded PLAIN message: encoding and decoding gives it back.
  std::string b64;
  absl::Base64Escape(absl::string_view(in.data(), in.size()), &b64);
  auto back = sasl::DecodeResponse(b64, false);
  Check(back.ok() && *back == in);
  auto plain = sasl::ParsePlain(in);
  if (plain.ok()) {
    std::string joined = plain->authzid + '\0' + plain->authcid + '\0' + plain->password;
    Check(joined == in);
  }
  return 0;
}
