// A short-lived helper child PID 1 runs and must not wait on for ever: the
// stage-2 preflight and the loader check of a foreign init (exec_ladder.h).
// Its stdout and stderr go to one pipe, read until end of file, then it is
// reaped — both within a bound (Kernel::WaitReadable on the pipe, then on a
// pidfd; without pidfds, Wait after the end of file). At the bound: SIGKILL
// to its process group (SpawnRequest::new_session), then reap.
#ifndef BATON_SUPERVISOR_BOUNDED_CHILD_H_
#define BATON_SUPERVISOR_BOUNDED_CHILD_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "sys/kernel.h"

namespace baton::supervisor {

struct BoundedRun {
  // Not OK: the child was never started (pipe, fork or exec failed); the
  // fields below are then empty.
  absl::Status started;
  std::optional<sys::ChildExit> exit;  // nullopt: it could not be reaped
  bool timed_out = false;              // killed at the bound
  std::string output;                  // stdout + stderr, the first 64 KiB
  absl::Duration took;
};

// Runs REQUEST (its stdout_fd and stderr_fd are replaced by the pipe).
BoundedRun RunBounded(sys::Kernel& kernel, sys::SpawnRequest request, absl::Duration bound);

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_BOUNDED_CHILD_H_
