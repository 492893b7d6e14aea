// Boot timestamps: the points of the boot that the handoff carries and
// `initctl handoff-status` turns into phases.
//
// Mark(NAME) reads both clocks at once (CLOCK_MONOTONIC, which goes on
// across execve, and CLOCK_REALTIME) and appends a handoff::Timestamp.
// Names in use (proto/handoff.proto): "stage1-start", "root-step:<what>"
// (one per root-stack step: "root-step:md0", "root-step:luks-<uuid>"…),
// "root-device-ready", "root-mounted", "switch-planned" (init= resolved on
// the new root, readahead asked, the switch planned), "preflight-done" (the
// stage-2 binary preflighted on the new root; baton as init only) or
// "loader-checked" (a dynamic foreign init's loader check on the new root),
// then
// "switch-start" (uevent queue paused), "switch-checked" (planned again on
// the mount table as it is now),
// "root-switched" (mounts moved, chrooted; the old rootfs is emptied later,
// in the background), "exec" (the handoff collected; then it is encoded,
// sealed and execve'd — for a foreign init, written to
// /run/baton/handoff.pb and the init execve'd), then stage 2's: "stage2-start" (first thing in the
// new process), "jobs-read" (the job files read), "jobs-loaded" (parsed),
// "handoff-decoded", "control-listening", "stage2-ready" (state
// restored, adopted children watched, control socket listening: what
// `initctl handoff-status` can already answer), "devices-replayed" (udevd
// started, queued uevents replayed), "startup" (the event emitted). A
// re-exec of the running stage 2 (supervisor/stage2/reexec.h) adds
// "reexec-start" (initctl's request answered), then "exec" and the new
// process's stage-2 marks as above up to "stage2-ready" (no
// "devices-replayed" or "startup": not redone), or "reexec-failed" when the
// old process goes on. Since the control socket may be carried, stage 2
// marks "control-listening" inside the restore, after "handoff-decoded".
// Marks keep the order they were made in; a name may repeat.
//
// The clock is injectable so that tests are deterministic. Stage 2 restores
// stage 1's marks (Restore) and appends its own.
#ifndef BATON_HANDOFF_TIMELINE_H_
#define BATON_HANDOFF_TIMELINE_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_field.h"
#include "proto/handoff.pb.h"

namespace baton::handoff {

class BootTimeline {
 public:
  struct Reading {
    int64_t monotonic_ns = 0;
    int64_t realtime_ns = 0;
  };
  using ClockFn = std::function<Reading()>;

  // CLOCK_MONOTONIC and CLOCK_REALTIME, read one after the other.
  static Reading SystemClock();

  explicit BootTimeline(ClockFn clock = SystemClock) : clock_(std::move(clock)) {}

  // Appends NAME at the clock's now; returns the reading.
  Reading Mark(absl::string_view name);
  // The clock's now, without marking.
  Reading Now() const { return clock_(); }

  // Appends carried marks (oldest first) in front of the ones made here.
  void Restore(const google::protobuf::RepeatedPtrField<Timestamp>& marks);

  const std::vector<Timestamp>& marks() const { return marks_; }
  // The first mark called NAME, or nullptr.
  const Timestamp* Find(absl::string_view name) const;
  void CopyTo(google::protobuf::RepeatedPtrField<Timestamp>* out) const;

 private:
  ClockFn clock_;
  std::vector<Timestamp> marks_;
};

}  // namespace baton::handoff

#endif  // BATON_HANDOFF_TIMELINE_H_
