// Rule-table tests for MailboxView: when each kind of change becomes an untagged response.
#include "frontend/session/mailbox_view.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

#include "frontend/session/columns_for_test.h"
#include "gtest/gtest.h"

namespace hadron::frontend {
namespace {

pb::SelectResponse Mailbox(std::initializer_list<uint32_t> uids) {
  pb::SelectResponse r;
  r.mutable_info()->set_mailbox_id(7);
  r.mutable_info()->set_name("INBOX");
  r.mutable_info()->set_uid_validity(99);
  r.mutable_info()->set_highest_modseq(10);
  for (uint32_t u : uids) {
    auto* m = r.add_messages();
    m->set_uid(u);
    m->set_modseq(5);
  }
  return r;
}

pb::Change Expunge(uint64_t modseq, std::initializer_list<uint32_t> uids) {
  pb::Change c;
  c.set_kind(pb::Change::EXPUNGE);
  c.set_modseq(modseq);
  for (uint32_t u : uids) c.add_expunged(u);
  return c;
}

pb::Change Append(uint64_t modseq, std::initializer_list<uint32_t> uids) {
  pb::Change c;
  c.set_kind(pb::Change::APPEND);
  c.set_modseq(modseq);
  for (uint32_t u : uids) {
    auto* m = c.add_messages();
    m->set_uid(u);
    m->set_modseq(modseq);
  }
  return c;
}

pb::Change Flags(uint64_t modseq, uint32_t uid, uint32_t system) {
  pb::Change c;
  c.set_kind(pb::Change::FLAGS);
  c.set_modseq(modseq);
  auto* m = c.add_messages();
  m->set_uid(uid);
  m->set_modseq(modseq);
  m->mutable_flags()->set_system(system);
  return c;
}

TEST(MailboxViewTest, ExpungeIsWithheldUntilAllowed) {
  MailboxView v(Mailbox({10, 20, 30, 40}), false);
  v.Enqueue(Expunge(11, {20, 40}));
  EXPECT_EQ(v.Sync(/*allow_expunge=*/false), "");
  EXPECT_EQ(v.size(), 4u);  // numbers the client holds stay valid
  EXPECT_EQ(v.UidAt(2), 20u);
  EXPECT_TRUE(v.ExpungedAt(2));
  EXPECT_EQ(v.Sync(true), "* 4 EXPUNGE\r\n* 2 EXPUNGE\r\n");
  EXPECT_EQ(v.size(), 2u);
  EXPECT_EQ(v.UidAt(2), 30u);
  EXPECT_EQ(v.modseq(), 11u);
}

TEST(MailboxViewTest, ResponseModesWordTheSameChanges) {
  // CONDSTORE: MODSEQ in flag FETCHes, even when the flags read the same.
  MailboxView c(Mailbox({10, 20, 30}), false);
  c.set_mode(ResponseMode{.condstore = true});
  c.Enqueue(Flags(11, 20, pb::SEEN));
  c.Enqueue(Flags(12, 30, 0));  // same flags as before, new modseq
  EXPECT_EQ(c.Sync(false), "* 2 FETCH (MODSEQ (11) FLAGS (\\Seen))\r\n"
                           "* 3 FETCH (MODSEQ (12) FLAGS ())\r\n");
  EXPECT_TRUE(c.TakeReportedChanges());
  EXPECT_FALSE(c.TakeReportedChanges());
  // QRESYNC: UID in the FETCH, one VANISHED of UIDs instead of EXPUNGEs, only when allowed.
  MailboxView q(Mailbox({10, 20, 30, 40, 50}), false);
  q.set_mode(ResponseMode{.condstore = true, .qresync = true});
  q.Enqueue(Expunge(11, {20, 30, 50}));
  q.Enqueue(Flags(12, 40, pb::FLAGGED));
  EXPECT_EQ(q.Sync(false), "* 4 FETCH (UID 40 MODSEQ (12) FLAGS (\\Flagged))\r\n");
  EXPECT_EQ(q.Sync(true), "* VANISHED 20,30,50\r\n");
  EXPECT_EQ(q.size(), 2u);
  // UIDONLY: UIDFETCH by UID, VANISHED; IMAP4rev2: no RECENT.
  MailboxView u(Mailbox({10, 20}), false);
  u.set_mode(ResponseMode{.uidonly = true, .no_recent = true});
  u.Enqueue(Append(11, {21}));
  u.Enqueue(Expunge(12, {10}));
  u.Enqueue(Flags(13, 20, pb::SEEN));
  EXPECT_EQ(u.Sync(true), "* VANISHED 10\r\n* 2 EXISTS\r\n* 20 UIDFETCH (FLAGS (\\Seen))\r\n");
  EXPECT_EQ(u.ChangedSince(11), std::vector<uint32_t>({1}));
  EXPECT_EQ(u.ChangedSince(10), std::vector<uint32_t>({1, 2}));
}

TEST(MailboxViewTest, ChangesQueuedOutOfOrderAreAppliedInModseqOrder) {
  // A shared Watch subscription delivers modseq 12 before the poll that brings 11 returns.
  MailboxView v(Mailbox({1, 2}), false);
  v.Enqueue(Append(12, {4}));
  v.Enqueue(Append(11, {3}));
  v.Enqueue(Append(12, {4}));  // the poll repeats what the stream sent
  EXPECT_EQ(v.Sync(true), "* 4 EXISTS\r\n* 0 RECENT\r\n");
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v.UidAt(3), 3u);
  EXPECT_EQ(v.UidAt(4), 4u);
  EXPECT_EQ(v.modseq(), 12u);
}

TEST(MailboxViewTest, AppendGivesExistsEvenWhenExpungeWithheld) {
  MailboxView v(Mailbox({1, 2}), false);
  v.Enqueue(Expunge(11, {1}));
  v.Enqueue(Append(12, {3, 4}));
  EXPECT_EQ(v.Sync(false), "* 4 EXISTS\r\n* 0 RECENT\r\n");
  EXPECT_EQ(v.Sync(true), "* 1 EXPUNGE\r\n");
  EXPECT_EQ(v.size(), 3u);
}

TEST(MailboxViewTest, MessageAppendedAndExpungedUnseenVanishesSilently) {
  MailboxView v(Mailbox({1}), false);
  v.Enqueue(Append(11, {2}));
  v.Enqueue(Expunge(12, {2}));
  EXPECT_EQ(v.Sync(false), "");
  EXPECT_EQ(v.size(), 1u);
}

TEST(MailboxViewTest, FlagChangesBecomeFetchAndOwnChangesAreNotRepeated) {
  MailboxView v(Mailbox({1, 2, 3}), false);
  pb::MessageMeta own;
  own.set_uid(1);
  own.set_modseq(11);
  own.mutable_flags()->set_system(pb::SEEN);
  EXPECT_TRUE(v.ApplyOwnFlags(own));
  v.Enqueue(Flags(11, 1, pb::SEEN));                  // echo of our own STORE
  v.Enqueue(Flags(12, 3, pb::FLAGGED | pb::SEEN));   // someone else's
  EXPECT_EQ(v.Sync(false), "* 3 FETCH (FLAGS (\\Flagged \\Seen))\r\n");
  EXPECT_EQ(v.FlagsAt(1), "(\\Seen)");
}

TEST(MailboxViewTest, DuplicateAppendIsIgnored) {
  MailboxView v(Mailbox({1, 2}), false);
  v.Enqueue(Append(11, {2}));
  EXPECT_EQ(v.Sync(true), "");
  EXPECT_EQ(v.SeqOf(2), 2u);
  EXPECT_FALSE(v.SeqOf(5).has_value());
}

TEST(MailboxViewTest, ResyncTurnsAFreshReadIntoChanges) {
  MailboxView v(Mailbox({1, 2, 3, 4}), false);
  pb::SelectResponse fresh = Mailbox({1, 3, 4, 6, 7});
  fresh.mutable_info()->set_highest_modseq(40);
  fresh.mutable_messages(1)->set_modseq(30);  // uid 3's flags changed
  fresh.mutable_messages(1)->mutable_flags()->set_system(pb::SEEN);
  ASSERT_TRUE(v.Resync(fresh));
  EXPECT_EQ(v.modseq(), 40u);
  // Numbers stay the client's until a command that allows EXPUNGE.
  EXPECT_EQ(v.Sync(false), "* 6 EXISTS\r\n* 0 RECENT\r\n* 3 FETCH (FLAGS (\\Seen))\r\n");
  EXPECT_EQ(v.Sync(true), "* 2 EXPUNGE\r\n");
  EXPECT_EQ(v.size(), 5u);
  EXPECT_EQ(v.UidAt(4), 6u);
}

TEST(MailboxViewTest, ResyncReadsColumns) {
  MailboxView v(Mailbox({1, 2, 3, 4}), false);
  pb::SelectResponse fresh = Mailbox({1, 3, 4, 6, 7});
  fresh.mutable_info()->set_highest_modseq(40);
  fresh.mutable_messages(1)->set_modseq(30);  // uid 3's flags changed
  fresh.mutable_messages(1)->mutable_flags()->set_system(pb::SEEN);
  fresh.mutable_messages(1)->mutable_flags()->add_keywords("$Work");
  fresh.mutable_messages(4)->mutable_flags()->add_keywords("$New");
  ASSERT_TRUE(v.Resync(Columnar(fresh)));
  EXPECT_EQ(v.modseq(), 40u);
  EXPECT_EQ(v.Sync(false),
            "* 6 EXISTS\r\n* 0 RECENT\r\n* 3 FETCH (FLAGS (\\Seen $Work))\r\n");
  EXPECT_EQ(v.Sync(true), "* 2 EXPUNGE\r\n");
  EXPECT_EQ(v.size(), 5u);
  EXPECT_EQ(v.UidAt(5), 7u);
  EXPECT_FALSE(v.Resync(Columnar(Mailbox({1, 2, 3}))));  // UID 2 is gone from the view
}

TEST(MailboxViewTest, ResyncRefusesAnotherUidValidityOrAHoleBelow) {
  MailboxView v(Mailbox({1, 5}), false);
  pb::SelectResponse other = Mailbox({1, 5});
  other.mutable_info()->set_uid_validity(100);
  EXPECT_FALSE(v.Resync(other));
  EXPECT_FALSE(v.Resync(Mailbox({1, 3, 5})));
}


pb::SelectResponse Range(uint32_t n, uint64_t modseq) {
  pb::SelectResponse r;
  r.mutable_info()->set_mailbox_id(7);
  r.mutable_info()->set_name("INBOX");
  r.mutable_info()->set_uid_validity(99);
  r.mutable_info()->set_highest_modseq(modseq);
  r.mutable_messages()->Reserve(static_cast<int>(n));
  for (uint32_t u = 1; u <= n; ++u) {
    auto* m = r.add_messages();
    m->set_uid(u);
    m->set_modseq(1);
  }
  return r;
}

std::vector<uint32_t> Uids(const MailboxView& v) {
  std::vector<uint32_t> out;
  for (uint32_t s = 1; s <= v.size(); ++s) out.push_back(v.UidAt(s));
  return out;
}

TEST(MailboxViewTest, RecentRangesCountOnceAndLeaveWithTheMessage) {
  MailboxView v(Mailbox({1, 2, 3, 4}), false);
  v.MarkRecent(2, 3);
  v.MarkRecent(3, 4);  // overlaps: only uid 4 is new
  EXPECT_EQ(v.RecentCount(), 3u);
  EXPECT_FALSE(v.RecentAt(1));
  EXPECT_TRUE(v.RecentAt(4));
  EXPECT_EQ(v.FlagsAt(2), "(\\Recent)");
  EXPECT_EQ(v.claimed_up_to(), 4u);
  v.MarkCountsReported();
  v.Enqueue(Expunge(11, {3}));
  // RECENT goes out only with EXISTS, not after an EXPUNGE alone.
  EXPECT_EQ(v.Sync(true), "* 3 EXPUNGE\r\n");
}

TEST(MailboxViewTest, TwoViewsOfOneBaseDivergeWithoutTouchingIt) {
  auto base = SnapshotBase::FromSelect(Mailbox({10, 20, 30, 40}));
  pb::MailboxInfo info;
  info.set_name("INBOX");
  MailboxView a(base, info, false), b(base, info, false);
  EXPECT_EQ(a.base(), b.base());
  pb::MessageMeta own;
  own.set_uid(30);
  own.set_modseq(11);
  own.mutable_flags()->set_system(pb::FLAGGED);
  own.mutable_flags()->add_keywords("$New");
  ASSERT_TRUE(a.ApplyOwnFlags(own));
  a.Enqueue(Expunge(12, {20}));
  b.Enqueue(Expunge(12, {20}));
  b.Enqueue(Append(13, {50}));
  EXPECT_EQ(a.Sync(true), "* 2 EXPUNGE\r\n");
  EXPECT_EQ(b.Sync(false), "* 5 EXISTS\r\n* 0 RECENT\r\n");
  EXPECT_EQ(Uids(a), (std::vector<uint32_t>{10, 30, 40}));
  EXPECT_EQ(Uids(b), (std::vector<uint32_t>{10, 20, 30, 40, 50}));
  EXPECT_EQ(a.FlagsAt(2), "(\\Flagged $New)");
  EXPECT_EQ(b.FlagsAt(3), "()");
  EXPECT_EQ(a.SeqOf(40), 3u);
  EXPECT_EQ(b.SeqOf(40), 4u);
  EXPECT_FALSE(a.SeqOf(20).has_value());
  EXPECT_TRUE(b.ExpungedAt(2));
  EXPECT_EQ(a.MaxUid(), 40u);
  EXPECT_EQ(b.MaxUid(), 50u);
  // The shared base is untouched.
  ASSERT_EQ(base->size(), 4u);
  EXPECT_EQ(base->entries()[2].system, 0u);
  EXPECT_EQ(b.Sync(true), "* 2 EXPUNGE\r\n");
  EXPECT_EQ(Uids(b), (std::vector<uint32_t>{10, 30, 40, 50}));
}

TEST(MailboxViewTest, SettleAppliesTheCatchUpSilently) {
  auto base = SnapshotBase::FromSelect(Mailbox({1, 2, 3}));
  pb::MailboxInfo info;
  MailboxView v(base, info, false);
  v.Enqueue(Expunge(11, {2}));
  v.Enqueue(Append(12, {4}));
  v.Enqueue(Flags(13, 1, pb::SEEN));
  v.Settle();
  EXPECT_EQ(v.modseq(), 13u);
  EXPECT_EQ(Uids(v), (std::vector<uint32_t>{1, 3, 4}));
  EXPECT_EQ(v.FirstWithout(pb::SEEN), 2u);
  EXPECT_EQ(v.CountWithout(pb::SEEN), 2u);
  EXPECT_EQ(v.Sync(true), "");  // the client is told the settled state by SELECT itself
}

TEST(MailboxViewTest, RebaseWaitsForExpungesThenPublishesAnEqualBase) {
  auto cache = std::make_shared<SnapshotCache>();
  MailboxView v(Range(1000, 10), false);
  v.AttachCache(cache, 1);
  auto first = v.base();
  pb::Change expunge;
  expunge.set_kind(pb::Change::EXPUNGE);
  expunge.set_modseq(11);
  for (uint32_t u = 2; u <= 400; u += 2) expunge.add_expunged(u);  // 200 of 1000
  v.Enqueue(expunge);
  v.Enqueue(Flags(12, 999, pb::SEEN));
  EXPECT_EQ(v.Sync(false), "* 999 FETCH (FLAGS (\\Seen))\r\n");
  EXPECT_EQ(v.base(), first);  // expunges unreported: the view is not the mailbox yet
  std::string out = v.Sync(true);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 200);
  EXPECT_NE(v.base(), first);  // delta 201 > 1000 / 8
  EXPECT_EQ(v.DeltaSize(), 0u);
  EXPECT_EQ(v.base()->size(), 800u);
  EXPECT_EQ(v.base()->modseq(), 12u);
  EXPECT_EQ(cache->Find(1, 7), v.base());
  EXPECT_EQ(v.size(), 800u);
  EXPECT_EQ(v.UidAt(1), 1u);
  EXPECT_EQ(v.UidAt(2), 3u);
  EXPECT_EQ(v.UidAt(201), 401u);
  EXPECT_EQ(v.SeqOf(999), 799u);
  EXPECT_EQ(v.FlagsAt(799), "(\\Seen)");

