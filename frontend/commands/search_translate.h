// Translation of a parsed IMAP search key tree into the state service's SearchKey, shared by
// SEARCH, SORT and THREAD: sequence-set keys and \Recent become UID sets of this session's view.
#pragma once

#include "frontend/protocol/command.h"
#include "frontend/session/mailbox_view.h"

namespace hadron::frontend {

// Fills `out` from `key`; sequence numbers and \Recent are resolved against `view`.
void TranslateSearchKey(const MailboxView& view, const imap::SearchKey& key, pb::SearchKey* out);

}  // namespace hadron::frontend
