#include "supervisor/engine.h"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "supervisor/expr_index.h"
#include "supervisor/expr_state.h"

namespace baton::supervisor {

const char* StateName(State s) {
  switch (s) {
    case State::kWaiting:
      return "waiting";
    case State::kStarting:
      return "starting";
    case State::kRunning:
      return "running";
    case State::kStopping:
      return "stopping";
    case State::kPostStop:
      return "post-stop";
  }
  return "?";
}

const char* GoalName(Goal g) { return g == Goal::kStart ? "start" : "stop"; }

const char* PhaseName(Phase p) {
  switch (p) {
    case Phase::kPreStart:
      return "pre-start";
    case Phase::kMain:
      return "main";
    case Phase::kPostStop:
      return "post-stop";
  }
  return "?";
}

namespace {

// "TERM" for SIGTERM (upstart's EXIT_SIGNAL has no "SIG"), else the number.
std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? std::string(abbrev) : absl::StrCat(sig);
}

bool CleanExit(const sys::ChildExit& e) { return e.signal == 0 && e.exit_status == 0; }

std::string DescribeExit(absl::string_view process, const sys::ChildExit& e) {
  if (e.signal != 0) return absl::StrCat(process, " killed by SIG", SignalName(e.signal));
  return absl::StrCat(process, " exit ", e.exit_status);
}

}  // namespace

// Everything the engine knows about one job.
struct Engine::JobEntry {
  std::shared_ptr<const jobs::JobConfig> config;
  std::unique_ptr<ExprState> start_on;  // one for the job: it creates instances
  // The job's instances by name (owned by Impl::instances_), so that an
  // event finds an already started one without a walk of the ordered map.
  absl::flat_hash_map<std::string, Instance*> instances;
};

// One instance. Plain data apart from the expression state, so that it can be
// exported to and rebuilt from the handoff (an adopted process is a kRunning
// instance with a pid and phase kMain).
struct Engine::Instance {
  std::shared_ptr<const jobs::JobConfig> config;  // the config it runs with
  std::string job;
  std::string name;
  State state = State::kWaiting;
  Goal goal = Goal::kStop;
  pid_t pid = 0;  // the process now running (any phase), or 0
  Phase phase = Phase::kMain;
  Env start_env;  // from the starting events or Start(); Restart() reuses it
  Env env;        // the whole process environment of this run

  // Outcome of the current run: the first failure wins.
  bool failed = false;
  std::string failure;          // e.g. "pre-start exit 1"
  std::string failed_process;   // PROCESS=: pre-start, main, post-stop, respawn
  std::optional<sys::ChildExit> failed_exit;
  std::optional<sys::ChildExit> last_exit;
  std::deque<ExitRecord> exits;  // the last Engine::kMaxExitRecords

  std::deque<absl::Time> respawn_times;  // respawns inside the limit window
  int64_t runs = 0;
  bool main_exited = false;  // main went away while kRunning (decided in Step)
  bool term_sent = false;
  std::optional<absl::Time> kill_deadline;
  bool restart = false;      // Restart(): start again once stopped

  uint64_t wait_seq = 0;     // a lifecycle event that must be dispatched first
  bool queued = false;       // in the step queue
  // `stop on` of the current run: its own state (the instance's $VARs, its
  // own matches so far), offered events through Impl::stop_index_.
  std::unique_ptr<ExprState> stop_on;
  int64_t stop_id = -1;  // in Impl::stop_index_, or -1
};

namespace {

// Orders (job, instance) keys and finds them by string_views, so a lookup
// copies no strings.
struct KeyLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    int c = absl::string_view(a.first).compare(absl::string_view(b.first));
    return c < 0 || (c == 0 && absl::string_view(a.second) < absl::string_view(b.second));
  }
};
using KeyRef = std::pair<absl::string_view, absl::string_view>;

}  // namespace

class Engine::Impl {
 public:
  using Key = std::pair<std::string, std::string>;
  using InstanceMap = std::map<Key, std::unique_ptr<Instance>, KeyLess>;

  Impl(ProcessRunner& runner, Clock& clock, std::deque<Event>& history)
      : runner_(runner), clock_(clock), history_(history) {}

