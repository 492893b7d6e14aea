// A testonly reference of ExprState and LeafMatches as they were before any
// matching shortcut (every glob expanded and handed to fnmatch(3)), for the
// differential tests. Same contract as expr_state.h.
#ifndef BATON_SUPERVISOR_EXPR_STATE_REFERENCE_H_
#define BATON_SUPERVISOR_EXPR_STATE_REFERENCE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "jobs/job.h"
#include "supervisor/event.h"

namespace baton::supervisor::reference {
// Expands `$NAME` and `${NAME}` in TEXT from ENV (the last entry for a key
// wins); an unknown name expands to "". A `$` not followed by a name is kept.
std::string ExpandVars(absl::string_view text, const Env& env);

// Sets KEY to VALUE in ENV: replaced in place when present, else appended.
void SetEnv(Env& env, absl::string_view key, absl::string_view value);
// SetEnv for every entry of ADD, in order.
void MergeEnv(Env& env, const Env& add);

// True when EVENT satisfies LEAF (an EventExpr of kind kEvent), with `$VAR`s in
// its globs expanded from VARS.
bool LeafMatches(const jobs::EventExpr& leaf, const Event& event, const Env& vars);

class ExprState {
 public:
  // EXPR may be null: then the state is never true. EXPR must outlive this.
  explicit ExprState(const jobs::EventExpr* expr);

  // Offers EVENT to every leaf not yet matched. Returns true when a leaf
  // matched it (the value may or may not have become true).
  bool Handle(const Event& event, const Env& vars = {});

  // Whether the expression is true now.
  bool value() const { return !nodes_.empty() && nodes_[0].value; }

  // The environment of the matched events under the true part of the tree,
  // oldest event first, a later event's key overriding an earlier one's, then
  // BATON_EVENTS: the names of those events, space separated.
  Env Environment() const;
  // The matched events under the true part of the tree, oldest first.
  std::vector<const Event*> Events() const;

  // Forgets every match.
  void Reset();

 private:
  struct Node {
    const jobs::EventExpr* expr = nullptr;
    int parent = -1;
    int left = -1;
    int right = -1;
    bool value = false;
    std::optional<Event> event;  // leaves: the event that matched
  };
  // Pre-order: a parent always comes before its children, the root is [0].
  std::vector<Node> nodes_;
};

}  // namespace baton::supervisor::reference

#endif  // BATON_SUPERVISOR_EXPR_STATE_REFERENCE_H_
