// Differential test of the engine's event indexes and matching shortcuts:
// random jobs, random event sequences, process exits, hand starts/stops and
// timers go through Engine and through the unindexed reference
// (engine_reference.h); every process start and signal, every status, the
// instances, the history and the handoff export must be the same after every
// step.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "supervisor/engine.h"
#include "supervisor/engine_reference.h"

namespace baton::supervisor {
namespace {

using jobs::EventExpr;
using jobs::EventMatch;
using jobs::JobConfig;

class FakeClock : public Clock {
 public:
  absl::Time Now() override { return now_; }
  void Advance(absl::Duration d) { now_ += d; }

 private:
  absl::Time now_ = absl::FromUnixSeconds(1000);
};

std::string EnvText(const Env& env) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : env) parts.push_back(absl::StrCat(k, "=", v));
  return absl::StrJoin(parts, ",");
}

// Records every call as a line; commands starting with "fail" cannot start.
class RecordingRunner : public ProcessRunner {
 public:
  absl::StatusOr<pid_t> Start(const Spec& spec) override {
    std::string command = spec.command != nullptr ? spec.command->text : "";
    log.push_back(absl::StrCat("start ", spec.job->name, "/", spec.instance, " ",
                               PhaseName(spec.phase), " ", command, " {", EnvText(spec.env), "}"));
    if (command.rfind("fail", 0) == 0) return absl::NotFoundError("no such file");
    pid_t pid = next_pid_++;
    live.insert(pid);
    return pid;
  }
  absl::Status Signal(pid_t pid, int sig) override {
    log.push_back(absl::StrCat("signal ", pid, " ", sig));
    return absl::OkStatus();
  }
  std::vector<std::string> log;
  std::set<pid_t> live;

 private:
  pid_t next_pid_ = 100;
};

std::string ExitText(const std::optional<sys::ChildExit>& e) {
  if (!e.has_value()) return "-";
  return absl::StrCat(e->pid, ":", e->exit_status, ":", e->signal);
}

// SEEN: the largest event seq already compared (updated).
template <typename E>
std::string StateText(const E& engine, uint64_t* seen) {
  std::string out;
  for (const InstanceInfo& in : engine.Instances()) {
    absl::StrAppend(&out, in.job, "/", in.instance, " ", StateName(in.state), " ",
                    GoalName(in.goal), " pid=", in.pid, " ", PhaseName(in.phase),
                    " failed=", in.failed, " '", in.failure, "' respawns=", in.respawns,
                    " runs=", in.runs, " exit=", ExitText(in.last_exit), " {", EnvText(in.env),
                    "}\n");
  }
  // The history: its size and ends, and the events since the last look.
  const std::deque<Event>& history = engine.History();
  absl::StrAppend(&out, "history ", history.size(), "\n");
  if (!history.empty()) absl::StrAppend(&out, "first ", history.front().seq, "\n");
  for (auto it = history.rbegin(); it != history.rend() && it->seq > *seen; ++it) {
    absl::StrAppend(&out, "event ", it->seq, " ", it->name, " {", EnvText(it->env), "}\n");
  }
  if (!history.empty()) *seen = std::max(*seen, history.back().seq);
  for (const InstanceSnapshot& s : engine.Export()) {
    absl::StrAppend(&out, "export ", s.job, "/", s.instance, " exits=", s.exits.size(),
                    " respawn_times=", s.respawn_times.size(), " process=", s.failed_process,
                    " start_env={", EnvText(s.start_env), "}\n");
  }
  absl::StrAppend(&out, "idle=", engine.Idle());
  std::optional<absl::Time> next = engine.NextDeadline();
  absl::StrAppend(&out, " deadline=", next ? absl::FormatTime(*next) : "none");
  return out;
}

std::string StatusText(const absl::Status& s) { return s.ToString(); }

// --- random jobs ---------------------------------------------------------------

const char* const kEventNames[] = {"a", "b", "c", "starting", "started", "stopping", "stopped"};
const char* const kKeys[] = {"K", "L", "JOB", "RESULT", "M"};
const char* const kGlobs[] = {"x",   "y",   "xy",    "x*",  "*",  "?",  "[xy]",
                              "x?",  "$K",  "${L}x", "j1",  "j*", "ok", "failed",
                              "\\x", "x*y", "",      "$M*", "a$"};
const char* const kValues[] = {"x", "y", "xy", "j0", "j1", "j2", "ok", "", "x*", "xay", "a$"};

