// `initctl reexec` (upstart's `telinit u`, systemd's daemon-reexec): the
// running stage 2 execs its own binary in place — same PID 1, children kept —
// and hands its whole state to the new process through the same handoff
// stage 1 uses at the switch (handoff/collect.h). Only the producer differs:
// the handoff's kind is HANDOFF_KIND_REEXEC, and the new process restores it
// exactly as after the switch (supervisor/stage2/restore.h), skipping what a
// running system already did (udev database, udevd start, uevent replay,
// `startup`).
//
// Reexec, in order:
//  1. Mark("reexec-start").
//  2. Collect (handoff::PrepareHandoff): every instance, the event history,
//     the log rings, the timeline so far (stage 1's marks, the first stage
//     2's, "reexec-start"; "exec" is appended last); fds: the read end of
//     every open log pipe ("log-pipe:JOB[/INSTANCE]") and the listening
//     control socket ("control-socket"). Stage 2 holds no uevent socket (it
//     closes stage 1's after the replay; udevd listens to the kernel), so
//     none is carried and nothing is queued.
//  0. (before 1) CheckExecutable of INPUT.self_path: refused at once, nothing
//     marked or collected ("skipped PATH: PATH: not executable (mode 0644)").
//  3. The preflight (supervisor/exec_ladder.h Preflight) of INPUT.self_path
//     with this very handoff: `SELF --preflight --handoff-fd=N` decodes it as
//     the new process will. Refused, and the old binary keeps running, when
//     the child fails (dies, exits non-zero, no answer within the bound:
//     "the new binary failed its preflight: /usr/sbin/baton preflight:
//     killed by SIGSEGV before answering (8 ms)") or answers that it cannot
//     read the handoff ("/usr/sbin/baton cannot read this handoff:
//     handoff needs reader version 5, this reader is 4"). An older baton
//     without --preflight is accepted, logged as "no dry run".
//  4. One rung of the exec ladder (supervisor/exec_ladder.h RunLadder:
//     CheckExecutable, then execve): INPUT.self_path --handoff-fd=N
//     [--handoff-fds=A,B]. Never the ladder's other rungs: a stateless baton
//     or another init would lose the children, and the running process is
//     the better fallback.
// When the check or the exec fails (or the handoff cannot be made), PID 1
// stays in the old binary, running: CLOEXEC is set back on every carried fd,
// the memfd is closed, Mark("reexec-failed") and the reason is logged and
// returned. With FakeKernel, whose Execve returns, Reexec returns OK after
// the recorded execve.
#ifndef BATON_SUPERVISOR_STAGE2_REEXEC_H_
#define BATON_SUPERVISOR_STAGE2_REEXEC_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "handoff/collect.h"
#include "handoff/timeline.h"
#include "supervisor/engine.h"
#include "supervisor/log_ring.h"
#include "supervisor/spawner.h"
#include "sys/kernel.h"

namespace baton::stage2 {

inline constexpr char kDefaultSelfPath[] = "/usr/sbin/baton";

// The binary to re-exec: /proc/self/exe's target (" (deleted)" removed: an
// upgrade replaced the file, and the new one at that path is what we want),
// else FALLBACK.
std::string SelfPath(sys::Kernel& kernel, const std::string& fallback = kDefaultSelfPath);

struct ReexecInput {
  const supervisor::Engine* engine = nullptr;    // required
  const supervisor::LogRing* ring = nullptr;     // may be null
  const supervisor::Spawner* spawner = nullptr;  // may be null: no log pipes carried
  handoff::BootTimeline* timeline = nullptr;     // may be null
  int control_socket = -1;                       // the listening socket; -1: none
  std::string self_path = kDefaultSelfPath;
  std::vector<std::string> env;  // the new process's environment, "KEY=VALUE"
  std::string proc_cmdline = "/proc/cmdline";
};

// Steps 1-3, for `initctl reexec`'s answer: a refusal reaches initctl
// (exit 1) before anything is executed. On failure the old process is
// intact (CLOEXEC back on the carried fds, "reexec-failed" marked, logged).
struct ReexecPlan {
  handoff::PreparedHandoff handoff;
  std::string preflight;  // the verdict's log line
};
absl::StatusOr<ReexecPlan> PrepareReexec(sys::Kernel& kernel, const ReexecInput& input,
                                         const std::function<void(absl::string_view)>& log);
// Step 4 with a plan from PrepareReexec (taken over; closed on failure).
absl::Status ExecReexec(sys::Kernel& kernel, const ReexecInput& input, ReexecPlan plan,
                        const std::function<void(absl::string_view)>& log);

// PrepareReexec, then ExecReexec.
absl::Status Reexec(sys::Kernel& kernel, const ReexecInput& input,
                    const std::function<void(absl::string_view)>& log);

}  // namespace baton::stage2

#endif  // BATON_SUPERVISOR_STAGE2_REEXEC_H_
