#include "handoff/collect.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "handoff/codec.h"
#include "handoff/env_pack.h"
#include "handoff/log_pack.h"
#include "handoff/memfd.h"
#include "handoff/secrets.h"
#include "sys/status_macros.h"

namespace baton::handoff {
namespace {

using supervisor::Env;

JobState ToProto(supervisor::State s) {
  switch (s) {
    case supervisor::State::kWaiting:
      return JOB_STATE_WAITING;
    case supervisor::State::kStarting:
      return JOB_STATE_STARTING;
    case supervisor::State::kRunning:
      return JOB_STATE_RUNNING;
    case supervisor::State::kStopping:
      return JOB_STATE_STOPPING;
    case supervisor::State::kPostStop:
      return JOB_STATE_POST_STOP;
  }
  return JOB_STATE_UNSPECIFIED;
}

JobPhase ToProto(supervisor::Phase p) {
  switch (p) {
    case supervisor::Phase::kPreStart:
      return JOB_PHASE_PRE_START;
    case supervisor::Phase::kMain:
      return JOB_PHASE_MAIN;
    case supervisor::Phase::kPostStop:
      return JOB_PHASE_POST_STOP;
  }
  return JOB_PHASE_UNSPECIFIED;
}

int64_t Nanos(absl::Time t) { return absl::ToUnixNanos(t); }

// Packs ENV into OUT (a packed_env field) without secrets; returns the keys
// left out.
std::vector<std::string> CopyEnv(const Env& env, std::string* out) {
  std::vector<std::string> left_out;
  for (const auto& [key, value] : env) {
    if (IsSecretKey(key)) {
      left_out.push_back(key);
    } else {
      PackEnvEntry(out, key, value);
    }
  }
  return left_out;
}

std::string StreamName(absl::string_view job, absl::string_view instance) {
  return instance.empty() ? std::string(job) : absl::StrCat(job, "/", instance);
}

void CopyRing(const supervisor::LogRing::StreamSnapshot& s, LogRing* out) {
  out->set_job(s.job);
  out->set_instance(s.instance);
  size_t bytes = s.partial.size() + 12;
  for (const supervisor::LogLine& line : s.lines) bytes += line.text.size() + 12;
  out->mutable_packed_lines()->reserve(bytes);
  for (const supervisor::LogLine& line : s.lines) {
    AppendLogLine(out, absl::ToInt64Nanoseconds(line.since_start), line.text);
  }
  if (!s.partial.empty()) {
    AppendLogLine(out, s.lines.empty() ? 0 : absl::ToInt64Nanoseconds(s.lines.back().since_start),
                  s.partial);
  }
  out->set_dropped(s.dropped);
}

}  // namespace

std::string LogPipeRole(absl::string_view job, absl::string_view instance) {
  return absl::StrCat(kLogPipeRolePrefix, StreamName(job, instance));
}

bool ParseLogPipeRole(absl::string_view role, std::string* job, std::string* instance) {
  if (!absl::ConsumePrefix(&role, kLogPipeRolePrefix)) return false;
  size_t slash = role.find('/');
  *job = std::string(role.substr(0, slash));
  *instance = slash == absl::string_view::npos ? "" : std::string(role.substr(slash + 1));
  return !job->empty();
}

std::string ListenRole(absl::string_view job) { return absl::StrCat(kListenRolePrefix, job); }

bool ParseListenRole(absl::string_view role, std::string* job) {
  if (!absl::ConsumePrefix(&role, kListenRolePrefix) || role.empty()) return false;
  *job = std::string(role);
  return true;
}

Handoff CollectHandoff(const CollectInput& input) {
  Handoff h;
  CollectHandoffInto(input, &h);
  return h;
}

void CollectHandoffInto(const CollectInput& input, Handoff* out) {
  Handoff& h = *out;
  StampVersion(&h);
  h.set_kind(input.kind);
  for (const std::string& w : input.warnings) h.add_warnings(w);
  if (input.timeline != nullptr) input.timeline->CopyTo(h.mutable_timestamps());
  h.mutable_cmdline()->set_raw(input.cmdline_raw);
  for (const auto& [key, value] : input.cmdline_params) {
    KeyValue* kv = h.mutable_cmdline()->add_params();
    kv->set_key(key);
    kv->set_value(value);
  }

  if (input.engine != nullptr) {
    for (const supervisor::InstanceSnapshot& s : input.engine->Export()) {
      JobInstance* in = h.add_instances();
      in->set_job(s.job);
      in->set_instance(s.instance);
      in->set_goal(s.goal == supervisor::Goal::kStart ? JOB_GOAL_START : JOB_GOAL_STOP);
      in->set_state(ToProto(s.state));
      in->set_pid(s.pid);
      in->set_phase(ToProto(s.phase));
      for (const supervisor::ExitRecord& e : s.exits) {
        ExitRecord* r = in->add_exits();
        r->set_pid(e.exit.pid);
        r->set_exit_status(e.exit.exit_status);
        r->set_signal(e.exit.signal);
        r->set_core_dumped(e.exit.core_dumped);
        r->set_monotonic_ns(Nanos(e.when));
        r->set_phase(ToProto(e.phase));
      }
      in->set_respawns(static_cast<int32_t>(s.respawn_times.size()));
      if (!s.respawn_times.empty()) in->set_respawn_window_start_ns(Nanos(s.respawn_times[0]));
      in->set_runs(s.runs);
      in->set_failed(s.failed);
      in->set_failure(s.failure);
      in->set_term_sent(s.term_sent);
      if (s.kill_deadline.has_value()) in->set_kill_deadline_ns(Nanos(*s.kill_deadline));
      std::vector<std::string> dropped = CopyEnv(s.env, in->mutable_packed_env());
      if (!dropped.empty()) {
        h.add_warnings(
            absl::StrCat("instance ", StreamName(s.job, s.instance),
                         ": secret environment left out: ", absl::StrJoin(dropped, ", ")));
      }
    }
    size_t event_secrets = 0;
    for (const supervisor::Event& e : input.engine->History()) {
      Event* out = h.add_events();
      out->set_seq(e.seq);
      out->set_name(e.name);
      out->set_monotonic_ns(Nanos(e.when));
      event_secrets += CopyEnv(e.env, out->mutable_packed_env()).size();
    }
    if (event_secrets > 0) {
      h.add_warnings(absl::StrCat(event_secrets, " secret event environment entries left out"));
    }
  }

  if (input.ring != nullptr) {
    for (const supervisor::LogRing::StreamSnapshot& s : input.ring->Export()) {
      if (s.job.empty() && s.instance.empty()) {
        CopyRing(s, h.mutable_supervisor_log());
      } else {
        CopyRing(s, h.add_logs());
      }
    }
  }

  int64_t now = input.timeline != nullptr ? input.timeline->Now().monotonic_ns
                                          : BootTimeline::SystemClock().monotonic_ns;
  for (const std::string& datagram : input.uevents) {
    QueuedUevent* u = h.add_uevents();
    u->set_datagram(datagram);
    u->set_group(input.uevent_group);
    u->set_monotonic_ns(now);
  }

  uint32_t index = 0;
  for (const auto& [role, fd] : input.fds) {
    FdEntry* e = h.add_fds();
    e->set_index(index++);
    e->set_role(role);
  }
}

namespace {

google::protobuf::ArenaOptions CollectArenaOptions() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 64 * 1024;
  options.max_block_size = 1 << 20;
  return options;
}

// The "exec" mark, at the timeline's now: the last thing before encoding,
// for baton's memfd and a foreign init's file alike.
void AddExecMark(const CollectInput& input, Handoff* h) {
  if (input.timeline == nullptr) return;
  BootTimeline::Reading now = input.timeline->Now();
  Timestamp* t = h->add_timestamps();
  t->set_name("exec");
  t->set_monotonic_ns(now.monotonic_ns);
  t->set_realtime_ns(now.realtime_ns);
}

}  // namespace

