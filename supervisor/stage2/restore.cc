#include "supervisor/stage2/restore.h"

#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "handoff/codec.h"
#include "handoff/collect.h"
#include "handoff/env_pack.h"
#include "handoff/log_pack.h"
#include "handoff/memfd.h"

namespace baton::stage2 {
namespace {

using supervisor::Env;
using supervisor::InstanceSnapshot;

supervisor::State FromProto(handoff::JobState s) {
  switch (s) {
    case handoff::JOB_STATE_STARTING:
      return supervisor::State::kStarting;
    case handoff::JOB_STATE_RUNNING:
      return supervisor::State::kRunning;
    case handoff::JOB_STATE_STOPPING:
      return supervisor::State::kStopping;
    case handoff::JOB_STATE_POST_STOP:
      return supervisor::State::kPostStop;
    default:
      return supervisor::State::kWaiting;
  }
}

supervisor::Phase FromProto(handoff::JobPhase p) {
  switch (p) {
    case handoff::JOB_PHASE_PRE_START:
      return supervisor::Phase::kPreStart;
    case handoff::JOB_PHASE_POST_STOP:
      return supervisor::Phase::kPostStop;
    default:
      return supervisor::Phase::kMain;
  }
}

absl::Time AtNanos(int64_t ns) { return absl::FromUnixNanos(ns); }

// MSG is a handoff::JobInstance or handoff::Event; both kinds of environment.
template <typename Msg>
Env ToEnv(const Msg& msg) {
  Env env;
  handoff::ForEachEnv(msg, [&env](absl::string_view key, absl::string_view value) {
    env.emplace_back(std::string(key), std::string(value));
  });
  return env;
}

std::string Name(const std::string& job, const std::string& instance) {
  return instance.empty() ? job : absl::StrCat(job, "/", instance);
}

InstanceSnapshot ToSnapshot(const handoff::JobInstance& in) {
  InstanceSnapshot s;
  s.job = in.job();
  s.instance = in.instance();
  s.state = FromProto(in.state());
  s.goal =
      in.goal() == handoff::JOB_GOAL_START ? supervisor::Goal::kStart : supervisor::Goal::kStop;
  s.pid = in.pid();
  s.phase = FromProto(in.phase());
  for (const handoff::ExitRecord& r : in.exits()) {
    supervisor::ExitRecord e;
    e.exit.pid = r.pid();
    e.exit.exit_status = r.exit_status();
    e.exit.signal = r.signal();
    e.exit.core_dumped = r.core_dumped();
    e.when = AtNanos(r.monotonic_ns());
    e.phase = FromProto(r.phase());
    s.exits.push_back(e);
  }
  // The handoff keeps the count and the window's start: the first respawn
  // at that start, the others at the last exit (a respawn follows an exit at
  // once), which keeps them in the window no shorter than they really are.
  if (in.respawns() > 0) {
    s.respawn_times.push_back(AtNanos(in.respawn_window_start_ns()));
    absl::Time last = in.exits().empty() ? AtNanos(in.respawn_window_start_ns())
                                         : AtNanos(in.exits(in.exits_size() - 1).monotonic_ns());
    for (int i = 1; i < in.respawns(); ++i) s.respawn_times.push_back(last);
  }
  s.runs = in.runs();
  s.failed = in.failed();
  s.failure = in.failure();
  s.term_sent = in.term_sent();
  if (in.kill_deadline_ns() > 0) s.kill_deadline = AtNanos(in.kill_deadline_ns());
  s.env = ToEnv(in);
  s.start_env = s.env;
  return s;
}

supervisor::LogRing::StreamSnapshot ToStream(const handoff::LogRing& ring) {
  supervisor::LogRing::StreamSnapshot s;
  s.job = ring.job();
  s.instance = ring.instance();
  s.dropped = ring.dropped();
  handoff::ForEachLogLine(ring, [&s](int64_t since_start_ns, absl::string_view text) {
    s.lines.push_back({absl::Nanoseconds(since_start_ns), std::string(text)});
  });
  return s;
}

class Restorer {
 public:
  Restorer(sys::Kernel& kernel, const RestoreInput& input) : kernel_(kernel), in_(input) {}

