// MailboxView: one session's snapshot of its selected mailbox. Sequence numbers are positions in
// this view; it changes only at sync points (CONVENTIONS 6), so a client's numbers stay valid
// while other sessions change the mailbox. The messages themselves live in a SnapshotBase that
// all sessions on the mailbox share; the view keeps only what differs for it (its delta).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "frontend/session/snapshot_cache.h"
#include "hadron/state/v1/state.pb.h"

namespace hadron::frontend {

namespace pb = ::hadron::state::v1;

// Renders "(\Seen $Label)" for a flag set.
std::string FormatFlags(uint32_t system, const std::vector<std::string>& keywords);

// How the view words its untagged responses; follows the extensions the client enabled.
struct ResponseMode {
  bool condstore = false;  // MODSEQ in every FETCH about flag changes (RFC 7162 3.1)
  bool qresync = false;    // UID in those FETCHes, VANISHED instead of EXPUNGE (RFC 7162 3.2)
  bool uidonly = false;    // "* uid UIDFETCH (...)", VANISHED (RFC 9586)
  bool no_recent = false;  // IMAP4rev2: no RECENT response, no \Recent flag (RFC 9051)
};

class MailboxView {
 public:
  // A view with a base of its own, built from a Select answer.
  MailboxView(const pb::SelectResponse& selected, bool read_only);
  // A view of a (shared) base; `info` gives the name. The view starts at base->modseq(): queue
  // the changes after it and call Settle() before telling the client anything.
  MailboxView(std::shared_ptr<const SnapshotBase> base, const pb::MailboxInfo& info,
              bool read_only);

  // Lets the view publish the bases it builds when it rebases, for later sessions.
  void AttachCache(std::shared_ptr<SnapshotCache> cache, uint64_t account_id);
  // Applies the queued changes as part of the initial state (SELECT has not answered yet):
  // expunged messages vanish silently, nothing is reported.
  void Settle();

  uint64_t mailbox_id() const { return mailbox_id_; }
  const std::string& name() const { return name_; }
  uint32_t uid_validity() const { return uid_validity_; }
  uint64_t modseq() const { return modseq_; }
  bool read_only() const { return read_only_; }
  // Messages as the client knows them (expunged-but-unreported ones included).
  uint32_t size() const { return BaseLive() + static_cast<uint32_t>(tail_.size()); }
  uint32_t UidAt(uint32_t seq) const { return At(seq).uid; }
  uint32_t MaxUid() const;
  std::optional<uint32_t> SeqOf(uint32_t uid) const;
  uint32_t SystemFlagsAt(uint32_t seq) const { return At(seq).system; }
  const std::vector<std::string>& KeywordsAt(uint32_t seq) const {
    return KeywordSet(At(seq).keywords);
  }
  std::string FlagsAt(uint32_t seq) const;
  uint64_t ModSeqAt(uint32_t seq) const { return At(seq).modseq; }
  // Sequence numbers of the messages whose modseq is above `modseq`, ascending. O(n).
  std::vector<uint32_t> ChangedSince(uint64_t modseq) const;

  const ResponseMode& mode() const { return mode_; }
  void set_mode(const ResponseMode& mode) { mode_ = mode; }
  // "* 3 FETCH (" / "* 3 FETCH (UID 7 " (QRESYNC) / "* 7 UIDFETCH (" (UIDONLY): the start of
  // an untagged FETCH about message `seq` the client did not ask for by UID.
  std::string FetchHead(uint32_t seq) const;
  // Whether Render() has reported changes (expunges or flags) since the last call; the
  // tagged OK then carries HIGHESTMODSEQ under QRESYNC, as Dovecot sends it.
  bool TakeReportedChanges() {
    bool r = reported_changes_;
    reported_changes_ = false;
    return r;
  }
  bool ExpungedAt(uint32_t seq) const { return At(seq).expunged; }
  // Every keyword known in this mailbox, for the FLAGS response.
  const std::vector<std::string>& AllKeywords() const { return all_keywords_; }
  uint32_t CountWithout(uint32_t system_bit) const;
  std::optional<uint32_t> FirstWithout(uint32_t system_bit) const;

  // Queues a change from the state service; applied at the next Sync().
  void Enqueue(const pb::Change& change) { pending_.push_back({change, false}); }
  // Queues a change this session made (known from its own RPC's answer). It is applied like
  // any other, but does not advance modseq(): events before it may still be in flight.
  void EnqueueOwn(const pb::Change& change) { pending_.push_back({change, true}); }
  bool HasPending() const { return !pending_.empty(); }

  // After the change log lost our place (resync): turns a fresh read of the mailbox into the
  // changes that lead from this view to it, queued like any others. Returns false if the view
  // cannot be brought there (another UIDVALIDITY, or a message appeared below our highest UID).
  bool Resync(const pb::SelectResponse& fresh);

  // Applies a change made by this session at once (its own STORE answers directly). Returns
  // false if the message is not in the view.
  bool ApplyOwnFlags(const pb::MessageMeta& meta);

  // Applies queued changes and returns the untagged responses the client may see now.
  // EXPUNGE responses are withheld unless `allow_expunge` (RFC 3501 7.4.1).
  std::string Sync(bool allow_expunge) {
    ApplyPending();
    return Render(allow_expunge);
  }
  // The two halves of Sync(), for a session that claims \Recent in between.
  void ApplyPending();
  std::string Render(bool allow_expunge);

