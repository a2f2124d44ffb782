// FETCH and UID FETCH (RFC 3501 6.4.5, 7.4.2). Metadata comes from the view where it can
// (FLAGS, UID) and from the state service otherwise; body sections are cut from the stored
// message with the part offsets computed at APPEND, so nothing is re-parsed here.
#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/imap/datetime.h"
#include "common/imap/seqset.h"
#include "common/imap/strings.h"
#include "common/mime/mime.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {
namespace {

using Att = imap::FetchAtt;

bool SetsSeen(const Att& a) {
  return ((a.kind == Att::Kind::kBodySection || a.kind == Att::Kind::kBinary) && !a.peek) ||
         a.kind == Att::Kind::kRfc822 ||
         a.kind == Att::Kind::kRfc822Text;
}
bool NeedsContent(const Att& a) {
  return a.kind == Att::Kind::kBodySection || a.kind == Att::Kind::kRfc822 ||
         a.kind == Att::Kind::kRfc822Header || a.kind == Att::Kind::kRfc822Text ||
         a.kind == Att::Kind::kBinary || a.kind == Att::Kind::kBinarySize ||
         a.kind == Att::Kind::kPreview;  // computed from the content; never sets \Seen
}
bool NeedsStructure(const Att& a) {
  return NeedsContent(a) || a.kind == Att::Kind::kEnvelope || a.kind == Att::Kind::kBody ||
         a.kind == Att::Kind::kBodyStructure;
}
bool NeedsServer(const Att& a) {
  return NeedsStructure(a) || a.kind == Att::Kind::kInternalDate ||
         a.kind == Att::Kind::kRfc822Size || a.kind == Att::Kind::kSaveDate ||
         a.kind == Att::Kind::kEmailId || a.kind == Att::Kind::kThreadId;
}

// A batch of FETCH responses under construction: the response text, and the big literal
// bodies as views into the fetched messages, written from there by one scatter/gather write
// (header, body, trailer, ...) instead of being copied into one string per response. The text
// buffer is reused from batch to batch.
class Output {
 public:
  std::string& text() { return text_; }
  // Borrows `data` (which must outlive the Send of this batch) when it is big enough to be
  // worth its own buffer in the write; copies it otherwise.
  void AppendBorrowed(std::string_view data) {
    if (data.size() < kMinBorrowed) {
      text_.append(data);
    } else {
      pieces_.push_back(Piece{text_.size(), data});
    }
  }
  struct Mark {
    size_t text, pieces;
  };
  Mark mark() const { return Mark{text_.size(), pieces_.size()}; }
  void Rollback(Mark m) {
    text_.resize(m.text);
    pieces_.resize(m.pieces);
  }
  bool empty() const { return text_.empty() && pieces_.empty(); }
  void Clear() {
    text_.clear();
    pieces_.clear();
  }
  // The bytes in order, for Session::SendParts.
  const std::vector<std::string_view>& Parts() {
    parts_.clear();
    size_t from = 0;
    for (const Piece& p : pieces_) {
      if (p.text_end > from) parts_.emplace_back(text_.data() + from, p.text_end - from);
      parts_.push_back(p.data);
      from = p.text_end;
    }
    if (text_.size() > from) parts_.emplace_back(text_.data() + from, text_.size() - from);
    return parts_;
  }