  void AddJob(std::unique_ptr<jobs::JobConfig> job);
  absl::Status RemoveJob(absl::string_view name);
  const jobs::JobConfig* FindJob(absl::string_view name) const;
  std::vector<const jobs::JobConfig*> Jobs() const;
  uint64_t Emit(std::string name, Env env);
  absl::Status Start(absl::string_view job, const Env& env);
  absl::Status Stop(absl::string_view job, absl::string_view instance);
  absl::Status Restart(absl::string_view job, absl::string_view instance);
  bool OnProcessExit(const sys::ChildExit& exit);
  void OnTimer();
  std::optional<absl::Time> NextDeadline() const;
  void RunQueue();
  bool Idle() const;
  std::vector<InstanceInfo> Instances() const;
  std::optional<InstanceInfo> Find(absl::string_view job, absl::string_view instance) const;
  bool Owns(pid_t pid) const { return ByPid(pid) != nullptr; }
  std::vector<InstanceSnapshot> Export() const;
  absl::Status Adopt(const InstanceSnapshot& snapshot);
  void RestoreHistory(std::vector<Event> events);

 private:
  Instance* Lookup(absl::string_view job, absl::string_view instance) const;
  Instance* ByPid(pid_t pid) const;
  InstanceInfo Info(const Instance& in) const;
  void Queue(Instance& in);
  // Starts the instance NAME of ENTRY's job (made when new) with ENV and
  // returns it; null (and nothing changes) when it already has goal start.
  Instance* StartInstance(JobEntry& entry, absl::string_view name, Env env);
  // The instance name ENTRY's `instance` stanza gives for START_ENV (the
  // job's env, then START_ENV, as in the process environment).
  static std::string InstanceName(const jobs::JobConfig& config, const Env& start_env);
  // The same for the environment START_ON would give, without building it.
  static std::string InstanceName(const jobs::JobConfig& config, const ExprState& start_on);
  void Dispatch(const Event& event);
  // One transition of IN. Returns true when the instance is to be forgotten.
  bool Step(Instance& in);
  void BeginRun(Instance& in);
  void EnterStopping(Instance& in);
  void Respawn(Instance& in);
  // Asks the runner for the PHASE process. False (and IN failed) on error.
  bool Spawn(Instance& in, Phase phase, const jobs::Command& command);
  void Fail(Instance& in, std::string process, std::string why,
            std::optional<sys::ChildExit> exit = std::nullopt);
  Env LifecycleEnv(const Instance& in, bool with_result) const;
  // Gives IN a fresh stop-on state of EXPR, its `$VAR`s from in.env (which
  // must not change until the next SetStopOn), and adds it to stop_index_
  // in place of the previous one, so that Dispatch offers an event only to
  // the instances whose `stop on` has a leaf that may match it.
  void SetStopOn(Instance& in, const jobs::EventExpr* expr);
  void DropStopOn(Instance& in);
  void Forget(InstanceMap::iterator it);
  void WaitFor(Instance& in, uint64_t seq);
  void RebuildStartIndex();
  uint64_t EmitLifecycle(const char* name, const Instance& in, bool with_result);

  ProcessRunner& runner_;
  Clock& clock_;
  std::deque<Event>& history_;
  std::map<std::string, JobEntry, std::less<>> jobs_;
  InstanceMap instances_;
  std::deque<Event> events_;
  std::deque<Key> steps_;
  uint64_t next_seq_ = 1;
  // The jobs' `start on` states, added in job-name order; start_jobs_[id]
  // is the job of the state with that id.
  ExprIndex start_index_;
  std::vector<JobEntry*> start_jobs_;
  bool start_index_dirty_ = true;
  // The instances' `stop on` states (those with a leaf); stop_instances_[id]
  // is the instance of the state with that id (null for a removed id).
  ExprIndex stop_index_;
  std::vector<Instance*> stop_instances_;
  // Lifecycle event seq -> the instances waiting for its dispatch.
  absl::flat_hash_map<uint64_t, std::vector<Key>> waiters_;
};

void Engine::Impl::DropStopOn(Instance& in) {
  if (in.stop_id < 0) return;
  stop_index_.Remove(static_cast<size_t>(in.stop_id));
  stop_instances_[in.stop_id] = nullptr;
  in.stop_id = -1;
}

void Engine::Impl::SetStopOn(Instance& in, const jobs::EventExpr* expr) {
  // Out of the index before the old state goes (its expression may be gone
  // already: BeginRun has just replaced the config).
  DropStopOn(in);
  in.stop_on = std::make_unique<ExprState>(expr);
  if (in.stop_on->leaf_count() == 0) return;
  const size_t id = stop_index_.Add(*in.stop_on, in.env);
  if (id >= stop_instances_.size()) stop_instances_.resize(id + 1, nullptr);
  stop_instances_[id] = &in;
  in.stop_id = static_cast<int64_t>(id);
}