  // A later view starts from the published base; at the same modseq another view adopts it.
  pb::MailboxInfo info;
  MailboxView w(cache->Find(1, 7), info, true);
  EXPECT_EQ(w.FlagsAt(799), "(\\Seen)");
  MailboxView x(Range(1000, 10), false);
  x.AttachCache(cache, 1);
  x.Enqueue(expunge);
  x.Enqueue(Flags(12, 999, pb::SEEN));
  x.Sync(true);
  EXPECT_EQ(x.base(), v.base());
  EXPECT_EQ(Uids(x), Uids(v));
}

TEST(MailboxViewTest, OwnChangeAheadOfTheLogBlocksRebase) {
  MailboxView v(Range(100, 10), false);
  auto first = v.base();
  pb::Change expunge;
  expunge.set_kind(pb::Change::EXPUNGE);
  expunge.set_modseq(20);
  for (uint32_t u = 1; u <= 80; ++u) expunge.add_expunged(u);
  v.EnqueueOwn(expunge);  // our EXPUNGE's answer; the log has not caught up (modseq 10)
  v.Sync(true);
  EXPECT_EQ(v.base(), first);
  v.Enqueue(expunge);  // the echo from the log
  v.Sync(true);
  EXPECT_NE(v.base(), first);
  EXPECT_EQ(v.base()->size(), 20u);
  EXPECT_EQ(v.UidAt(1), 81u);
}

