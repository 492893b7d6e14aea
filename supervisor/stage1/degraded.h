// When to start an incomplete md array degraded — without a fixed timeout.
//
// Stage 1 never sleeps a fixed time hoping the missing RAID member arrives.
// It starts an array degraded only when the system is *quiet*:
//   - coldplug is done,
//   - the uevent queue is empty,
//   - no unlock or scan job is running (a passphrase prompt counts: the member
//     behind it may be the "missing" one),
//   - the root is still missing,
//   - and nothing has happened for the grace period (default 2 s).
// The grace period is a quiescence window, not a boot timeout. It is measured
// from the LAST block device arrival and restarted by every new device; it is
// also restarted when the system becomes settled again (the last busy job
// ends, the queue drains, coldplug finishes), because the device a finished
// unlock job produces arrives a moment after the job exits, and that moment
// must not count as quiet. A slow USB disk that shows up 20 s into boot
// therefore still joins its array, and a fast boot with all members present
// never waits at all (the root appears and the arbiter says kWait forever).
//
// Policy (BootOptions::md_degraded; bootdegraded=true is auto):
//   auto   quiet + incomplete arrays            -> kStartDegraded(arrays)
//   ask    quiet + incomplete arrays, not asked -> kAsk(arrays); the caller
//          puts the question and reports Answer(). Yes -> kStartDegraded on
//          the next Decide (and for arrays found incomplete later); no -> as
//          never. An open question does not hold off kGiveUp.
//   never  incomplete arrays are left alone; the missing member may still
//          come until the rootdelay point, then kGiveUp.
// With nothing left to try, the root still missing and the system quiet,
// Decide returns kGiveUp once `root_wait` (rootdelay=, default 180 s) has
// passed since `start`; the caller offers the rescue shell (or panics as
// panic= says). kGiveUp never comes while a job is running.
//
// The resume device (resume.h) counts like the root: while the resume gate
// still waits for it (SetResumeWaiting), incomplete arrays are started or
// asked about at quiet exactly as while the root is missing, even after
// RootFound — the swap holding a hibernation image may sit on an array that
// lacks a member, and the root must not be mounted before that image had its
// chance. Only the root's absence leads to kGiveUp. The gate in turn decides
// "not seen" only at a quiet when HasCandidates() is false (nothing left to
// start: all started or asked about, or policy never / answered no), and a
// start or question is activity: the gate's quiet window restarts at
// last_start(), so the started array's devices (and a LUKS unlock or LVM scan
// on them) come before the next quiet.
//
// An array is reported by StartDegraded/Ask once; reporting it again with
// ArrayIncomplete and a different `seen` count makes it a candidate again.
// Arrays with seen == 0 or seen >= expected are not candidates.
//
// Time comes in with every call (the loop's injectable clock); nothing here
// reads a clock. NextCheck() tells the loop when to call Decide() next if no
// observation arrives before then.
#ifndef BATON_SUPERVISOR_STAGE1_DEGRADED_H_
#define BATON_SUPERVISOR_STAGE1_DEGRADED_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "supervisor/stage1/cmdline.h"

namespace baton::stage1 {

inline constexpr absl::Duration kDefaultQuietGrace = absl::Seconds(2);

// DESIGN's "quiet", the observations it is made of: coldplug done, the
// uevent queue empty, no unlock or scan job running (settled), and the time
// of the last block device arrival or return to settled. Quiet is settled
// and nothing new for a grace period after last_activity(). Shared by
// DegradedArbiter and ResumeGate (resume.h), so both wait the same way.
class QuietTracker {
 public:
  explicit QuietTracker(absl::Time start) : last_activity_(start) {}

  void ColdplugDone(absl::Time now);
  void SetUeventQueueEmpty(bool empty, absl::Time now);
  // Unlock and scan jobs (cryptsetup, mdadm, lvm) running right now.
  void SetBusyJobs(int count, absl::Time now);
  void BlockDeviceAdded(absl::Time now);