void Engine::Impl::Forget(InstanceMap::iterator it) {
  DropStopOn(*it->second);
  if (auto entry = jobs_.find(it->first.first); entry != jobs_.end()) {
    entry->second.instances.erase(it->first.second);
  }
  instances_.erase(it);
}

void Engine::Impl::WaitFor(Instance& in, uint64_t seq) {
  in.wait_seq = seq;
  waiters_[seq].emplace_back(in.job, in.name);
}

void Engine::Impl::RebuildStartIndex() {
  start_index_.Clear();
  start_jobs_.clear();
  for (auto& [job, entry] : jobs_) {
    start_index_.Add(*entry.start_on, entry.config->env);
    start_jobs_.push_back(&entry);
  }
  start_index_dirty_ = false;
}

// --- jobs and lookups ---------------------------------------------------------

void Engine::Impl::AddJob(std::unique_ptr<jobs::JobConfig> job) {
  JobEntry& entry = jobs_[job->name];
  entry.config = std::shared_ptr<const jobs::JobConfig>(std::move(job));
  entry.start_on = std::make_unique<ExprState>(entry.config->start_on.get());
  start_index_dirty_ = true;
}

absl::Status Engine::Impl::RemoveJob(absl::string_view name) {
  auto entry = jobs_.find(name);
  if (entry == jobs_.end()) return absl::NotFoundError(absl::StrCat("unknown job '", name, "'"));
  std::vector<std::string> idle;
  for (const auto& [instance, in] : entry->second.instances) {
    if (in->state == State::kWaiting && in->goal == Goal::kStop && in->pid == 0 &&
        !in->queued && in->wait_seq == 0) {
      idle.push_back(instance);
    }
  }
  for (const std::string& instance : idle) Forget(instances_.find(KeyRef(entry->first, instance)));
  start_index_dirty_ = true;
  if (entry->second.instances.empty()) {
    jobs_.erase(entry);
    return absl::OkStatus();
  }
  auto placeholder = std::make_unique<jobs::JobConfig>();
  placeholder->name = entry->first;
  placeholder->path = entry->second.config->path;
  placeholder->description = "job file removed; stays until its instances have stopped";
  entry->second.config = std::shared_ptr<const jobs::JobConfig>(std::move(placeholder));
  entry->second.start_on = std::make_unique<ExprState>(entry->second.config->start_on.get());
  return absl::OkStatus();
}

const jobs::JobConfig* Engine::Impl::FindJob(absl::string_view name) const {
  auto it = jobs_.find(name);
  return it == jobs_.end() ? nullptr : it->second.config.get();
}

std::vector<const jobs::JobConfig*> Engine::Impl::Jobs() const {
  std::vector<const jobs::JobConfig*> out;
  for (const auto& [name, entry] : jobs_) out.push_back(entry.config.get());
  return out;
}

Engine::Instance* Engine::Impl::Lookup(absl::string_view job, absl::string_view instance) const {
  auto it = instances_.find(KeyRef(job, instance));
  return it == instances_.end() ? nullptr : it->second.get();
}

Engine::Instance* Engine::Impl::ByPid(pid_t pid) const {
  if (pid <= 0) return nullptr;
  for (const auto& [key, in] : instances_) {
    if (in->pid == pid) return in.get();
  }
  return nullptr;
}

InstanceInfo Engine::Impl::Info(const Instance& in) const {
  InstanceInfo info;
  info.job = in.job;
  info.instance = in.name;
  info.state = in.state;
  info.goal = in.goal;
  info.pid = in.pid;
  info.phase = in.phase;
  info.failed = in.failed;
  info.failure = in.failure;
  absl::Time since = clock_.Now() - in.config->respawn.limit_interval;
  info.respawns = static_cast<int>(std::count_if(in.respawn_times.begin(), in.respawn_times.end(),
                                                 [&](absl::Time t) { return t > since; }));
  info.runs = in.runs;
  info.last_exit = in.last_exit;
  info.env = in.env;
  return info;
}

std::vector<InstanceInfo> Engine::Impl::Instances() const {
  std::vector<InstanceInfo> out;
  for (const auto& [key, in] : instances_) out.push_back(Info(*in));
  return out;
}

std::optional<InstanceInfo> Engine::Impl::Find(absl::string_view job,
                                               absl::string_view instance) const {
  const Instance* in = Lookup(job, instance);
  if (in == nullptr) return std::nullopt;
  return Info(*in);
}

// --- inputs -----------------------------------------------------------------

