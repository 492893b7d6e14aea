// Evaluation of a job's `start on` / `stop on` expression against a stream of
// events, with upstart's semantics.
//
// A leaf (EVENT match*) matches an event when the names are equal and every
// match holds:
//   KEY=GLOB   the event has KEY and fnmatch(GLOB, value) succeeds;
//   KEY!=GLOB  the event has KEY and fnmatch(GLOB, value) fails;
//   GLOB       (positional) the i-th positional GLOB matches the value of the
//              event's i-th environment entry.
// A missing KEY (or too few entries for a positional GLOB) fails the match.
// `$VAR` / `${VAR}` inside a GLOB is first expanded from a given environment
// (the instance's, for `stop on stopped-device DEVNAME=$DEVNAME`).
//
// A leaf, once matched, stays true (and keeps the event that matched it) until
// Reset(). `or` is true when either side is, `and` when both are: so
// `start on a and b` fires once both `a` and `b` have happened, in any order.
// When the whole expression is true, Environment() gives the environment of
// the events that made it true.
#ifndef BATON_SUPERVISOR_EXPR_STATE_H_
#define BATON_SUPERVISOR_EXPR_STATE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "jobs/job.h"
#include "supervisor/event.h"

namespace baton::supervisor {

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

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_EXPR_STATE_H_
