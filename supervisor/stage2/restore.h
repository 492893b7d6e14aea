// Stage 2's side of the handoff: from --handoff-fd / --handoff-fds /
// --stateless-reason (set by supervisor/exec_ladder.h) to a running
// supervisor that carries on where stage 1 stopped.
//
// RestoreStage2, in order:
//  1. STATELESS when --stateless-reason was given, when there is no handoff
//     fd, when it cannot be read, or when handoff::Decode rejects it
//     (truncated, bad magic, checksum, does not parse, min_reader_version
//     above ours — the reason names both versions). Then the report says
//     why, the reason is logged, every listed fd gets CLOEXEC back and is
//     closed (PrepareHandoff only lists fds it really carried), and stage 2
//     starts clean. Never a panic.
//  2. Otherwise, Mark("handoff-decoded") and, with the decoded handoff
//     (items handoff/validate.h refused are already out, each named in a
//     warning):
//     a. timestamps go in front of the timeline's; the ring's start moves to
//        stage 1's start ("stage1-start", else the first mark), so carried
//        and new log lines share one time scale;
//     b. every log ring is imported (stage-1 lines in front of stage 2's);
//     c. the event history is restored (Engine::RestoreHistory);
//     d. instances, one by one (Engine::Adopt):
//        - with a pid: adopted when that process still exists (kill(pid, 0))
//          and is still our child (ppid in PROC_ROOT/PID/stat is our pid —
//          1 as PID 1; a zombie counts: its exit is reaped and handled
//          normally). A job no job file defines here is adopted under a
//          placeholder config, with a warning. When the process is gone (or
//          not ours): a job defined here with goal start is restarted (a
//          waiting instance with goal start: `starting` … on the next
//          RunQueue), reported as restarted with a warning; otherwise it is
//          dropped with a warning.
//        - without a pid: kept as a record (runs, failure) when its job is
//          defined here; stage-1-only jobs are left out (reported "not
//          running").
//     e. fds (handoff::CheckFds against --handoff-fds): "log-pipe:JOB/INST"
//        pipes are handed to the Spawner, which watches them, so a stage-1
//        service's output continues into the same stream; a
//        "control-socket" (a re-exec carries its listening socket) goes to
//        INPUT.listen; the
//        "uevent-socket" is drained (datagrams that arrived after stage 1
//        collected go after the carried ones) and returned. Every used fd
//        gets CLOEXEC back. A fd whose check failed is left open with
//        CLOEXEC set (its number may be one stage 2 opened itself) and
//        warned about; a matching fd with an unknown role is closed.
//     f. INPUT.listen (when set) with the carried control socket, or with no
//        fd when none was carried: the caller listens, so that
//        "stage2-ready" means initctl can reach us. The stateless path calls
//        it too, just before its "stage2-ready".
//     g. Mark("stage2-ready"); the report's timestamps get stage 2's own
//        marks after the carried ones (those made before the restore, such
//        as baton_main's "stage2-start", then "handoff-decoded" and
//        "stage2-ready").
//  The handoff memfd is closed in every case.
//
// The StatusReport (handoff/status.h) is what `initctl handoff-status`
// shows: the ControlServer keeps a pointer to it; uevents_replayed is
// filled later by supervisor/stage2/udev.h.
#ifndef BATON_SUPERVISOR_STAGE2_RESTORE_H_
#define BATON_SUPERVISOR_STAGE2_RESTORE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "handoff/status.h"
#include "handoff/timeline.h"
#include "supervisor/engine.h"
#include "supervisor/log_ring.h"
#include "supervisor/spawner.h"
#include "sys/kernel.h"
#include "sys/unique_fd.h"

namespace baton::stage2 {

struct RestoreInput {
  int handoff_fd = -1;                        // --handoff-fd; -1: none given
  std::vector<int> handoff_fds;               // --handoff-fds
  std::string stateless_reason;               // --stateless-reason; non-empty: stateless
  supervisor::Engine* engine = nullptr;       // required
  supervisor::LogRing* ring = nullptr;        // may be null: logs are not restored
  supervisor::Spawner* spawner = nullptr;     // may be null: log pipes are closed
  handoff::BootTimeline* timeline = nullptr;  // may be null
  std::string proc_root = "/proc";
  // Warnings and notable steps, one line each (the supervisor's logger).
  std::function<void(absl::string_view)> log;
  // Step f: CARRIED is the checked listening control socket (CLOEXEC set
  // again) or an invalid fd; the callee adopts it or listens anew.
  std::function<void(sys::UniqueFd carried)> listen;
};

struct RestoreResult {
  handoff::StatusReport report;
  bool stateless() const { return report.handoff == nullptr; }
  // A running stage 2 re-exec'ed itself (initctl reexec): its devices are
  // set up already and `startup` was emitted once.
  bool reexec() const {
    return report.handoff != nullptr && report.handoff->kind() == handoff::HANDOFF_KIND_REEXEC;
  }
  // Queued uevents to replay (raw datagrams, arrival order).
  std::vector<std::string> uevents;
  // Stage 1's uevent socket, when carried and checked.
  sys::UniqueFd uevent_socket;
};

RestoreResult RestoreStage2(sys::Kernel& kernel, const RestoreInput& input);

// Reads every datagram waiting on RESULT->uevent_socket (none when it is not
// open), appends them to the report's queued uevents, and returns them.
// RestoreStage2 does it once; stage 2 again just before the replay.
std::vector<std::string> DrainUeventSocket(sys::Kernel& kernel, RestoreResult* result);

// Whether PID is alive and our child: "" when it is (Kernel::IsOurChild,
// one waitid), else why not ("no such process", "parent is 812, not 1",
// from PROC_ROOT/PID/stat). Where IsOurChild fails, /proc/PID/stat's
// parent decides.
std::string CheckOurChild(sys::Kernel& kernel, const std::string& proc_root, pid_t pid);

}  // namespace baton::stage2

#endif  // BATON_SUPERVISOR_STAGE2_RESTORE_H_
