#include "supervisor/expr_state_reference.h"

#include <fnmatch.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"

namespace baton::supervisor::reference {
namespace {

bool IsNameStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

absl::string_view Lookup(const Env& env, absl::string_view key) {
  for (auto it = env.rbegin(); it != env.rend(); ++it) {
    if (it->first == key) return it->second;
  }
  return {};
}

bool GlobMatches(const std::string& glob, absl::string_view value) {
  return fnmatch(glob.c_str(), std::string(value).c_str(), 0) == 0;
}

}  // namespace

std::string ExpandVars(absl::string_view text, const Env& env) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '$' || i + 1 >= text.size()) {
      out.push_back(c);
      ++i;
      continue;
    }
    if (text[i + 1] == '{') {
      size_t close = text.find('}', i + 2);
      absl::string_view name =
          close == absl::string_view::npos ? absl::string_view() : text.substr(i + 2, close - i - 2);
      if (!name.empty() && IsNameStart(name[0]) &&
          std::all_of(name.begin(), name.end(), IsNameChar)) {
        out.append(std::string(Lookup(env, name)));
        i = close + 1;
        continue;
      }
      out.push_back(c);
      ++i;
      continue;
    }
    if (!IsNameStart(text[i + 1])) {
      out.push_back(c);
      ++i;
      continue;
    }
    size_t end = i + 1;
    while (end < text.size() && IsNameChar(text[end])) ++end;
    out.append(std::string(Lookup(env, text.substr(i + 1, end - i - 1))));
    i = end;
  }
  return out;
}

void SetEnv(Env& env, absl::string_view key, absl::string_view value) {
  for (auto& [k, v] : env) {
    if (k == key) {
      v = std::string(value);
      return;
    }
  }
  env.emplace_back(std::string(key), std::string(value));
}

void MergeEnv(Env& env, const Env& add) {
  for (const auto& [k, v] : add) SetEnv(env, k, v);
}

bool LeafMatches(const jobs::EventExpr& leaf, const Event& event, const Env& vars) {
  if (leaf.kind != jobs::EventExpr::Kind::kEvent || leaf.event != event.name) return false;
  size_t position = 0;
  for (const jobs::EventMatch& m : leaf.matches) {
    std::string glob = ExpandVars(m.glob, vars);
    std::optional<absl::string_view> value;
    if (m.key.empty()) {
      if (position >= event.env.size()) return false;
      value = event.env[position++].second;
    } else {
      value = event.Get(m.key);
    }
    if (!value.has_value()) return false;
    if (GlobMatches(glob, *value) == m.negate) return false;
  }
  return true;
}

ExprState::ExprState(const jobs::EventExpr* expr) {
  if (expr == nullptr) return;
  // Flattens the tree in pre-order with an explicit stack.
  struct Pending {
    const jobs::EventExpr* expr;
    int parent;
    bool is_left;
  };
  std::vector<Pending> stack = {{expr, -1, false}};
  while (!stack.empty()) {
    Pending p = stack.back();
    stack.pop_back();
    int index = static_cast<int>(nodes_.size());
    Node node;
    node.expr = p.expr;
    node.parent = p.parent;
    nodes_.push_back(std::move(node));
    if (p.parent >= 0) {
      (p.is_left ? nodes_[p.parent].left : nodes_[p.parent].right) = index;
    }
    if (p.expr->kind != jobs::EventExpr::Kind::kEvent) {
      // Pushed right first so that the left subtree is numbered first.
      if (p.expr->right) stack.push_back({p.expr->right.get(), index, false});
      if (p.expr->left) stack.push_back({p.expr->left.get(), index, true});
    }
  }
}

bool ExprState::Handle(const Event& event, const Env& vars) {
  bool matched = false;
  for (Node& node : nodes_) {
    if (node.expr->kind != jobs::EventExpr::Kind::kEvent || node.value) continue;
    if (LeafMatches(*node.expr, event, vars)) {
      node.value = true;
      node.event = event;
      matched = true;
    }
  }
  if (!matched) return false;
  // Children come after their parent: update from the last node back.
  for (int i = static_cast<int>(nodes_.size()) - 1; i >= 0; --i) {
    Node& node = nodes_[i];
    if (node.expr->kind == jobs::EventExpr::Kind::kEvent) continue;
    bool l = node.left >= 0 && nodes_[node.left].value;
    bool r = node.right >= 0 && nodes_[node.right].value;
    node.value = node.expr->kind == jobs::EventExpr::Kind::kAnd ? (l && r) : (l || r);
  }
  return true;
}

std::vector<const Event*> ExprState::Events() const {
  std::vector<const Event*> events;
  // A node counts only when it and all its ancestors are true.
  std::vector<bool> live(nodes_.size(), false);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& node = nodes_[i];
    live[i] = node.value && (node.parent < 0 || live[node.parent]);
    if (!live[i] || !node.event.has_value()) continue;
    const Event& e = *node.event;
    bool seen = std::any_of(events.begin(), events.end(), [&](const Event* o) {
      return e.seq != 0 && o->seq == e.seq;
    });
    if (!seen) events.push_back(&e);
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const Event* a, const Event* b) { return a->seq < b->seq; });
  return events;
}

Env ExprState::Environment() const {
  Env env;
  std::vector<std::string> names;
  for (const Event* e : Events()) {
    MergeEnv(env, e->env);
    names.push_back(e->name);
  }
  if (!names.empty()) SetEnv(env, "BATON_EVENTS", absl::StrJoin(names, " "));
  return env;
}

void ExprState::Reset() {
  for (Node& node : nodes_) {
    node.value = false;
    node.event.reset();
  }
}

}  // namespace baton::supervisor::reference
