// The exec fallback ladder (DESIGN.md "The switch", step 5): what PID 1
// execs once it stands on the real root, and what it tries next when that
// fails. PID 1 never exits: RunLadder returns only when every rung failed,
// and its caller then stays alive with a rescue/emergency message.
//
// Rungs, in order, when the init to run is baton:
//   (a) own binary with state:    SELF --handoff-fd=N [--handoff-fds=A,B,…]
//   (b) own binary without state: SELF --stateless-reason=REASON
//   (c) the init= the user named: INIT [init args after "--"]
//   (d) /sbin/init                [init args]
//   (e) /bin/sh
// Foreign init: when init= (default /sbin/init) resolves on the new root to a
// binary whose name is not "baton", rungs (a) and (b) are left out and the
// foreign init is the first rung. For systemd (resolved basename "systemd")
// its argv is
//   INIT --switched-root --system --deserialize=FD [init args]
// where FD carries SystemdDeserialization() text (see below); without a
// deserialize fd, just --switched-root --system.
// A rung whose path (or resolved path) equals one tried before is dropped:
// init=/sbin/init gives no separate rung (d); a /sbin/init that resolves to
// SELF is not tried again after (a) and (b) failed.
//
// "Is this baton": the path is resolved on the new root, component by
// component, following symlinks through Kernel::Stat/ReadLink (absolute link
// targets restart at the new root, as they will after the switch), and the
// last component of the result is compared with "baton". A binary renamed to
// something else counts as foreign; a copy of another init named "baton"
// counts as baton. No file is opened or read for a marker.
//
// Each rung is checked before its execve (CheckExecutable, below): a binary
// whose execve would succeed and which would then die before main — a
// truncated copy, another architecture's binary, a PT_INTERP naming a loader
// the new root lacks — would kill PID 1 and panic the kernel, where a failed
// execve only costs a rung. A rung that fails the check is skipped with a
// log line saying what is wrong, and the ladder goes on.
//
// A baton rung is also PREFLIGHTED (Preflight, below) before its execve: the
// header check cannot see a binary that loads and then dies before main
// (damaged bytes inside a segment, a broken shared library, a crash in a
// static constructor, another program copied over /sbin/baton that exits
// 1). A child runs `PATH --preflight [--handoff-fd=N]` (chrooted into the
// new root when that is not "/" yet), which reads the handoff and the job
// files the way stage 2 will, touches nothing, and answers one line. Only
// when that child reached main and answered (or, being an older baton,
// refused the unknown argument) is PID 1 given to the binary. The
// preflight also pages in and (under TCG) translates the binary that the
// real exec then maps again. Foreign inits are not preflighted: their
// command lines do not know --preflight.
//
// Every other rung (a foreign init, /sbin/init, /bin/sh) that is a dynamic
// ELF is LOADER-CHECKED instead (LoaderCheck, below): a child chrooted like
// the preflight runs the binary's own PT_INTERP in list mode,
// `INTERP --list PATH` — glibc's ld.so maps every library the program
// needs and checks their symbol versions, and runs nothing of the program.
// A library it cannot find or a version no library has would make the
// real exec die before main (ld.so exits 127: PID 1 gone, the kernel
// panics); that rung is skipped instead. Any other outcome (another
// loader that does not know --list, a timeout) is no objection: only what
// certainly kills is refused.
//
// Stage 1 runs that preflight BEFORE the switch (PreflightOnNewRoot, below;
// supervisor/stage1/stage1_main.h says what its provisional handoff cannot
// prove) and hands the verdict to RunLadder (EarlyPreflight), so the exec
// after the switch does not wait for a second one. `initctl reexec`
// (supervisor/stage2/reexec.h) preflights on its own, as before.
#ifndef BATON_SUPERVISOR_EXEC_LADDER_H_
#define BATON_SUPERVISOR_EXEC_LADDER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "supervisor/bounded_child.h"
#include "sys/kernel.h"