uint64_t Engine::Impl::Emit(std::string name, Env env) {
  Event e;
  e.name = std::move(name);
  e.env = std::move(env);
  e.seq = next_seq_++;
  e.when = clock_.Now();
  events_.push_back(std::move(e));
  return events_.back().seq;
}

std::string Engine::Impl::InstanceName(const jobs::JobConfig& config, const Env& start_env) {
  if (config.instance.empty()) return "";
  Env vars = config.env;
  MergeEnv(vars, start_env);
  return ExpandVars(config.instance, vars);
}

std::string Engine::Impl::InstanceName(const jobs::JobConfig& config, const ExprState& start_on) {
  if (config.instance.empty()) return "";
  // As InstanceName(config, start_on.Environment()): that merges a start
  // environment with distinct keys into the job's env, replacing the first
  // entry of a key, and a name expands to the last entry of its key.
  return ExpandVarsWith(config.instance, [&](absl::string_view key, std::string* out) {
    const std::string* first = nullptr;
    const std::string* last = nullptr;
    for (const auto& [k, v] : config.env) {
      if (k != key) continue;
      if (first == nullptr) first = &v;
      last = &v;
    }
    if (last != nullptr && last != first) {
      out->append(*last);  // a later entry of the key, not replaced
      return;
    }
    if (std::optional<std::string> v = start_on.EnvironmentValue(key)) {
      out->append(*v);
    } else if (last != nullptr) {
      out->append(*last);
    }
  });
}

Engine::Instance* Engine::Impl::StartInstance(JobEntry& entry, absl::string_view name, Env env) {
  const jobs::JobConfig& config = *entry.config;
  auto it = instances_.find(KeyRef(config.name, name));
  if (it == instances_.end()) {
    auto in = std::make_unique<Instance>();
    in->config = entry.config;
    in->job = config.name;
    in->name = std::string(name);
    entry.instances[in->name] = in.get();
    it = instances_.emplace(Key(config.name, name), std::move(in)).first;
  }
  Instance& in = *it->second;
  if (in.goal == Goal::kStart) return nullptr;
  in.goal = Goal::kStart;
  in.start_env = std::move(env);
  Queue(in);
  return &in;
}

absl::Status Engine::Impl::Start(absl::string_view job, const Env& env) {
  auto it = jobs_.find(job);
  if (it == jobs_.end()) return absl::NotFoundError(absl::StrCat("unknown job ", job));
  std::string name = InstanceName(*it->second.config, env);
  if (StartInstance(it->second, name, env) == nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("job ", job, name.empty() ? "" : " instance ",
                                                 name, " is already started"));
  }
  return absl::OkStatus();
}

absl::Status Engine::Impl::Stop(absl::string_view job, absl::string_view instance) {
  if (jobs_.find(job) == jobs_.end()) return absl::NotFoundError(absl::StrCat("unknown job ", job));
  Instance* in = Lookup(job, instance);
  if (in == nullptr) {
    return absl::NotFoundError(absl::StrCat("job ", job, " has no instance \"", instance, "\""));
  }
  if (in->goal == Goal::kStop) {
    in->restart = false;
    return absl::FailedPreconditionError(absl::StrCat("job ", job, " is already stopped"));
  }
  in->goal = Goal::kStop;
  in->restart = false;
  Queue(*in);
  return absl::OkStatus();
}

absl::Status Engine::Impl::Restart(absl::string_view job, absl::string_view instance) {
  if (jobs_.find(job) == jobs_.end()) return absl::NotFoundError(absl::StrCat("unknown job ", job));
  Instance* in = Lookup(job, instance);
  if (in == nullptr) {
    return absl::NotFoundError(absl::StrCat("job ", job, " has no instance \"", instance, "\""));
  }
  if (in->goal == Goal::kStop) {
    return absl::FailedPreconditionError(absl::StrCat("job ", job, " is not started"));
  }
  in->goal = Goal::kStop;
  in->restart = true;
  Queue(*in);
  return absl::OkStatus();
}

