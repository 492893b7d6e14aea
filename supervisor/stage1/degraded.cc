#include "supervisor/stage1/degraded.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace baton::stage1 {

absl::string_view DegradedDecisionKindName(DegradedDecision::Kind kind) {
  switch (kind) {
    case DegradedDecision::Kind::kWait: return "wait";
    case DegradedDecision::Kind::kStartDegraded: return "start-degraded";
    case DegradedDecision::Kind::kAsk: return "ask";
    case DegradedDecision::Kind::kGiveUp: return "give-up";
  }
  return "?";
}

void QuietTracker::Update(bool was_settled, absl::Time now) {
  if (!was_settled && Settled()) last_activity_ = std::max(last_activity_, now);
}

void QuietTracker::ColdplugDone(absl::Time now) {
  bool was = Settled();
  coldplug_done_ = true;
  Update(was, now);
}

void QuietTracker::SetUeventQueueEmpty(bool empty, absl::Time now) {
  bool was = Settled();
  queue_empty_ = empty;
  Update(was, now);
}

void QuietTracker::SetBusyJobs(int count, absl::Time now) {
  bool was = Settled();
  busy_jobs_ = std::max(count, 0);
  Update(was, now);
}

void QuietTracker::BlockDeviceAdded(absl::Time now) {
  last_activity_ = std::max(last_activity_, now);
}

std::string QuietTracker::Unsettled() const {
  if (!coldplug_done_) return "coldplug running";
  if (!queue_empty_) return "uevents queued";
  if (busy_jobs_ > 0) return absl::StrCat(busy_jobs_, " unlock/scan job(s) running");
  return "";
}

DegradedArbiter::DegradedArbiter(DegradedPolicy policy, absl::Time start,
                                 absl::Duration root_wait, absl::Duration grace)
    : policy_(policy),
      start_(start),
      root_wait_(root_wait),
      grace_(grace),
      now_(start),
      quiet_(start) {}

void DegradedArbiter::Observe(absl::Time now) { now_ = std::max(now_, now); }

void DegradedArbiter::ColdplugDone(absl::Time now) {
  Observe(now);
  quiet_.ColdplugDone(now);
}

void DegradedArbiter::SetUeventQueueEmpty(bool empty, absl::Time now) {
  Observe(now);
  quiet_.SetUeventQueueEmpty(empty, now);
}

void DegradedArbiter::SetBusyJobs(int count, absl::Time now) {
  Observe(now);
  quiet_.SetBusyJobs(count, now);
}

void DegradedArbiter::BlockDeviceAdded(absl::Time now) {
  Observe(now);
  quiet_.BlockDeviceAdded(now);
}

void DegradedArbiter::RootFound(absl::Time now) {
  Observe(now);
  root_found_ = true;
}

void DegradedArbiter::SetResumeWaiting(bool waiting, absl::Time now) {
  Observe(now);
  resume_waiting_ = waiting;
}

void DegradedArbiter::ArrayIncomplete(const std::string& name, int seen, int expected,
                                      absl::Time now) {
  Observe(now);
  Array& a = arrays_[name];
  if (a.seen != seen || a.expected != expected) a.handled = false;
  a.seen = seen;
  a.expected = expected;
}

void DegradedArbiter::ArrayGone(const std::string& name, absl::Time now) {
  Observe(now);
  arrays_.erase(name);
}

void DegradedArbiter::Answer(bool start_degraded, absl::Time now) {
  Observe(now);
  answer_ = start_degraded;
  if (start_degraded) {
    // The arrays the question named become candidates again, to be started.
    for (auto& [name, a] : arrays_) a.handled = false;
  }
}

absl::Time DegradedArbiter::QuietAt() const { return quiet_.last_activity() + grace_; }

std::vector<std::string> DegradedArbiter::Candidates() const {
  std::vector<std::string> out;
  bool allowed = policy_ == DegradedPolicy::kAuto ||
                 (policy_ == DegradedPolicy::kAsk && answer_ != false);
  if (!allowed) return out;
  for (const auto& [name, a] : arrays_) {
    if (!a.handled && a.seen > 0 && a.seen < a.expected) out.push_back(name);
  }
  return out;
}

bool DegradedArbiter::HasCandidates() const { return !Candidates().empty(); }

DegradedDecision DegradedArbiter::Decide(absl::Time now) {
  Observe(now);
  using Kind = DegradedDecision::Kind;
  DegradedDecision d;
  if (!Needed()) {
    d.reason = "root found";
    return d;
  }
  if (!Settled()) {
    d.reason = quiet_.Unsettled();
    return d;
  }
  if (now_ < QuietAt()) {
    d.reason = absl::StrCat("quiet for ", absl::FormatDuration(now_ - quiet_.last_activity()),
                            " of ", absl::FormatDuration(grace_));
    return d;
  }

  std::vector<std::string> candidates = Candidates();
  if (!candidates.empty()) {
    for (const std::string& name : candidates) arrays_[name].handled = true;
    bool ask = policy_ == DegradedPolicy::kAsk && !answer_.has_value();
    d.kind = ask ? Kind::kAsk : Kind::kStartDegraded;
    d.arrays = std::move(candidates);
    last_start_ = now_;
    d.reason = absl::StrCat("quiet for ", absl::FormatDuration(now_ - quiet_.last_activity()),
                            root_found_ ? ", resume device missing" : ", root missing",
                            ", arrays incomplete: ", absl::StrJoin(d.arrays, ", "));
    return d;
  }

  if (root_found_) {
    d.reason = "quiet, resume device missing, no array left to start";
    return d;
  }
  if (now_ < Deadline()) {
    d.reason = absl::StrCat("quiet, root missing; rescue at rootdelay (",
                            absl::FormatDuration(Deadline() - now_), " left)");
    return d;
  }
  d.kind = Kind::kGiveUp;
  gave_up_ = true;
  std::vector<std::string> waiting;
  for (const auto& [name, a] : arrays_) {
    if (a.seen < a.expected) waiting.push_back(name);
  }
  d.reason = absl::StrCat("root not found after ", absl::FormatDuration(root_wait_));
  if (!waiting.empty()) {
    absl::StrAppend(&d.reason, "; incomplete arrays left alone (baton.md.degraded=",
                    DegradedPolicyName(policy_), answer_ == false ? ", answered no" : "",
                    "): ", absl::StrJoin(waiting, ", "));
  }
  return d;
}

std::optional<absl::Time> DegradedArbiter::NextCheck() const {
  if (!Needed() || !Settled()) return std::nullopt;
  if (now_ < QuietAt()) return QuietAt();
  if (HasCandidates()) return now_;
  if (root_found_) return std::nullopt;
  if (now_ < Deadline()) return Deadline();
  return gave_up_ ? std::nullopt : std::optional<absl::Time>(now_);
}

}  // namespace baton::stage1
