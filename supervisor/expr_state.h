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
//
// Each leaf is compiled once, when the state is built: the event name, and
// per match the key (or position) and the glob's shape: a literal compared
// in place, a literal prefix before one trailing '*', anything else through
// fnmatch(3), and a glob holding `$` expanded from the vars first. So offering
// an event costs a name comparison per leaf and no allocation unless a leaf
// matches and has to keep the event.
#ifndef BATON_SUPERVISOR_EXPR_STATE_H_
#define BATON_SUPERVISOR_EXPR_STATE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "jobs/job.h"
#include "supervisor/event.h"

namespace baton::supervisor {

// Expands `$NAME` and `${NAME}` in TEXT from ENV (the last entry for a key
// wins); an unknown name expands to "". A `$` not followed by a name is kept.
std::string ExpandVars(absl::string_view text, const Env& env);
// The same, with LOOKUP appending the value of a name to OUT (nothing for an
// unknown one).
std::string ExpandVarsWith(
    absl::string_view text,
    absl::FunctionRef<void(absl::string_view name, std::string* out)> lookup);

// Sets KEY to VALUE in ENV: replaced in place when present, else appended.
void SetEnv(Env& env, absl::string_view key, absl::string_view value);
// SetEnv for every entry of ADD, in order.
void MergeEnv(Env& env, const Env& add);

// True when EVENT satisfies LEAF (an EventExpr of kind kEvent), with `$VAR`s in
// its globs expanded from VARS.
bool LeafMatches(const jobs::EventExpr& leaf, const Event& event, const Env& vars);

// One glob of a match, compiled: how a value is tested against it.
class GlobTest {
 public:
  explicit GlobTest(absl::string_view glob);
  // fnmatch(GLOB, VALUE) == 0, with `$VAR`s in the glob expanded from VARS
  // first; literals and literal prefixes are compared in place.
  bool Matches(absl::string_view value, const Env& vars) const;
  // Whether the glob holds a `$` (so the result depends on the vars).
  bool uses_vars() const { return shape_ == Shape::kExpand; }
  const std::string& glob() const { return glob_; }

 private:
  enum class Shape { kLiteral, kPrefix, kFnmatch, kExpand };
  Shape shape_ = Shape::kLiteral;
  std::string glob_;
};

class ExprState {
 public:
  // EXPR may be null: then the state is never true. EXPR must outlive this.
  explicit ExprState(const jobs::EventExpr* expr);
  ExprState(const ExprState&) = delete;
  ExprState& operator=(const ExprState&) = delete;

  // Offers EVENT to every leaf not yet matched. Returns true when a leaf
  // matched it (the value may or may not have become true). A matching leaf
  // keeps a copy of EVENT.
  bool Handle(const Event& event, const Env& vars = {});
  // The same, except that when EVENT makes the whole expression true the
  // leaves it matched only point at it (no copy): the caller must Reset()
  // before EVENT goes away, and the engine always does. While the value is
  // false, matched events are copied as by Handle().
  bool HandleBorrowed(const Event& event, const Env& vars = {});

  // Whether the expression is true now.
  bool value() const { return !nodes_.empty() && nodes_[0].value; }

  // The environment of the matched events under the true part of the tree,
  // oldest event first, a later event's key overriding an earlier one's, then
  // BATON_EVENTS: the names of those events, space separated.
  Env Environment() const;
  // The value KEY has in Environment(), without building it; nullopt when
  // Environment() has no KEY.
  std::optional<std::string> EnvironmentValue(absl::string_view key) const;
  // The matched events under the true part of the tree, oldest first.
  std::vector<const Event*> Events() const;

  // The distinct event names of the leaves, in leaf order.
  std::vector<std::string> EventNames() const;

  // Forgets every match.
  void Reset();

  // --- for indexes that offer an event to many states (expr_index.h) ------
  // The leaves (kEvent nodes), in pre-order.
  size_t leaf_count() const { return leaves_.size(); }
  const jobs::EventExpr& leaf_expr(size_t i) const { return *leaves_[i].expr; }
  // Whether leaf I has matched since the last Reset().
  bool leaf_value(size_t i) const { return nodes_[leaves_[i].node].value; }
  // Where leaf_value(I) is kept: valid as long as this state is, so that an
  // index reads it with one load.
  const bool* leaf_value_address(size_t i) const { return &nodes_[leaves_[i].node].value; }
  // Whether EVENT satisfies leaf I (name and matches), `$VAR`s from VARS.
  bool LeafMatches(size_t i, const Event& event, const Env& vars) const;
  // Records that EVENT matched LEAVES (ascending, none matched before) and
  // updates the tree: what Handle (BORROW false) or HandleBorrowed (BORROW
  // true) do once they have found the matching leaves.
  void Matched(absl::Span<const uint32_t> leaves, const Event& event, bool borrow);

 private:
  // One match of a leaf, compiled.
  struct Match {
    absl::string_view key;  // empty: positional
    size_t position = 0;    // positional: the index into the event's env
    GlobTest test;
    bool negate = false;
  };
  struct Leaf {
    const jobs::EventExpr* expr = nullptr;
    absl::string_view event_name;
    std::vector<Match> matches;
    int node = 0;
    const Event* event = nullptr;  // what matched it: owned or borrowed
    std::optional<Event> owned;
  };
  struct Node {
    jobs::EventExpr::Kind kind = jobs::EventExpr::Kind::kEvent;
    int parent = -1;
    int left = -1;
    int right = -1;
    int leaf = -1;  // index into leaves_ for kEvent
    bool value = false;
  };
  using EventList = absl::InlinedVector<const Event*, 4>;
  void CollectEvents(EventList* out) const;  // what Events() returns
  static bool Matches(const Leaf& leaf, const Event& event, const Env& vars);
  bool Offer(const Event& event, const Env& vars, bool borrow);
  void Update();  // the value of every and/or node, from the leaves up

  // Pre-order: a parent always comes before its children, the root is [0].
  std::vector<Node> nodes_;
  std::vector<Leaf> leaves_;  // in node order
};

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_EXPR_STATE_H_
