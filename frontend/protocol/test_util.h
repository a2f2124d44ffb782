// Test helpers: a canonical text form of parsed commands, and a reader driver.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/protocol/reader.h"

namespace hadron::imap::testing {

inline std::string DescribeKey(const SearchKey& k) {
  using K = SearchKey::Kind;
  auto kids = [&k](const char* name) {
    std::vector<std::string> parts;
    for (const SearchKey& c : k.children) parts.push_back(DescribeKey(c));
    return absl::StrCat(name, "(", absl::StrJoin(parts, " "), ")");
  };
  switch (k.kind) {
    case K::kAll: return "ALL";
    case K::kAnd: return kids("AND");
    case K::kOr: return kids("OR");
    case K::kNot: return kids("NOT");
    case K::kSeqSet: return "SEQ:" + FormatSequenceSet(k.set);
    case K::kUidSet: return "UID:" + FormatSequenceSet(k.set);
    case K::kAnswered: return "ANSWERED";
    case K::kDeleted: return "DELETED";
    case K::kDraft: return "DRAFT";
    case K::kFlagged: return "FLAGGED";
    case K::kSeen: return "SEEN";
    case K::kUnanswered: return "UNANSWERED";
    case K::kUndeleted: return "UNDELETED";
    case K::kUndraft: return "UNDRAFT";
    case K::kUnflagged: return "UNFLAGGED";
    case K::kUnseen: return "UNSEEN";
    case K::kNew: return "NEW";
    case K::kOld: return "OLD";
    case K::kRecent: return "RECENT";
    case K::kKeyword: return "KEYWORD:" + k.value;
    case K::kUnkeyword: return "UNKEYWORD:" + k.value;
    case K::kBefore: return "BEFORE:" + FormatDate(k.date);
    case K::kOn: return "ON:" + FormatDate(k.date);
    case K::kSince: return "SINCE:" + FormatDate(k.date);
    case K::kSentBefore: return "SENTBEFORE:" + FormatDate(k.date);
    case K::kSentOn: return "SENTON:" + FormatDate(k.date);
    case K::kSentSince: return "SENTSINCE:" + FormatDate(k.date);
    case K::kLarger: return absl::StrCat("LARGER:", k.number);
    case K::kSmaller: return absl::StrCat("SMALLER:", k.number);
    case K::kHeader: return absl::StrCat("HEADER:", k.header, "=", k.value);
    case K::kBody: return "BODY:" + k.value;
    case K::kText: return "TEXT:" + k.value;
    case K::kFrom: return "FROM:" + k.value;
    case K::kTo: return "TO:" + k.value;
    case K::kCc: return "CC:" + k.value;
    case K::kBcc: return "BCC:" + k.value;
    case K::kSubject: return "SUBJECT:" + k.value;
    case K::kModSeq: return absl::StrCat("MODSEQ:", k.number);
    case K::kOlder: return absl::StrCat("OLDER:", k.number);
    case K::kYounger: return absl::StrCat("YOUNGER:", k.number);
    case K::kSavedBefore: return "SAVEDBEFORE:" + FormatDate(k.date);
    case K::kSavedOn: return "SAVEDON:" + FormatDate(k.date);
    case K::kSavedSince: return "SAVEDSINCE:" + FormatDate(k.date);
    case K::kSaveDateSupported: return "SAVEDATESUPPORTED";
    case K::kEmailId: return "EMAILID:" + k.value;
    case K::kThreadId: return "THREADID:" + k.value;
  }
  return "?";
}

inline std::string Opt(const std::optional<std::string>& s) { return s ? "\"" + *s + "\"" : "NIL"; }

// One line per command: "tag [UID ]NAME key=value ...".
inline std::string Describe(const Command& c) {
  std::string out = absl::StrCat(c.tag, " ", c.uid ? "UID " : "", c.name);
  struct V {
    std::string& out;
    void operator()(const NoArgs&) {}
    void operator()(const LoginArgs& a) { absl::StrAppend(&out, " user=", a.user, " pass=", a.password); }
    void operator()(const AuthenticateArgs& a) {
      absl::StrAppend(&out, " mech=", a.mechanism, " ir=", Opt(a.initial_response));
    }
    void operator()(const MailboxArgs& a) {
      absl::StrAppend(&out, " mbox=", a.mailbox, a.condstore ? " condstore" : "");
      if (a.qresync) {
        absl::StrAppend(&out, " qresync=", a.qresync->uid_validity, "/", a.qresync->modseq);
        if (a.qresync->known_uids) {
          absl::StrAppend(&out, "/", FormatSequenceSet(*a.qresync->known_uids));
        }
        if (a.qresync->match_seqs) {
          absl::StrAppend(&out, "/(", FormatSequenceSet(*a.qresync->match_seqs), " ",
                          FormatSequenceSet(*a.qresync->match_uids), ")");
        }
      }
      if (!a.special_use.empty()) absl::StrAppend(&out, " use=", absl::StrJoin(a.special_use, ","));
    }
    void operator()(const RenameArgs& a) { absl::StrAppend(&out, " from=", a.from, " to=", a.to); }
    void operator()(const ListArgs& a) {
      absl::StrAppend(&out, " ref=", a.reference, " pat=", a.pattern, a.extended ? " ext" : "");
      if (a.patterns.size() > 1) absl::StrAppend(&out, " pats=", absl::StrJoin(a.patterns, ","));
      if (!a.select_options.empty()) absl::StrAppend(&out, " sel=", absl::StrJoin(a.select_options, ","));
      if (!a.return_options.empty()) absl::StrAppend(&out, " ret=", absl::StrJoin(a.return_options, ","));
      if (!a.status_items.empty()) absl::StrAppend(&out, " status=", absl::StrJoin(a.status_items, ","));
    }
    void operator()(const StatusArgs& a) {
      absl::StrAppend(&out, " mbox=", a.mailbox, " items=", absl::StrJoin(a.items, ","));
    }
    void operator()(const AppendArgs& a) {
      absl::StrAppend(&out, " mbox=", a.mailbox);
      for (const AppendMessage& m : a.messages) {
        absl::StrAppend(&out, " flags=", absl::StrJoin(m.flags, ","));
        if (m.date) absl::StrAppend(&out, " date=", FormatDateTime(*m.date));
        absl::StrAppend(&out, " msg=", m.message, m.binary ? " binary" : "", m.utf8 ? " utf8" : "");
      }
    }
    void operator()(const FetchArgs& a) {
      absl::StrAppend(&out, " set=", FormatSequenceSet(a.set), " atts=");
      for (size_t i = 0; i < a.atts.size(); ++i) {
        const FetchAtt& f = a.atts[i];
        absl::StrAppend(&out, i ? "," : "", f.ResponseName(), f.peek ? "/peek" : "",
                        f.lazy ? "/lazy" : "");
        if (f.partial_offset) absl::StrAppend(&out, "/len", f.partial_length);
      }
      if (a.changed_since) absl::StrAppend(&out, " changedsince=", a.changed_since);
      if (a.vanished) absl::StrAppend(&out, " vanished");
    }
    void operator()(const StoreArgs& a) {
      const char* op = a.op == StoreArgs::Op::kAdd ? "+" : a.op == StoreArgs::Op::kRemove ? "-" : "=";
      absl::StrAppend(&out, " set=", FormatSequenceSet(a.set), " op=", op, a.silent ? " silent" : "",
                      " flags=", absl::StrJoin(a.flags, ","));
      if (a.has_unchanged_since) absl::StrAppend(&out, " unchangedsince=", a.unchanged_since);
    }
    void operator()(const CopyArgs& a) {
      absl::StrAppend(&out, " set=", FormatSequenceSet(a.set), " mbox=", a.mailbox);
    }
    void operator()(const SearchArgs& a) {
      if (a.has_return) absl::StrAppend(&out, " return=(", absl::StrJoin(a.return_options, ","), ")");
      if (a.charset) absl::StrAppend(&out, " charset=", *a.charset);
      absl::StrAppend(&out, " ", DescribeKey(a.key));
    }
    void operator()(const SortArgs& a) {
      static constexpr const char* kNames[] = {"ARRIVAL", "CC",      "DATE", "FROM",       "SIZE",
                                               "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"};
      std::vector<std::string> keys;
      for (const auto& c : a.criteria) {
        keys.push_back(absl::StrCat(c.reverse ? "-" : "", kNames[static_cast<int>(c.key)]));
      }
      absl::StrAppend(&out, " by=", absl::StrJoin(keys, ","), " charset=", a.charset, " ",
                      DescribeKey(a.key));
    }
    void operator()(const ThreadArgs& a) {
      absl::StrAppend(&out, " alg=",
                      a.algorithm == ThreadArgs::Algorithm::kReferences ? "REFERENCES"
                                                                          : "ORDEREDSUBJECT",
                      " charset=", a.charset, " ", DescribeKey(a.key));
    }
    void operator()(const IdArgs& a) {
      for (const auto& [k, v] : a.params) absl::StrAppend(&out, " ", k, "=", Opt(v));
    }
    void operator()(const EnableArgs& a) {
      absl::StrAppend(&out, " caps=", absl::StrJoin(a.capabilities, ","));
    }
    void operator()(const QuotaArgs& a) {
      absl::StrAppend(&out, " root=", a.root);
      for (const auto& [name, limit] : a.limits) absl::StrAppend(&out, " ", name, "=", limit);
    }
    void operator()(const ExpungeArgs& a) {
      if (a.uids) absl::StrAppend(&out, " uids=", FormatSequenceSet(*a.uids));
    }
    void operator()(const NotifyArgs& a) {  // notify: "SET status (2 m=a,b ev=X,Y fetch=UID)"
      if (a.none) absl::StrAppend(&out, " NONE");
      if (!a.none) absl::StrAppend(&out, " SET", a.status ? " status" : "");
      for (const auto& g : a.groups) {
        absl::StrAppend(&out, " (", static_cast<int>(g.filter));
        if (!g.mailboxes.empty()) absl::StrAppend(&out, " m=", absl::StrJoin(g.mailboxes, ","));
        absl::StrAppend(&out, " ev=", absl::StrJoin(g.events, ","));
        if (g.has_fetch_atts) {
          std::vector<std::string> names;
          for (const auto& f : g.fetch_atts) names.push_back(f.ResponseName());
          absl::StrAppend(&out, " fetch=", absl::StrJoin(names, ","));
        }
        absl::StrAppend(&out, ")");
      }
    }
  };
  std::visit(V{out}, c.args);
  return out;
}

// Describes every event the reader gives for `input` fed in pieces of `chunk` bytes,
// accepting every literal. "LIT tag n sync|nonsync", "ERR tag message", "CMD ...".
inline std::vector<std::string> Drive(std::string_view input, size_t chunk,
                                      CommandReader::Limits limits = {}, bool accept = true) {
  CommandReader r(limits);
  std::vector<std::string> events;
  size_t fed = 0;
  while (true) {
    CommandReader::Event ev = r.Next();
    if (std::holds_alternative<CommandReader::NeedMore>(ev)) {
      if (fed >= input.size()) break;
      size_t n = std::min(chunk, input.size() - fed);
      r.Feed(input.substr(fed, n));
      fed += n;
    } else if (auto* lit = std::get_if<CommandReader::NeedLiteral>(&ev)) {
      events.push_back(absl::StrCat("LIT ", lit->tag, " ", lit->size, " ",
                                    lit->synchronizing ? "sync" : "nonsync"));
      if (accept) {
        r.AcceptLiteral();
      } else {
        r.RejectLiteral();
      }
    } else if (auto* err = std::get_if<CommandReader::Error>(&ev)) {
      events.push_back(absl::StrCat("ERR ", err->tag, " ", err->message, err->fatal ? " FATAL" : ""));
    } else {
      events.push_back("CMD " + Describe(std::get<CommandReader::Parsed>(ev).command));
    }
  }
  return events;
}

}  // namespace hadron::imap::testing
