// CommandReader: framing of lines and literals, limits, resynchronization after errors.
#include "frontend/protocol/reader.h"

#include <algorithm>
#include <cstring>

namespace hadron::imap {
namespace {

constexpr size_t kTailKeep = 32;  // enough for "~{18446744073709551615+}"

struct LiteralAnnounce {
  size_t size;
  bool sync;
  size_t start;  // offset of "{" (or "~") in the line
};

// A literal announcement "{n}", "{n+}" or "~{n}" ending `line`, outside any quoted string.
std::optional<LiteralAnnounce> FindLiteral(std::string_view line, bool check_quotes) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  size_t end = line.size() - 1;
  bool sync = true;
  if (end > 0 && line[end - 1] == '+') {
    sync = false;
    --end;
  }
  size_t d = end;
  while (d > 0 && line[d - 1] >= '0' && line[d - 1] <= '9') --d;
  if (d == end || d == 0 || line[d - 1] != '{' || end - d > 19) return std::nullopt;
  uint64_t n = 0;
  for (size_t i = d; i < end; ++i) {
    uint64_t next = n * 10 + static_cast<uint64_t>(line[i] - '0');
    if (next / 10 != n) return std::nullopt;  // overflow
    n = next;
  }
  size_t start = d - 1;
  if (start > 0 && line[start - 1] == '~') --start;
  if (check_quotes) {
    bool quoted = false;
    for (size_t i = 0; i < start; ++i) {
      if (quoted && line[i] == '\\') {
        ++i;
      } else if (line[i] == '"') {
        quoted = !quoted;
      }
    }
    if (quoted) return std::nullopt;
  }
  return LiteralAnnounce{static_cast<size_t>(n), sync, start};
}

// The verb of a first command line ("FETCH" for "a UID FETCH ..."), uppercased, and whether
// UID preceded it.
std::pair<std::string, bool> FindVerb(std::string_view line) {
  auto word = [&line](size_t& i) {
    size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    std::string w(line.substr(start, i - start));
    for (char& c : w) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    if (i < line.size()) ++i;
    return w;
  };
  size_t i = 0;
  word(i);  // tag
  std::string verb = word(i);
  if (verb == "UID") return {word(i), true};
  return {verb, false};
}

}  // namespace

CommandReader::CommandReader() : CommandReader(Limits{}) {}
CommandReader::CommandReader(Limits limits) : limits_(limits) {}

void CommandReader::Feed(std::string_view bytes) {
  if (pos_ > 0 && (pos_ >= in_.size() || pos_ > 4096)) {
    in_.erase(0, pos_);
    pos_ = 0;
  }
  in_.append(bytes.data(), bytes.size());
}

size_t CommandReader::buffered() const { return in_.size() - pos_; }

std::string CommandReader::TakeBuffered() {
  std::string out = in_.substr(pos_);
  in_.clear();
  pos_ = 0;
  scan_ = 0;
  return out;
}

void CommandReader::Consume(size_t n) {
  pos_ += n;
  scan_ = 0;
  if (pos_ == in_.size()) {
    in_.clear();
    pos_ = 0;
  }
}

void CommandReader::ResetCommand() {
  command_.clear();
  command_.shrink_to_fit();
  tag_.clear();
  verb_.clear();
}

CommandReader::Error CommandReader::MakeError(std::string message, bool too_big) {
  Error e;
  e.tag = tag_.empty() ? "*" : tag_;
  e.message = std::move(message);
  e.too_big = too_big;
  if (++bad_in_a_row_ >= limits_.max_bad_commands) {
    e.fatal = true;
    e.message = "Too many invalid commands";
    state_ = State::kDead;
  }
  return e;
}

void CommandReader::StartSkip(size_t literal_size) {
  skip_left_ = literal_size;
  skip_tail_.clear();
  state_ = State::kSkipLiteral;
}