bool Engine::Impl::OnProcessExit(const sys::ChildExit& exit) {
  Instance* in = ByPid(exit.pid);
  if (in == nullptr) return false;
  in->pid = 0;
  in->last_exit = exit;
  in->exits.push_back(ExitRecord{exit, clock_.Now(), in->phase});
  while (in->exits.size() > Engine::kMaxExitRecords) in->exits.pop_front();
  const bool clean = CleanExit(exit);
  switch (in->phase) {
    case Phase::kPreStart:
      if (!clean) {
        Fail(*in, "pre-start", DescribeExit("pre-start", exit), exit);
        in->goal = Goal::kStop;
      }
      break;
    case Phase::kMain:
      in->kill_deadline.reset();
      // Exits while kStopping are the stop we asked for: ok.
      if (in->state != State::kRunning) break;
      if (in->goal == Goal::kStop) break;  // a stop is already on its way
      if (in->config->task && clean) {
        in->goal = Goal::kStop;
      } else if (in->config->respawn.enabled) {
        in->main_exited = true;  // Step() decides about the respawn
      } else {
        Fail(*in, "main", DescribeExit("main", exit), exit);
        in->goal = Goal::kStop;
      }
      break;
    case Phase::kPostStop:
      if (!clean) Fail(*in, "post-stop", DescribeExit("post-stop", exit), exit);
      break;
  }
  Queue(*in);
  return true;
}

void Engine::Impl::OnTimer() {
  absl::Time now = clock_.Now();
  for (auto& [key, in] : instances_) {
    if (!in->kill_deadline.has_value() || *in->kill_deadline > now) continue;
    in->kill_deadline.reset();
    if (in->pid == 0) continue;
    // An error (ESRCH: it is exiting right now) changes nothing: the exit
    // still arrives through OnProcessExit.
    runner_.Signal(in->pid, SIGKILL).IgnoreError();
  }
}

std::optional<absl::Time> Engine::Impl::NextDeadline() const {
  std::optional<absl::Time> next;
  for (const auto& [key, in] : instances_) {
    if (in->kill_deadline.has_value() && (!next || *in->kill_deadline < *next)) {
      next = in->kill_deadline;
    }
  }
  return next;
}

// --- the queue --------------------------------------------------------------

void Engine::Impl::Queue(Instance& in) {
  if (in.queued) return;
  in.queued = true;
  steps_.emplace_back(in.job, in.name);
}

void Engine::Impl::RunQueue() {
  // Pending transitions go before the next event, so that the jobs an event
  // started or stopped have moved before the following event is offered.
  for (size_t handled = 0; handled < Engine::kMaxQueueItemsPerRun; ++handled) {
    if (!steps_.empty()) {
      Key key = std::move(steps_.front());
      steps_.pop_front();
      auto it = instances_.find(key);
      if (it == instances_.end()) continue;
      it->second->queued = false;
      if (Step(*it->second)) Forget(it);
    } else if (!events_.empty()) {
      // Into the history first (moved, not copied); it stays the last
      // entry, untouched, while it is dispatched.
      history_.push_back(std::move(events_.front()));
      events_.pop_front();
      while (history_.size() > Engine::kEventHistory) history_.pop_front();
      Dispatch(history_.back());
    } else {
      return;
    }
  }
}

bool Engine::Impl::Idle() const {
  if (!steps_.empty() || !events_.empty()) return false;
  for (const auto& [key, in] : instances_) {
    if (in->state != State::kWaiting && in->state != State::kRunning) return false;
  }
  return true;
}

void Engine::Impl::Dispatch(const Event& event) {
  // `stop on` first, each instance with its own state and its own
  // environment for $VAR, offered only to the instances with goal start.
  // The instances it stops are queued in (job, instance) order, whatever
  // order the index took them in.
  if (stop_index_.size() > 0) {
    absl::InlinedVector<Instance*, 4> stopped;
    stop_index_.Offer(
        event, [&](size_t id) { return stop_instances_[id]->goal == Goal::kStart; },
        [&](size_t id) {
          Instance& in = *stop_instances_[id];
          if (!in.stop_on->value()) return;
          in.stop_on->Reset();
          in.goal = Goal::kStop;
          in.restart = false;
          stopped.push_back(&in);
        });
    if (stopped.size() > 1) {
      std::sort(stopped.begin(), stopped.end(), [](const Instance* a, const Instance* b) {
        return KeyLess()(KeyRef(a->job, a->name), KeyRef(b->job, b->name));
      });
    }
    for (Instance* in : stopped) Queue(*in);
  }
  // Then `start on`, which may create instances.
  if (start_index_dirty_) RebuildStartIndex();
  start_index_.Offer(event, [&](size_t id) {
    JobEntry& entry = *start_jobs_[id];
    ExprState& start_on = *entry.start_on;
    if (!start_on.value()) return;
    // An instance that already has goal start is left alone: its name is
    // all that is worked out, not the environment.
    const jobs::JobConfig& config = *entry.config;
    std::string name = InstanceName(config, start_on);
    auto it = entry.instances.find(name);
    if (it != entry.instances.end() && it->second->goal == Goal::kStart) {
      start_on.Reset();
      return;
    }
    Env env = start_on.Environment();
    start_on.Reset();
    StartInstance(entry, name, std::move(env));
  });
  // Last, the instance that emitted EVENT goes on (after the jobs the event
  // started or stopped have taken their first step).
  if (auto waiting = waiters_.find(event.seq); waiting != waiters_.end()) {
    std::vector<Key> keys = std::move(waiting->second);
    waiters_.erase(waiting);
    for (const Key& key : keys) {
      auto it = instances_.find(key);
      if (it == instances_.end() || it->second->wait_seq != event.seq) continue;
      it->second->wait_seq = 0;
      Queue(*it->second);
    }
  }
}

