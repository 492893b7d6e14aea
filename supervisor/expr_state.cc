#include "supervisor/expr_state.h"

#include <fnmatch.h>

#include <algorithm>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"

namespace baton::supervisor {
namespace {

bool IsNameStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

absl::string_view Lookup(const Env& env, absl::string_view key) {
  for (auto it = env.rbegin(); it != env.rend(); ++it) {
    if (it->first == key) return it->second;
  }
  return {};
}

// fnmatch(3), with the two common shapes done without copying: a literal,
// and a literal followed by one trailing '*'.
bool GlobMatches(absl::string_view glob, absl::string_view value) {
  size_t special = glob.find_first_of("*?[\\");
  if (special == absl::string_view::npos) return glob == value;
  if (special + 1 == glob.size() && glob[special] == '*') {
    return absl::StartsWith(value, glob.substr(0, special));
  }
  return fnmatch(std::string(glob).c_str(), std::string(value).c_str(), 0) == 0;
}

}  // namespace

GlobTest::GlobTest(absl::string_view glob) : glob_(glob) {
  size_t special = glob.find_first_of("*?[\\");
  if (glob.find('$') != absl::string_view::npos) {
    shape_ = Shape::kExpand;
  } else if (special == absl::string_view::npos) {
    shape_ = Shape::kLiteral;
  } else if (special + 1 == glob.size() && glob[special] == '*') {
    shape_ = Shape::kPrefix;
  } else {
    shape_ = Shape::kFnmatch;
  }
}

bool GlobTest::Matches(absl::string_view value, const Env& vars) const {
  switch (shape_) {
    case Shape::kLiteral:
      return value == glob_;
    case Shape::kPrefix:
      return value.size() + 1 >= glob_.size() &&
             value.compare(0, glob_.size() - 1, absl::string_view(glob_).substr(0, glob_.size() - 1)) == 0;
    case Shape::kFnmatch:
      return fnmatch(glob_.c_str(), std::string(value).c_str(), 0) == 0;
    case Shape::kExpand:
      break;
  }
  return GlobMatches(ExpandVars(glob_, vars), value);
}

std::string ExpandVarsWith(
    absl::string_view text,
    absl::FunctionRef<void(absl::string_view name, std::string* out)> lookup) {
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
        lookup(name, &out);
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
    lookup(text.substr(i + 1, end - i - 1), &out);
    i = end;
  }
  return out;
}

std::string ExpandVars(absl::string_view text, const Env& env) {
  return ExpandVarsWith(text, [&env](absl::string_view name, std::string* out) {
    absl::string_view value = Lookup(env, name);
    out->append(value.data(), value.size());
  });
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
  if (leaf.kind != jobs::EventExpr::Kind::kEvent) return false;
  ExprState state(&leaf);
  return state.Handle(event, vars);
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
    node.kind = p.expr->kind;
    node.parent = p.parent;
    nodes_.push_back(node);
    if (p.parent >= 0) {
      (p.is_left ? nodes_[p.parent].left : nodes_[p.parent].right) = index;
    }
    if (p.expr->kind != jobs::EventExpr::Kind::kEvent) {
      // Pushed right first so that the left subtree is numbered first.
      if (p.expr->right) stack.push_back({p.expr->right.get(), index, false});
      if (p.expr->left) stack.push_back({p.expr->left.get(), index, true});
      continue;
    }
    nodes_[index].leaf = static_cast<int>(leaves_.size());
    Leaf& leaf = leaves_.emplace_back();
    leaf.node = index;
    leaf.expr = p.expr;
    leaf.event_name = p.expr->event;
    size_t position = 0;
    for (const jobs::EventMatch& m : p.expr->matches) {
      Match c{m.key, 0, GlobTest(m.glob), m.negate};
      if (m.key.empty()) c.position = position++;
      leaf.matches.push_back(std::move(c));
    }
  }
}

bool ExprState::Matches(const Leaf& leaf, const Event& event, const Env& vars) {
  if (leaf.event_name != event.name) return false;
  for (const Match& m : leaf.matches) {
    absl::string_view value;
    if (m.key.empty()) {
      if (m.position >= event.env.size()) return false;
      value = event.env[m.position].second;
    } else {
      auto it = event.env.begin();
      while (it != event.env.end() && it->first != m.key) ++it;
      if (it == event.env.end()) return false;
      value = it->second;
    }
    bool ok = m.test.Matches(value, vars);
    if (ok == m.negate) return false;
  }
  return true;
}

