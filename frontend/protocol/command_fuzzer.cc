// libFuzzer entry for the IMAP command reader and parser (CONVENTIONS 14).
// Build and run (from the repo root):
//   clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address -I. frontend/protocol/command_fuzzer.cc \
//     frontend/protocol/{parser,reader,command}.cc common/imap/{seqset,datetime}.cc \
//     $(pkg-config --libs absl_status absl_statusor absl_strings absl_time) -o /tmp/command_fuzzer
//   /tmp/command_fuzzer -max_len=512 frontend/protocol/fuzz_corpus
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "frontend/protocol/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the chunk size and the literal decisions; the rest is the stream.
  const uint8_t control = data[0];
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  (void)hadron::imap::ParseCommand(input);

  hadron::imap::CommandReader::Limits limits;
  limits.max_line = 256;
  limits.max_literal = 1024;
  limits.max_command = 4096;
  limits.max_nesting = 8;
  limits.max_bad_commands = 1 << 30;
  hadron::imap::CommandReader reader(limits);
  const size_t chunk = (control & 0x0f) + 1;
  size_t fed = 0;
  unsigned decision = control >> 4;
  for (size_t steps = 0; steps < 100000; ++steps) {
    auto ev = reader.Next();
    if (std::holds_alternative<hadron::imap::CommandReader::NeedMore>(ev)) {
      if (fed >= input.size()) break;
      size_t n = std::min(chunk, input.size() - fed);
      reader.Feed(input.substr(fed, n));
      fed += n;
      if (decision & 8) (void)reader.NextLine();
    } else if (std::holds_alternative<hadron::imap::CommandReader::NeedLiteral>(ev)) {
      if (decision & 1) {
        reader.AcceptLiteral();
      } else {
        reader.RejectLiteral();
      }
      decision = (decision >> 1) | ((decision & 1) << 3);
    } else if (auto* p = std::get_if<hadron::imap::CommandReader::Parsed>(&ev)) {
      for (const auto& att : std::holds_alternative<hadron::imap::FetchArgs>(p->command.args)
                                 ? std::get<hadron::imap::FetchArgs>(p->command.args).atts
                                 : std::vector<hadron::imap::FetchAtt>{}) {
        (void)att.ResponseName();
      }
    }
  }
  return 0;
}