// --- transitions ------------------------------------------------------------

bool Engine::Impl::Step(Instance& in) {
  if (in.wait_seq != 0) return false;  // requeued when the event is dispatched
  const jobs::JobConfig& config = *in.config;
  switch (in.state) {
    case State::kWaiting:
      if (in.goal == Goal::kStop) return !in.name.empty() && in.pid == 0;
      BeginRun(in);
      return false;

    case State::kStarting:
      if (in.pid != 0) return false;  // pre-start still runs
      if (in.phase == Phase::kMain && !config.pre_start.empty() && !in.failed &&
          in.goal == Goal::kStart) {
        // The `starting` event has been dispatched: now pre-start.
        in.phase = Phase::kPreStart;
        if (Spawn(in, Phase::kPreStart, config.pre_start)) return false;
        in.goal = Goal::kStop;
      }
      if (in.goal == Goal::kStop) {
        EnterStopping(in);
        return false;
      }
      in.state = State::kRunning;
      in.main_exited = false;
      in.runs++;
      if (!config.exec.empty() && !Spawn(in, Phase::kMain, config.exec)) {
        in.goal = Goal::kStop;
        Queue(in);
        return false;
      }
      if (config.exec.empty() && config.task) in.goal = Goal::kStop;  // nothing to run
      EmitLifecycle("started", in, false);
      if (in.goal == Goal::kStop) Queue(in);
      return false;

    case State::kRunning:
      if (in.goal == Goal::kStop) {
        EnterStopping(in);
      } else if (in.main_exited) {
        in.main_exited = false;
        Respawn(in);
      }
      return false;

    case State::kStopping:
      if (in.pid != 0) {
        if (in.phase == Phase::kMain && !in.term_sent) {
          // The `stopping` event has been dispatched: now the signal.
          in.term_sent = true;
          in.kill_deadline = clock_.Now() + config.kill_timeout;
          runner_.Signal(in.pid, SIGTERM).IgnoreError();
        }
        return false;
      }
      in.kill_deadline.reset();
      in.state = State::kPostStop;
      in.phase = Phase::kPostStop;
      if (!config.post_stop.empty()) {
        if (Spawn(in, Phase::kPostStop, config.post_stop)) return false;
      }
      Queue(in);
      return false;

    case State::kPostStop:
      if (in.pid != 0) return false;  // post-stop still runs
      in.state = State::kWaiting;
      in.phase = Phase::kMain;
      EmitLifecycle("stopped", in, true);
      if (in.restart) {
        in.restart = false;
        in.goal = Goal::kStart;
      }
      // A named instance with goal stop is forgotten once `stopped` is out.
      if (in.goal == Goal::kStart || !in.name.empty()) Queue(in);
      return false;
  }
  return false;
}

void Engine::Impl::BeginRun(Instance& in) {
  // A new run takes the job's current config (AddJob may have replaced it).
  auto entry = jobs_.find(in.job);
  if (entry != jobs_.end()) in.config = entry->second.config;
  const jobs::JobConfig& config = *in.config;

  in.state = State::kStarting;
  in.phase = Phase::kMain;  // pre-start is started once `starting` is out
  in.failed = false;
  in.failure.clear();
  in.failed_process.clear();
  in.failed_exit.reset();
  in.term_sent = false;
  in.main_exited = false;
  in.kill_deadline.reset();
  in.respawn_times.clear();
  in.env = config.env;
  MergeEnv(in.env, in.start_env);
  SetEnv(in.env, "JOB", in.job);
  SetEnv(in.env, "INSTANCE", in.name);
  SetStopOn(in, config.stop_on.get());
  WaitFor(in, EmitLifecycle("starting", in, false));
}

void Engine::Impl::EnterStopping(Instance& in) {
  in.state = State::kStopping;
  in.main_exited = false;
  WaitFor(in, EmitLifecycle("stopping", in, true));
}

