// The `baton` command: option parsing and the top-level modes.
//
//   baton --user --jobs DIR [--socket PATH] [--log-dir DIR]
//       The supervisor as an ordinary process (user mode): loads DIR/*.conf
//       (diagnostics printed, bad files skipped), becomes child subreaper,
//       serves the control socket, emits `startup` and runs until SIGTERM or
//       SIGINT, which stop every job first; exits 0.
//   baton check PATH…
//       Lints job files (a directory means its *.conf files): prints every
//       problem as `file:line:col: message`, exits 1 on any, else prints
//       "N job files OK" and exits 0.
//   baton (as PID 1)
//       The system init (system mode). Stage-1 / stage-2 specifics plug into
//       RunSupervisor through Options; without --user and not PID 1, baton
//       refuses to start.
//   baton --handoff-fd=N [--handoff-fds=A,B] | --stateless-reason=TEXT (PID 1)
//       Stage 2 on the real root, as the exec ladder starts it: restores
//       the handoff (supervisor/stage2/restore.h; stateless with the reason
//       otherwise), starts udevd, writes the udev database and replays the
//       queued uevents (supervisor/stage2/udev.h), then emits `startup`.
//       Jobs marked `stage initramfs` are not loaded. A handoff from a
//       re-exec (`initctl reexec`, supervisor/stage2/reexec.h: the same
//       command line, the producer differs) is restored the same way, but
//       udevd, the udev database, the replay and `startup` are not redone.
//   baton --preflight [--handoff-fd=N] [--jobs DIR] (never as PID 1)
//       The exec ladder's dry run of this binary (supervisor/exec_ladder.h
//       Preflight), before PID 1 is given to it. Touches nothing: reads the
//       job files (DIR, default /etc/baton/jobs) and, with --handoff-fd,
//       decodes and validates the handoff there (pread: the fd's offset is
//       left alone) exactly as stage 2's restore would, adopting, spawning
//       and binding nothing. Prints one line and exits 0:
//         baton preflight ok build=baton-0.1.0 handoff-reader=1-4 jobs=3
//         job-errors=0 handoff=ok (format 4, 812 bytes, 2 instances, 9
//         events, 0 uevents)
//       handoff= is last: "none" (no --handoff-fd), "ok (…[, N warnings])"
//       or "unreadable: <why stage 2 would start stateless>". Its work
//       also loads (and under TCG translates) the code stage 2 runs first.
//       After the line it rehearses stage 2's start on throwaway state
//       (RehearseStage2 below), so that the restore's code, too, is paged
//       in and translated before the switch rather than inside it.
//       As PID 1 the word is ignored like any other kernel argument.
//
// Defaults: user mode logs to $XDG_RUNTIME_DIR/baton/log (or
// /tmp/baton-UID/log) and listens on $XDG_RUNTIME_DIR/baton/control.sock (or
// /tmp/baton-UID/control.sock); system mode uses /etc/baton/jobs,
// /run/baton/log and /run/baton/control.sock. Jobs get the supervisor's own
// environment in user mode (under their `env` stanzas), a minimal one in
// system mode.
#ifndef BATON_SUPERVISOR_BATON_MAIN_H_
#define BATON_SUPERVISOR_BATON_MAIN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "supervisor/event.h"
#include "sys/kernel.h"

namespace baton::supervisor {

struct Options {
  enum class Mode { kUser, kSystem, kCheck, kHelp, kPreflight };
  Mode mode = Mode::kSystem;
  std::string jobs_dir;
  std::string socket_path;
  std::string log_dir;
  std::vector<std::string> check_paths;
  Env environment;  // the supervisor's own environment ("inherited" by jobs in user mode)
  // Stage 2 (supervisor/stage2/restore.h), as the exec ladder passes them:
  // --handoff-fd=N --handoff-fds=A,B or --stateless-reason=TEXT.
  int handoff_fd = -1;
  std::vector<int> handoff_fds;
  std::string stateless_reason;
  bool stage2() const { return handoff_fd >= 0 || !stateless_reason.empty(); }
};

inline constexpr char kUsage[] =
    "usage: baton --user --jobs DIR [--socket PATH] [--log-dir DIR]\n"
    "       baton check PATH...\n";

// Parses ARGS (without argv[0]). ENVIRONMENT is the process environment;
// UID and IS_PID1 pick the defaults. InvalidArgument with a message for
// people on bad usage (including "not PID 1").
absl::StatusOr<Options> ParseOptions(const std::vector<std::string>& args, const Env& environment,
                                     uid_t uid, bool is_pid1);

// `baton --preflight`: writes its one line to OUT_FD, then rehearses;
// returns 0.
int PreflightReport(const Options& options, sys::Kernel& kernel, int out_fd);

// Stage 2's start up to "stage2-ready" (RunSupervisor), run in the preflight
// on throwaway state: a memory-only LogRing, a Logger without console, an
// Engine with the job files of OPTIONS.jobs_dir that stage 2 would load
// (`stage root`/`both`) and udevd's job when this root has udevd, then the
// restore (supervisor/stage2/restore.h) of the handoff at a dup of
// OPTIONS.handoff_fd (read with pread; the fd is left open and its offset
// alone) with no carried fds and no control socket. Nothing is adopted
// (the carried pids are not our children: they take the "gone" path and are
// queued, and the queue is never run), spawned, bound or written; no signal
// is sent beyond kill(pid, 0). What it did, for the tests:
struct Stage2Rehearsal {
  size_t jobs = 0;                 // job files loaded into the engine
  bool restored = false;           // the handoff was decoded and restored
  std::string stateless_reason;    // else why stage 2 would start stateless
  size_t history = 0;              // events in the engine's history after it
  size_t instances = 0;            // instances the engine knows after it
  size_t supervisor_lines = 0;     // lines of the supervisor's stream after it
};
Stage2Rehearsal RehearseStage2(const Options& options, sys::Kernel& kernel);

// Runs the mode; returns the process exit status (system mode never returns).
int Run(const Options& options, sys::Kernel& kernel);

// `baton check`: returns 0 or 1 and writes its report to OUT_FD.
int CheckJobFiles(const std::vector<std::string>& paths, sys::Kernel& kernel, int out_fd);

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_BATON_MAIN_H_
