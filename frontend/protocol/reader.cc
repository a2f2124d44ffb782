// CommandReader: framing of lines and literals, limits, resynchronization after errors.
#include "frontend/protocol/reader.h"

namespace hadron::imap {

CommandReader::CommandReader() : CommandReader(Limits{}) {}
CommandReader::CommandReader(Limits limits) : limits_(limits) {}
void CommandReader::Feed(std::string_view bytes) { in_.append(bytes); }
CommandReader::Event CommandReader::Next() { return NeedMore{}; }
void CommandReader::AcceptLiteral() {}
void CommandReader::RejectLiteral() {}
std::optional<std::string> CommandReader::NextLine() { return std::nullopt; }
size_t CommandReader::buffered() const { return in_.size() - pos_; }

}  // namespace hadron::imap
