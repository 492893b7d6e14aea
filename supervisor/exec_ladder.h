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
#ifndef BATON_SUPERVISOR_EXEC_LADDER_H_
#define BATON_SUPERVISOR_EXEC_LADDER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sys/kernel.h"

namespace baton::supervisor {

struct ExecCandidate {
  std::string path;
  std::vector<std::string> argv;  // argv[0] is PATH
  std::vector<std::string> env;
  // "baton with handoff", "baton stateless", "init= (/sbin/init)",
  // "/sbin/init", "shell".
  std::string description;
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

// Tries Execve on each rung in order; before the next one, logs
//   "exec /usr/sbin/baton failed: No such file or directory (errno 2); trying
//    /sbin/init (/sbin/init)"   (the next rung's path and description)
// Returns only when every rung failed: an error listing every attempt,
// "exec /usr/sbin/baton: …; exec /sbin/init: …; exec /bin/sh: …". (With
// FakeKernel, whose Execve returns OK, it returns OK after the first rung
// that "succeeded".) An empty ladder is FailedPrecondition.
absl::Status RunLadder(sys::Kernel& kernel, const std::vector<ExecCandidate>& ladder,
                       const std::function<void(absl::string_view)>& log);

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
