// Tests only: a Select answer given as `messages` turned into the columns the statesvc sends
// frontends (MailboxRef.columns), written independently of the statesvc's encoder: every
// message with keywords gets its own set, even a repeated one.
#pragma once

#include <cstdint>

#include "hadron/state/v1/state.pb.h"

namespace hadron::frontend {

inline hadron::state::v1::SelectResponse Columnar(const hadron::state::v1::SelectResponse& r) {
  hadron::state::v1::SelectResponse c;
  *c.mutable_info() = r.info();
  *c.mutable_keywords() = r.keywords();
  c.set_columnar(true);
  c.add_keyword_sets();
  uint32_t prev = 0;
  for (const auto& m : r.messages()) {
    c.add_uid_deltas(m.uid() - prev);
    prev = m.uid();
    c.add_system_flags(m.flags().system());
    c.add_modseqs(m.modseq());
    if (m.flags().keywords_size() == 0) {
      c.add_keyword_set(0);
    } else {
      c.add_keyword_set(static_cast<uint32_t>(c.keyword_sets_size()));
      *c.add_keyword_sets()->mutable_keywords() = m.flags().keywords();
    }
  }
  return c;
}

}  // namespace hadron::frontend