 private:
  static constexpr size_t kMinBorrowed = 16 * 1024;
  struct Piece {
    size_t text_end;  // the text before this piece ends here
    std::string_view data;
  };
  std::string text_;
  std::vector<Piece> pieces_;
  std::vector<std::string_view> parts_;
};

void AppendLiteral(std::string* out, std::string_view data) {
  absl::StrAppend(out, "{", data.size(), "}\r\n");
  out->append(data);
}

// A literal may not carry NUL (RFC 3501 9, CHAR8); like Dovecot, NUL goes out as 0x80 so sizes
// and offsets stay what BODYSTRUCTURE says. BINARY uses literal8 instead. `borrowed`: `data`
// lives until the batch is sent (a slice of the fetched message), so without a NUL it is
// written from where it is.
void AppendTextLiteral(Output* out, std::string_view data, bool borrowed) {
  std::string& text = out->text();
  absl::StrAppend(&text, "{", data.size(), "}\r\n");
  if (data.empty()) return;
  // memchr finds the (rare) NULs at memory speed; a byte loop here was a quarter of the
  // frontend's CPU in FETCH BODY[] of 1 MiB messages (docs/benchmarks.md, "Profiles").
  const char* nul = static_cast<const char*>(std::memchr(data.data(), '\0', data.size()));
  if (nul == nullptr) {
    if (borrowed) out->AppendBorrowed(data);
    else text.append(data);
    return;
  }
  const size_t first = text.size() + (nul - data.data());
  text.append(data);
  char* p = text.data() + first;
  char* const end = text.data() + text.size();
  while (p < end && (p = static_cast<char*>(std::memchr(p, '\0', end - p))) != nullptr) {
    *p++ = static_cast<char>(0x80);
  }
}

mime::Section ToSection(const Att& a) {
  mime::Section sec;
  sec.part = a.part;
  sec.fields = a.fields;
  switch (a.section) {
    case Att::Section::kAll: sec.kind = mime::SectionKind::kAll; break;
    case Att::Section::kHeader: sec.kind = mime::SectionKind::kHeader; break;
    case Att::Section::kHeaderFields: sec.kind = mime::SectionKind::kHeaderFields; break;
    case Att::Section::kHeaderFieldsNot: sec.kind = mime::SectionKind::kHeaderFieldsNot; break;
    case Att::Section::kText: sec.kind = mime::SectionKind::kText; break;
    case Att::Section::kMime: sec.kind = mime::SectionKind::kMime; break;
  }
  return sec;
}

// Renders one message's FETCH response at the end of `out`. On an error, what it appended is
// left for the caller to roll back.
absl::Status Render(const MailboxView& v, const imap::Command& cmd, const std::vector<Att>& atts,
                    const SeqUid& su, const pb::FetchedMessage* m,
                    const mime::MessageStructure* structure, bool add_flags, bool changed_since,
                    Output* out) {
  std::string& text = out->text();
  // Under UIDONLY the UID heads the response ("* uid UIDFETCH (...)", RFC 9586 3.3).
  const bool uidonly = v.mode().uidonly;
  if (uidonly) absl::StrAppend(&text, "* ", su.uid, " UIDFETCH (");
  else absl::StrAppend(&text, "* ", su.seq, " FETCH (");
  bool first = true;
  // Starts the next item: a space before every item but the first.
  auto item = [&]() -> std::string& {
    if (!first) text.push_back(' ');
    first = false;
    return text;
  };
  bool uid_listed = std::any_of(atts.begin(), atts.end(),
                                [](const Att& a) { return a.kind == Att::Kind::kUid; });
  if (cmd.uid && !uid_listed && !uidonly) absl::StrAppend(&item(), "UID ", su.uid);
  bool flags_listed = false, modseq_listed = false;
  for (const Att& a : atts) {
    switch (a.kind) {
      case Att::Kind::kUid:
        if (!uidonly) absl::StrAppend(&item(), "UID ", su.uid);
        break;
      case Att::Kind::kFlags:
        flags_listed = true;
        absl::StrAppend(&item(), "FLAGS ", v.FlagsAt(su.seq));
        break;
      case Att::Kind::kInternalDate:
        absl::StrAppend(&item(), "INTERNALDATE \"",
                        imap::FormatDateTime(m->internal_date(), m->internal_date_tz()), "\"");
        break;
      case Att::Kind::kSaveDate:
        // RFC 8514: kept for every message, in UTC (Dovecot shows its server's zone).
        absl::StrAppend(&item(), "SAVEDATE \"", imap::FormatDateTime(m->save_date(), 0), "\"");
        break;
      case Att::Kind::kRfc822Size: absl::StrAppend(&item(), "RFC822.SIZE ", m->size()); break;
      case Att::Kind::kModSeq:
        // The snapshot's modseq, consistent with the FLAGS this view answers with.
        modseq_listed = true;
        absl::StrAppend(&item(), "MODSEQ (", v.ModSeqAt(su.seq), ")");
        break;
      case Att::Kind::kEmailId: absl::StrAppend(&item(), "EMAILID (", m->email_id(), ")"); break;
      case Att::Kind::kThreadId:
        if (m->thread_id().empty()) item().append("THREADID NIL");
        else absl::StrAppend(&item(), "THREADID (", m->thread_id(), ")");
        break;
      case Att::Kind::kEnvelope: absl::StrAppend(&item(), "ENVELOPE ", m->envelope()); break;
      case Att::Kind::kBody: absl::StrAppend(&item(), "BODY ", m->body()); break;
      case Att::Kind::kBodyStructure:
        absl::StrAppend(&item(), "BODYSTRUCTURE ", m->bodystructure());
        break;
      case Att::Kind::kPreview: {
        // PREVIEW (LAZY) is answered in full too, as Dovecot does.
        std::string& t = item();
        t.append("PREVIEW ");
        imap::AppendQuote(&t, mime::Preview(m->content(), *structure));
        break;
      }
      case Att::Kind::kRfc822:
        item().append("RFC822 ");
        AppendTextLiteral(out, m->content(), /*borrowed=*/true);
        break;
      case Att::Kind::kRfc822Header:
      case Att::Kind::kRfc822Text: {
        mime::Section sec;
        sec.kind = a.kind == Att::Kind::kRfc822Header ? mime::SectionKind::kHeader
                                                       : mime::SectionKind::kText;
        item().append(a.kind == Att::Kind::kRfc822Header ? "RFC822.HEADER " : "RFC822.TEXT ");
        // HEADER and TEXT are always slices of the message.
        std::string_view data = mime::SectionSlice(m->content(), *structure, sec).value_or("");
        AppendTextLiteral(out, data, /*borrowed=*/true);
        break;
      }
      case Att::Kind::kBodySection: {
        const mime::Section sec = ToSection(a);
        std::string built;  // HEADER.FIELDS (.NOT): not a slice of the message
        std::optional<std::string_view> slice = mime::SectionSlice(m->content(), *structure, sec);
        if (!slice) built = mime::ExtractSection(m->content(), *structure, sec);
        std::string_view view = slice ? *slice : std::string_view(built);
        if (a.partial_offset) {
          size_t off = std::min<size_t>(*a.partial_offset, view.size());
          // Like Dovecot (message_skip_virtual + its CRLF stream): when the start falls right
          // after a CR, the next byte is taken for that CR's LF and skipped, even when the CR
          // is a bare one.
          if (off > 0 && off < view.size() && view[off - 1] == '\r' && view[off] != '\n') ++off;
          view = view.substr(off, a.partial_length);
        }
        absl::StrAppend(&item(), a.ResponseName(), " ");
        AppendTextLiteral(out, view, /*borrowed=*/slice.has_value());
        break;
      }
      case Att::Kind::kBinarySize: {
        auto size = mime::BinarySize(m->content(), *structure, a.part);
        if (!size.ok()) return size.status();
        absl::StrAppend(&item(), a.ResponseName(), " ", *size);
        break;
      }
      case Att::Kind::kBinary: {
        auto data = mime::ExtractBinary(m->content(), *structure, a.part);
        if (!data.ok()) return data.status();
        std::string_view view = data->data;
        if (a.partial_offset) {
          size_t off = std::min<size_t>(*a.partial_offset, view.size());
          view = view.substr(off, a.partial_length);
        }
        std::string& t = item();
        absl::StrAppend(&t, a.ResponseName(), " ");
        if (data->literal8) t.push_back('~');
        AppendLiteral(&t, view);
        break;
      }
    }
  }
  if (add_flags && !flags_listed) absl::StrAppend(&item(), "FLAGS ", v.FlagsAt(su.seq));
  // CHANGEDSINCE implies MODSEQ (RFC 7162 3.1.4.1); so does an implicit \Seen under CONDSTORE.
  if (!modseq_listed && (changed_since || (add_flags && v.mode().condstore))) {
    absl::StrAppend(&item(), "MODSEQ (", v.ModSeqAt(su.seq), ")");
  }
  text.append(")\r\n");
  return absl::OkStatus();
}

}  // namespace