  RestoreResult Run();

 private:
  void Log(absl::string_view line) const {
    if (in_.log) in_.log(line);
  }
  void Warn(std::string warning) {
    Log(warning);
    result_.report.warnings.push_back(std::move(warning));
  }
  void Stateless(std::string reason);
  void RestoreTimes(const handoff::Handoff& h);
  void RestoreInstances(const handoff::Handoff& h);
  void RestoreFds(const handoff::Handoff& h);
  void CloseFd(int fd) { sys::UniqueFd closing(fd); }
  void Listen() {
    if (in_.listen) in_.listen(std::move(control_socket_));
  }

  sys::Kernel& kernel_;
  const RestoreInput& in_;
  RestoreResult result_;
  sys::UniqueFd control_socket_;
};

void Restorer::Stateless(std::string reason) {
  result_.report.handoff.reset();
  result_.report.stateless_reason = reason;
  Log(absl::StrCat("starting stateless: ", reason));
  for (int fd : in_.handoff_fds) {
    if (fd == in_.handoff_fd) continue;
    (void)kernel_.SetCloexec(fd, true);
    CloseFd(fd);
  }
  Listen();
  if (in_.timeline != nullptr) in_.timeline->Mark("stage2-ready");
}

void Restorer::RestoreTimes(const handoff::Handoff& h) {
  if (in_.timeline != nullptr) in_.timeline->Restore(h.timestamps());
  if (in_.ring == nullptr || h.timestamps().empty()) return;
  const handoff::Timestamp* start = &h.timestamps(0);
  for (const handoff::Timestamp& t : h.timestamps()) {
    if (t.name() == "stage1-start") {
      start = &t;
      break;
    }
  }
  absl::Time at = AtNanos(start->monotonic_ns());
  if (at < in_.ring->start()) in_.ring->set_start(at);
}

void Restorer::RestoreInstances(const handoff::Handoff& h) {
  supervisor::Engine& engine = *in_.engine;
  for (const handoff::JobInstance& carried : h.instances()) {
    InstanceSnapshot s = ToSnapshot(carried);
    const std::string name = Name(s.job, s.instance);
    const bool defined = engine.FindJob(s.job) != nullptr;
    auto key = std::make_pair(s.job, s.instance);
    if (s.pid == 0) {
      if (!defined) continue;  // a stage-1-only job's record
      absl::Status adopted = engine.Adopt(s);
      if (!adopted.ok()) Warn(absl::StrCat("job ", name, " not restored: ", adopted.message()));
      continue;
    }
    std::string why_not = CheckOurChild(kernel_, in_.proc_root, s.pid);
    if (why_not.empty()) {
      absl::Status adopted = engine.Adopt(s);
      if (!adopted.ok()) {
        Warn(absl::StrCat("job ", name, " (pid ", s.pid, ") not adopted: ", adopted.message()));
        continue;
      }
      result_.report.adopted.insert(key);
      if (!defined) {
        Warn(absl::StrCat("job ", s.job, " is not defined on this root: pid ", s.pid,
                          " adopted as an orphan instance (stop it with initctl stop)"));
      } else {
        Log(absl::StrCat("adopted ", name, " (pid ", s.pid, ")"));
      }
      continue;
    }
    if (!defined || s.goal != supervisor::Goal::kStart) {
      Warn(absl::StrCat("job ", name, ": process ", s.pid, " from stage 1 is gone (", why_not, ")",
                        defined ? "; its goal was stop: not restarted"
                                : "; no job file defines it here: dropped"));
      if (defined) {
        InstanceSnapshot record = s;
        record.pid = 0;
        record.state = supervisor::State::kWaiting;
        record.goal = supervisor::Goal::kStop;
        (void)engine.Adopt(record);
      }
      continue;
    }
    InstanceSnapshot restart = s;
    restart.pid = 0;
    restart.state = supervisor::State::kWaiting;
    restart.goal = supervisor::Goal::kStart;
    restart.phase = supervisor::Phase::kMain;
    absl::Status queued = engine.Adopt(restart);
    if (!queued.ok()) {
      Warn(absl::StrCat("job ", name, ": process ", s.pid, " from stage 1 is gone (", why_not,
                        ") and it cannot be restarted: ", queued.message()));
      continue;
    }
    result_.report.restarted.insert(key);
    Warn(absl::StrCat("job ", name, ": process ", s.pid, " from stage 1 is gone (", why_not,
                      "); restarted"));
  }
}

void Restorer::RestoreFds(const handoff::Handoff& h) {
  std::set<int> used;
  for (const handoff::FdCheck& check : handoff::CheckFds(kernel_, h, in_.handoff_fds)) {
    if (!check.ok) {
      if (check.fd >= 0) (void)kernel_.SetCloexec(check.fd, true);
      Warn(absl::StrCat("fd #", check.index, " (", check.role, ") not used: ", check.warning));
      if (check.fd >= 0) used.insert(check.fd);
      continue;
    }
    used.insert(check.fd);
    (void)kernel_.SetCloexec(check.fd, true);
    std::string job, instance;
    if (handoff::ParseLogPipeRole(check.role, &job, &instance)) {
      if (in_.spawner == nullptr) {
        CloseFd(check.fd);
        continue;
      }
      absl::Status adopted = in_.spawner->AdoptLogPipe(sys::UniqueFd(check.fd), job, instance);
      if (!adopted.ok()) {
        Warn(
            absl::StrCat("log pipe of ", Name(job, instance), " not adopted: ", adopted.message()));
      }
    } else if (handoff::ParseListenRole(check.role, &job)) {
      if (in_.spawner == nullptr) {
        CloseFd(check.fd);
        continue;
      }
      in_.spawner->AddListenFd(job, sys::UniqueFd(check.fd));
    } else if (check.role == handoff::kControlSocketRole && !control_socket_.valid()) {
      control_socket_ = sys::UniqueFd(check.fd);
    } else if (check.role == handoff::kUeventSocketRole) {
      result_.uevent_socket = sys::UniqueFd(check.fd);
      // What arrived after stage 1 collected its queue goes after it.
      for (std::string& d : DrainUeventSocket(kernel_, &result_)) {
        result_.uevents.push_back(std::move(d));
      }
    } else {
      Warn(absl::StrCat("fd #", check.index, " has an unknown role '", check.role, "': closed"));
      CloseFd(check.fd);
    }
  }
  for (int fd : in_.handoff_fds) {
    if (used.count(fd) == 0 && fd != in_.handoff_fd) {
      (void)kernel_.SetCloexec(fd, true);
      Warn(absl::StrCat("fd ", fd, " was passed but no handoff entry names it: closed"));
      CloseFd(fd);
    }
  }
}

RestoreResult Restorer::Run() {
  sys::UniqueFd memfd(in_.handoff_fd >= 0 ? in_.handoff_fd : -1);
  if (!in_.stateless_reason.empty()) {
    Stateless(in_.stateless_reason);
    return std::move(result_);
  }
  if (!memfd.valid()) {
    Stateless("started without a handoff (no --handoff-fd)");
    return std::move(result_);
  }
  absl::StatusOr<std::string> bytes = handoff::ReadHandoffFd(kernel_, memfd.get());
  memfd.reset();
  if (!bytes.ok()) {
    Stateless(absl::StrCat("cannot read the handoff: ", bytes.status().message()));
    return std::move(result_);
  }
  const size_t size = bytes->size();
  handoff::DecodeResult decoded = handoff::Decode(*bytes);
  if (!decoded.ok()) {
    Stateless(decoded.stateless_reason);
    for (const std::string& w : decoded.warnings) Warn(w);
    return std::move(result_);
  }
  if (in_.timeline != nullptr) in_.timeline->Mark("handoff-decoded");
  // The report takes the decoded message itself (no copy): H is the report's
  // handoff, which only grows below (stage 2's marks, late uevents), after
  // what is read from it.
  result_.report = handoff::ReportFromDecode(std::move(decoded));
  for (const std::string& w : result_.report.warnings) Log(w);
  const handoff::Handoff& h = *result_.report.handoff;
  const int carried_marks = h.timestamps_size();
  Log(absl::StrCat("handoff from ", h.producer_build(), " (format ", h.format_version(), ", ",
                   size, " bytes, ", h.fds_size(), " fds): ", h.instances_size(), " instances, ",
                   h.events_size(), " events, ", h.uevents_size(), " queued uevents"));

  RestoreTimes(h);
  if (in_.ring != nullptr) {
    for (const handoff::LogRing& ring : h.logs()) in_.ring->Import(ToStream(ring));
    if (h.has_supervisor_log()) in_.ring->Import(ToStream(h.supervisor_log()));
  }
  std::vector<supervisor::Event> events;
  events.reserve(static_cast<size_t>(h.events_size()));
  for (const handoff::Event& e : h.events()) {
    supervisor::Event event;
    event.name = e.name();
    event.env = ToEnv(e);
    event.seq = e.seq();
    event.when = AtNanos(e.monotonic_ns());
    events.push_back(std::move(event));
  }
  in_.engine->RestoreHistory(std::move(events));
  RestoreInstances(h);
  for (const handoff::QueuedUevent& u : h.uevents()) result_.uevents.push_back(u.datagram());
  RestoreFds(h);
  Listen();

  if (in_.timeline != nullptr) {
    // The report shows stage 2's own marks after the carried ones: those
    // made before the restore ("stage2-start") and "stage2-ready".
    in_.timeline->Mark("stage2-ready");
    const std::vector<handoff::Timestamp>& marks = in_.timeline->marks();
    for (size_t i = static_cast<size_t>(carried_marks); i < marks.size(); ++i) {
      *result_.report.handoff->add_timestamps() = marks[i];
    }
  }
  return std::move(result_);
}

}  // namespace

std::string CheckOurChild(sys::Kernel& kernel, const std::string& proc_root, pid_t pid) {
  if (pid <= 1) return absl::StrCat("bad pid ", pid);
  // One waitid: the child survived the execve and is still ours. Reading
  // /proc/PID/stat instead ran the kernel's stat formatting for the first
  // time in the boot, inside the switch window (~7 ms under TCG).
  absl::StatusOr<bool> ours = kernel.IsOurChild(pid);
  if (ours.ok() && *ours) return "";
  // Why not, for the warning: gone, or someone else's.
  absl::Status alive = kernel.Kill(pid, 0);
  if (!alive.ok()) {
    return absl::StrContains(alive.message(), "(errno 3)") ? "no such process"
                                                           : std::string(alive.message());
  }
  std::string path = absl::StrCat(proc_root, "/", pid, "/stat");
  absl::StatusOr<std::string> stat = kernel.ReadFile(path);
  if (!stat.ok()) return absl::StrCat("cannot read ", path);
  // "PID (COMM) STATE PPID …": COMM may hold spaces and parentheses.
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return absl::StrCat("cannot parse ", path);
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(*stat).substr(close + 1), ' ', absl::SkipEmpty());
  int ppid = 0;
  if (fields.size() < 2 || !absl::SimpleAtoi(fields[1], &ppid)) {
    return absl::StrCat("cannot parse ", path);
  }
  pid_t self = kernel.GetPid();
  if (ppid != self) return absl::StrCat("parent is ", ppid, ", not ", self);
  // waitid is the authority; /proc only names another parent.
  if (ours.ok()) return "not our child (waitid: no such child)";
  return "";
}

std::vector<std::string> DrainUeventSocket(sys::Kernel& kernel, RestoreResult* result) {
  std::vector<std::string> out;
  if (!result->uevent_socket.valid()) return out;
  for (int i = 0; i < 100000; ++i) {
    absl::StatusOr<std::optional<std::string>> datagram =
        kernel.RecvDatagram(result->uevent_socket.get());
    if (!datagram.ok() || !datagram->has_value()) break;
    out.push_back(std::move(**datagram));
    if (result->report.handoff) {
      handoff::QueuedUevent* u = result->report.handoff->add_uevents();
      u->set_datagram(out.back());
      u->set_group(1);
    }
  }
  return out;
}

RestoreResult RestoreStage2(sys::Kernel& kernel, const RestoreInput& input) {
  return Restorer(kernel, input).Run();
}

}  // namespace baton::stage2
