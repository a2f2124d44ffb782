// The IMAP search key tree to the state service's SearchKey (see search_translate.h).
#include "frontend/commands/search_translate.h"

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace hadron::frontend {
namespace {

using K = imap::SearchKey::Kind;
using PK = pb::SearchKey;

int64_t Days(absl::CivilDay d) { return d - absl::CivilDay(1970, 1, 1); }

void AddUidSet(const MailboxView& view, const imap::SequenceSet& set, bool uid_mode, PK* out) {
  out->set_kind(PK::UID_SET);
  if (set.saved) {  // "$" (RFC 5182): the saved UIDs, for SEARCH and UID SEARCH alike
    for (auto [lo, hi] : view.saved_search()) {
      auto* r = out->add_uids();
      r->set_first(lo);
      r->set_last(hi);
    }
    return;
  }
  // A sequence set beyond the view matches nothing past it (SEARCH is not an error there).
  if (uid_mode) {
    for (auto [lo, hi] : imap::Resolve(set, view.MaxUid())) {
      auto* r = out->add_uids();
      r->set_first(lo);
      r->set_last(hi);
    }
    return;
  }
  for (auto [lo, hi] : imap::Resolve(set, view.size())) {
    if (lo == 0) lo = 1;
    for (uint32_t seq = lo; seq <= hi && seq <= view.size(); ++seq) {
      uint32_t uid = view.UidAt(seq);
      auto* r = out->add_uids();
      r->set_first(uid);
      r->set_last(uid);
    }
  }
}

void RecentSet(const MailboxView& view, PK* out) {
  out->set_kind(PK::UID_SET);
  for (uint32_t seq = 1; seq <= view.size(); ++seq) {
    if (!view.RecentAt(seq)) continue;
    auto* r = out->add_uids();
    r->set_first(view.UidAt(seq));
    r->set_last(view.UidAt(seq));
  }
}

void Translate(const MailboxView& view, const imap::SearchKey& k, PK* out) {
  auto flag = [&](PK::Kind kind, uint32_t bit) {
    out->set_kind(kind);
    out->set_flag(bit);
  };
  auto header = [&](const char* name) {
    out->set_kind(PK::HEADER);
    out->set_header_name(name);
    out->set_value(k.value);
  };
  switch (k.kind) {
    case K::kAll: out->set_kind(PK::ALL); break;
    case K::kAnd:
      out->set_kind(PK::AND);
      for (const auto& c : k.children) Translate(view, c, out->add_children());
      break;
    case K::kOr:
      out->set_kind(PK::OR);
      for (const auto& c : k.children) Translate(view, c, out->add_children());
      break;
    case K::kNot:
      out->set_kind(PK::NOT);
      for (const auto& c : k.children) Translate(view, c, out->add_children());
      break;
    case K::kSeqSet: AddUidSet(view, k.set, false, out); break;
    case K::kUidSet: AddUidSet(view, k.set, true, out); break;
    case K::kAnswered: flag(PK::FLAG_SET, pb::ANSWERED); break;
    case K::kDeleted: flag(PK::FLAG_SET, pb::DELETED); break;
    case K::kDraft: flag(PK::FLAG_SET, pb::DRAFT); break;
    case K::kFlagged: flag(PK::FLAG_SET, pb::FLAGGED); break;
    case K::kSeen: flag(PK::FLAG_SET, pb::SEEN); break;
    case K::kUnanswered: flag(PK::FLAG_UNSET, pb::ANSWERED); break;
    case K::kUndeleted: flag(PK::FLAG_UNSET, pb::DELETED); break;
    case K::kUndraft: flag(PK::FLAG_UNSET, pb::DRAFT); break;
    case K::kUnflagged: flag(PK::FLAG_UNSET, pb::FLAGGED); break;
    case K::kUnseen: flag(PK::FLAG_UNSET, pb::SEEN); break;
    // \Recent lives in this session's view, so these become UID sets here.
    case K::kRecent: RecentSet(view, out); break;
    case K::kNew:
      out->set_kind(PK::AND);
      RecentSet(view, out->add_children());
      out->add_children()->set_kind(PK::FLAG_UNSET);
      out->mutable_children(1)->set_flag(pb::SEEN);
      break;
    case K::kOld:
      out->set_kind(PK::NOT);
      RecentSet(view, out->add_children());
      break;
    case K::kKeyword: out->set_kind(PK::KEYWORD); out->set_value(k.value); break;
    case K::kUnkeyword: out->set_kind(PK::UNKEYWORD); out->set_value(k.value); break;
    case K::kBefore: out->set_kind(PK::BEFORE); out->set_date(Days(k.date)); break;
    case K::kOn: out->set_kind(PK::ON); out->set_date(Days(k.date)); break;
    case K::kSince: out->set_kind(PK::SINCE); out->set_date(Days(k.date)); break;
    case K::kSentBefore: out->set_kind(PK::SENTBEFORE); out->set_date(Days(k.date)); break;
    case K::kSentOn: out->set_kind(PK::SENTON); out->set_date(Days(k.date)); break;
    case K::kSentSince: out->set_kind(PK::SENTSINCE); out->set_date(Days(k.date)); break;
    case K::kLarger: out->set_kind(PK::LARGER); out->set_size(k.number); break;
    case K::kSmaller: out->set_kind(PK::SMALLER); out->set_size(k.number); break;
    case K::kHeader:
      out->set_kind(PK::HEADER);
      out->set_header_name(k.header);
      out->set_value(k.value);
      out->set_literal_header(true);
      break;
    case K::kBody: out->set_kind(PK::BODY); out->set_value(k.value); break;
    case K::kText: out->set_kind(PK::TEXT); out->set_value(k.value); break;
    case K::kFrom: header("From"); break;
    case K::kTo: header("To"); break;
    case K::kCc: header("Cc"); break;
    case K::kBcc: header("Bcc"); break;
    case K::kSubject: header("Subject"); break;
    case K::kModSeq: out->set_kind(PK::MODSEQ); out->set_size(k.number); break;
    // WITHIN (RFC 5032): seconds before now, as Dovecot counts them (OLDER includes the edge).
    case K::kOlder:
      out->set_kind(PK::OLDER);
      out->set_date(absl::ToUnixSeconds(absl::Now()) - static_cast<int64_t>(k.number));
      break;
    case K::kYounger:
      out->set_kind(PK::YOUNGER);
      out->set_date(absl::ToUnixSeconds(absl::Now()) - static_cast<int64_t>(k.number));
      break;
    case K::kSavedBefore: out->set_kind(PK::SAVEDBEFORE); out->set_date(Days(k.date)); break;
    case K::kSavedOn: out->set_kind(PK::SAVEDON); out->set_date(Days(k.date)); break;
    case K::kSavedSince: out->set_kind(PK::SAVEDSINCE); out->set_date(Days(k.date)); break;
    case K::kSaveDateSupported: out->set_kind(PK::SAVEDATESUPPORTED); break;
    case K::kEmailId: out->set_kind(PK::EMAILID); out->set_value(k.value); break;
    case K::kThreadId: out->set_kind(PK::THREADID); out->set_value(k.value); break;
  }
}

}  // namespace

void TranslateSearchKey(const MailboxView& view, const imap::SearchKey& key, pb::SearchKey* out) {
  Translate(view, key, out);
}

bool SupportedSearchCharset(const std::string& charset) {
  return charset == "US-ASCII" || charset == "UTF-8";
}

void RestrictToView(const MailboxView& view, const imap::SearchKey& key, pb::SearchKey* out) {
  // Messages newer than the view are not the client's yet: they come with the next EXISTS.
  out->set_kind(pb::SearchKey::AND);
  TranslateSearchKey(view, key, out->add_children());
  pb::SearchKey* bound = out->add_children();
  bound->set_kind(pb::SearchKey::UID_SET);
  auto* range = bound->add_uids();
  range->set_first(1);
  range->set_last(view.MaxUid());
}

}  // namespace hadron::frontend
