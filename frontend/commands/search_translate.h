// Translation of a parsed IMAP search key tree into the state service's SearchKey, shared by
// SEARCH, SORT and THREAD: sequence-set keys and \Recent become UID sets of this session's view.
#pragma once

#include <string>

#include "frontend/protocol/command.h"
#include "frontend/session/mailbox_view.h"

namespace hadron::frontend {

// Fills `out` from `key`; sequence numbers and \Recent are resolved against `view`.
void TranslateSearchKey(const MailboxView& view, const imap::SearchKey& key, pb::SearchKey* out);

// Charsets SEARCH, SORT and THREAD accept (uppercased names).
bool SupportedSearchCharset(const std::string& charset);

// `key` ANDed with "UID 1:<the view's highest UID>": SORT and THREAD answer only about messages
// this session already knows (newer ones arrive with the next EXISTS).
void RestrictToView(const MailboxView& view, const imap::SearchKey& key, pb::SearchKey* out);

}  // namespace hadron::frontend
