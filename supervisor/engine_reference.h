// A testonly reference of the job engine: the engine as it was before events
// were indexed by name (every event offered to every job and instance, every
// glob through fnmatch(3)), kept verbatim apart from its namespace. The
// differential test (engine_differential_test.cc) runs random event sequences
// through both and compares everything observable. Never linked into baton.
#ifndef BATON_SUPERVISOR_ENGINE_REFERENCE_H_
#define BATON_SUPERVISOR_ENGINE_REFERENCE_H_

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "supervisor/engine.h"

namespace baton::supervisor::reference {

class Engine {
 public:
  Engine(ProcessRunner& runner, Clock& clock);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Adds the jobs (names must be distinct; a later one with a known name
  // replaces the config for instances not yet running).
  void AddJob(std::unique_ptr<jobs::JobConfig> job);
  const jobs::JobConfig* FindJob(absl::string_view name) const;
  std::vector<const jobs::JobConfig*> Jobs() const;

  // Queues an event; processed by RunQueue().
  void Emit(std::string name, Env env = {});

  // By hand (initctl). ENV is added to the instance's environment and used to
  // expand the instance name. NotFound for an unknown job or instance;
  // AlreadyExists from Start() when the instance already has goal start;
  // FailedPrecondition from Stop()/Restart() when it has goal stop.
  absl::Status Start(absl::string_view job, const Env& env = {});
  absl::Status Stop(absl::string_view job, absl::string_view instance = "");
  absl::Status Restart(absl::string_view job, absl::string_view instance = "");

  // From the event loop. Returns false (and does nothing) when the pid is not
  // one of ours (e.g. an orphan reparented to PID 1).
  bool OnProcessExit(const sys::ChildExit& exit);
  void OnTimer();  // handles every deadline at or before clock.Now()
  std::optional<absl::Time> NextDeadline() const;

  // Processes queued events and pending transitions until quiet.
  void RunQueue();
  bool Idle() const;  // nothing queued and no instance between states

  std::vector<InstanceInfo> Instances() const;  // sorted by job, instance
  std::optional<InstanceInfo> Find(absl::string_view job, absl::string_view instance = "") const;
  // The most recent events, oldest first (bounded: kEventHistory).
  const std::deque<Event>& History() const { return history_; }
  static constexpr size_t kEventHistory = 1000;
  // At most this many queued items are handled by one RunQueue() call, so a
  // job that restarts itself forever cannot hang the event loop.
  static constexpr size_t kMaxQueueItemsPerRun = 100000;
  // True when PID belongs to one of our instances.
  bool Owns(pid_t pid) const;

  // --- the handoff (handoff/collect.h, supervisor/stage2/restore.h) ---------

  static constexpr size_t kMaxExitRecords = 16;

  // Every instance, sorted by job and instance.
  std::vector<InstanceSnapshot> Export() const;

  // Rebuilds an instance from SNAPSHOT without starting anything and without
  // lifecycle events: its pid (if any) is taken as a running child of ours
  // (after execve it still is: same pid), so its exit later comes through
  // OnProcessExit like any other. Then, by state:
  //   kWaiting, goal start: queued, so the next RunQueue() begins a run
  //       (`starting` …) — how stage 2 restarts an instance whose process
  //       was gone;
  //   kWaiting, goal stop: kept as a record (runs, last exit, failure);
  //   kStopping: queued; SIGTERM is sent (again) and the kill timeout armed;
  //   others: queued, and go on as if nothing had happened.
  // A job that no job file defines (any more) gets a placeholder config (no
  // `start on`, no exec, no respawn; description says it was adopted), so
  // the instance stays visible, can be stopped, and is not restarted when
  // its process exits. The caller warns about it (FindJob() before Adopt).
  // Errors: InvalidArgument for an empty job name, a pid < 0 or 1, or a pid
  // in kWaiting; AlreadyExists when the instance or the pid is known already.
  absl::Status Adopt(const InstanceSnapshot& snapshot);

  // Puts EVENTS (oldest first, e.g. stage 1's history) in front of the
  // history, keeping the newest kEventHistory, and continues numbering after
  // the largest seq among them. Call it before the first Emit().
  void RestoreHistory(std::vector<Event> events);

 private:
  struct Instance;
  struct JobEntry;
  class Impl;
  std::unique_ptr<Impl> impl_;
  std::deque<Event> history_;
};

}  // namespace baton::supervisor::reference

#endif  // BATON_SUPERVISOR_ENGINE_REFERENCE_H_