namespace baton::supervisor {

struct ExecCandidate {
  std::string path;
  std::vector<std::string> argv;  // argv[0] is PATH
  std::vector<std::string> env;
  // "baton with handoff", "baton stateless", "init= (/sbin/init)",
  // "/sbin/init", "shell".
  std::string description;
  // Run Preflight on PATH before the execve (BuildLadder sets it for the
  // baton rungs).
  bool preflight = false;
};

struct LadderOptions {
  // Own binary, as a path on the real root.
  std::string self_path = "/usr/sbin/baton";
  // The handoff fd (its CLOEXEC already cleared); -1 leaves rung (a) out.
  int handoff_fd = -1;
  // Further fds carried (listed in --handoff-fds=A,B; omitted when empty).
  std::vector<int> handoff_fds;
  // Why rung (b) starts without state; tells stage 2's log and
  // handoff-status why nothing was carried.
  std::string stateless_reason = "exec with handoff failed";
  // init= from the command line (stage1::BootOptions::init; its default is
  // /sbin/init) and the words after "--" (BootOptions::init_args).
  std::string init = "/sbin/init";
  std::vector<std::string> init_args;
  // What INIT and /sbin/init resolve to on the new root (ResolveInits fills
  // them); empty: not resolved, taken as they are.
  std::string init_resolved;
  std::string sbin_init_resolved;
  // For a foreign systemd: the fd holding SystemdDeserialization() (not
  // CLOEXEC, read from offset 0); -1: no --deserialize.
  int systemd_deserialize_fd = -1;
  std::vector<std::string> env;  // the whole environment of every rung
};

// Resolves PATH on the filesystem rooted at ROOT ("/root" before the switch,
// "/" after) as realpath would, through KERNEL (Stat, ReadLink). The result
// is a path relative to ROOT ("/lib/systemd/systemd"). A missing component
// ends the walk: the rest is appended as it is. More than 40 links: ELOOP.
absl::StatusOr<std::string> ResolveOnRoot(sys::Kernel& kernel, const std::string& root,
                                          const std::string& path);

// Fills init_resolved and sbin_init_resolved of OPTIONS by ResolveOnRoot;
// a path that does not resolve is left as given.
void ResolveInits(sys::Kernel& kernel, const std::string& root, LadderOptions* options);

// Starts reading, in the background, what the exec of INIT (resolved,
// relative to ROOT) will read from a disk whose page cache is cold: INIT
// itself and, when it is baton (the same build as us), the shared objects
// this process has mapped (/proc/self/maps: the dynamic loader, libc) where
// ROOT has the same path, then ROOT's /etc/baton/jobs/*.conf (the directory
// is resolved and listed now, synchronously: that reads its cold metadata
// once, for stage 2 too). Kernel::Readahead (POSIX_FADV_WILLNEED) returns at
// once; the switch, collecting and encoding the handoff run while the disk
// reads. Returns the paths asked for (under ROOT); errors are ignored: a
// missing file only means nothing to read ahead.
std::vector<std::string> ReadaheadForExec(sys::Kernel& kernel, const std::string& root,
                                          const std::string& init_resolved);

// Basename of the resolved PATH is "baton".
bool IsBaton(absl::string_view resolved_path);
// Basename of the resolved PATH is "systemd".
bool IsSystemd(absl::string_view resolved_path);

// The rungs, in order (see the file comment).
std::vector<ExecCandidate> BuildLadder(const LadderOptions& options);

// The ELF class (ELFCLASS64/ELFCLASS32) and e_machine (EM_X86_64 …) of
// this build: what CheckExecutable accepts. kOwnElfMachine is 0 on an
// architecture the check does not know (the machine is then not checked).
extern const unsigned char kOwnElfClass;
extern const uint16_t kOwnElfMachine;

// Looks at PATH (resolved on ROOT as ResolveOnRoot does) the way execve
// will, with a few reads and no mmap: Stat, one pread of the first 4 KiB
// (ELF header, usually the program headers too; the "#!" line), a second
// pread only when the program headers lie beyond it, one for PT_INTERP.
// OK means "no objection"; a FailedPrecondition says what is wrong,
// "PATH: what" (PATH as given, "PATH (-> RESOLVED)" when a link led
// elsewhere):
//  * not a regular file; no execute bit at all ("not executable (mode 0644)");
//  * "\x7fELF": the class, byte order and e_machine of this build, e_type
//    ET_EXEC or ET_DYN (static, static-pie and dynamic binaries alike), the
//    program headers inside the file, at least one PT_LOAD and each
//    PT_LOAD's file range inside the file ("PT_LOAD segment 2 ends at
//    2817024, file is 1048576 bytes (truncated?)": the index is the program
//    header's), a PT_INTERP that is NUL-terminated and inside the file,
//    naming a file that exists on ROOT and passes this same check (the
//    loader: "its interpreter /lib64/ld-linux-x86-64.so.2 is missing on the
//    new root");
//  * "#!": the interpreter (the first word of the line, as the kernel reads
//    its first 256 bytes) exists on ROOT and passes this same check, at
//    most 4 levels deep as in the kernel ("#! interpreter /bin/bash is
//    missing on the new root").
// What it leaves to execve (OK): a PATH that is missing or cannot be opened
// or read (execve's errno says it better and the ladder already moves on),
// and any other format (binfmt_misc may know it; else ENOEXEC).
// INTERPRETER (when not null) gets PATH's own PT_INTERP, "" for a static
// binary, a script or what could not be read.
absl::Status CheckExecutable(sys::Kernel& kernel, const std::string& root,
                             const std::string& path, std::string* interpreter = nullptr);

// --- preflight -----------------------------------------------------------
//
// `baton --preflight [--handoff-fd=N]` (supervisor/baton_main.h) prints
//   baton preflight ok build=<build> handoff-reader=<min>-<max> jobs=<files>
//   job-errors=<n> handoff=<what>
// on one line and exits 0; <what>, always last, is "none", "ok (format F,
// N bytes, …)" or "unreadable: <why stage 2 would start stateless>".
inline constexpr char kPreflightFlag[] = "--preflight";
inline constexpr char kPreflightOk[] = "baton preflight ok";
// What an older baton (no --preflight) writes before it exits 2.
inline constexpr char kPreflightUnknown[] = "unknown argument '--preflight'";
// How long a preflight may take before it is killed and its binary skipped.
// Under TCG the whole preflight (exec, jobs, handoff decode) takes ~0.1 s;
// 10 s is 100x that, so a loaded machine does not lose a good binary, while
// a hung one costs the boot 10 s once instead of the machine. The log line
// of every preflight says how long it took and what the bound was.
inline constexpr absl::Duration kPreflightTimeout = absl::Seconds(10);

struct PreflightRequest {
  std::string path;           // a path on ROOT
  std::string root = "/";     // not "/": the child chroots there first
  int handoff_fd = -1;        // passed as --handoff-fd= (read with pread only)
  std::vector<std::string> env;
  absl::Duration timeout = kPreflightTimeout;
};

struct PreflightVerdict {
  enum class Kind {
    kOk,        // exit 0 and the "baton preflight ok" line
    kNoDryRun,  // an older baton refused --preflight (exit 2): it reached main
    kNotRun,    // the preflight could not be started here (pipe, fork…): no objection
    kFailed,    // died, another exit status, no answer in time: skip the rung
  };
  Kind kind = Kind::kNotRun;
  std::string answer;   // kOk: the line
  std::string handoff;  // kOk: the answer's handoff= value ("" when absent)
  std::string reason;   // kNoDryRun, kNotRun, kFailed: in words
  absl::Duration took;
  bool accepted() const { return kind != Kind::kFailed; }
  // The new binary said it could not read the handoff it was shown.
  bool handoff_unreadable() const;
  // One line for the log: "/usr/sbin/baton preflight: baton preflight ok …
  // (87 ms, bound 10s)" or "/sbin/baton preflight: killed by SIGSEGV before
  // answering (12 ms)".
  std::string Describe(const std::string& path) const;
};

// The verdict on what a preflight child did. EXIT is nullopt when it could
// not be reaped; TIMED_OUT when it did not finish within BOUND (it was
// killed). OUTPUT is what it wrote to stdout and stderr.
PreflightVerdict JudgePreflight(const std::optional<sys::ChildExit>& exit, bool timed_out,
                                absl::string_view output, absl::Duration bound);

// Runs the preflight of REQUEST.path: a pipe for stdout+stderr, Spawn (own
// session, chroot), read until end of file, then reap — both within
// REQUEST.timeout (Kernel::WaitReadable on the pipe, then on a pidfd;
// without pidfds, Wait after the end of file). At the bound: SIGKILL to its
// process group (it runs in its own session), reap, kFailed "no answer
// within 10s (killed)".
PreflightVerdict Preflight(sys::Kernel& kernel, const PreflightRequest& request);


// --- loader check ----------------------------------------------------------

struct LoaderCheckRequest {
  std::string path;         // a path on ROOT
  std::string interpreter;  // its PT_INTERP
  std::string root = "/";   // not "/": the child chroots there first
  std::vector<std::string> env;
  absl::Duration timeout = kPreflightTimeout;
};

struct LoaderVerdict {
  bool refused = false;  // the loader named what would kill the exec
  // "3 objects found", "/sbin/init: error while loading shared libraries:
  // libfoo.so.1: cannot open shared object file: …", "… no objection".
  std::string what;
  absl::Duration took;
  // "/sbin/init loader check: 3 objects found (41 ms)".
  std::string Describe(const std::string& path) const;
};

// The verdict on what `INTERP --list PATH` did (RUN); BOUND for the words.
LoaderVerdict JudgeLoaderList(const BoundedRun& run, absl::Duration bound);
// Runs it (bounded_child.h) and judges it.
LoaderVerdict LoaderCheck(sys::Kernel& kernel, const LoaderCheckRequest& request);

// A preflight run BEFORE the switch (stage 1's SwitchAndExec: chrooted into
// the mounted new root, shown a provisional handoff), for RunLadder to take
// instead of preflighting PATH again after the switch.
struct EarlyPreflight {
  std::string path;  // as the ladder names it: a path on the real root
  PreflightVerdict verdict;
  // Set instead of VERDICT for a rung that is loader-checked, not
  // preflighted (LoaderCheckOnNewRoot).
  std::optional<LoaderVerdict> loader;
  // PATH's Stat on the new root when it was preflighted: RunLadder takes
  // the verdict only while PATH (after the switch, on "/") is still that
  // file (type, device, inode, size); otherwise it preflights again.
  sys::FileInfo file;
};

// Checks PATH on NEW_ROOT (CheckExecutable) and, when that has no
// objection, preflights it chrooted into NEW_ROOT with HANDOFF_FD (-1: none)
// and ENV, logging an accepted answer as RunLadder does, followed by
// "; before the switch". nullopt when there is no verdict to carry: the
// check objects (the ladder skips the rung itself, saying why), PATH does
// not stat, or the preflight could not be run (kNotRun): RunLadder then
// checks and preflights after the switch exactly as without this.
std::optional<EarlyPreflight> PreflightOnNewRoot(sys::Kernel& kernel, const std::string& new_root,
                                                 const std::string& path, int handoff_fd,
                                                 const std::vector<std::string>& env,
                                                 const std::function<void(absl::string_view)>& log);

// The same for a foreign rung's loader check: PATH on NEW_ROOT checked,
// and when it has a PT_INTERP, LoaderCheck chrooted into NEW_ROOT; an
// accepted verdict is logged as RunLadder does, followed by "; before the
// switch". nullopt when there is nothing to carry (the check objects, a
// static binary or a script, PATH does not stat).
std::optional<EarlyPreflight> LoaderCheckOnNewRoot(
    sys::Kernel& kernel, const std::string& new_root, const std::string& path,
    const std::vector<std::string>& env, const std::function<void(absl::string_view)>& log);

// Tries each rung in order, ROOT being the root the paths are on ("/" once
// the switch is done). Each rung's path is first checked (CheckExecutable;
// a path checked for an earlier rung is not read again). A rung that fails
// the check is skipped:
//   "not executing /usr/sbin/baton (baton with handoff): /usr/sbin/baton:
//    PT_LOAD segment 2 ends at 2817024, file is 1048576 bytes (truncated?);
//    trying /usr/sbin/baton (baton without state)"
// A rung marked `preflight` that passes the check is then preflighted
// (once per path; the handoff fd of its --handoff-fd= is shown to it):
//   "/usr/sbin/baton preflight: baton preflight ok build=… (84 ms, bound 10s)"
// and a kFailed verdict skips it like a failed check:
//   "not executing /sbin/baton (baton with handoff): /sbin/baton preflight:
//    killed by SIGSEGV before answering (9 ms); trying …"
// A rung whose path has an entry in EARLY (PreflightOnNewRoot) takes that
// verdict instead, when ROOT/PATH is still the file preflighted; when it is
// not, it logs
//   "/sbin/baton changed since its preflight before the switch (inode 12 ->
//    13); preflighting it again"
// and preflights it as above.
// And when it was the rung carrying the handoff (--handoff-fd=), every later
// rung's --stateless-reason= is replaced by
//   "the stage-2 binary was not executed with the handoff: <what the check
//    said>"
// so a later baton rung tells stage 2's log and handoff-status why.
// A rung that is not preflighted and has a PT_INTERP is loader-checked
// (once per path; an EARLY loader verdict for it is taken on the same terms
// as an early preflight); a refusal skips it like a failed check:
//   "not executing /sbin/init (/sbin/init): /sbin/init loader check:
//    /sbin/init: error while loading shared libraries: libfoo.so.1: cannot
//    open shared object file: No such file or directory (38 ms); trying
//    /bin/sh (shell)"
// and an accepted one is logged ("/sbin/init loader check: 3 objects found
// (41 ms)").
// A rung that passes goes to Execve; when that returns, logs
//   "exec /usr/sbin/baton failed: No such file or directory (errno 2); trying
//    /sbin/init (/sbin/init)"   (the next rung's path and description)
// Returns only when every rung failed: an error listing every attempt,
// "exec /usr/sbin/baton: …; skipped /sbin/init: …; exec /bin/sh: …". (With
// FakeKernel, whose Execve returns OK, it returns OK after the first rung
// that "succeeded".) An empty ladder is FailedPrecondition.
absl::Status RunLadder(sys::Kernel& kernel, const std::vector<ExecCandidate>& ladder,
                       const std::function<void(absl::string_view)>& log,
                       const std::string& root = "/",
                       const std::vector<EarlyPreflight>& early = {});

// The text for systemd's --deserialize fd: systemd's own serialization
// format (src/core/manager-serialize.c), "key=value" lines for the manager
// ended by an empty line, then unit sections (none here). Only one manager
// key is written:
//   initrd-timestamp=REALTIME_USEC MONOTONIC_USEC
// the moment the initrd's userspace began (stage 1's start), as systemd's
// own initrd would serialize MANAGER_TIMESTAMP_INITRD. The real root's
// systemd takes its userspace timestamp itself at start, so systemd-analyze
// then shows "… (initrd) + … (userspace)". Unknown or missing keys are
// ignored by systemd, so nothing else is needed.
// systemd fdopen()s the fd and reads from the current offset: the caller
// gives it a pipe holding the text, or a memfd reopened at offset 0 (see
// MakeSystemdDeserializeFd).
std::string SystemdDeserialization(absl::Time initrd_realtime, absl::Duration initrd_monotonic);

// A pipe whose read end holds TEXT (up to the pipe's capacity, 64 KiB) with
// CLOEXEC cleared, ready for --deserialize=FD; the write end is closed.
absl::StatusOr<sys::UniqueFd> MakeSystemdDeserializeFd(sys::Kernel& kernel, absl::string_view text);

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_EXEC_LADDER_H_
