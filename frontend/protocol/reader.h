// Incremental, bounded IMAP command reader: bytes in, typed commands (or errors) out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/statusor.h"
#include "frontend/protocol/command.h"

namespace hadron::imap {

// Parses one complete command as it is on the wire, without the final CRLF: literals appear
// inline as "{n}\r\n<n bytes>" (or "{n+}\r\n", "~{n}\r\n"). No side effects. The error message
// is the BAD text ("Unknown command", "Missing argument", ...). Used by CommandReader, tests
// and the fuzzer.
absl::StatusOr<Command> ParseCommand(std::string_view wire, size_t max_nesting = 32);

// The tag of a command line ("a1" of "a1 NOOP"), or "*" when there is no valid tag.
std::string ExtractTag(std::string_view line);

class CommandReader {
 public:
  struct Limits {
    size_t max_line = 64 * 1024;     // one line, between literals
    size_t max_literal = 64 << 20;   // one literal (set to APPENDLIMIT)
    size_t max_nesting = 32;         // parentheses, NOT and OR depth
    size_t max_command = 70 << 20;   // all lines and literals of one command
    size_t max_bad_commands = 20;    // consecutive errors before a fatal one (as Dovecot)
    // Largest non-synchronizing literal: unlimited with LITERAL+, 4096 with LITERAL- (RFC 7888
    // section 4); a larger one is answered "BAD [TOOBIG]" and its bytes are skipped.
    size_t max_nonsync_literal = SIZE_MAX;
    // Keep this many bytes of each parsed command's wire form in Parsed (protocol traces).
    size_t keep_wire_head = 0;
  };
  CommandReader();  // default Limits
  explicit CommandReader(Limits limits);

  void Feed(std::string_view bytes);  // append received bytes

  struct NeedMore {};
  // A "{n}\r\n" (synchronizing) or "{n+}\r\n" was just seen. The caller checks the size, then
  // AcceptLiteral() (and for a synchronizing literal sends "+ OK") or RejectLiteral() (and
  // answers the tag with BAD, or NO [TOOBIG] for APPEND). Next() keeps returning this event
  // until one of them is called. Sizes above Limits::max_literal never get here: they come out
  // as an Error and the reader skips the literal itself.
  struct NeedLiteral {
    std::string tag;
    size_t size = 0;
    bool synchronizing = true;
    std::string command;  // uppercased verb when known ("APPEND"; "UID" is skipped), else ""
  };
  struct Parsed {
    Command command;
    std::string wire_head;  // the first Limits::keep_wire_head bytes of the wire form
    size_t wire_size = 0;
  };
  struct Error {
    std::string tag;      // "*" if unknown
    std::string message;  // text for "<tag> BAD <message>"
    bool fatal = false;   // close the connection (max_bad_commands errors in a row)
    bool too_big = false;  // a literal above max_literal (APPEND answers NO [TOOBIG])
    bool nonsync_too_big = false;  // LITERAL-: a {n+} above max_nonsync_literal: BAD [TOOBIG]
  };
  using Event = std::variant<NeedMore, NeedLiteral, Parsed, Error>;

  // Parses as far as possible. After an Error the reader resumes at the next command line
  // (skipping the literals the bad command announced). After a fatal Error it only returns
  // NeedMore.
  Event Next();
  void AcceptLiteral();
  // Drops the current command: for a synchronizing literal the client will not send it; a
  // non-synchronizing literal's bytes are skipped, then the rest of the command.
  void RejectLiteral();

  // Raw line mode (IDLE's DONE, AUTHENTICATE continuations): the next line without its CRLF
  // (or bare LF); nullopt until a full line is buffered. A line longer than max_line is
  // returned truncated to max_line bytes and the rest of it is discarded.
  std::optional<std::string> NextLine();

  // Bytes received and not yet consumed (for tests and output-buffer accounting).
  size_t buffered() const;
  // True between commands: nothing buffered and no command partly received (draining).
  bool between_commands() const {
    return state_ == State::kLine && command_.empty() && Available() == 0;
  }
  // Removes and returns the bytes received and not yet consumed (COMPRESS: they are the start
  // of the compressed stream). Only between commands.
  std::string TakeBuffered();

  // Whether the verb (uppercased; after "UID" when uid) is one ParseCommand knows.
  static bool IsKnownCommand(std::string_view verb, bool uid);

 private:
  enum class State { kLine, kNeedLiteral, kLiteral, kSkipLiteral, kSkipLine, kDead };

  size_t Available() const { return in_.size() - pos_; }
  void Consume(size_t n);
  void ResetCommand();
  Error MakeError(std::string message, bool too_big = false);
  // Handles a complete line (without its line end) in state kLine.
  std::optional<Event> OnLine(std::string_view line);
  void StartSkip(size_t literal_size);

  Limits limits_;
  std::string in_;       // received bytes; the consumed prefix is in_[0, pos_)
  size_t pos_ = 0;
  size_t scan_ = 0;      // bytes after pos_ known to hold no LF
  State state_ = State::kLine;
  std::string command_;  // the command assembled so far, in wire form
  std::string tag_;
  std::string verb_;
  size_t literal_size_ = 0;
  bool literal_sync_ = true;
  size_t skip_left_ = 0;     // literal bytes still to discard
  std::string skip_tail_;    // last bytes of a discarded line, to spot "{n+}" at its end
  std::string raw_line_;     // NextLine() of an over-long line
  bool raw_overflow_ = false;
  size_t bad_in_a_row_ = 0;
};

}  // namespace hadron::imap