  bool Settled() const { return coldplug_done_ && queue_empty_ && busy_jobs_ == 0; }
  absl::Time last_activity() const { return last_activity_; }
  // Why not settled, for a log line ("coldplug running", "uevents queued",
  // "2 unlock/scan job(s) running"); "" when settled.
  std::string Unsettled() const;

 private:
  // A return to settled restarts the window.
  void Update(bool was_settled, absl::Time now);

  bool coldplug_done_ = false;
  bool queue_empty_ = true;
  int busy_jobs_ = 0;
  absl::Time last_activity_;
};

struct DegradedDecision {
  enum class Kind { kWait, kStartDegraded, kAsk, kGiveUp };

  Kind kind = Kind::kWait;
  std::vector<std::string> arrays;  // kStartDegraded, kAsk: sorted names
  std::string reason;               // for the log
};

class DegradedArbiter {
 public:
  // START is when stage 1 began waiting for the root.
  DegradedArbiter(DegradedPolicy policy, absl::Time start,
                  absl::Duration root_wait = kDefaultRootDelay,
                  absl::Duration grace = kDefaultQuietGrace);

  // --- observations ---------------------------------------------------------
  void ColdplugDone(absl::Time now);
  void SetUeventQueueEmpty(bool empty, absl::Time now);
  // Unlock and scan jobs (cryptsetup, mdadm, lvm) running right now.
  void SetBusyJobs(int count, absl::Time now);
  void BlockDeviceAdded(absl::Time now);
  void RootFound(absl::Time now);
  // The resume gate waits for the resume device (true) or decided (false).
  void SetResumeWaiting(bool waiting, absl::Time now);
  // NAME is inactive with SEEN of EXPECTED members present.
  void ArrayIncomplete(const std::string& name, int seen, int expected, absl::Time now);
  // NAME started (complete or degraded) or went away.
  void ArrayGone(const std::string& name, absl::Time now);
  // The answer to the last kAsk.
  void Answer(bool start_degraded, absl::Time now);

  // --- decisions ------------------------------------------------------------
  DegradedDecision Decide(absl::Time now);
  // When Decide's answer can next change with no new observation: the end of
  // the quiet window or the rootdelay point, whichever is next after the
  // latest time seen; nullopt when only an observation can change it.
  std::optional<absl::Time> NextCheck() const;

  bool Settled() const { return quiet_.Settled(); }  // coldplug done, queue empty, no busy job

  // True while an incomplete array is left that Decide would start degraded
  // or ask about at a quiet: the policy allows it (auto; ask not answered no)
  // and it was not reported yet (or a "yes" made it a candidate again).
  bool HasCandidates() const;
  // When Decide last returned kStartDegraded or kAsk; InfinitePast if never.
  absl::Time last_start() const { return last_start_; }

 private:
  struct Array {
    int seen = 0;
    int expected = 0;
    bool handled = false;  // reported by kStartDegraded or kAsk
  };

  void Observe(absl::Time now);
  // The root or the resume device is missing: arrays may be started.
  bool Needed() const { return !root_found_ || resume_waiting_; }
  std::vector<std::string> Candidates() const;
  absl::Time QuietAt() const;
  absl::Time Deadline() const { return start_ + root_wait_; }

  DegradedPolicy policy_;
  absl::Time start_;
  absl::Duration root_wait_;
  absl::Duration grace_;

  absl::Time now_;
  QuietTracker quiet_;
  bool root_found_ = false;
  bool resume_waiting_ = false;
  absl::Time last_start_ = absl::InfinitePast();
  std::map<std::string, Array> arrays_;
  std::optional<bool> answer_;
  bool gave_up_ = false;  // kGiveUp was returned
};

absl::string_view DegradedDecisionKindName(DegradedDecision::Kind kind);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_DEGRADED_H_
