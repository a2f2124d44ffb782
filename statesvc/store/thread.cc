// THREAD (RFC 5256): ORDEREDSUBJECT and REFERENCES, with Dovecot 2.3's tie-breaks and merges.
#include <algorithm>
#include <unordered_map>

#include "absl/container/flat_hash_map.h"
#include "common/mime/mime.h"
#include "common/status.h"
#include "statesvc/store/sort.h"

namespace hadron::store {
namespace {

int64_t SentOrInternal(const SortMessage& m) {
  auto date = FirstHeader(m.header, "Date");
  int64_t t = date ? SentTime(*date) : 0;
  return t != 0 ? t : m.internal_date;
}

std::vector<ThreadEntry> OrderedSubject(const std::vector<SortMessage>& messages) {
  absl::flat_hash_map<uint32_t, const SortMessage*> by_uid;
  for (const auto& m : messages) by_uid[m.uid] = &m;
  std::vector<uint32_t> sorted = SortMessages(
      messages, {{SortKeyKind::kSubject, false}, {SortKeyKind::kDate, false}});
  struct Group {
    int64_t timestamp;
    std::vector<uint32_t> uids;
  };
  std::vector<Group> groups;
  std::string prev;
  bool have_prev = false;
  for (uint32_t uid : sorted) {
    const SortMessage& m = *by_uid[uid];
    auto subject = FirstHeader(m.header, "Subject");
    std::string base = BaseSubject(subject ? mime::DecodeRfc2047(*subject) : "");
    if (!have_prev || base != prev) groups.push_back({SentOrInternal(m), {}});
    groups.back().uids.push_back(uid);
    prev = std::move(base);
    have_prev = true;
  }
  std::sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
    if (a.timestamp != b.timestamp) return a.timestamp < b.timestamp;
    return a.uids[0] < b.uids[0];
  });
  std::vector<ThreadEntry> out;
  for (const Group& g : groups) {
    int32_t root = static_cast<int32_t>(out.size());
    out.push_back({g.uids[0], -1});
    for (size_t i = 1; i < g.uids.size(); ++i) out.push_back({g.uids[i], root});
  }
  return out;
}

// REFERENCES, following Dovecot's index-thread-links.c and index-thread-finish.c.
class ReferencesThreader {
 public:
  explicit ReferencesThreader(const std::vector<SortMessage>& messages) : messages_(messages) {
    nodes_.emplace_back();  // index 0 means "none"
  }

  std::vector<ThreadEntry> Run() {
    for (size_t i = 0; i < messages_.size(); ++i) Add(i);
    Finish();
    return Emit();
  }

 private:
  struct Node {
    int64_t msg = -1;  // index in messages_, -1: no such message (dummy)
    uint32_t parent = 0;
  };
  struct Child {
    uint32_t idx;
    int64_t date;
    uint32_t uid;
  };
  struct Root {
    Child node;
    uint32_t root_idx1 = 0, parent_root_idx1 = 0;
    bool reply_or_forward = false, dummy = false, ignore = false;
  };

  bool Exists(uint32_t idx) const { return nodes_[idx].msg >= 0; }

  uint32_t IdNode(const std::string& id) {
    auto [it, inserted] = ids_.try_emplace(id, static_cast<uint32_t>(nodes_.size()));
    if (inserted) nodes_.emplace_back();
    return it->second;
  }
  uint32_t NewNode() {
    nodes_.emplace_back();
    return static_cast<uint32_t>(nodes_.size() - 1);
  }

  bool HasAncestor(uint32_t node, uint32_t ancestor) const {
    for (size_t guard = 0; node != ancestor; ++guard) {
      if (nodes_[node].parent == 0 || guard > nodes_.size()) return false;
      node = nodes_[node].parent;
    }
    return true;
  }

  void Link(uint32_t parent, uint32_t child) {
    if (HasAncestor(parent, child)) return;  // would loop (or links to itself)
    if (nodes_[child].parent == parent) return;
    if (nodes_[child].parent == 0) nodes_[child].parent = parent;
    // Otherwise a conflicting parent exists: the first one stays.
  }