asio::awaitable<void> CmdFetch(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::FetchArgs>(cmd.args);
  MailboxView* v = s.view();
  if (a.vanished) {
    // RFC 7162 3.2.6: VANISHED needs QRESYNC enabled and comes with CHANGEDSINCE.
    if (!s.enabled().qresync) {
      co_await s.Tagged(cmd, "BAD", "QRESYNC not enabled");
      co_return;
    }
    if (a.changed_since == 0) {
      co_await s.Tagged(cmd, "BAD", "VANISHED requires CHANGEDSINCE");
      co_return;
    }
  }
  // CONDSTORE-enabling (RFC 7162 3.1): CHANGEDSINCE or the MODSEQ item.
  if (a.changed_since != 0 ||
      std::any_of(a.atts.begin(), a.atts.end(),
                  [](const Att& att) { return att.kind == Att::Kind::kModSeq; })) {
    co_await s.EnableCondstore();
  }
  auto set = ResolveSet(*v, a.set, cmd.uid);
  if (!set.ok()) {
    co_await s.Tagged(cmd, "BAD", std::string(set.status().message()));
    co_return;
  }
  if (a.vanished) {
    // Expunged UIDs of the requested set, before the FETCHes (RFC 7162 3.2.6).
    // "*" reaches past our highest UID: an expunged message may have been the last one.
    auto ranges = imap::Resolve(a.set, UINT32_MAX);
    std::string vanished = co_await VanishedSince(s, *v, ranges, a.changed_since, UINT32_MAX);
    if (!vanished.empty()) {
      std::string line = absl::StrCat("* VANISHED (EARLIER) ", vanished, "\r\n");
      co_await s.Send(line);
    }
  }
  if (a.changed_since != 0) {
    // Only the messages whose metadata changed after the given modseq.
    std::vector<SeqUid> kept;
    for (const auto& su : *set) {
      if (v->ModSeqAt(su.seq) > a.changed_since) kept.push_back(su);
    }
    *set = std::move(kept);
  }
  bool need_server = false, need_structure = false, need_content = false, sets_seen = false;
  for (const Att& att : a.atts) {
    need_server |= NeedsServer(att);
    need_structure |= NeedsStructure(att);
    need_content |= NeedsContent(att);
    sets_seen |= SetsSeen(att);
  }
  // A non-PEEK body fetch sets \Seen first, so the FLAGS we answer with already carry it.
  absl::flat_hash_set<uint32_t> newly_seen;
  if (sets_seen && !v->read_only()) {
    pb::StoreRequest st;
    st.set_account_id(s.auth()->account_id);
    st.set_mailbox_id(v->mailbox_id());
    st.set_op(pb::StoreRequest::ADD);
    st.mutable_flags()->set_system(pb::SEEN);
    for (const auto& su : *set) {
      if (!(v->SystemFlagsAt(su.seq) & pb::SEEN)) st.add_uids(su.uid);
    }
    if (st.uids_size() > 0) {
      auto res = co_await s.state().Store(st);
      if (!res.ok()) {
        co_await s.Fail(cmd, res.status());
        co_return;
      }
      for (const auto& m : res->updated()) {
        v->ApplyOwnFlags(m);
        newly_seen.insert(m.uid());
      }
    }
  }
  bool some_missing = false;
  Output out;  // reused by every batch
  const size_t batch = need_content ? 32 : 512;
  for (size_t i = 0; i < set->size(); i += batch) {
    size_t end = std::min(set->size(), i + batch);
    pb::FetchResponse fetched;
    if (need_server) {
      pb::FetchRequest req;
      req.set_account_id(s.auth()->account_id);
      req.set_mailbox_id(v->mailbox_id());
      req.set_want_structure(need_structure);
      req.set_want_content(need_content);
      for (size_t j = i; j < end; ++j) req.add_uids((*set)[j].uid);
      auto res = co_await s.state().Fetch(req);
      if (!res.ok()) {
        co_await s.Fail(cmd, res.status());
        co_return;
      }
      fetched = std::move(*res);
    }
    for (size_t j = i; j < end; ++j) {
      const SeqUid& su = (*set)[j];
      const pb::FetchedMessage* m = nullptr;
      mime::MessageStructure structure;
      if (need_server) {
        // The state service answers in request order.
        if (j - i < static_cast<size_t>(fetched.messages_size()) &&
            fetched.messages(j - i).uid() == su.uid) {
          m = &fetched.messages(j - i);
        } else {
          for (const auto& fm : fetched.messages()) {
            if (fm.uid() == su.uid) m = &fm;
          }
        }
        if (m == nullptr || m->missing()) {
          some_missing = true;
          continue;
        }
        if (need_content) {
          auto st = mime::DeserializeStructure(m->structure());
          if (st.ok()) structure = std::move(*st);
          else structure = mime::ParseMessage(m->content());
        }
      }
      const Output::Mark mark = out.mark();
      absl::Status err = Render(*v, cmd, a.atts, su, m, &structure, newly_seen.contains(su.uid),
                                a.changed_since != 0, &out);
      if (!err.ok()) {
        // RFC 3516 4.1: a part with an unknown encoding fails the command. Dovecot
        // has already begun the message's FETCH response and closes it with just the UID.
        out.Rollback(mark);
        if (v->mode().uidonly) absl::StrAppend(&out.text(), "* ", su.uid, " UIDFETCH ()\r\n");
        else absl::StrAppend(&out.text(), "* ", su.seq, " FETCH (UID ", su.uid, ")\r\n");
        co_await s.SendParts(out.Parts());
        // Data that does not decode is [PARSE], as Dovecot answers (RFC 3501 7.1: an error
        // in parsing the MIME headers or body of a message).
        std::string text = absl::IsDataLoss(err)
                               ? "[PARSE] Invalid data in MIME part."
                               : "[UNKNOWN-CTE] Unknown Content-Transfer-Encoding.";
        co_await s.Tagged(cmd, "NO", text);
        co_return;
      }
    }
    // Before `fetched` goes: `out` borrows from it.
    co_await s.SendParts(out.Parts());
    out.Clear();
  }
  if (some_missing) {
    co_await s.Sync(AllowsExpunge(cmd));
    co_await s.Tagged(cmd, "NO", "[EXPUNGEISSUED] Some messages were expunged meanwhile.");
    co_return;
  }
  co_await Complete(s, cmd, "Fetch completed.");
}

}  // namespace hadron::frontend