// Random changes on two views of one base, checked against a plain list of UIDs.
TEST(MailboxViewTest, MatchesAPlainModelUnderRandomChanges) {
  std::mt19937 rng(42);
  auto base = SnapshotBase::FromSelect(Range(600, 10));
  pb::MailboxInfo info;
  MailboxView a(base, info, false), b(base, info, false);
  std::vector<uint32_t> model;
  for (uint32_t u = 1; u <= 600; ++u) model.push_back(u);
  uint32_t next_uid = 601;
  uint64_t modseq = 10;
  for (int round = 0; round < 200; ++round) {
    pb::Change c;
    int kind = rng() % 3;
    if (kind == 0 && !model.empty()) {
      c = Expunge(++modseq, {});
      for (int k = rng() % 8; k >= 0 && !model.empty(); --k) {
        size_t i = rng() % model.size();
        c.add_expunged(model[i]);
        model.erase(model.begin() + static_cast<long>(i));
      }
    } else if (kind == 1) {
      c = Append(++modseq, {next_uid, next_uid + 1});
      model.push_back(next_uid++);
      model.push_back(next_uid++);
    } else if (!model.empty()) {
      c = Flags(++modseq, model[rng() % model.size()], pb::SEEN);
    } else {
      continue;
    }
    a.Enqueue(c);
    b.Enqueue(c);
    a.Sync(rng() % 2 == 0);
    b.Sync(true);
    ASSERT_EQ(Uids(b), model) << "round " << round;
    for (uint32_t s = 1; s <= a.size(); ++s) ASSERT_EQ(a.SeqOf(a.UidAt(s)), s);
  }
  a.Sync(true);
  EXPECT_EQ(Uids(a), model);
  EXPECT_EQ(a.CountWithout(pb::SEEN) + (model.size() - b.CountWithout(pb::SEEN)), model.size());
}

