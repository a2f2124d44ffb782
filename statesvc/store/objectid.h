// OBJECTID (RFC 8474): how EMAILID and THREADID are made from what the store keeps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hadron::store {

// EMAILID: "E" + 24 hex digits of the SHA-256 of the content (the blob id). The same content
// has the same EMAILID wherever it is: COPY and MOVE keep it (RFC 8474 5.1), and two separately
// appended identical messages share it (the RFC allows either).
std::string EmailId(std::string_view blob_sha);

// THREADID: "T" + 16 hex digits of the thread number stored with the message; records from
// before threads (thread 0) get the number a new thread of that content would get.
std::string ThreadId(uint64_t thread, std::string_view blob_sha);

// The thread number a message starts when it joins no earlier thread (never 0).
uint64_t NewThreadNumber(std::string_view blob_sha);

// The message ids ("local@domain", without <>) in a Message-ID / References / In-Reply-To value.
std::vector<std::string> ParseMessageIds(std::string_view value);

}  // namespace hadron::store
