// Protocol trace lines (--trace_protocol): what a client sent and what it was answered, for an
// operator, with credentials never shown. LOGIN's password and every SASL response (initial or
// continued) are replaced by "***"; long lines are cut and their size given.
#pragma once

#include <string>
#include <string_view>

#include "frontend/protocol/command.h"

namespace hadron::imap {

inline constexpr size_t kTraceMaxBytes = 200;

// A command as parsed, from the start of its wire form (CommandReader keeps the first
// kTraceMaxBytes of it when asked): LOGIN and AUTHENTICATE are rebuilt from their arguments
// without the secret; any other command is its wire head, made printable.
std::string TraceCommand(const Command& cmd, std::string_view wire_head, size_t wire_size);

// Server output or a raw client line, made printable (CR, LF and control bytes escaped) and cut.
std::string TracePrintable(std::string_view bytes);

}  // namespace hadron::imap
