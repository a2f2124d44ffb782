// Small helpers for building a mutation's WriteBatch (counts, change records, flags).
#include "statesvc/store/mutations.h"

#include <algorithm>

#include "statesvc/store/keys.h"
#include "statesvc/store/names.h"

namespace hadron::store {

void CountMessage(MailboxInfo& info, const MessageRecord& m, int sign) {
  info.messages += sign;
  info.size += sign * static_cast<int64_t>(m.size);
  if (!(m.flags.system & kSeen)) info.unseen += sign;
  if (m.flags.system & kDeleted) info.deleted += sign;
}

void PutChange(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* cf, uint64_t account,
               uint64_t mailbox, const Change& change, int64_t time_us) {
  batch.Put(cf, keys::ChangeKey(account, mailbox, change.modseq), EncodeChange(change, time_us));
}

absl::StatusOr<Flags> CanonicalFlags(const Flags& in, MailboxRecord& mailbox, bool add_new) {
  if (in.system & ~kAllSystemFlags) return absl::InvalidArgumentError("unknown system flag bits");
  Flags out;
  out.system = in.system;
  for (const auto& kw : in.keywords) {
    if (auto s = ValidateKeyword(kw); !s.ok()) return s;
    auto it = std::find_if(mailbox.keywords.begin(), mailbox.keywords.end(),
                           [&](const std::string& k) { return EqualsIgnoreCase(k, kw); });
    if (it != mailbox.keywords.end()) {
      out.keywords.push_back(*it);
    } else if (add_new) {
      if (mailbox.keywords.size() >= 1000) {
        return absl::ResourceExhaustedError("too many keywords in this mailbox");
      }
      mailbox.keywords.push_back(kw);
      out.keywords.push_back(kw);
    }
  }
  std::sort(out.keywords.begin(), out.keywords.end());
  out.keywords.erase(std::unique(out.keywords.begin(), out.keywords.end()), out.keywords.end());
  return out;
}

Flags ApplyFlags(const Flags& cur, StoreOp op, const Flags& arg) {
  Flags out;
  switch (op) {
    case StoreOp::kReplace:
      return arg;
    case StoreOp::kAdd:
      out.system = cur.system | arg.system;
      std::set_union(cur.keywords.begin(), cur.keywords.end(), arg.keywords.begin(),
                     arg.keywords.end(), std::back_inserter(out.keywords));
      return out;
    case StoreOp::kRemove:
      out.system = cur.system & ~arg.system;
      std::set_difference(cur.keywords.begin(), cur.keywords.end(), arg.keywords.begin(),
                          arg.keywords.end(), std::back_inserter(out.keywords));
      return out;
  }
  return cur;
}

}  // namespace hadron::store
