// Stage 1's side of the handoff: the live supervisor state → a Handoff →
// a sealed memfd and the fd numbers for the exec ladder.
//
// CollectHandoff reads (never changes) the engine, the log ring and the boot
// timeline, and writes:
//  * instances: every instance of Engine::Export(), with its exit records,
//    respawn count and window start (the earliest respawn still inside the
//    limit window), runs, failure, and its environment after
//    handoff::FilterSecrets (the names of dropped keys, never their values,
//    go into `warnings`);
//  * events: Engine::History(), environments filtered the same way;
//  * logs: every job stream of LogRing::Export() (an unfinished last line
//    becomes a line: it would otherwise be lost), then the supervisor's own
//    stream as `supervisor_log`;
//  * timestamps: the timeline's marks; cmdline: as given;
//  * uevents: the raw datagrams UeventBridge::TakeQueued() returned, stamped
//    with the timeline's now (they carry no time of their own);
//  * fds: one FdEntry per CollectInput::fds entry, index = its position,
//    type/dev/ino left unchecked (PrepareHandoff fills them);
//  * warnings: CollectInput::warnings, then the secret-filter notes;
//  * kind: CollectInput::kind (stage 1's switch, or a stage-2 re-exec).
// The format header is stamped (StampVersion).
//
// PrepareHandoff then, in this order: describes each fd (fstat; an fd that
// does not fstat or whose CLOEXEC cannot be cleared is left out, with a
// warning, and the indexes are renumbered), clears CLOEXEC on the kept fds,
// appends the "exec" mark, encodes, writes the sealed memfd and clears its
// CLOEXEC. The result is what exec_ladder.h's LadderOptions wants:
// handoff_fd and handoff_fds. On error nothing needs undoing that matters: a
// fd without CLOEXEC is inherited by the stateless rung too, which closes
// what it does not use (supervisor/stage2/restore.h).
#ifndef BATON_HANDOFF_COLLECT_H_
#define BATON_HANDOFF_COLLECT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "handoff/timeline.h"
#include "proto/handoff.pb.h"
#include "supervisor/engine.h"
#include "supervisor/log_ring.h"
#include "sys/kernel.h"
#include "sys/unique_fd.h"

namespace baton::handoff {

// Roles of carried fds.
inline constexpr char kUeventSocketRole[] = "uevent-socket";
inline constexpr char kLogPipeRolePrefix[] = "log-pipe:";
// The control socket's listening fd (a re-exec carries it, so initctl never
// finds the socket missing or refusing).
inline constexpr char kControlSocketRole[] = "control-socket";
// A socket the supervisor holds for a job (Spawner::AddListenFd), such as
// udevd's uevent socket: "listen:JOB", one entry per fd, in order.
inline constexpr char kListenRolePrefix[] = "listen:";

// "log-pipe:JOB" or "log-pipe:JOB/INSTANCE".
std::string LogPipeRole(absl::string_view job, absl::string_view instance);
// The inverse: false when ROLE is not a log-pipe role or names no job. The
// instance is everything after the first '/' (job names have none).
bool ParseLogPipeRole(absl::string_view role, std::string* job, std::string* instance);
// "listen:JOB", and its inverse (false when ROLE is not one or names no job).
std::string ListenRole(absl::string_view job);
bool ParseListenRole(absl::string_view role, std::string* job);

struct CollectInput {
  const supervisor::Engine* engine = nullptr;  // each of these may be null
  const supervisor::LogRing* ring = nullptr;
  const BootTimeline* timeline = nullptr;
  std::string cmdline_raw;  // /proc/cmdline without the newline
  std::vector<std::pair<std::string, std::string>> cmdline_params;  // in order
  std::vector<std::string> uevents;                                 // UeventBridge::TakeQueued()
  uint32_t uevent_group = 1;                                        // 1: kernel, 2: udevd
  // Fds to carry, role → fd, in the order of --handoff-fds.
  std::vector<std::pair<std::string, int>> fds;
  std::vector<std::string> warnings;  // what stage 1 noticed on its own
  HandoffKind kind = HANDOFF_KIND_SWITCH;
};

Handoff CollectHandoff(const CollectInput& input);
// The same into *OUT (a new message, typically on an arena: PrepareHandoff
// and WriteHandoffFile collect onto one).
void CollectHandoffInto(const CollectInput& input, Handoff* out);

struct PreparedHandoff {
  sys::UniqueFd memfd;                // the sealed handoff; CLOEXEC cleared
  int handoff_fd = -1;                // memfd.get(): --handoff-fd=N
  std::vector<int> fds;               // --handoff-fds=A,B: FdEntry index i is fds[i]
  size_t bytes = 0;                   // encoded size
  std::vector<std::string> warnings;  // fds left out
};

absl::StatusOr<PreparedHandoff> PrepareHandoff(sys::Kernel& kernel, const CollectInput& input);

// For a foreign init: collects, appends the "exec" mark as PrepareHandoff
// does, encodes and writes the handoff to PATH (mode 0600, parents made),
// without fds (nothing there would read them).
absl::Status WriteHandoffFile(sys::Kernel& kernel, const CollectInput& input,
                              const std::string& path);

}  // namespace baton::handoff

#endif  // BATON_HANDOFF_COLLECT_H_
