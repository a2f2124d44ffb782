// Debug tool: prints ENVELOPE, BODY, BODYSTRUCTURE or BODY[section] of a message file, for
// differential runs against Dovecot (tests/differential).
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/mime/mime.h"

using hadron::mime::Section;
using hadron::mime::SectionKind;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: mime_dump FILE ITEM...  (ITEM: ENVELOPE BODY BODYSTRUCTURE or a section "
                 "spec like 1.2.MIME or HEADER.FIELDS:From,To)\n";
    return 2;
  }
  std::ifstream f(argv[1], std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string raw = ss.str();
  auto msg = hadron::mime::ParseMessage(raw);
  for (int i = 2; i < argc; ++i) {
    std::string item = argv[i];
    if (item == "ENVELOPE") {
      std::cout << msg.envelope << "\n";
    } else if (item == "BODY") {
      std::cout << msg.body << "\n";
    } else if (item == "BODYSTRUCTURE") {
      std::cout << msg.bodystructure << "\n";
    } else {
      Section s;
      std::string spec = item;
      std::string fields;
      size_t colon = spec.find(':');
      if (colon != std::string::npos) {
        fields = spec.substr(colon + 1);
        spec = spec.substr(0, colon);
      }
      std::vector<std::string> parts = absl::StrSplit(spec, '.');
      size_t k = 0;
      for (; k < parts.size(); ++k) {
        uint32_t n;
        if (!absl::SimpleAtoi(parts[k], &n)) break;
        s.part.push_back(n);
      }
      std::string rest;
      for (; k < parts.size(); ++k) rest += (rest.empty() ? "" : ".") + parts[k];
      if (rest == "HEADER") s.kind = SectionKind::kHeader;
      if (rest == "TEXT") s.kind = SectionKind::kText;
      if (rest == "MIME") s.kind = SectionKind::kMime;
      if (rest == "HEADER.FIELDS") s.kind = SectionKind::kHeaderFields;
      if (rest == "HEADER.FIELDS.NOT") s.kind = SectionKind::kHeaderFieldsNot;
      if (!fields.empty()) s.fields = absl::StrSplit(fields, ',');
      std::string out = hadron::mime::ExtractSection(raw, msg, s);
      std::cout << "{" << out.size() << "}\r\n" << out << "\n";
    }
  }
  return 0;
}