std::optional<CommandReader::Event> CommandReader::OnLine(std::string_view line) {
  if (command_.empty()) {
    if (line.empty()) return std::nullopt;  // stray CRLF between commands: ignored
    tag_ = ExtractTag(line);
    auto [verb, uid] = FindVerb(line);
    verb_ = verb;
    if (tag_ == "*") tag_.clear();
  }
  command_.append(line.data(), line.size());
  std::optional<LiteralAnnounce> lit = FindLiteral(line, /*check_quotes=*/true);
  if (!lit.has_value()) {
    std::string wire = std::move(command_);
    ResetCommand();
    std::string tag = ExtractTag(wire);
    absl::StatusOr<Command> cmd = ParseCommand(wire, limits_.max_nesting);
    if (!cmd.ok()) {
      tag_ = tag == "*" ? "" : tag;
      Error e = MakeError(std::string(cmd.status().message()));
      tag_.clear();
      return Event(std::move(e));
    }
    bad_in_a_row_ = 0;
    Parsed parsed{*std::move(cmd), {}, wire.size()};
    if (limits_.keep_wire_head > 0) parsed.wire_head = wire.substr(0, limits_.keep_wire_head);
    return Event(std::move(parsed));
  }
  // A literal follows. Refuse early what can never parse, so that no "+" is sent for it.
  std::string problem;
  bool too_big = false;
  bool nonsync_too_big = false;
  if (tag_.empty()) {
    problem = "Invalid tag";
  } else if (!IsKnownCommand(FindVerb(command_).first, FindVerb(command_).second)) {
    problem = "Unknown command";
  } else if (lit->size > limits_.max_literal ||
             command_.size() + lit->size > limits_.max_command) {
    problem = "Literal too large";
    too_big = true;
  } else if (!lit->sync && lit->size > limits_.max_nonsync_literal) {
    problem = "Non-synchronizing literals above 4096 bytes are not allowed (LITERAL-)";
    nonsync_too_big = true;
  }
  if (!problem.empty()) {
    Error e = MakeError(problem, too_big);
    e.nonsync_too_big = nonsync_too_big;
    ResetCommand();
    if (state_ != State::kDead) {
      if (lit->sync) {
        state_ = State::kLine;  // the client waits for "+" and gets the tagged BAD instead
      } else {
        StartSkip(lit->size);
      }
    }
    return Event(std::move(e));
  }
  command_ += "\r\n";
  literal_size_ = lit->size;
  literal_sync_ = lit->sync;
  state_ = State::kNeedLiteral;
  return Event(NeedLiteral{tag_, literal_size_, literal_sync_, verb_});
}

