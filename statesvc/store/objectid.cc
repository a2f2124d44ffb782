// OBJECTID (RFC 8474): EMAILID / THREADID formats and the per-account thread index.
#include "statesvc/store/objectid.h"

#include <openssl/evp.h>

#include "absl/strings/ascii.h"
#include "common/mime/mime.h"
#include "common/status.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "statesvc/store/keys.h"
#include "statesvc/store/store.h"
#include "statesvc/store/store_internal.h"

namespace hadron::store {
namespace {

constexpr size_t kMaxThreadIds = 64;  // ids of one message looked up / indexed at most

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Sha256Of(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}

}  // namespace

std::string EmailId(std::string_view blob_sha) { return "E" + Hex(blob_sha.substr(0, 12)); }

uint64_t NewThreadNumber(std::string_view blob_sha) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < blob_sha.size(); ++i) {
    v = (v << 8) | static_cast<unsigned char>(blob_sha[i]);
  }
  return v == 0 ? 1 : v;
}

std::string ThreadId(uint64_t thread, std::string_view blob_sha) {
  if (thread == 0) thread = NewThreadNumber(blob_sha);
  std::string be;
  keys::PutU64(&be, thread);
  return "T" + Hex(be);
}

std::vector<std::string> ParseMessageIds(std::string_view value) {
  std::vector<std::string> out;
  size_t p = 0;
  while (p < value.size() && out.size() < kMaxThreadIds) {
    size_t open = value.find('<', p);
    if (open == std::string_view::npos) break;
    size_t close = value.find('>', open + 1);
    if (close == std::string_view::npos) break;
    std::string id;
    for (char c : value.substr(open + 1, close - open - 1)) {
      if (!absl::ascii_isspace(static_cast<unsigned char>(c))) id.push_back(c);
    }
    if (id.find('@') != std::string::npos) out.push_back(std::move(id));
    p = close + 1;
  }
  return out;
}

absl::StatusOr<uint64_t> Store::AssignThreadLocked(uint64_t account, std::string_view content,
                                                   std::string_view blob_sha,
                                                   rocksdb::WriteBatch& batch,
                                                   absl::flat_hash_map<std::string, uint64_t>* pending) {
  // The ids this message refers to (References first: it starts at the thread's root), then
  // its own Message-ID: a reply stored earlier than its parent pulls the parent into its thread.
  std::vector<std::string> ids;
  for (const auto& v : mime::HeaderValues(content, "References")) {
    for (auto& id : ParseMessageIds(v)) ids.push_back(std::move(id));
  }
  for (const auto& v : mime::HeaderValues(content, "In-Reply-To")) {
    for (auto& id : ParseMessageIds(v)) ids.push_back(std::move(id));
  }
  for (const auto& v : mime::HeaderValues(content, "Message-ID")) {
    auto own = ParseMessageIds(v);
    if (!own.empty()) ids.push_back(std::move(own.front()));
    break;
  }
  if (ids.size() > kMaxThreadIds) ids.erase(ids.begin(), ids.end() - kMaxThreadIds);
  uint64_t thread = 0;
  std::vector<std::string> unindexed;
  for (const auto& id : ids) {
    std::string key = keys::ThreadIndexKey(account, Sha256Of(id));
    if (pending != nullptr) {
      if (auto it = pending->find(key); it != pending->end()) {
        if (thread == 0) thread = it->second;
        continue;
      }
    }
    ASSIGN_OR_RETURN(auto v, GetValue(db_, cf(kMeta), key, nullptr));
    if (!v) {
      unindexed.push_back(std::move(key));
      continue;
    }
    if (thread == 0) {
      ASSIGN_OR_RETURN(thread, DecodeU64(*v));
    }
  }
  if (thread == 0) thread = NewThreadNumber(blob_sha);
  // Ids already indexed keep their thread (threads are never merged afterwards).
  for (const auto& key : unindexed) {
    batch.Put(cf(kMeta), key, EncodeU64(thread));
    if (pending != nullptr) (*pending)[key] = thread;
  }
  return thread;
}

}  // namespace hadron::store