TEST(MailboxViewTest, StaleAppendOfAMessageExpungedSinceDoesNotComeBack) {
  // A session selects from the shared base (40 still in it, modseq 10) and catches up with the
  // log: 40 was expunged at 11. The frontend's Watch subscription, shared with a session that
  // started earlier, is behind and delivers the APPEND of 40 and its EXPUNGE only now. 40 is
  // above the view's highest UID (30) again, so an APPEND applied by UID alone brought it back,
  // and the EXPUNGE then missed it (the base's removed 40 hid the one in the tail): an extra
  // message for good, in this view and in every base it published.
  pb::SelectResponse at10 = Mailbox({10, 20, 30, 40});
  MailboxView v(SnapshotBase::FromSelect(at10), at10.info(), false);
  v.Enqueue(Expunge(11, {40}));
  v.Settle();
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v.modseq(), 11u);
  v.Enqueue(Append(10, {40}));
  v.Enqueue(Expunge(11, {40}));
  v.Enqueue(Flags(9, 20, pb::SEEN));
  EXPECT_EQ(v.Sync(true), "");
  EXPECT_EQ(v.size(), 3u);
  EXPECT_EQ(v.MaxUid(), 30u);
  EXPECT_EQ(v.FlagsAt(2), "()");
  // The next change after them is applied as usual.
  v.Enqueue(Append(12, {41}));
  EXPECT_EQ(v.Sync(true), "* 4 EXISTS\r\n* 0 RECENT\r\n");
  EXPECT_EQ(v.UidAt(4), 41u);
}

