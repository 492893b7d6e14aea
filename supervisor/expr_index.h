// Offers one event to many ExprStates at once: the engine's `start on`
// states, one per job, and its `stop on` states, one per running instance,
// of which any event concerns only a few.
//
// The leaves of every added state are filed under their event name. Each
// name's bucket compiles its leaves' matches into a table of distinct tests
// (a key or a position, and a glob) over the distinct keys they read. An
// event is then handled by looking up its name, reading each key of the
// bucket once, running each test at most once, and checking each leaf's
// tests by number. A glob holding `$VAR` is expanded from the state's vars
// when the state is added (so `stop on device-removed DEVNAME=$DEVNAME` of
// an instance becomes the literal test DEVNAME=/dev/sdb); only a leaf whose
// expansion still holds a `$` is tested on its own, by its state with its
// vars. Each leaf is filed under one of its tests that must match (not
// negated; the one fewest leaves share): its guard. Guards that test a key
// against a literal are found by the event's value in a hash table; the
// others are run. Only the leaves under the guards that hold are checked
// further. So 125 jobs waiting for `block-device-added ID_FS_TYPE=ext4
// DEVNAME=/dev/vdN*` cost two key lookups, 26 glob tests and a check of the
// few leaves whose DEVNAME test held, not 125 expression walks; and 1,500
// instances each stopped by `device-removed DEVNAME=$DEVNAME` cost one hash
// lookup per event.
//
// States can be removed (an instance's `stop on` goes when the instance
// does, or is replaced when it starts a new run). A removed state's leaves
// stay in their buckets, skipped by their generation, until the dead leaves
// outnumber the live ones; then every bucket is rebuilt from the live states.
//
// Offer's result is exactly that of calling state.HandleBorrowed(event,
// vars) on every added (not removed) state that ACCEPT lets take it.
#ifndef BATON_SUPERVISOR_EXPR_INDEX_H_
#define BATON_SUPERVISOR_EXPR_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "supervisor/event.h"
#include "supervisor/expr_state.h"

namespace baton::supervisor {

class ExprIndex {
 public:
  // Adds STATE's leaves; VARS is the environment of its `$VAR`s, read now
  // (the leaves' globs are expanded from it) and again for a leaf whose
  // expansion holds a `$`: VARS must not change while STATE is added. STATE
  // and VARS must outlive the index, or its next Clear(), or Remove(id).
  // Returns the state's id: 0, 1, … in the order of Add while nothing was
  // removed; after a Remove, the id of a removed state may be given again.
  size_t Add(ExprState& state, const Env& vars);
  // Forgets the state with ID (from Add, not removed since). Does not read
  // the state: it may be gone already (with the expression it was built on).
  void Remove(size_t id);
  void Clear();
  // How many states are added and not removed.
  size_t size() const { return states_.size() - free_.size(); }

  // Offers EVENT, as ExprState::HandleBorrowed, to every added state that
  // has a leaf naming it; calls MATCHED(id) for each state a leaf of which
  // matched it (right after that state took the event). The states are
  // taken in the order their leaves were filed: id order while nothing was
  // removed. MATCHED must not Add or Remove.
  void Offer(const Event& event, absl::FunctionRef<void(size_t id)> matched);
  // The same, for only the states ACCEPT(id) says true of: it is asked
  // only about a state a leaf of which matches EVENT, before the state takes
  // it. A state it refuses is left as it was. ACCEPT must not Add or Remove.
  void Offer(const Event& event, absl::FunctionRef<bool(size_t id)> accept,
             absl::FunctionRef<void(size_t id)> matched);

 private:
  struct Test {
    bool positional = false;
    size_t position = 0;   // positional: the index into the event's env
    size_t slot = 0;       // keyed: the index into Bucket::keys
    bool literal = false;  // keyed, and the glob is a literal
    GlobTest glob;
  };
  struct Term {
    uint32_t test = 0;
    bool negate = false;
  };
  struct LeafRef {
    uint32_t state = 0;  // id
    uint32_t gen = 0;    // the id's generation when it was added
    uint32_t leaf = 0;   // index in the state
    uint32_t first_term = 0;
    uint32_t terms = 0;
    bool uses_vars = false;       // tested by the state itself, with its vars
    const bool* value = nullptr;  // ExprState::leaf_value_address
  };
  struct Guard {
    uint32_t test = 0;
    std::vector<uint32_t> leaves;  // as candidates_, ascending
  };
  struct Bucket {
    std::vector<std::string> keys;
    std::vector<Test> tests;
    absl::flat_hash_map<std::string, uint32_t> test_ids;  // by positional/key + glob
    std::vector<Term> terms;
    std::vector<LeafRef> leaves;   // each state's leaves together, in leaf order
    std::vector<uint32_t> shared;  // per test: the leaves with it not negated
    // Made on first use (Group), then kept up to date by Add: the leaves by
    // the test that guards them, and those with no guard (every test
    // negated, or a `$` left after expansion).
    bool grouped = false;
    std::vector<Guard> guards;
    std::vector<int32_t> guard_of;  // per test: index into guards, or -1
    std::vector<uint32_t> scanned;  // guards whose test is run on each event
    // Per key slot: literal glob -> the guard of that test.
    std::vector<absl::flat_hash_map<std::string, uint32_t>> literal;
    std::vector<uint32_t> unguarded;  // as candidates_ (low bit 0)
  };
  struct Entry {
    ExprState* state = nullptr;  // null: removed
    const Env* vars = nullptr;
    uint32_t gen = 0;
    uint32_t leaves = 0;
  };
  enum Result : uint8_t { kUnknown, kMissing, kMatch, kNoMatch };

  void AddLeaves(uint32_t id);
  uint32_t TestId(Bucket& bucket, const jobs::EventMatch& match, const std::string& glob,
                  size_t position);
  bool Check(const Bucket& bucket, const LeafRef& leaf, const Event& event);
  Result Run(const Bucket& bucket, uint32_t test, const Event& event);
  static void Group(Bucket& bucket, const std::vector<Entry>& states);
  static void Place(Bucket& bucket, uint32_t leaf);

  std::vector<Entry> states_;
  std::vector<uint32_t> free_;  // removed ids, to be given again
  size_t live_leaves_ = 0;
  size_t dead_leaves_ = 0;
  absl::flat_hash_map<std::string, Bucket> buckets_;
  // Scratch for Offer: the event's value of each key (null: absent), the
  // result of each test, the matched leaves of one state.
  std::vector<const std::string*> values_;
  std::vector<Result> results_;
  std::vector<uint32_t> matched_;
  // Leaves to check, as (index into Bucket::leaves) * 2 + 1 when the guard
  // that put it here is all there is to check.
  std::vector<uint32_t> candidates_;
};

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_EXPR_INDEX_H_