bool ExprState::LeafMatches(size_t i, const Event& event, const Env& vars) const {
  return Matches(leaves_[i], event, vars);
}

bool ExprState::Offer(const Event& event, const Env& vars, bool borrow) {
  absl::InlinedVector<uint32_t, 4> matched;
  for (size_t i = 0; i < leaves_.size(); ++i) {
    if (!leaf_value(i) && Matches(leaves_[i], event, vars)) matched.push_back(i);
  }
  if (matched.empty()) return false;
  Matched(matched, event, borrow);
  return true;
}

void ExprState::Matched(absl::Span<const uint32_t> leaves, const Event& event, bool borrow) {
  for (uint32_t i : leaves) {
    nodes_[leaves_[i].node].value = true;
    leaves_[i].event = &event;
  }
  Update();
  if (borrow && value()) return;
  // The matched leaves keep the event past this call.
  for (uint32_t i : leaves) {
    Leaf& leaf = leaves_[i];
    leaf.owned = event;
    leaf.event = &*leaf.owned;
  }
}

void ExprState::Update() {
  // Children come after their parent: update from the last node back.
  for (int i = static_cast<int>(nodes_.size()) - 1; i >= 0; --i) {
    Node& node = nodes_[i];
    if (node.kind == jobs::EventExpr::Kind::kEvent) continue;
    bool l = node.left >= 0 && nodes_[node.left].value;
    bool r = node.right >= 0 && nodes_[node.right].value;
    node.value = node.kind == jobs::EventExpr::Kind::kAnd ? (l && r) : (l || r);
  }
}

bool ExprState::Handle(const Event& event, const Env& vars) { return Offer(event, vars, false); }

bool ExprState::HandleBorrowed(const Event& event, const Env& vars) {
  return Offer(event, vars, true);
}

std::vector<std::string> ExprState::EventNames() const {
  std::vector<std::string> names;
  for (const Leaf& leaf : leaves_) {
    if (std::find(names.begin(), names.end(), leaf.event_name) == names.end()) {
      names.emplace_back(leaf.event_name);
    }
  }
  return names;
}

std::vector<const Event*> ExprState::Events() const {
  EventList events;
  CollectEvents(&events);
  return std::vector<const Event*>(events.begin(), events.end());
}

void ExprState::CollectEvents(EventList* out) const {
  EventList& events = *out;
  // A node counts only when it and all its ancestors are true.
  absl::InlinedVector<bool, 16> live(nodes_.size(), false);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& node = nodes_[i];
    live[i] = node.value && (node.parent < 0 || live[node.parent]);
    if (!live[i] || node.leaf < 0 || leaves_[node.leaf].event == nullptr) continue;
    const Event& e = *leaves_[node.leaf].event;
    bool seen = std::any_of(events.begin(), events.end(), [&](const Event* o) {
      return e.seq != 0 && o->seq == e.seq;
    });
    if (!seen) events.push_back(&e);
  }
  if (events.size() < 2) return;
  std::stable_sort(events.begin(), events.end(),
                   [](const Event* a, const Event* b) { return a->seq < b->seq; });
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

std::optional<std::string> ExprState::EnvironmentValue(absl::string_view key) const {
  EventList events;
  CollectEvents(&events);
  if (key == "BATON_EVENTS" && !events.empty()) {
    std::vector<absl::string_view> names;
    for (const Event* e : events) names.push_back(e->name);
    return absl::StrJoin(names, " ");
  }
  // Environment() merges oldest first, each event's entries in order: the
  // value is the last one given, by the newest event that has KEY.
  for (auto e = events.rbegin(); e != events.rend(); ++e) {
    for (auto it = (*e)->env.rbegin(); it != (*e)->env.rend(); ++it) {
      if (it->first == key) return it->second;
    }
  }
  return std::nullopt;
}

void ExprState::Reset() {
  for (Node& node : nodes_) node.value = false;
  for (Leaf& leaf : leaves_) {
    leaf.event = nullptr;
    leaf.owned.reset();
  }
}

}  // namespace baton::supervisor