absl::StatusOr<PreparedHandoff> PrepareHandoff(sys::Kernel& kernel, const CollectInput& input) {
  PreparedHandoff out;
  // On an arena: hundreds of events and log streams are one allocation
  // block, not one malloc (and one free before the exec) each.
  google::protobuf::Arena arena(CollectArenaOptions());
  Handoff& h = *google::protobuf::Arena::CreateMessage<Handoff>(&arena);
  CollectHandoffInto(input, &h);
  h.clear_fds();
  for (const auto& [role, fd] : input.fds) {
    uint32_t index = static_cast<uint32_t>(out.fds.size());
    absl::StatusOr<FdEntry> entry = DescribeFd(kernel, fd, index, role);
    absl::Status cleared = entry.ok() ? kernel.SetCloexec(fd, false) : entry.status();
    if (!cleared.ok()) {
      std::string w = absl::StrCat("fd ", fd, " (", role, ") not carried: ", cleared.message());
      out.warnings.push_back(w);
      h.add_warnings(w);
      continue;
    }
    *h.add_fds() = *entry;
    out.fds.push_back(fd);
  }
  AddExecMark(input, &h);
  ASSIGN_OR_RETURN(std::string bytes, Encode(h));
  ASSIGN_OR_RETURN(out.memfd, WriteSealedMemfd(kernel, bytes));
  RETURN_IF_ERROR(kernel.SetCloexec(out.memfd.get(), false));
  out.handoff_fd = out.memfd.get();
  out.bytes = bytes.size();
  return out;
}

absl::Status WriteHandoffFile(sys::Kernel& kernel, const CollectInput& input,
                              const std::string& path) {
  google::protobuf::Arena arena(CollectArenaOptions());
  Handoff& h = *google::protobuf::Arena::CreateMessage<Handoff>(&arena);
  CollectHandoffInto(input, &h);
  h.clear_fds();
  AddExecMark(input, &h);
  ASSIGN_OR_RETURN(std::string bytes, Encode(h));
  size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    RETURN_IF_ERROR(kernel.MkdirAll(path.substr(0, slash), 0755));
  }
  return kernel.WriteFile(path, bytes, 0600);
}

}  // namespace baton::handoff