  void Add(size_t i) {
    const SortMessage& m = messages_[i];
    uint32_t idx;
    std::optional<std::string> id;
    if (auto v = FirstHeader(m.header, "Message-ID")) {
      std::string_view s = *v;
      id = NextMessageId(&s);
    }
    idx = id ? IdNode(*id) : NewNode();
    if (Exists(idx)) idx = NewNode();  // duplicate Message-ID: the first keeps it
    nodes_[idx].msg = static_cast<int64_t>(i);

    std::vector<uint32_t> refs;
    if (auto v = FirstHeader(m.header, "References")) {
      std::string_view s = *v;
      while (auto r = NextMessageId(&s)) refs.push_back(IdNode(*r));
    }
    if (refs.empty()) {
      if (auto v = FirstHeader(m.header, "In-Reply-To")) {
        std::string_view s = *v;
        if (auto r = NextMessageId(&s)) refs.push_back(IdNode(*r));
      }
    }
    for (size_t k = 1; k < refs.size(); ++k) Link(refs[k - 1], refs[k]);
    uint32_t parent = refs.empty() ? 0 : refs.back();
    if (nodes_[idx].parent != parent && nodes_[idx].parent != 0) nodes_[idx].parent = 0;
    if (parent != 0) Link(parent, idx);
  }

  void Fill(Child* c) {
    const SortMessage& m = messages_[nodes_[c->idx].msg];
    c->uid = m.uid;
    c->date = SentOrInternal(m);
  }

  static bool ChildLess(const Child& a, const Child& b) {
    if (a.date != b.date) return a.date < b.date;
    return a.uid < b.uid;
  }

  std::vector<Child> SortedChildren(uint32_t parent) {
    std::vector<Child> out;
    const auto& kids = children_[parent];
    if (kids.size() == 1) {
      out.push_back({kids[0], 0, messages_[nodes_[kids[0]].msg].uid});
      return out;
    }
    for (uint32_t k : kids) {
      Child c{k, 0, 0};
      Fill(&c);
      out.push_back(c);
    }
    std::sort(out.begin(), out.end(), ChildLess);
    return out;
  }

  void AddChild(uint32_t parent, uint32_t child) {
    if (children_.size() <= std::max(parent, child)) children_.resize(std::max(parent, child) + 1);
    children_[parent].push_back(child);
  }

  void SortRoots() {
    for (Root& r : roots_) {
      if (r.ignore) continue;
      if (r.dummy) {
        if (children_[r.node.idx].empty()) {
          r.ignore = true;
          continue;
        }
        std::vector<Child> kids = SortedChildren(r.node.idx);
        if (kids.size() == 1) {
          r.node = kids[0];  // deferred step (3): promote the only child
          Fill(&r.node);
          r.dummy = false;
        } else {
          r.node.uid = kids[0].uid;
          r.node.date = kids[0].date;
        }
      } else {
        Fill(&r.node);
      }
    }
    std::stable_sort(roots_.begin(), roots_.end(),
                     [](const Root& a, const Root& b) { return ChildLess(a.node, b.node); });
  }

  void AddBaseSubject(absl::flat_hash_map<std::string, size_t>& table, const std::string& subject,
                      size_t i) {
    bool reply = false;
    std::string base = BaseSubject(mime::DecodeRfc2047(subject), &reply);
    if (base.empty()) return;
    auto [it, inserted] = table.try_emplace(base, i);
    if (!inserted) {
      Root& hash = roots_[it->second];
      Root& node = roots_[i];
      if (!hash.dummy && (node.dummy || (hash.reply_or_forward && !reply))) {
        hash.parent_root_idx1 = node.root_idx1;
        it->second = i;
      } else {
        node.parent_root_idx1 = hash.root_idx1;
      }
    }
    roots_[i].reply_or_forward = reply;
  }

  void GatherSubjects() {
    absl::flat_hash_map<std::string, size_t> table;
    for (size_t i = 0; i < roots_.size(); ++i) {
      Root& r = roots_[i];
      r.root_idx1 = static_cast<uint32_t>(i + 1);
      uint32_t idx;
      if (!r.dummy) {
        idx = r.node.idx;
      } else if (!r.ignore) {
        idx = SortedChildren(r.node.idx)[0].idx;
      } else {
        continue;
      }
      auto subject = FirstHeader(messages_[nodes_[idx].msg].header, "Subject");
      if (subject) AddBaseSubject(table, *subject, i);
    }
  }