// The instance-variable globs a `stop on` match tests with in stop-heavy
// workloads: the instance's own $K / $L (its name is made of them).
const char* const kVarGlobs[] = {"$K", "${L}", "$K*", "${K}-$L", "x$L", "$M"};

class Gen {
 public:
  // STOP_HEAVY: every job has instances and almost every one a `stop on`,
  // whose matches test the instance's own variables more often; hand starts
  // are more frequent, so that many instances are up at once.
  explicit Gen(uint32_t seed, bool stop_heavy = false) : rng_(seed), stop_heavy_(stop_heavy) {}
  bool stop_heavy() const { return stop_heavy_; }
  int Int(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool Chance(int percent) { return Int(100) < percent; }
  template <typename T, size_t N>
  const T& Pick(const T (&a)[N]) {
    return a[Int(N)];
  }

  // An expression of job N. Lifecycle events are matched only from jobs
  // numbered below N (JOB=jK first), so that no set of jobs restarts itself
  // forever (the engine_test covers those).
  // VARS: a `stop on` of a stop-heavy workload (instance variables).
  std::unique_ptr<EventExpr> Expr(int n, int depth, bool vars = false) {
    auto e = std::make_unique<EventExpr>();
    if (depth > 0 && Chance(40)) {
      e->kind = Chance(50) ? EventExpr::Kind::kAnd : EventExpr::Kind::kOr;
      e->left = Expr(n, depth - 1, vars);
      e->right = Expr(n, depth - 1, vars);
      return e;
    }
    e->event = n > 0 ? Pick(kEventNames) : kEventNames[Int(3)];
    if (e->event.size() > 1) {
      EventMatch m;
      m.key = "JOB";
      m.glob = absl::StrCat("j", Int(n));
      e->matches.push_back(std::move(m));
    }
    for (int i = Int(3); i > 0; --i) {
      EventMatch m;
      if (!Chance(25)) m.key = Pick(kKeys);
      m.glob = vars && Chance(50) ? Pick(kVarGlobs) : Pick(kGlobs);
      m.negate = !m.key.empty() && Chance(20);
      e->matches.push_back(std::move(m));
    }
    return e;
  }

  Env RandomEnv() {
    Env env;
    for (int i = Int(4); i > 0; --i) env.emplace_back(Pick(kKeys), Pick(kValues));
    return env;
  }

  // Job "jN": the same config each time for the same generator state.
  std::unique_ptr<JobConfig> Job(int n) {
    auto job = std::make_unique<JobConfig>();
    job->name = absl::StrCat("j", n);
    if (!Chance(15)) job->start_on = Expr(n, 2);
    if (Chance(stop_heavy_ ? 95 : 50)) job->stop_on = Expr(n, 2, stop_heavy_);
    if (stop_heavy_) {
      const char* const instances[] = {"$K", "${K}-$L", "i${L}$M"};
      job->instance = Pick(instances);
    } else {
      switch (Int(4)) {
        case 0:
          job->instance = "$K";
          break;
        case 1:
          job->instance = "i${L}$M";
          break;
        default:
          break;
      }
    }
    job->task = Chance(stop_heavy_ ? 15 : 40);
    for (int i = Int(3); i > 0; --i) job->env.emplace_back(Pick(kKeys), Pick(kValues));
    auto command = [&](const char* what) {
      jobs::Command c;
      if (Chance(20)) return c;
      c.kind = jobs::Command::Kind::kExec;
      c.text = absl::StrCat(Chance(10) ? "fail-" : "", what, "-", n);
      return c;
    };
    job->exec = command("main");
    if (Chance(30)) job->pre_start = command("pre");
    if (Chance(30)) job->post_stop = command("post");
    job->respawn.enabled = Chance(30);
    job->respawn.limit_count = Int(4);
    job->respawn.limit_interval = absl::Seconds(1 + Int(5));
    job->respawn.unlimited = Chance(10);
    job->kill_timeout = absl::Seconds(1 + Int(3));
    return job;
  }

 private:
  std::mt19937 rng_;
  bool stop_heavy_ = false;
};

std::unique_ptr<EventExpr> Clone(const EventExpr* e) {
  if (e == nullptr) return nullptr;
  auto c = std::make_unique<EventExpr>();
  c->kind = e->kind;
  c->event = e->event;
  c->matches = e->matches;
  c->left = Clone(e->left.get());
  c->right = Clone(e->right.get());
  return c;
}

std::unique_ptr<JobConfig> CloneJob(const JobConfig& j) {
  auto c = std::make_unique<JobConfig>();
  c->name = j.name;
  c->start_on = Clone(j.start_on.get());
  c->stop_on = Clone(j.stop_on.get());
  c->instance = j.instance;
  c->task = j.task;
  c->env = j.env;
  c->exec = j.exec;
  c->pre_start = j.pre_start;
  c->post_stop = j.post_stop;
  c->respawn = j.respawn;
  c->kill_timeout = j.kill_timeout;
  return c;
}

// --- the two worlds ----------------------------------------------------------------

template <typename E>
struct World {
  FakeClock clock;
  RecordingRunner runner;
  E engine{runner, clock};
};

class Differential {
 public:
  explicit Differential(uint32_t seed, bool stop_heavy = false)
      : gen_(seed, stop_heavy), seed_(seed) {}

