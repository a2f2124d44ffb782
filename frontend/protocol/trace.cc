#include "frontend/protocol/trace.h"

#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hadron::imap {

std::string TracePrintable(std::string_view bytes) {
  std::string out;
  size_t n = std::min(bytes.size(), kTraceMaxBytes);
  out.reserve(n + 32);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      absl::StrAppend(&out, absl::StrFormat("\\x%02x", c));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (bytes.size() > n) absl::StrAppend(&out, "... (", bytes.size(), " bytes)");
  return out;
}

std::string TraceCommand(const Command& cmd, std::string_view wire_head, size_t wire_size) {
  if (const auto* login = std::get_if<LoginArgs>(&cmd.args)) {
    return TracePrintable(absl::StrCat(cmd.tag, " LOGIN ", login->user, " ***"));
  }
  if (const auto* auth = std::get_if<AuthenticateArgs>(&cmd.args)) {
    return TracePrintable(absl::StrCat(cmd.tag, " AUTHENTICATE ", auth->mechanism,
                                       auth->initial_response ? " ***" : ""));
  }
  std::string out = TracePrintable(wire_head);
  if (wire_size > wire_head.size() && wire_head.size() <= kTraceMaxBytes) {
    absl::StrAppend(&out, "... (", wire_size, " bytes)");
  }
  return out;
}

}  // namespace hadron::imap