  void MergeOne(size_t cur_i) {
    size_t root_i = cur_i;
    for (size_t guard = 0; guard <= roots_.size(); ++guard) {
      root_i = roots_[root_i].parent_root_idx1 - 1;
      if (roots_[root_i].parent_root_idx1 == 0) break;
    }
    Root& cur = roots_[cur_i];
    Root& root = roots_[root_i];
    if (cur.dummy) {
      for (uint32_t k : children_[cur.node.idx]) AddChild(root.node.idx, k);
      children_[cur.node.idx].clear();
      cur.ignore = true;
    } else if (root.dummy || (cur.reply_or_forward && !root.reply_or_forward)) {
      AddChild(root.node.idx, cur.node.idx);
      cur.ignore = true;
    } else {
      Root fresh;
      fresh.root_idx1 = static_cast<uint32_t>(roots_.size() + 1);
      fresh.node.idx = NewNode();
      fresh.dummy = true;
      AddChild(fresh.node.idx, root.node.idx);
      AddChild(fresh.node.idx, cur.node.idx);
      root.parent_root_idx1 = fresh.root_idx1;
      root.ignore = true;
      cur.ignore = true;
      roots_.push_back(fresh);  // invalidates cur and root
    }
  }

  bool MergeSubjects() {
    bool changed = false;
    size_t count = roots_.size();
    for (size_t i = 0; i < count; ++i) {
      if (roots_[i].parent_root_idx1 != 0 && !roots_[i].ignore) {
        MergeOne(i);
        changed = true;
      }
    }
    return changed;
  }

  void Finish() {
    children_.assign(nodes_.size(), {});
    // (2) roots; (3) messages under dummies go to the nearest real ancestor (or the top dummy).
    for (uint32_t idx = 1; idx < nodes_.size(); ++idx) {
      const Node& n = nodes_[idx];
      if (n.parent == 0) {
        Root r;
        r.node.idx = idx;
        r.dummy = !Exists(idx);
        if (!r.dummy) r.node.uid = messages_[n.msg].uid;
        roots_.push_back(r);
        continue;
      }
      if (!Exists(idx)) continue;
      uint32_t parent = n.parent;
      for (size_t guard = 0; !Exists(parent) && nodes_[parent].parent != 0 && guard < nodes_.size();
           ++guard) {
        parent = nodes_[parent].parent;
      }
      AddChild(parent, idx);
    }
    SortRoots();        // (4)
    GatherSubjects();   // (5)(A)(B)
    if (MergeSubjects()) SortRoots();  // (5)(C)
  }

  std::vector<ThreadEntry> Emit() {
    std::vector<ThreadEntry> out;
    struct Frame {
      std::vector<Child> kids;
      size_t pos;
      int32_t parent;
    };
    for (const Root& r : roots_) {
      if (r.ignore) continue;
      bool has_children = r.node.idx < children_.size() && !children_[r.node.idx].empty();
      if (r.dummy && !has_children) continue;
      int32_t me = static_cast<int32_t>(out.size());
      out.push_back({r.dummy ? 0u : r.node.uid, -1});
      if (!has_children) continue;
      std::vector<Frame> stack;
      stack.push_back({SortedChildren(r.node.idx), 0, me});
      while (!stack.empty()) {
        Frame& f = stack.back();
        if (f.pos == f.kids.size()) {
          stack.pop_back();
          continue;
        }
        const Child c = f.kids[f.pos++];
        int32_t parent = f.parent;
        int32_t self = static_cast<int32_t>(out.size());
        out.push_back({c.uid, parent});
        if (c.idx < children_.size() && !children_[c.idx].empty()) {
          std::vector<Child> kids = SortedChildren(c.idx);
          stack.push_back({std::move(kids), 0, self});
        }
      }
    }
    return out;
  }

  const std::vector<SortMessage>& messages_;
  std::vector<Node> nodes_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<std::vector<uint32_t>> children_;
  std::vector<Root> roots_;
};

}  // namespace

std::vector<ThreadEntry> ThreadMessages(const std::vector<SortMessage>& messages,
                                        ThreadAlgorithm algorithm) {
  if (algorithm == ThreadAlgorithm::kOrderedSubject) return OrderedSubject(messages);
  return ReferencesThreader(messages).Run();
}

absl::StatusOr<std::vector<ThreadEntry>> ThreadMailbox(Store& store, uint64_t account,
                                                       uint64_t mailbox, const SearchKey& key,
                                                       ThreadAlgorithm algorithm) {
  ASSIGN_OR_RETURN(auto messages, LoadSortMessages(store, account, mailbox, key));
  return ThreadMessages(messages, algorithm);
}

}  // namespace hadron::store
