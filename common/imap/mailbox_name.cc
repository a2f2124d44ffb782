#include "common/imap/mailbox_name.h"

#include <cstdint>

namespace hadron::imap {
namespace {

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

// Validates the modified BASE64 run in `run` (between "&" and "-", non-empty).
bool ValidRun(std::string_view run) {
  uint32_t bits = 0;
  int nbits = 0;
  uint32_t high = 0;  // pending high surrogate, 0 if none
  for (char c : run) {
    int v = Base64Value(c);
    if (v < 0) return false;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    nbits += 6;
    if (nbits < 16) continue;
    nbits -= 16;
    uint32_t unit = (bits >> nbits) & 0xffff;
    bits &= (1u << nbits) - 1;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      if (high != 0) return false;
      high = unit;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      if (high == 0) return false;
      high = 0;
    } else {
      if (high != 0) return false;
      if (unit >= 0x20 && unit <= 0x7e) return false;  // must represent itself
    }
  }
  // Leftover bits: fewer than one BASE64 character's worth, all zero, and no dangling surrogate.
  return high == 0 && nbits < 6 && bits == 0;
}

}  // namespace

bool IsValidModifiedUtf7(std::string_view name) {
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c > 0x7e) return false;
    if (c != '&') continue;
    size_t end = name.find('-', i + 1);
    if (end == std::string_view::npos) return false;
    if (end > i + 1 && !ValidRun(name.substr(i + 1, end - i - 1))) return false;
    i = end;
  }
  return true;
}

}  // namespace hadron::imap