// A model of one frontend: several sessions select one mailbox (from the shared cache and the
// change log, as SELECT does, or from a full read), share one Watch subscription that runs behind
// or ahead of them, poll the log at their first sync point, make their own EXPUNGE/STORE/APPEND,
// and rebase. After everything settles every open view must hold exactly the mailbox's messages,
// and its client must have been told exactly that many.
class FrontendModel {
 public:
  explicit FrontendModel(uint64_t seed, int initial = 40) : rng_(seed) {
    for (int i = 0; i < initial; ++i) msgs_[next_uid_++] = modseq_;
  }

  void Run(int steps, int sessions) {
    sessions_.resize(sessions);
    for (int step = 0; step < steps; ++step) Step();
    // Quiesce: the stream delivers everything, each session NOOPs (twice, as the loadgen may).
    while (sub_count_ > 0 && stream_pos_ < log_.size()) Deliver();
    for (int round = 0; round < 2; ++round) {
      for (size_t i = 0; i < sessions_.size(); ++i) {
        if (sessions_[i].view) Sync(i, true, true);
      }
    }
  }

  // Every open view against the mailbox; returns a description of the first difference.
  std::string Check() const {
    for (size_t i = 0; i < sessions_.size(); ++i) {
      const Session& s = sessions_[i];
      if (!s.view) continue;
      std::vector<uint32_t> have, want;
      for (uint32_t q = 1; q <= s.view->size(); ++q) have.push_back(s.view->UidAt(q));
      for (const auto& [uid, m] : msgs_) want.push_back(uid);
      if (have != want || s.told != want.size()) {
        std::string d = absl::StrCat("session ", i, ": view has ", have.size(), ", client told ",
                                     s.told, ", mailbox has ", want.size(), "; missing:");
        for (uint32_t u : want) {
          if (!std::binary_search(have.begin(), have.end(), u)) absl::StrAppend(&d, " ", u);
        }
        absl::StrAppend(&d, "; extra:");
        for (uint32_t u : have) {
          if (!msgs_.contains(u)) absl::StrAppend(&d, " ", u);
        }
        // The end of the run's trace (what each session did and was told).
        absl::StrAppend(&d, "\n", trace_.size() > 12000 ? trace_.substr(trace_.size() - 12000)
                                                          : trace_);
        return d;
      }
    }
    return "";
  }

