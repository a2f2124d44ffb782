// Mailbox file formats for import and export: mbox (mboxrd, with Dovecot's Status / X-Status /
// X-Keywords headers) and Dovecot Maildir++ (flags from the ":2," info suffix, keywords from
// dovecot-keywords, internal dates from file mtimes, subfolders ".Sub.Folder").
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hadronctl::mailfmt {

std::string ToCrlf(std::string_view text);  // bare LF -> CRLF
std::string ToLf(std::string_view text);    // CRLF -> LF

// One message read from an mbox.
struct MboxMessage {
  std::string content;             // CRLF, metadata headers removed, From-unescaped
  std::vector<std::string> flags;  // IMAP names from Status / X-Status / X-Keywords
  int64_t internal_date = 0;       // from the From_ line (UTC), 0 if unparsable
};

// Reads an mbox one message at a time.
class MboxReader {
 public:
  explicit MboxReader(std::istream& in) : in_(in) {}
  // False at the end; an input that does not start with "From " yields one message anyway.
  bool Next(MboxMessage* out);
  uint64_t bytes_read() const { return bytes_; }

 private:
  bool ReadLine(std::string* line);
  std::istream& in_;
  std::optional<std::string> pending_from_;  // the From_ line that ended the previous message
  bool started_ = false;
  uint64_t bytes_ = 0;
};

// The From_ line, metadata headers and escaped body of one message (LF line ends).
std::string MboxEntry(std::string_view content, const std::vector<std::string>& flags,
                      int64_t internal_date);

// Maildir++ folder directory name (".Sub.Folder") <-> mailbox name ("Sub/Folder"). Characters
// that cannot appear ('.', '/' inside a name part, '\\') are escaped as "\\xx" (Dovecot's
// listescape convention).
std::string MailboxToMaildirFolder(std::string_view mailbox);
std::optional<std::string> MaildirFolderToMailbox(std::string_view folder);

// dovecot-keywords: index -> keyword ("0 $Label1" lines).
std::map<int, std::string> ParseDovecotKeywords(std::string_view text);

// IMAP flags of a Maildir file name ("base:2,FRSab"), keywords by letter from `keywords`.
std::vector<std::string> MaildirFlags(std::string_view filename,
                                      const std::map<int, std::string>& keywords);

// The ":2,..." info suffix for `flags`; keywords get letters through `letters` (keyword ->
// index, extended as needed up to 26; beyond that the keyword is dropped and *dropped set).
std::string MaildirInfo(const std::vector<std::string>& flags, std::map<std::string, int>& letters,
                        bool* dropped);

// The base name of a Maildir file (before ":2," and before ",S=" / ",W=").
std::string MaildirBase(std::string_view filename);

}  // namespace hadronctl::mailfmt
