// Offers one event to many ExprStates at once: the engine's `start on`
// states, one per job, of which any event concerns only a few.
//
// The leaves of every added state are filed under their event name. Each
// name's bucket compiles its leaves' matches into a table of distinct tests
// (a key or a position, and a glob) over the distinct keys they read. An
// event is then handled by looking up its name, reading each key of the
// bucket once, running each test at most once, and checking each leaf's
// tests by number; a leaf whose glob holds `$VAR` is tested on its own with
// its state's vars. Each leaf is filed under one of its tests that must
// match (not negated; the one fewest leaves share), and only the leaves
// under the tests that do match are checked further. So 125 jobs waiting
// for `block-device-added ID_FS_TYPE=ext4 DEVNAME=/dev/vdN*` cost two key
// lookups, 26 glob tests and a check of the few leaves whose DEVNAME test
// held, not 125 expression walks.
//
// The result is exactly that of calling state.HandleBorrowed(event, vars)
// on every added state in the order they were added.
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
  // Adds STATE's leaves; VARS is the environment of its `$VAR`s. Both must
  // outlive the index, or its next Clear(). Returns the state's id: 0, 1, …
  // in the order of Add.
  size_t Add(ExprState& state, const Env& vars);
  void Clear();

  // Offers EVENT, as ExprState::HandleBorrowed, to every added state that
  // has a leaf naming it, in id order; calls MATCHED(id) for each state a
  // leaf of which matched it (right after that state took the event).
  void Offer(const Event& event, absl::FunctionRef<void(size_t id)> matched);

 private:
  struct Test {
    bool positional = false;
    size_t position = 0;  // positional: the index into the event's env
    size_t slot = 0;      // keyed: the index into Bucket::keys
    GlobTest glob;
  };
  struct Term {
    uint32_t test = 0;
    bool negate = false;
  };
  struct LeafRef {
    uint32_t state = 0;  // id
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
    std::vector<LeafRef> leaves;  // by state id, then leaf index
    // Made on first use after an Add: the leaves by the test that guards
    // them, and those with no guard (every test negated, or $VAR).
    bool grouped = false;
    std::vector<Guard> guards;
    std::vector<uint32_t> unguarded;  // as candidates_ (low bit 0)
  };
  struct Entry {
    ExprState* state;
    const Env* vars;
  };
  enum Result : uint8_t { kUnknown, kMissing, kMatch, kNoMatch };

  uint32_t TestId(Bucket& bucket, const jobs::EventMatch& match, size_t position);
  bool Check(const Bucket& bucket, const LeafRef& leaf, const Event& event);
  Result Run(const Bucket& bucket, uint32_t test, const Event& event);
  static void Group(Bucket& bucket);

  std::vector<Entry> states_;
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