 private:
  struct Session {
    std::unique_ptr<MailboxView> view;
    bool need_poll = false;
    uint32_t told = 0;  // what the client believes the count is
  };

  uint32_t Rand(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }

  // --- the state service ---
  pb::Change Commit(pb::Change c) {
    c.set_modseq(++modseq_);
    for (auto& m : *c.mutable_messages()) m.set_modseq(modseq_);
    log_.push_back(c);
    return c;
  }
  pb::Change AppendOne() {
    pb::Change c;
    c.set_kind(pb::Change::APPEND);
    int n = 1 + Rand(2);
    for (int k = 0; k < n; ++k) {
      uint32_t uid = next_uid_++;
      c.add_messages()->set_uid(uid);
      msgs_[uid] = modseq_ + 1;
    }
    return Commit(c);
  }
  // Expunges up to `n` random messages; the change has no UIDs if there were none.
  pb::Change ExpungeSome(int n) {
    pb::Change c;
    c.set_kind(pb::Change::EXPUNGE);
    for (int k = 0; k < n && msgs_.size() > 5; ++k) {
      auto it = msgs_.begin();
      std::advance(it, Rand(static_cast<uint32_t>(msgs_.size())));
      c.add_expunged(it->first);
      msgs_.erase(it);
    }
    std::sort(c.mutable_expunged()->begin(), c.mutable_expunged()->end());
    if (c.expunged_size() == 0) {
      c.set_modseq(modseq_);
      return c;
    }
    return Commit(c);
  }
  pb::Change FlagOne(uint32_t uid) {
    pb::Change c;
    c.set_kind(pb::Change::FLAGS);
    auto* m = c.add_messages();
    m->set_uid(uid);
    m->mutable_flags()->set_system(Rand(2) ? pb::FLAGGED : 0);
    msgs_[uid] = modseq_ + 1;
    return Commit(c);
  }
  pb::SelectResponse SelectNow() const {
    pb::SelectResponse r;
    r.mutable_info()->set_mailbox_id(7);
    r.mutable_info()->set_name("INBOX");
    r.mutable_info()->set_uid_validity(99);
    r.mutable_info()->set_highest_modseq(modseq_);
    for (const auto& [uid, ms] : msgs_) {
      auto* m = r.add_messages();
      m->set_uid(uid);
      m->set_modseq(ms);
    }
    return r;
  }

  // --- the frontend's one Watch subscription for the mailbox ---
  void Deliver() {
    const pb::Change& c = log_[stream_pos_++];
    for (auto& s : sessions_) {
      if (s.view) s.view->Enqueue(c);
    }
  }
  void Subscribe(uint64_t since) {
    if (sub_count_++ == 0) {
      // The first subscriber's since: the server replays the log after it. Events of the
      // previous subscription still in flight come first (stale: at or below since).
      stream_pos_ = 0;
      while (stream_pos_ < log_.size() && log_[stream_pos_].modseq() <= since) ++stream_pos_;
      stream_pos_ -= std::min<size_t>(stream_pos_, Rand(4));
    }
  }
  void Unsubscribe() { --sub_count_; }

