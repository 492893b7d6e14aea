// The job engine: events in, job state transitions and process starts out.
//
// Pure logic. It never calls the kernel: it asks a ProcessRunner to start and
// signal processes, reads time from a Clock, and is told about exits
// (OnProcessExit) and expired deadlines (OnTimer) by the event loop. So every
// transition is tested with a fake runner and a fake clock.
//
// Instances. A job with no `instance` stanza has one instance, named "". With
// `instance $VAR`, each distinct expansion (from the starting event's
// environment) is its own instance with its own state.
//
// States of an instance and their transitions (goal in brackets):
//
//   kWaiting --start [start]--> kStarting: emit `starting`, then (once that
//       event has been handed to every job) run pre-start
//   kStarting --pre-start ok / none--> kRunning: spawn main, emit `started`
//   kStarting --pre-start failed / runner error--> kStopping (RESULT=failed)
//   kRunning --main exits, task with exit 0--> kStopping (RESULT=ok)
//   kRunning --main exits, no respawn--> kStopping (RESULT=failed)
//   kRunning --main exits, respawn, under limit--> kRunning (new pid, counted)
//   kRunning --main exits, respawn, over limit--> kStopping, failed
//       ("respawning too fast", PROCESS=respawn)
//   kRunning --stop [stop]--> kStopping
//   kStopping: emit `stopping`; once it has been handed to every job, SIGTERM
//       the main process group if it still runs, SIGKILL after kill_timeout
//   kStopping --main gone--> kPostStop: run post-stop
//   kPostStop --post-stop done / none--> kWaiting: emit `stopped` with RESULT,
//       PROCESS, EXIT_STATUS / EXIT_SIGNAL; a kWaiting instance with goal stop
//       and an instance name is forgotten.
//
// A service whose main exits while the goal is start failed (unless it is
// respawned); one that exits after we stopped it is ok. A task succeeds when
// main exits 0; a task with `respawn` is respawned only after a failure.
// Respawn limit: a respawn is refused when limit_count respawns already
// happened within the last limit_interval (a sliding window; a limit_count
// of 0 or `unlimited` means no limit).
//
// A stop during kStarting lets pre-start finish and then goes to kStopping
// without spawning main. A start during kStopping/kPostStop restarts once the
// stop completes (goal flips back to start). Restart() is a stop followed by a
// start with the same environment.
//
// Events are queued; RunQueue() processes them in order until nothing is
// pending. Lifecycle events (`starting`, `started`, `stopping`, `stopped`;
// env JOB, INSTANCE, then for stopping/stopped RESULT=ok|failed and, when
// failed, PROCESS=pre-start|main|post-stop|respawn and EXIT_STATUS=N or
// EXIT_SIGNAL=NAME without "SIG") go through the same queue, so there is no
// recursion. Only RunQueue() advances instances: Emit, Start, Stop, Restart,
// OnProcessExit and OnTimer record what happened and queue the work.
//
// An event goes first to the `stop on` of every instance with goal start
// (each instance its own expression state, `$VAR`s from its own process
// environment, fresh for each run; those it stops are queued in (job,
// instance) order), then to every job's `start on`. Both are ExprIndexes
// (supervisor/expr_index.h): an event reaches only the states with a leaf
// whose name and guard test hold for it, as if every state had been offered
// it (engine_differential_test checks that against engine_reference).
//
// Process environment: the job's `env` stanzas, then the environment of the
// events that started it (with BATON_EVENTS, the names of those events) or
// the Start() environment, then JOB and INSTANCE.
#ifndef BATON_SUPERVISOR_ENGINE_H_
#define BATON_SUPERVISOR_ENGINE_H_

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jobs/job.h"
#include "supervisor/event.h"
#include "sys/kernel.h"

namespace baton::supervisor {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
};

// Which of a job's commands a process runs.
enum class Phase { kPreStart, kMain, kPostStop };

