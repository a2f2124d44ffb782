// Frontend metrics (operations): the families sessions and the server update, and the count of
// sessions per selected mailbox. Names and meanings are listed in docs/operations.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/metrics/metrics.h"

namespace hadron::frontend {

struct FrontendMetrics {
  metrics::Gauge& connections;             // open IMAP connections
  metrics::Counter& connections_total;     // accepted
  metrics::Counter& connections_rejected;  // refused by a connection limit
  metrics::Counter& bytes_received;
  metrics::Counter& bytes_sent;
  metrics::Family<metrics::Counter>& commands;           // {command, result}
  metrics::Family<metrics::Histogram>& command_seconds;  // {command}
  metrics::Counter& drain_byes;            // idle sessions told BYE at shutdown
  metrics::Gauge& draining;                // 1 while draining
};

// The process-wide families (declared at first use).
FrontendMetrics& Metrics();

// Sessions per selected mailbox: Selected/Deselected as sessions enter and leave Selected.
// /metrics shows a histogram of sessions per mailbox, the largest count and the number of
// mailboxes selected — never one series per mailbox (unbounded label cardinality).
void MailboxSelected(uint64_t account, uint64_t mailbox);
void MailboxDeselected(uint64_t account, uint64_t mailbox);

// A short id unique across processes ("<8 hex of this process>-<n>"), for log lines.
std::string NewSessionId();

}  // namespace hadron::frontend