CommandReader::Event CommandReader::Next() {
  while (true) {
    switch (state_) {
      case State::kDead:
        return NeedMore{};
      case State::kNeedLiteral:
        return NeedLiteral{tag_, literal_size_, literal_sync_, verb_};
      case State::kLiteral: {
        size_t n = std::min(Available(), literal_size_);
        command_.append(in_, pos_, n);
        Consume(n);
        literal_size_ -= n;
        if (literal_size_ > 0) return NeedMore{};
        state_ = State::kLine;
        break;
      }
      case State::kSkipLiteral: {
        size_t n = std::min(Available(), skip_left_);
        Consume(n);
        skip_left_ -= n;
        if (skip_left_ > 0) return NeedMore{};
        skip_tail_.clear();
        state_ = State::kSkipLine;
        break;
      }
      case State::kSkipLine: {
        const char* begin = in_.data() + pos_;
        const void* lf = std::memchr(begin, '\n', Available());
        size_t n = lf == nullptr ? Available() : static_cast<const char*>(lf) - begin;
        skip_tail_.append(begin, n);
        if (skip_tail_.size() > kTailKeep) skip_tail_.erase(0, skip_tail_.size() - kTailKeep);
        if (lf == nullptr) {
          Consume(n);
          return NeedMore{};
        }
        Consume(n + 1);
        if (!skip_tail_.empty() && skip_tail_.back() == '\r') skip_tail_.pop_back();
        std::optional<LiteralAnnounce> lit = FindLiteral(skip_tail_, /*check_quotes=*/false);
        if (lit.has_value() && !lit->sync) {
          StartSkip(lit->size);  // the rest of the bad command still follows
        } else {
          state_ = State::kLine;
        }
        break;
      }
      case State::kLine: {
        const char* begin = in_.data() + pos_;
        const void* lf = std::memchr(begin + scan_, '\n', Available() - scan_);
        if (lf == nullptr) {
          scan_ = Available();
          if (Available() > limits_.max_line) {
            if (command_.empty()) {
              std::string_view partial(begin, Available());
              std::string tag = ExtractTag(partial);
              tag_ = tag == "*" ? "" : tag;
            }
            Error e = MakeError("Line too long");
            ResetCommand();
            if (state_ != State::kDead) state_ = State::kSkipLine;
            skip_tail_.clear();
            return e;
          }
          return NeedMore{};
        }
        size_t len = static_cast<const char*>(lf) - begin;
        std::string_view line(begin, len);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() > limits_.max_line) {
          if (command_.empty()) {
            std::string tag = ExtractTag(line);
            tag_ = tag == "*" ? "" : tag;
          }
          // Keep the tail: the over-long line may still announce a literal to skip.
          skip_tail_.assign(line.substr(line.size() - kTailKeep));
          Consume(len + 1);
          Error e = MakeError("Line too long");
          ResetCommand();
          if (state_ != State::kDead) {
            std::optional<LiteralAnnounce> lit = FindLiteral(skip_tail_, false);
            if (lit.has_value() && !lit->sync) {
              StartSkip(lit->size);
            } else {
              state_ = State::kLine;
            }
          }
          return e;
        }
        if (command_.size() + line.size() > limits_.max_command) {
          skip_tail_.assign(line.substr(line.size() - std::min(line.size(), kTailKeep)));
          Consume(len + 1);
          Error e = MakeError("Command too long");
          ResetCommand();
          if (state_ != State::kDead) {
            std::optional<LiteralAnnounce> lit = FindLiteral(skip_tail_, false);
            if (lit.has_value() && !lit->sync) {
              StartSkip(lit->size);
            } else {
              state_ = State::kLine;
            }
          }
          return e;
        }
        // OnLine may keep a view into in_; consume only after it returns.
        std::optional<Event> ev = OnLine(line);
        Consume(len + 1);
        if (ev.has_value()) return *std::move(ev);
        break;
      }
    }
  }
}

void CommandReader::AcceptLiteral() {
  if (state_ != State::kNeedLiteral) return;
  state_ = State::kLiteral;
}

void CommandReader::RejectLiteral() {
  if (state_ != State::kNeedLiteral) return;
  ResetCommand();
  if (literal_sync_) {
    state_ = State::kLine;
  } else {
    StartSkip(literal_size_);
  }
}

std::optional<std::string> CommandReader::NextLine() {
  if (state_ != State::kLine || !command_.empty()) return std::nullopt;
  while (true) {
    const char* begin = in_.data() + pos_;
    const void* lf = std::memchr(begin + scan_, '\n', Available() - scan_);
    if (raw_overflow_) {
      if (lf == nullptr) {
        Consume(Available());
        return std::nullopt;
      }
      Consume(static_cast<const char*>(lf) - begin + 1);
      raw_overflow_ = false;
      std::string out = std::move(raw_line_);
      raw_line_.clear();
      return out;
    }
    if (lf == nullptr) {
      scan_ = Available();
      if (Available() > limits_.max_line) {
        raw_line_.assign(begin, limits_.max_line);
        raw_overflow_ = true;
        Consume(Available());
      }
      return std::nullopt;
    }
    size_t len = static_cast<const char*>(lf) - begin;
    std::string line(begin, len);
    Consume(len + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > limits_.max_line) line.resize(limits_.max_line);
    return line;
  }
}

}  // namespace hadron::imap