void Engine::Impl::Respawn(Instance& in) {
  const jobs::RespawnPolicy& policy = in.config->respawn;
  absl::Time now = clock_.Now();
  while (!in.respawn_times.empty() && in.respawn_times.front() <= now - policy.limit_interval) {
    in.respawn_times.pop_front();
  }
  bool limited = !policy.unlimited && policy.limit_count > 0;
  if (limited && static_cast<int>(in.respawn_times.size()) >= policy.limit_count) {
    Fail(in, "respawn", "respawning too fast");
    in.goal = Goal::kStop;
    EnterStopping(in);
    return;
  }
  in.respawn_times.push_back(now);
  in.runs++;
  if (!Spawn(in, Phase::kMain, in.config->exec)) {
    in.goal = Goal::kStop;
    EnterStopping(in);
  }
}

bool Engine::Impl::Spawn(Instance& in, Phase phase, const jobs::Command& command) {
  ProcessRunner::Spec spec;
  spec.job = in.config.get();
  spec.instance = in.name;
  spec.phase = phase;
  spec.command = &command;
  spec.env = in.env;
  absl::StatusOr<pid_t> pid = runner_.Start(spec);
  in.phase = phase;
  if (!pid.ok()) {
    Fail(in, PhaseName(phase), std::string(pid.status().message()));
    in.pid = 0;
    return false;
  }
  in.pid = *pid;
  return true;
}

void Engine::Impl::Fail(Instance& in, std::string process, std::string why,
                        std::optional<sys::ChildExit> exit) {
  if (in.failed) return;  // the first failure is the one reported
  in.failed = true;
  in.failed_process = std::move(process);
  in.failure = std::move(why);
  in.failed_exit = exit;
}

Env Engine::Impl::LifecycleEnv(const Instance& in, bool with_result) const {
  Env env = {{"JOB", in.job}, {"INSTANCE", in.name}};
  if (!with_result) return env;
  env.emplace_back("RESULT", in.failed ? "failed" : "ok");
  if (!in.failed) return env;
  env.emplace_back("PROCESS", in.failed_process);
  if (in.failed_exit.has_value()) {
    if (in.failed_exit->signal != 0) {
      env.emplace_back("EXIT_SIGNAL", SignalName(in.failed_exit->signal));
    } else {
      env.emplace_back("EXIT_STATUS", absl::StrCat(in.failed_exit->exit_status));
    }
  }
  return env;
}

uint64_t Engine::Impl::EmitLifecycle(const char* name, const Instance& in, bool with_result) {
  return Emit(name, LifecycleEnv(in, with_result));
}

// --- the handoff ------------------------------------------------------------

std::vector<InstanceSnapshot> Engine::Impl::Export() const {
  std::vector<InstanceSnapshot> out;
  absl::Time now = clock_.Now();
  for (const auto& [key, in] : instances_) {
    InstanceSnapshot s;
    s.job = in->job;
    s.instance = in->name;
    s.state = in->state;
    s.goal = in->goal;
    s.pid = in->pid;
    s.phase = in->phase;
    s.exits.assign(in->exits.begin(), in->exits.end());
    absl::Time since = now - in->config->respawn.limit_interval;
    for (absl::Time t : in->respawn_times) {
      if (t > since) s.respawn_times.push_back(t);
    }
    s.runs = in->runs;
    s.failed = in->failed;
    s.failure = in->failure;
    s.failed_process = in->failed_process;
    s.env = in->env;
    s.start_env = in->start_env;
    if (in->state == State::kStopping && in->phase == Phase::kMain) {
      s.term_sent = in->term_sent;
      s.kill_deadline = in->kill_deadline;
    }
    out.push_back(std::move(s));
  }
  return out;
}