  void AddJob(const JobConfig& job) {
    a_.engine.AddJob(CloneJob(job));
    b_.engine.AddJob(CloneJob(job));
  }

  size_t process_calls() const { return a_.runner.log.size(); }
  size_t max_instances() const { return max_instances_; }
  uint64_t events() const { return seen_; }

  // Runs STEPS random actions; false (with a message) at the first difference.
  ::testing::AssertionResult Run(int jobs, int steps) {
    for (int i = 0; i < jobs; ++i) AddJob(*gen_.Job(i));
    if (gen_.Chance(30)) Handoff(jobs);
    for (int step = 0; step < steps; ++step) {
      std::string what = Act(jobs);
      if (!gen_.Chance(25)) {
        a_.engine.RunQueue();
        b_.engine.RunQueue();
      }
      if (a_.runner.log != b_.runner.log) {
        return ::testing::AssertionFailure()
               << "seed " << seed_ << " step " << step << " (" << what
               << "): process calls differ\nindexed:\n"
               << absl::StrJoin(a_.runner.log, "\n") << "\nreference:\n"
               << absl::StrJoin(b_.runner.log, "\n");
      }
      max_instances_ = std::max(max_instances_, a_.engine.Instances().size());
      uint64_t seen_b = seen_;
      std::string sa = StateText(a_.engine, &seen_), sb = StateText(b_.engine, &seen_b);
      if (sa != sb) {
        return ::testing::AssertionFailure() << "seed " << seed_ << " step " << step << " (" << what
                                             << "): state differs\nindexed:\n"
                                             << sa << "\nreference:\n"
                                             << sb;
      }
    }
    return ::testing::AssertionSuccess();
  }

 private:
  void Handoff(int jobs) {
    std::vector<Event> history;
    for (int i = gen_.Int(5); i > 0; --i) {
      Event e;
      e.name = gen_.Pick(kEventNames);
      e.env = gen_.RandomEnv();
      e.seq = static_cast<uint64_t>(gen_.Int(20) + 1);
      history.push_back(std::move(e));
    }
    a_.engine.RestoreHistory(history);
    b_.engine.RestoreHistory(history);
    for (int i = gen_.Int(3); i > 0; --i) {
      InstanceSnapshot s;
      s.job = absl::StrCat("j", gen_.Int(jobs + 1));  // sometimes a job no file defines
      s.instance = gen_.Chance(50) ? "" : gen_.Pick(kValues);
      s.state = gen_.Chance(70) ? State::kRunning : State::kStopping;
      s.goal = s.state == State::kRunning ? Goal::kStart : Goal::kStop;
      s.pid = 5000 + i;
      s.env = gen_.RandomEnv();
      s.start_env = gen_.RandomEnv();
      absl::Status sa = a_.engine.Adopt(s), sb = b_.engine.Adopt(s);
      EXPECT_EQ(StatusText(sa), StatusText(sb));
      if (sa.ok()) a_.runner.live.insert(s.pid);
    }
  }

