// THREAD and UID THREAD (RFC 5256: ORDEREDSUBJECT, REFERENCES): the state service builds the
// threads; this session numbers them and writes them as Dovecot does.
#include <vector>

#include "absl/strings/str_cat.h"
#include "frontend/commands/commands.h"
#include "frontend/commands/search_translate.h"
#include "frontend/commands/util.h"
#include "frontend/session/session.h"

namespace hadron::frontend {
namespace {

// Writes the nodes (depth-first, parent indices) like Dovecot's imap_thread_write(): every top
// level thread and every node with siblings in parentheses; an only child follows its parent
// after a space. Iterative, so a reply chain of any length cannot exhaust the stack.
std::string RenderThreads(const pb::ThreadResponse& res, const MailboxView& view, bool uid) {
  const int n = res.nodes_size();
  std::vector<std::vector<int>> children(n);
  std::vector<int> roots;
  for (int i = 0; i < n; ++i) {
    int parent = res.nodes(i).parent();
    if (parent < 0 || parent >= i) {
      roots.push_back(i);
    } else {
      children[parent].push_back(i);
    }
  }
  auto number = [&](int i) -> std::string {
    uint32_t u = res.nodes(i).uid();
    if (u == 0) return "";
    if (uid) return absl::StrCat(u);
    auto seq = view.SeqOf(u);
    return seq ? absl::StrCat(*seq) : "";
  };
  std::string out;
  struct Frame {
    const std::vector<int>* items;
    size_t pos;
    bool multi;  // parenthesize each item (top level, or more than one sibling)
    bool close;  // write ')' when done
  };
  std::vector<Frame> stack;
  stack.push_back({&roots, 0, true, false});
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.pos == f.items->size()) {
      bool close = f.close;
      stack.pop_back();
      if (close) out.push_back(')');
      continue;
    }
    int i = (*f.items)[f.pos++];
    const std::vector<int>& kids = children[i];
    std::string num = number(i);
    bool multi = f.multi;
    if (multi) {
      if (kids.empty()) {
        absl::StrAppend(&out, "(", num, ")");
        continue;
      }
      out.push_back('(');
      if (!num.empty()) absl::StrAppend(&out, num, " ");
      stack.push_back({&kids, 0, kids.size() != 1, true});
    } else {
      out.append(num);
      if (!kids.empty()) {
        out.push_back(' ');
        stack.push_back({&kids, 0, kids.size() != 1, false});
      }
    }
  }
  return out;
}

}  // namespace

asio::awaitable<void> CmdThread(Session& s, const imap::Command& cmd) {
  const auto& a = std::get<imap::ThreadArgs>(cmd.args);
  if (!SupportedSearchCharset(a.charset)) {
    co_await s.Tagged(cmd, "NO", "[BADCHARSET (US-ASCII UTF-8)] Unsupported charset");
    co_return;
  }
  MailboxView* v = s.view();
  std::string out = "* THREAD ";
  if (v->size() > 0) {
    pb::ThreadRequest req;
    req.set_account_id(s.auth()->account_id);
    req.set_mailbox_id(v->mailbox_id());
    RestrictToView(*v, a.key, req.mutable_key());
    req.set_algorithm(a.algorithm == imap::ThreadArgs::Algorithm::kReferences
                          ? pb::ThreadRequest::REFERENCES
                          : pb::ThreadRequest::ORDEREDSUBJECT);
    auto res = co_await s.state().Thread(req);
    if (!res.ok()) {
      co_await s.Fail(cmd, res.status());
      co_return;
    }
    out.append(RenderThreads(*res, *v, cmd.uid));
  }
  absl::StrAppend(&out, "\r\n");
  co_await s.Send(out);
  co_await Complete(s, cmd, "Thread completed.");
}

}  // namespace hadron::frontend