  // \Recent: this session was the first to see the messages [first, up_to] (UIDs).
  void MarkRecent(uint32_t first_uid, uint32_t up_to_uid);
  // The highest UID this session has asked to claim (new messages above it are unclaimed).
  uint32_t claimed_up_to() const { return claimed_up_to_; }
  void set_claimed_up_to(uint32_t uid) { claimed_up_to_ = uid; }
  uint32_t RecentCount() const { return recent_count_; }
  bool RecentAt(uint32_t seq) const { return InRecent(At(seq).uid); }
  // Called after SELECT has told the client the counts.
  void MarkCountsReported() { reported_recent_ = recent_count_; }

  // RFC 5182 SEARCHRES: what the last SEARCH ... RETURN (SAVE) found ("$"), as ascending UID
  // ranges; empty for a new view (SELECT/EXAMINE reset it). It is resolved against the view
  // when used, so messages whose EXPUNGE the client has seen drop out of it by themselves.
  const std::vector<std::pair<uint32_t, uint32_t>>& saved_search() const { return saved_search_; }
  void set_saved_search(std::vector<std::pair<uint32_t, uint32_t>> uid_ranges) {
    saved_search_ = std::move(uid_ranges);
  }

  // --- the shared base and this view's delta ---
  const std::shared_ptr<const SnapshotBase>& base() const { return base_; }
  // Bytes this view holds beyond its base: itself, the delta, queues, keyword extras.
  size_t BytesOwned() const;
  // Entries in the delta (changed, removed and appended messages); a rebase resets it.
  size_t DeltaSize() const { return removed_.size() + changed_.size() + tail_.size(); }
  // Replaces the base by one built from this view, if the view is at a clean point (no
  // unreported expunge, nothing queued, no own change ahead of modseq()). With a cache, adopts
  // the cached base instead when it is at the same modseq, and publishes a new one otherwise.
  // Sync() does this by itself once the delta outgrows the base (kRebaseFraction).
  bool Rebase();
  static constexpr size_t kRebaseFraction = 8;  // rebase when delta > base / 8 ...
  static constexpr size_t kRebaseMinimum = 64;  // ... and > this many entries

 private:
  // One message as this view sees it.
  struct Entry {
    uint64_t modseq;
    uint32_t uid;
    uint32_t system;
    uint32_t keywords;  // < base keyword count: the base's set; above: local_sets_
    bool expunged = false;
  };
  // Where a message lives: the base (index into base_->entries()) or tail_ (index).
  struct Ref {
    bool in_base;
    uint32_t index;
  };
  uint32_t BaseLive() const {
    return static_cast<uint32_t>(base_->size() - removed_.size());
  }
  Ref Locate(uint32_t seq) const;
  Entry At(uint32_t seq) const { return Get(Locate(seq)); }
  Entry Get(Ref ref) const;
  std::optional<Ref> FindUid(uint32_t uid) const;
  uint32_t SeqOfRef(Ref ref) const;
  // Writes `e` back for `ref` (a base message gets an entry in changed_).
  void Put(Ref ref, const Entry& e);
  // Number of messages in the view with a UID below `uid`.
  uint32_t CountBelow(uint32_t uid) const;
  const std::vector<std::string>& KeywordSet(uint32_t id) const;
  uint32_t InternKeywords(const pb::Flags& flags);
  bool InRecent(uint32_t uid) const;
  void Apply(const pb::Change& change, bool own);
  // Removes the messages at these positions (0-based, ascending) from the view.
  void RemovePositions(const std::vector<uint32_t>& positions);
  // Positions (0-based, ascending) of the messages marked expunged.
  std::vector<uint32_t> ExpungedPositions() const;
  void AdoptBase(std::shared_ptr<const SnapshotBase> base);
  // Calls f(seq, entry) for each message in order while f returns true. O(n), for scans.
  template <typename F>
  void ForEach(F&& f) const;
  void MaybeRebase();

  uint64_t mailbox_id_;
  std::string name_;
  uint32_t uid_validity_;
  uint64_t modseq_;
  bool read_only_;
  std::shared_ptr<const SnapshotBase> base_;
  std::shared_ptr<SnapshotCache> cache_;
  uint64_t account_id_ = 0;
  // The delta. Base positions no longer in the view, ascending (UidAt stays O(log n)).
  std::vector<uint32_t> removed_;
  // Base messages whose flags differ here or that are marked expunged, by base index.
  absl::flat_hash_map<uint32_t, Entry> changed_;
  // Messages after the base, UID order (their UIDs are all above the base's).
  std::vector<Entry> tail_;
  uint32_t expunged_count_ = 0;     // messages marked expunged, not yet removed
  uint64_t max_own_modseq_ = 0;     // highest modseq of a change applied ahead of modseq_
  // Keyword sets this view met that its base lacks (ids from the base's count up).
  std::vector<std::vector<std::string>> local_sets_;
  absl::flat_hash_map<std::string, uint32_t> local_ids_;
  std::vector<std::string> all_keywords_;

  ResponseMode mode_;
  bool reported_changes_ = false;
  uint32_t reported_exists_;
  uint32_t claimed_up_to_ = 0;
  // \Recent claimed by this session: disjoint UID ranges, ascending.
  std::vector<std::pair<uint32_t, uint32_t>> recent_;
  uint32_t recent_count_ = 0;
  uint32_t reported_recent_ = 0;
  std::deque<std::pair<pb::Change, bool>> pending_;
  std::vector<uint32_t> changed_flags_;  // uids whose new flags are not yet reported
  std::vector<std::pair<uint32_t, uint32_t>> saved_search_;  // SEARCHRES "$", UID ranges
};

}  // namespace hadron::frontend