  // --- a session ---
  void Render(Session& s, bool allow_expunge) {
    std::string out = s.view->Render(allow_expunge);
    absl::StrAppend(&trace_, "  ", absl::StrReplaceAll(out, {{"\r\n", "|"}}), "\n");
    for (absl::string_view line : absl::StrSplit(out, "\r\n", absl::SkipEmpty())) {
      std::vector<std::string> w = absl::StrSplit(line, ' ');
      uint32_t n = static_cast<uint32_t>(std::stoul(w[1]));
      if (w[2] == "EXISTS") {
        EXPECT_GE(n, s.told) << "EXISTS shrinks";
        s.told = n;
      } else if (w[2] == "EXPUNGE") {
        EXPECT_LE(n, s.told) << "EXPUNGE outside the client's view";
        --s.told;
      }
    }
    EXPECT_EQ(s.told, s.view->size());
  }
  void Sync(size_t i, bool allow_expunge, bool poll) {
    Session& s = sessions_[i];
    absl::StrAppend(&trace_, "s", i, " sync", poll || s.need_poll ? " poll" : "", " at ",
                    s.view->modseq(), "\n");
    if (poll || s.need_poll) {
      s.need_poll = false;
      for (const auto& c : log_) {
        if (c.modseq() > s.view->modseq()) s.view->Enqueue(c);
      }
    }
    s.view->ApplyPending();
    Render(s, allow_expunge);
  }
  void Select(size_t i) {
    Session& s = sessions_[i];
    Deselect(i);
    std::unique_ptr<MailboxView> view;
    auto base = cache_->Find(1, 7);
    uint64_t behind = base ? modseq_ - base->modseq() : 0;
    if (base && base->modseq() <= modseq_ && behind <= 64) {
      view = std::make_unique<MailboxView>(base, SelectNow().info(), false);
      for (const auto& c : log_) {
        if (c.modseq() > base->modseq()) view->Enqueue(c);
      }
      view->Settle();
      absl::StrAppend(&trace_, "s", i, " select from base ", base->modseq(), " -> ",
                      view->modseq(), "\n");
    } else {
      auto fresh = SnapshotBase::FromSelect(SelectNow());
      auto cached = cache_->Find(1, 7);
      if (cached && cached->modseq() == fresh->modseq() && cached->size() == fresh->size()) {
        fresh = cached;
      } else {
        cache_->Publish(1, fresh);
      }
      view = std::make_unique<MailboxView>(fresh, SelectNow().info(), false);
      absl::StrAppend(&trace_, "s", i, " select full at ", view->modseq(), "\n");
    }
    view->AttachCache(cache_, 1);
    s.told = view->size();
    // SELECT awaits between its snapshot and the subscription: changes committed meanwhile
    // reach the frontend's stream, but not this session.
    for (uint32_t k = Rand(3); k > 0; --k) {
      auto c = Rand(3) == 0 ? ExpungeSome(1) : AppendOne();
      absl::StrAppend(&trace_, "other (during select): ", c.ShortDebugString(), "\n");
      if (sub_count_ > 0 && Rand(2) == 0) {
        while (stream_pos_ < log_.size()) Deliver();
      }
    }
    Subscribe(view->modseq());
    s.view = std::move(view);
    s.need_poll = true;
  }
  void Deselect(size_t i) {
    Session& s = sessions_[i];
    if (!s.view) return;
    s.view.reset();
    Unsubscribe();
    absl::StrAppend(&trace_, "s", i, " deselect\n");
  }

