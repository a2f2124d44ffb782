// libFuzzer entry for the MIME parser, renderers, sections, BINARY decoding and serialization.
// Build and run with clang (the project's gcc toolchain has no libFuzzer), from the repo root:
//   clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address -I. common/mime/mime_fuzzer.cc 
//     common/mime/{address,binary,header,mime,search,serialize}.cc common/imap/strings.cc 
//     $(pkg-config --libs absl_status absl_statusor absl_strings absl_time) -o /tmp/mime_fuzzer
//   /tmp/mime_fuzzer -max_len=65536 common/mime/fuzz_corpus
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/mime/mime.h"

namespace {

using hadron::mime::Part;

// Every part path of the tree, depth-limited, to exercise sections on each part.
void Paths(const Part& p, std::vector<uint32_t>* path, std::vector<std::vector<uint32_t>>* out,
           int depth) {
  if (depth > 20 || out->size() > 200) return;
  const std::vector<Part>* kids = &p.children;
  if (p.message_rfc822 && !p.children.empty()) kids = &p.children.front().children;
  if (p.message_rfc822 && !p.children.empty() && !p.children.front().multipart) {
    path->push_back(1);
    out->push_back(*path);
    Paths(p.children.front(), path, out, depth + 1);
    path->pop_back();
    return;
  }
  for (uint32_t i = 0; i < kids->size(); ++i) {
    path->push_back(i + 1);
    out->push_back(*path);
    Paths((*kids)[i], path, out, depth + 1);
    path->pop_back();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  std::string normalized = hadron::mime::NormalizeLineEndings(raw);
  hadron::mime::MessageStructure msg = hadron::mime::ParseMessage(normalized);
  // Serialization round trip must reproduce the renderings.
  std::string bytes = hadron::mime::SerializeStructure(msg);
  auto back = hadron::mime::DeserializeStructure(bytes);
  if (!back.ok() || back->bodystructure != msg.bodystructure || back->envelope != msg.envelope) {
    __builtin_trap();
  }
  // Truncated serializations must be rejected or parsed, never crash.
  (void)hadron::mime::DeserializeStructure(std::string_view(bytes).substr(0, bytes.size() / 2));
  (void)hadron::mime::DeserializeStructure(raw);

  std::vector<std::vector<uint32_t>> paths = {{}};
  std::vector<uint32_t> path;
  Paths(msg.root, &path, &paths, 0);
  for (const auto& p : paths) {
    for (auto kind : {hadron::mime::SectionKind::kAll, hadron::mime::SectionKind::kHeader,
                      hadron::mime::SectionKind::kText, hadron::mime::SectionKind::kMime,
                      hadron::mime::SectionKind::kHeaderFields}) {
      hadron::mime::Section sec;
      sec.part = p;
      sec.kind = kind;
      sec.fields = {"SUBJECT", "FROM"};
      std::string s = hadron::mime::ExtractSection(normalized, msg, sec);
      if (s.size() > normalized.size() + 4) __builtin_trap();  // + CRLF after an unterminated field, + blank line
    }
    (void)hadron::mime::ExtractBinary(normalized, msg, p);
    (void)hadron::mime::BinarySize(normalized, msg, p);
  }
  (void)hadron::mime::SearchableText(normalized, msg);
  (void)hadron::mime::HeaderValues(normalized, "Subject");
  (void)hadron::mime::SentDate(normalized);
  (void)hadron::mime::DecodeRfc2047(raw);
  (void)hadron::mime::DecodeBase64Strict(raw);
  (void)hadron::mime::DecodeQuotedPrintableStrict(raw);
  return 0;
}
