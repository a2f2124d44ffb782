// MailboxView: one session's snapshot of its selected mailbox. Sequence numbers are positions in
// this view; it changes only at sync points (CONVENTIONS 6), so a client's numbers stay valid
// while other sessions change the mailbox.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "hadron/state/v1/state.pb.h"

namespace hadron::frontend {

namespace pb = ::hadron::state::v1;

// Renders "(\Seen $Label)" for a flag set.
std::string FormatFlags(uint32_t system, const std::vector<std::string>& keywords);

class MailboxView {
 public:
  MailboxView(const pb::SelectResponse& selected, bool read_only);

  uint64_t mailbox_id() const { return mailbox_id_; }
  const std::string& name() const { return name_; }
  uint32_t uid_validity() const { return uid_validity_; }
  uint64_t modseq() const { return modseq_; }
  bool read_only() const { return read_only_; }
  // Messages as the client knows them (expunged-but-unreported ones included).
  uint32_t size() const { return static_cast<uint32_t>(entries_.size()); }
  uint32_t UidAt(uint32_t seq) const { return entries_[seq - 1].uid; }
  uint32_t MaxUid() const { return entries_.empty() ? 0 : entries_.back().uid; }
  std::optional<uint32_t> SeqOf(uint32_t uid) const;
  uint32_t SystemFlagsAt(uint32_t seq) const { return entries_[seq - 1].system; }
  const std::vector<std::string>& KeywordsAt(uint32_t seq) const {
    return keyword_sets_[entries_[seq - 1].keywords];
  }
  std::string FlagsAt(uint32_t seq) const;
  bool ExpungedAt(uint32_t seq) const { return entries_[seq - 1].expunged; }
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
  bool RecentAt(uint32_t seq) const { return entries_[seq - 1].recent; }
  // Called after SELECT has told the client the counts.
  void MarkCountsReported() { reported_recent_ = recent_count_; }

 private:
  struct Entry {
    uint32_t uid;
    uint32_t system;
    uint32_t keywords;  // index into keyword_sets_
    uint64_t modseq;
    bool expunged;
    bool recent = false;
  };
  uint32_t InternKeywords(const pb::Flags& flags);
  void Apply(const pb::Change& change, bool own);

  uint64_t mailbox_id_;
  std::string name_;
  uint32_t uid_validity_;
  uint64_t modseq_;
  bool read_only_;
  std::vector<Entry> entries_;
  uint32_t reported_exists_;
  uint32_t claimed_up_to_ = 0;
  uint32_t recent_count_ = 0;
  uint32_t reported_recent_ = 0;
  std::vector<std::vector<std::string>> keyword_sets_;
  absl::flat_hash_map<std::string, uint32_t> keyword_set_ids_;
  std::vector<std::string> all_keywords_;
  std::deque<std::pair<pb::Change, bool>> pending_;
  std::vector<uint32_t> changed_flags_;  // uids whose new flags are not yet reported
};

}  // namespace hadron::frontend