  void Step() {
    uint32_t dice = Rand(100);
    if (dice < 15) {
      auto c = Rand(3) == 0 ? ExpungeSome(1 + Rand(2)) : AppendOne();
      absl::StrAppend(&trace_, "other: ", c.ShortDebugString(), "\n");
      return;
    }
    if (dice < 45) {
      if (sub_count_ > 0 && stream_pos_ < log_.size()) Deliver();
      return;
    }
    if (dice == 45) {
      // The statesvc's queue overflowed: a resync event makes every session poll.
      for (auto& s : sessions_) s.need_poll = s.need_poll || s.view != nullptr;
      return;
    }
    size_t i = Rand(static_cast<uint32_t>(sessions_.size()));
    Session& s = sessions_[i];
    if (!s.view || dice < 52) {
      if (Rand(4) == 0) Deselect(i);
      else Select(i);
      return;
    }
    if (dice < 70) {
      Sync(i, Rand(2) == 0, Rand(4) == 0);  // FETCH, STORE, IDLE ...; NOOP polls
    } else if (dice < 80) {
      // EXPUNGE: the answer's change is queued as our own, then the command completes.
      pb::Change c = ExpungeSome(1 + Rand(2));
      absl::StrAppend(&trace_, "s", i, " own: ", c.ShortDebugString(), "\n");
      s.view->EnqueueOwn(c);
      Sync(i, true, false);
    } else if (dice < 90) {
      // STORE on a message of the view: applied at once from the answer.
      uint32_t uid = s.view->UidAt(1 + Rand(s.view->size()));
      if (msgs_.contains(uid)) {
        pb::Change c = FlagOne(uid);
        absl::StrAppend(&trace_, "s", i, " own: ", c.ShortDebugString(), "\n");
        s.view->ApplyOwnFlags(c.messages(0));
      }
      Sync(i, false, false);
    } else if (dice < 95) {
      pb::Change c = AppendOne();  // APPEND into the selected mailbox polls
      absl::StrAppend(&trace_, "s", i, " own: ", c.ShortDebugString(), "\n");
      Sync(i, true, true);
    } else {
      s.view->Rebase();
      absl::StrAppend(&trace_, "s", i, " rebase -> ", s.view->modseq(), "\n");
    }
  }

  std::mt19937_64 rng_;
  uint64_t modseq_ = 10;
  uint32_t next_uid_ = 1;
  std::map<uint32_t, uint64_t> msgs_;  // uid -> modseq
  std::vector<pb::Change> log_;
  std::shared_ptr<SnapshotCache> cache_ = std::make_shared<SnapshotCache>();
  std::vector<Session> sessions_;
  size_t stream_pos_ = 0;
  int sub_count_ = 0;
  std::string trace_;
};

TEST(MailboxViewTest, SessionsOfOneFrontendConvergeOnTheMailbox) {
  struct Config {
    int seeds, initial, steps, sessions;
  };
  // Small mailboxes (the top messages are often expunged) and a large one (natural rebases).
  for (const Config& c : {Config{1000, 40, 300, 4}, Config{20, 300, 2000, 8}}) {
    for (int seed = 1; seed <= c.seeds; ++seed) {
      FrontendModel m(seed, c.initial);
      m.Run(c.steps, c.sessions);
      std::string diff = m.Check();
      ASSERT_EQ(diff, "") << "seed " << seed << " of {" << c.initial << ", " << c.steps << ", "
                          << c.sessions << "}";
    }
  }
}

TEST(MailboxViewTest, MillionMessageBaseSharedByAHundredViewsIsOneCopy) {
  auto cache = std::make_shared<SnapshotCache>();
  auto base = SnapshotBase::FromSelect(Range(1000000, 10));
  cache->Publish(1, base);
  const size_t base_bytes = base->BytesOwned();
  EXPECT_GE(base_bytes, 1000000 * sizeof(SnapshotBase::Entry));
  pb::MailboxInfo info;
  info.set_name("INBOX");
  std::vector<std::unique_ptr<MailboxView>> views;
  size_t view_bytes = 0;
  for (int i = 0; i < 100; ++i) {
    views.push_back(std::make_unique<MailboxView>(cache->Find(1, 7), info, false));
    MailboxView& v = *views.back();
    v.AttachCache(cache, 1);
    // Each session sees a little traffic: a flag change, an expunge and a new message.
    v.Enqueue(Flags(11, 500000, pb::SEEN));
    v.Enqueue(Expunge(12, {7}));
    v.Enqueue(Append(13, {1000001}));
    v.Sync(true);
    view_bytes += v.BytesOwned();
  }
  for (const auto& v : views) EXPECT_EQ(v->base(), base);
  EXPECT_EQ(base.use_count(), 101);  // ours and the views'; the cache holds a weak one
  // One copy of the messages plus small deltas, not a hundred copies.
  EXPECT_LT(view_bytes, base_bytes / 10);
  const MailboxView& v = *views[99];
  EXPECT_EQ(v.size(), 1000000u);
  EXPECT_EQ(v.UidAt(6), 6u);
  EXPECT_EQ(v.UidAt(7), 8u);
  EXPECT_EQ(v.UidAt(1000000), 1000001u);
  EXPECT_EQ(v.SeqOf(500000), 499999u);
  EXPECT_EQ(v.FlagsAt(499999), "(\\Seen)");
  std::printf("base %zu bytes; per additional view %zu bytes\n", base_bytes, view_bytes / 100);
}

}  // namespace
}  // namespace hadron::frontend
