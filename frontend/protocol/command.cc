// FetchAtt::ResponseName: how a FETCH response names each data item.
#include "frontend/protocol/command.h"

#include "absl/strings/str_cat.h"

namespace hadron::imap {
namespace {

std::string PartPath(const std::vector<uint32_t>& part) {
  std::string out;
  for (size_t i = 0; i < part.size(); ++i) {
    if (i > 0) out += '.';
    absl::StrAppend(&out, part[i]);
  }
  return out;
}

}  // namespace

std::string FetchAtt::ResponseName() const {
  std::string out;
  switch (kind) {
    case Kind::kEnvelope: return "ENVELOPE";
    case Kind::kFlags: return "FLAGS";
    case Kind::kInternalDate: return "INTERNALDATE";
    case Kind::kRfc822: return "RFC822";
    case Kind::kRfc822Header: return "RFC822.HEADER";
    case Kind::kRfc822Size: return "RFC822.SIZE";
    case Kind::kRfc822Text: return "RFC822.TEXT";
    case Kind::kBody: return "BODY";
    case Kind::kBodyStructure: return "BODYSTRUCTURE";
    case Kind::kUid: return "UID";
    case Kind::kModSeq: return "MODSEQ";
    case Kind::kPreview: return "PREVIEW";
    case Kind::kSaveDate: return "SAVEDATE";
    case Kind::kEmailId: return "EMAILID";
    case Kind::kThreadId: return "THREADID";
    case Kind::kBinarySize: return absl::StrCat("BINARY.SIZE[", PartPath(part), "]");
    case Kind::kBinary: out = absl::StrCat("BINARY[", PartPath(part), "]"); break;
    case Kind::kBodySection: {
      out = "BODY[" + PartPath(part);
      const char* text = nullptr;
      switch (section) {
        case Section::kAll: break;
        case Section::kHeader: text = "HEADER"; break;
        case Section::kHeaderFields: text = "HEADER.FIELDS"; break;
        case Section::kHeaderFieldsNot: text = "HEADER.FIELDS.NOT"; break;
        case Section::kText: text = "TEXT"; break;
        case Section::kMime: text = "MIME"; break;
      }
      if (text != nullptr) {
        if (!part.empty()) out += '.';
        out += text;
      }
      if (section == Section::kHeaderFields || section == Section::kHeaderFieldsNot) {
        out += " (";
        for (size_t i = 0; i < fields.size(); ++i) {
          if (i > 0) out += ' ';
          out += fields[i];
        }
        out += ')';
      }
      out += ']';
      break;
    }
  }
  if (partial_offset.has_value()) absl::StrAppend(&out, "<", *partial_offset, ">");
  return out;
}

}  // namespace hadron::imap