absl::Status Engine::Impl::Adopt(const InstanceSnapshot& s) {
  if (s.job.empty()) return absl::InvalidArgumentError("adopt: empty job name");
  if (s.pid < 0 || s.pid == 1) {
    return absl::InvalidArgumentError(absl::StrCat("adopt ", s.job, ": bad pid ", s.pid));
  }
  if (s.pid != 0 && s.state == State::kWaiting) {
    return absl::InvalidArgumentError(
        absl::StrCat("adopt ", s.job, ": a waiting instance with pid ", s.pid));
  }
  Key key(s.job, s.instance);
  if (instances_.count(key) > 0) {
    return absl::AlreadyExistsError(absl::StrCat("adopt ", s.job,
                                                 s.instance.empty() ? "" : " instance ",
                                                 s.instance, ": already known"));
  }
  if (ByPid(s.pid) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("adopt ", s.job, ": pid ", s.pid,
                                                 " belongs to another instance"));
  }
  auto entry = jobs_.find(s.job);
  if (entry == jobs_.end()) {
    auto placeholder = std::make_unique<jobs::JobConfig>();
    placeholder->name = s.job;
    placeholder->description = "adopted from stage 1; no job file defines it";
    AddJob(std::move(placeholder));
    entry = jobs_.find(s.job);
  }
  auto in = std::make_unique<Instance>();
  in->config = entry->second.config;
  in->job = s.job;
  in->name = s.instance;
  in->state = s.state;
  in->goal = s.goal;
  in->pid = s.pid;
  in->phase = s.phase;
  in->start_env = s.start_env;
  in->env = s.env;
  in->failed = s.failed;
  in->failure = s.failure;
  in->failed_process = s.failed_process.empty() && s.failed ? "main" : s.failed_process;
  for (const ExitRecord& e : s.exits) in->exits.push_back(e);
  while (in->exits.size() > Engine::kMaxExitRecords) in->exits.pop_front();
  if (!in->exits.empty()) in->last_exit = in->exits.back().exit;
  in->respawn_times.assign(s.respawn_times.begin(), s.respawn_times.end());
  std::sort(in->respawn_times.begin(), in->respawn_times.end());
  in->runs = s.runs;
  if (s.state == State::kStopping && s.phase == Phase::kMain && s.pid != 0 && s.term_sent) {
    in->term_sent = true;
    in->kill_deadline = s.kill_deadline;
  }
  Instance& ref = *in;
  entry->second.instances[ref.name] = &ref;
  instances_.emplace(key, std::move(in));
  SetStopOn(ref, ref.config->stop_on.get());
  if (ref.state != State::kWaiting || ref.goal == Goal::kStart) Queue(ref);
  return absl::OkStatus();
}

void Engine::Impl::RestoreHistory(std::vector<Event> events) {
  uint64_t max_seq = 0;
  for (const Event& e : events) max_seq = std::max(max_seq, e.seq);
  history_.insert(history_.begin(), std::make_move_iterator(events.begin()),
                  std::make_move_iterator(events.end()));
  while (history_.size() > Engine::kEventHistory) history_.pop_front();
  next_seq_ = std::max(next_seq_, max_seq + 1);
}

// --- Engine forwards to Impl ---------------------------------------------

Engine::Engine(ProcessRunner& runner, Clock& clock)
    : impl_(std::make_unique<Impl>(runner, clock, history_)) {}
Engine::~Engine() = default;

void Engine::AddJob(std::unique_ptr<jobs::JobConfig> job) { impl_->AddJob(std::move(job)); }
absl::Status Engine::RemoveJob(absl::string_view name) { return impl_->RemoveJob(name); }
const jobs::JobConfig* Engine::FindJob(absl::string_view name) const {
  return impl_->FindJob(name);
}
std::vector<const jobs::JobConfig*> Engine::Jobs() const { return impl_->Jobs(); }
void Engine::Emit(std::string name, Env env) { impl_->Emit(std::move(name), std::move(env)); }
absl::Status Engine::Start(absl::string_view job, const Env& env) { return impl_->Start(job, env); }
absl::Status Engine::Stop(absl::string_view job, absl::string_view instance) {
  return impl_->Stop(job, instance);
}
absl::Status Engine::Restart(absl::string_view job, absl::string_view instance) {
  return impl_->Restart(job, instance);
}
bool Engine::OnProcessExit(const sys::ChildExit& exit) { return impl_->OnProcessExit(exit); }
void Engine::OnTimer() { impl_->OnTimer(); }
std::optional<absl::Time> Engine::NextDeadline() const { return impl_->NextDeadline(); }
void Engine::RunQueue() { impl_->RunQueue(); }
bool Engine::Idle() const { return impl_->Idle(); }
std::vector<InstanceInfo> Engine::Instances() const { return impl_->Instances(); }
std::optional<InstanceInfo> Engine::Find(absl::string_view job, absl::string_view instance) const {
  return impl_->Find(job, instance);
}
bool Engine::Owns(pid_t pid) const { return impl_->Owns(pid); }
std::vector<InstanceSnapshot> Engine::Export() const { return impl_->Export(); }
absl::Status Engine::Adopt(const InstanceSnapshot& snapshot) { return impl_->Adopt(snapshot); }
void Engine::RestoreHistory(std::vector<Event> events) {
  impl_->RestoreHistory(std::move(events));
}

}  // namespace baton::supervisor