// What the engine asks of the process layer (supervisor/spawner.h in
// production, a recording fake in tests).
class ProcessRunner {
 public:
  struct Spec {
    const jobs::JobConfig* job = nullptr;
    std::string instance;
    Phase phase = Phase::kMain;
    const jobs::Command* command = nullptr;
    Env env;  // the whole environment for the process
  };
  virtual ~ProcessRunner() = default;
  virtual absl::StatusOr<pid_t> Start(const Spec& spec) = 0;
  // Signals the process group led by PID.
  virtual absl::Status Signal(pid_t pid, int sig) = 0;
};

enum class State { kWaiting, kStarting, kRunning, kStopping, kPostStop };
enum class Goal { kStart, kStop };
const char* StateName(State s);
const char* GoalName(Goal g);
// "pre-start", "main", "post-stop": the PROCESS= value of lifecycle events.
const char* PhaseName(Phase p);

// A read-only view of one instance, for initctl and the handoff.
struct InstanceInfo {
  std::string job;
  std::string instance;
  State state = State::kWaiting;
  Goal goal = Goal::kStop;
  pid_t pid = 0;             // of the process now running (any phase), or 0
  Phase phase = Phase::kMain;
  bool failed = false;       // the last run ended with RESULT=failed
  std::string failure;       // why, e.g. "respawning too fast", "pre-start exit 1"
  int respawns = 0;          // respawns inside the current limit window
  int64_t runs = 0;          // how many times main was started
  std::optional<sys::ChildExit> last_exit;
  Env env;
};

// One reaped process of an instance (Engine keeps the last kMaxExitRecords).
struct ExitRecord {
  sys::ChildExit exit;
  absl::Time when;  // on the engine's clock
  Phase phase = Phase::kMain;
};

// Everything the handoff carries of one instance: Engine::Export() writes
// it, Engine::Adopt() rebuilds an instance from it. Times are on the engine's
// clock (CLOCK_MONOTONIC in production, which goes on across execve, so the
// values mean the same in stage 2). The event-expression state of `stop on`
// is not carried: an adopted instance starts with a fresh one.
struct InstanceSnapshot {
  std::string job;
  std::string instance;
  State state = State::kWaiting;
  Goal goal = Goal::kStop;
  pid_t pid = 0;  // the process now running (any phase), or 0
  Phase phase = Phase::kMain;
  std::vector<ExitRecord> exits;          // oldest first
  std::vector<absl::Time> respawn_times;  // respawns inside the limit window
  int64_t runs = 0;
  bool failed = false;
  std::string failure;
  std::string failed_process;  // PROCESS= of `stopped`; may be empty
  Env env;                     // the process environment of the current run
  Env start_env;               // what Restart() starts again with
  // kStopping only: SIGTERM already went to the main process, and when it is
  // to get SIGKILL (unset once SIGKILL went too). Carried so that a re-exec
  // or the switch neither signals twice nor restarts the kill timeout.
  bool term_sent = false;
  std::optional<absl::Time> kill_deadline;
};

class Engine {
 public:
  Engine(ProcessRunner& runner, Clock& clock);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Adds the jobs (names must be distinct; a later one with a known name
  // replaces the config for instances not yet running).
  void AddJob(std::unique_ptr<jobs::JobConfig> job);
  // Takes the job NAME away (its file was removed; supervisor/reload.h):
  // instances that are idle (waiting with goal stop, nothing pending) are
  // forgotten, and with none left the job is gone. Instances still active
  // go on under their definition until they have stopped; meanwhile the job
  // is a placeholder that no event starts (as an adopted job without a file,
  // Adopt below). NotFound for an unknown job.
  absl::Status RemoveJob(absl::string_view name);
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
  //   kStopping: queued; when term_sent, SIGTERM is not sent again and
  //       kill_deadline (if any) is armed as it was; otherwise SIGTERM is
  //       sent and the kill timeout armed from now;
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

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_ENGINE_H_
