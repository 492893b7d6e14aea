#include "handoff/timeline.h"

#include <chrono>
#include <string>

namespace baton::handoff {

BootTimeline::Reading BootTimeline::SystemClock() {
  // steady_clock is CLOCK_MONOTONIC on Linux (libstdc++), as the supervisor's
  // MonotonicClock uses.
  Reading r;
  r.monotonic_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count();
  r.realtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return r;
}

BootTimeline::Reading BootTimeline::Mark(absl::string_view name) {
  Reading r = clock_();
  Timestamp t;
  t.set_name(std::string(name));
  t.set_monotonic_ns(r.monotonic_ns);
  t.set_realtime_ns(r.realtime_ns);
  marks_.push_back(std::move(t));
  return r;
}

void BootTimeline::Restore(const google::protobuf::RepeatedPtrField<Timestamp>& marks) {
  marks_.insert(marks_.begin(), marks.begin(), marks.end());
}

const Timestamp* BootTimeline::Find(absl::string_view name) const {
  for (const Timestamp& t : marks_) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

void BootTimeline::CopyTo(google::protobuf::RepeatedPtrField<Timestamp>* out) const {
  for (const Timestamp& t : marks_) *out->Add() = t;
}

}  // namespace baton::handoff