  std::string Act(int jobs) {
    int roll = gen_.Int(100);
    // Stop-heavy: more hand starts (25 instead of 10 in 100), fewer exits.
    if (gen_.stop_heavy() && roll >= 65 && roll < 80) roll = 50;
    std::string job = absl::StrCat("j", gen_.Int(jobs + 1));
    if (roll < 45) {
      std::string name = gen_.Pick(kEventNames);
      Env env = gen_.RandomEnv();
      std::string what = absl::StrCat("emit ", name, " {", EnvText(env), "}");
      a_.engine.Emit(name, env);
      b_.engine.Emit(name, env);
      return what;
    }
    if (roll < 55) {
      Env env = gen_.RandomEnv();
      Check(a_.engine.Start(job, env), b_.engine.Start(job, env));
      return absl::StrCat("start ", job, " {", EnvText(env), "}");
    }
    if (roll < 65) {
      std::string instance = Instance(job);
      bool restart = gen_.Chance(30);
      if (restart) {
        Check(a_.engine.Restart(job, instance), b_.engine.Restart(job, instance));
      } else {
        Check(a_.engine.Stop(job, instance), b_.engine.Stop(job, instance));
      }
      return absl::StrCat(restart ? "restart " : "stop ", job, "/", instance);
    }
    if (roll < 88) {
      pid_t pid = 4242;  // not ours, now and then
      if (!a_.runner.live.empty() && !gen_.Chance(5)) {
        auto it = a_.runner.live.begin();
        std::advance(it, gen_.Int(static_cast<int>(a_.runner.live.size())));
        pid = *it;
        a_.runner.live.erase(it);
      }
      sys::ChildExit exit{pid, 0, 0, false};
      switch (gen_.Int(4)) {
        case 0:
          exit.exit_status = 1;
          break;
        case 1:
          exit.signal = gen_.Chance(50) ? SIGKILL : SIGTERM;
          break;
        default:
          break;
      }
      bool ra = a_.engine.OnProcessExit(exit), rb = b_.engine.OnProcessExit(exit);
      EXPECT_EQ(ra, rb) << "seed " << seed_ << " exit of " << pid;
      return absl::StrCat("exit ", ExitText(exit));
    }
    if (roll < 97) {
      absl::Duration d = absl::Milliseconds(gen_.Int(4000));
      a_.clock.Advance(d);
      b_.clock.Advance(d);
      a_.engine.OnTimer();
      b_.engine.OnTimer();
      return absl::StrCat("advance ", absl::FormatDuration(d));
    }
    // A job file changes (AddJob with a known name replaces the config).
    std::unique_ptr<JobConfig> config = gen_.Job(gen_.Int(jobs));
    AddJob(*config);
    return absl::StrCat("replace ", config->name);
  }

  // An instance name of JOB that exists now, or a random one.
  std::string Instance(const std::string& job) {
    std::vector<std::string> names;
    for (const InstanceInfo& in : a_.engine.Instances()) {
      if (in.job == job) names.push_back(in.instance);
    }
    if (names.empty() || gen_.Chance(10)) return gen_.Pick(kValues);
    return names[gen_.Int(static_cast<int>(names.size()))];
  }

  void Check(const absl::Status& a, const absl::Status& b) {
    EXPECT_EQ(StatusText(a), StatusText(b)) << "seed " << seed_;
  }

  Gen gen_;
  uint32_t seed_;
  uint64_t seen_ = 0;
  size_t max_instances_ = 0;
  World<Engine> a_;
  World<reference::Engine> b_;
};

TEST(EngineDifferentialTest, RandomSequencesMatchTheUnindexedEngine) {
  size_t calls = 0, events = 0;
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    Differential d(seed);
    ASSERT_TRUE(d.Run(/*jobs=*/2 + static_cast<int>(seed % 9), /*steps=*/200));
    calls += d.process_calls();
    events += d.events();
  }
  // The sequences do reach the interesting parts (not only "nothing matched").
  EXPECT_GT(calls, 5000u);
  EXPECT_GT(events, 30000u);
  std::printf("%zu process calls, %zu events compared\n", calls, events);
}

// Many jobs on few event names: the index buckets hold many entries.
TEST(EngineDifferentialTest, ManyJobsFewEvents) {
  size_t calls = 0;
  for (uint32_t seed = 1000; seed < 1010; ++seed) {
    Differential d(seed);
    ASSERT_TRUE(d.Run(/*jobs=*/60, /*steps=*/300));
    calls += d.process_calls();
  }
  std::printf("%zu process calls\n", calls);
}

// Many instances up at once, nearly all with a `stop on` (with and without
// and/or, env tests, the instance's own $K/$L in them): the stop index holds
// many states, removes them as instances go or start a new run, and is
// rebuilt when the removed ones pile up.
TEST(EngineDifferentialTest, ManyInstancesWithStopOn) {
  size_t calls = 0, most = 0, events = 0;
  for (uint32_t seed = 2000; seed < 2050; ++seed) {
    Differential d(seed, /*stop_heavy=*/true);
    ASSERT_TRUE(d.Run(/*jobs=*/4 + static_cast<int>(seed % 12), /*steps=*/400));
    calls += d.process_calls();
    events += d.events();
    most = std::max(most, d.max_instances());
  }
  EXPECT_GT(most, 60u);
  EXPECT_GT(events, 15000u);
  std::printf("%zu process calls, %zu events, up to %zu instances at once\n", calls, events, most);
}

}  // namespace
}  // namespace baton::supervisor

