#include "supervisor/bounded_child.h"

#include <signal.h>

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"

namespace baton::supervisor {

BoundedRun RunBounded(sys::Kernel& kernel, sys::SpawnRequest request, absl::Duration bound) {
  BoundedRun run;
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + bound;
  absl::StatusOr<std::pair<sys::UniqueFd, sys::UniqueFd>> pipe = kernel.Pipe();
  if (!pipe.ok()) {
    run.started = pipe.status();
    run.took = absl::Now() - start;
    return run;
  }
  request.stdout_fd = pipe->second.get();
  request.stderr_fd = pipe->second.get();
  absl::StatusOr<pid_t> pid = kernel.Spawn(request);
  pipe->second.reset();
  if (!pid.ok()) {
    run.started = pid.status();
    run.took = absl::Now() - start;
    return run;
  }
  auto left = [&] { return std::max(absl::ZeroDuration(), deadline - absl::Now()); };
  for (;;) {
    absl::StatusOr<bool> ready = kernel.WaitReadable(pipe->first.get(), left());
    if (!ready.ok() || !*ready) {
      run.timed_out = true;
      break;
    }
    char buf[4096];
    absl::StatusOr<size_t> n = kernel.Read(pipe->first.get(), buf, sizeof(buf));
    if (!n.ok()) {
      if (absl::IsUnavailable(n.status()) || absl::StrContains(n.status().message(), "errno 11")) {
        continue;
      }
      run.timed_out = true;
      break;
    }
    if (*n == 0) break;
    if (run.output.size() < 64 * 1024) run.output.append(buf, *n);
  }
  if (!run.timed_out) {
    // End of file; a child that closed its output and then hangs is bounded too.
    absl::StatusOr<sys::UniqueFd> pidfd = kernel.PidFd(*pid);
    if (pidfd.ok()) {
      absl::StatusOr<bool> exited = kernel.WaitReadable(pidfd->get(), left());
      run.timed_out = !exited.ok() || !*exited;
    }
  }
  // Its own session and process group: whatever it started goes too.
  if (run.timed_out && !kernel.Kill(-*pid, SIGKILL).ok()) (void)kernel.Kill(*pid, SIGKILL);
  absl::StatusOr<sys::ChildExit> exit = kernel.Wait(*pid);
  if (exit.ok()) run.exit = *exit;
  run.took = absl::Now() - start;
  return run;
}

}  // namespace baton::supervisor
