#include "supervisor/engine.h"

#include <signal.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::supervisor {
namespace {

using jobs::EventExpr;
using jobs::EventMatch;
using jobs::JobConfig;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

// --- fakes --------------------------------------------------------------------

class FakeClock : public Clock {
 public:
  absl::Time Now() override { return now_; }
  void Advance(absl::Duration d) { now_ += d; }

 private:
  absl::Time now_ = absl::FromUnixSeconds(1000);
};

class FakeRunner : public ProcessRunner {
 public:
  struct Started {
    std::string job;
    std::string instance;
    Phase phase;
    std::string command;
    Env env;
    pid_t pid;
  };
  absl::StatusOr<pid_t> Start(const Spec& spec) override {
    std::string command = spec.command != nullptr ? spec.command->text : "";
    auto err = fail_.find(command);
    if (err != fail_.end()) return absl::NotFoundError(err->second);
    pid_t pid = next_pid_++;
    started.push_back({spec.job->name, spec.instance, spec.phase, command, spec.env, pid});
    return pid;
  }
  absl::Status Signal(pid_t pid, int sig) override {
    signals.emplace_back(pid, sig);
    return absl::OkStatus();
  }
  // Start() of COMMAND fails with MESSAGE.
  void FailOn(std::string command, std::string message) { fail_[command] = message; }

  const Started& Last() const { return started.back(); }
  std::vector<std::string> Commands() const {
    std::vector<std::string> out;
    for (const Started& s : started) out.push_back(s.command);
    return out;
  }

  std::vector<Started> started;
  std::vector<std::pair<pid_t, int>> signals;

 private:
  pid_t next_pid_ = 100;
  std::map<std::string, std::string> fail_;
};

// --- building job configs by hand ----------------------------------------------

std::unique_ptr<EventExpr> On(std::string name, std::vector<EventMatch> matches = {}) {
  auto e = std::make_unique<EventExpr>();
  e->event = std::move(name);
  e->matches = std::move(matches);
  return e;
}
std::unique_ptr<EventExpr> Op(EventExpr::Kind kind, std::unique_ptr<EventExpr> l,
                              std::unique_ptr<EventExpr> r) {
  auto e = std::make_unique<EventExpr>();
  e->kind = kind;
  e->left = std::move(l);
  e->right = std::move(r);
  return e;
}
std::unique_ptr<EventExpr> And(std::unique_ptr<EventExpr> l, std::unique_ptr<EventExpr> r) {
  return Op(EventExpr::Kind::kAnd, std::move(l), std::move(r));
}
std::unique_ptr<EventExpr> Or(std::unique_ptr<EventExpr> l, std::unique_ptr<EventExpr> r) {
  return Op(EventExpr::Kind::kOr, std::move(l), std::move(r));
}

jobs::Command Exec(std::string text) {
  jobs::Command c;
  c.kind = jobs::Command::Kind::kExec;
  c.text = std::move(text);
  return c;
}

// A service "NAME" running "/bin/NAME", started by EVENT when given.
std::unique_ptr<JobConfig> Service(std::string name, std::string event = "") {
  auto job = std::make_unique<JobConfig>();
  job->name = name;
  job->exec = Exec("/bin/" + name);
  if (!event.empty()) job->start_on = On(event);
  return job;
}
std::unique_ptr<JobConfig> Task(std::string name, std::string event = "") {
  auto job = Service(std::move(name), std::move(event));
  job->task = true;
  return job;
}

sys::ChildExit Exited(pid_t pid, int status) { return {pid, status, 0, false}; }
sys::ChildExit Killed(pid_t pid, int sig) { return {pid, 0, sig, false}; }

// --- fixture --------------------------------------------------------------------

class EngineTest : public ::testing::Test {
 protected:
  void EmitAndRun(std::string name, Env env = {}) {
    engine_.Emit(std::move(name), std::move(env));
    engine_.RunQueue();
  }
  void Exit(const sys::ChildExit& e) {
    EXPECT_TRUE(engine_.OnProcessExit(e)) << e.pid;
    engine_.RunQueue();
  }
  // Lifecycle and other events since the last call, as "name K=V K=V".
  std::vector<std::string> NewEvents() {
    std::vector<std::string> out;
    for (const Event& e : engine_.History()) {
      if (e.seq <= seen_seq_) continue;
      seen_seq_ = e.seq;
      std::string line = e.name;
      for (const auto& [k, v] : e.env) absl::StrAppend(&line, " ", k, "=", v);
      out.push_back(line);
    }
    return out;
  }
  State StateOf(const std::string& job, const std::string& instance = "") {
    auto info = engine_.Find(job, instance);
    EXPECT_TRUE(info.has_value()) << job << " " << instance;
    return info ? info->state : State::kWaiting;
  }
  bool Running(const std::string& job, const std::string& instance = "") {
    auto info = engine_.Find(job, instance);
    return info.has_value() && info->state == State::kRunning;
  }

  FakeRunner runner_;
  FakeClock clock_;
  Engine engine_{runner_, clock_};
  uint64_t seen_seq_ = 0;
};

// --- starting on events -----------------------------------------------------------

TEST_F(EngineTest, StartOnEvent) {
  auto job = Service("udev", "startup");
  job->env = {{"A", "1"}, {"JOB", "overridden"}};
  engine_.AddJob(std::move(job));
  EmitAndRun("other");
  EXPECT_THAT(runner_.started, IsEmpty());

  EmitAndRun("startup", {{"A", "2"}, {"B", "3"}});
  ASSERT_EQ(runner_.started.size(), 1u);
  EXPECT_EQ(runner_.Last().phase, Phase::kMain);
  EXPECT_EQ(runner_.Last().command, "/bin/udev");
  EXPECT_THAT(runner_.Last().env,
              ElementsAre(Pair("A", "2"), Pair("JOB", "udev"), Pair("B", "3"),
                          Pair("BATON_EVENTS", "startup"), Pair("INSTANCE", "")));
  EXPECT_EQ(StateOf("udev"), State::kRunning);
  EXPECT_TRUE(engine_.Owns(runner_.Last().pid));
  EXPECT_THAT(NewEvents(), ElementsAre("other", "startup A=2 B=3", "starting JOB=udev INSTANCE=",
                                       "started JOB=udev INSTANCE="));
  EXPECT_TRUE(engine_.Idle());

  // A second startup leaves the running instance alone.
  EmitAndRun("startup");
  EXPECT_EQ(runner_.started.size(), 1u);
}

TEST_F(EngineTest, AndNeedsBothEvents) {
  auto job = Service("net");
  job->start_on = And(On("a"), On("b"));
  engine_.AddJob(std::move(job));
  EmitAndRun("b", {{"FROM_B", "1"}});
  EXPECT_THAT(runner_.started, IsEmpty());
  EmitAndRun("c");
  EXPECT_THAT(runner_.started, IsEmpty());
  EmitAndRun("a", {{"FROM_A", "1"}});
  ASSERT_EQ(runner_.started.size(), 1u);
  EXPECT_THAT(runner_.Last().env,
              ElementsAre(Pair("FROM_B", "1"), Pair("FROM_A", "1"), Pair("BATON_EVENTS", "b a"),
                          Pair("JOB", "net"), Pair("INSTANCE", "")));
}

TEST_F(EngineTest, AndStateIsResetAfterStart) {
  auto job = Task("t");
  job->start_on = And(On("a"), On("b"));
  engine_.AddJob(std::move(job));
  EmitAndRun("a");
  EmitAndRun("b");
  ASSERT_EQ(runner_.started.size(), 1u);
  Exit(Exited(runner_.Last().pid, 0));
  EXPECT_EQ(StateOf("t"), State::kWaiting);
  EmitAndRun("b");  // `a` was consumed by the first start
  EXPECT_EQ(runner_.started.size(), 1u);
  EmitAndRun("a");
  EXPECT_EQ(runner_.started.size(), 2u);
}

TEST_F(EngineTest, OrEitherEvent) {
  for (const char* event : {"a", "b"}) {
    FakeRunner runner;
    FakeClock clock;
    Engine engine(runner, clock);
    auto job = Service("s");
    job->start_on = Or(On("a"), On("b"));
    engine.AddJob(std::move(job));
    engine.Emit(event);
    engine.RunQueue();
    ASSERT_EQ(runner.started.size(), 1u) << event;
    EXPECT_THAT(runner.Last().env, testing::Contains(Pair("BATON_EVENTS", event)));
  }
}

TEST_F(EngineTest, MatchesOnEventEnvironment) {
  struct Case {
    std::string name;
    std::vector<EventMatch> matches;
    Env env;
    bool starts;
  } cases[] = {
      {"key glob", {{"ID_FS_TYPE", "crypto_*", false}}, {{"ID_FS_TYPE", "crypto_LUKS"}}, true},
      {"key differs", {{"ID_FS_TYPE", "crypto_*", false}}, {{"ID_FS_TYPE", "ext4"}}, false},
      {"key missing", {{"ID_FS_TYPE", "*", false}}, {{"DEVNAME", "/dev/sda"}}, false},
      {"key negated", {{"ID_FS_TYPE", "crypto_*", true}}, {{"ID_FS_TYPE", "ext4"}}, true},
      {"positional", {{"", "/dev/sd?", false}, {"", "ext4", false}},
       {{"DEVNAME", "/dev/sda"}, {"ID_FS_TYPE", "ext4"}}, true},
      {"positional mismatch", {{"", "ext4", false}},
       {{"DEVNAME", "/dev/sda"}, {"ID_FS_TYPE", "ext4"}}, false},
  };
  for (const Case& c : cases) {
    FakeRunner runner;
    FakeClock clock;
    Engine engine(runner, clock);
    auto job = Service("j");
    job->start_on = On("block-device-added", c.matches);
    engine.AddJob(std::move(job));
    engine.Emit("block-device-added", c.env);
    engine.RunQueue();
    EXPECT_EQ(runner.started.size(), c.starts ? 1u : 0u) << c.name;
  }
}

TEST_F(EngineTest, LifecycleEventsStartOtherJobs) {
  engine_.AddJob(Service("a", "startup"));
  auto b = Service("b");
  b->start_on = On("started", {{"", "a", false}});  // `start on started a`
  engine_.AddJob(std::move(b));
  EmitAndRun("startup");
  EXPECT_THAT(runner_.Commands(), ElementsAre("/bin/a", "/bin/b"));
  EXPECT_TRUE(Running("b"));
}

TEST_F(EngineTest, StartingEventIsHandledBeforePreStart) {
  // `start on starting a` starts b before a's pre-start runs: the instance
  // waits for its `starting` event to be handed to every job.
  auto a = Service("a", "startup");
  a->pre_start = Exec("/bin/a-pre");
  engine_.AddJob(std::move(a));
  auto b = Task("b");
  b->start_on = On("starting", {{"JOB", "a", false}});
  engine_.AddJob(std::move(b));
  EmitAndRun("startup");
  ASSERT_GE(runner_.started.size(), 2u);
  EXPECT_EQ(runner_.started[0].command, "/bin/a-pre");
  EXPECT_EQ(runner_.started[1].command, "/bin/b");
}

// --- stop on and instances ------------------------------------------------------

TEST_F(EngineTest, StopOnSignalsAndStops) {
  auto job = Service("d", "startup");
  job->stop_on = On("halt");
  engine_.AddJob(std::move(job));
  EmitAndRun("startup");
  pid_t pid = runner_.Last().pid;
  NewEvents();
  EmitAndRun("halt");
  EXPECT_THAT(runner_.signals, ElementsAre(Pair(pid, SIGTERM)));
  EXPECT_EQ(StateOf("d"), State::kStopping);
  Exit(Killed(pid, SIGTERM));
  EXPECT_EQ(StateOf("d"), State::kWaiting);
  EXPECT_FALSE(engine_.Find("d")->failed);
  EXPECT_THAT(NewEvents(), ElementsAre("halt", "stopping JOB=d INSTANCE= RESULT=ok",
                                       "stopped JOB=d INSTANCE= RESULT=ok"));
  EXPECT_FALSE(engine_.Owns(pid));
}

TEST_F(EngineTest, InstancesPerDeviceAndStopWithInstanceEnv) {
  auto job = Service("unlock");
  job->start_on = On("block-device-added", {{"ID_FS_TYPE", "crypto_LUKS", false}});
  job->stop_on = On("block-device-removed", {{"DEVNAME", "$DEVNAME", false}});
  job->instance = "$DEVNAME";
  engine_.AddJob(std::move(job));
  EmitAndRun("block-device-added", {{"DEVNAME", "/dev/sda"}, {"ID_FS_TYPE", "crypto_LUKS"}});
  EmitAndRun("block-device-added", {{"DEVNAME", "/dev/sdb"}, {"ID_FS_TYPE", "crypto_LUKS"}});
  EmitAndRun("block-device-added", {{"DEVNAME", "/dev/sda"}, {"ID_FS_TYPE", "crypto_LUKS"}});
  EmitAndRun("block-device-added", {{"DEVNAME", "/dev/sdc"}, {"ID_FS_TYPE", "ext4"}});
  ASSERT_EQ(runner_.started.size(), 2u);
  EXPECT_EQ(runner_.started[0].instance, "/dev/sda");
  EXPECT_EQ(runner_.started[1].instance, "/dev/sdb");
  EXPECT_THAT(runner_.started[1].env, testing::Contains(Pair("INSTANCE", "/dev/sdb")));
  auto all = engine_.Instances();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].instance, "/dev/sda");
  EXPECT_EQ(all[1].instance, "/dev/sdb");

  EmitAndRun("block-device-removed", {{"DEVNAME", "/dev/sdb"}});
  EXPECT_THAT(runner_.signals, ElementsAre(Pair(runner_.started[1].pid, SIGTERM)));
  Exit(Exited(runner_.started[1].pid, 0));
  // The stopped named instance is forgotten; the other one runs on.
  EXPECT_FALSE(engine_.Find("unlock", "/dev/sdb").has_value());
  EXPECT_TRUE(Running("unlock", "/dev/sda"));
}

// `stop on` names events no `start on` names, holds `and` state per
// instance (each with its own $DEV), is fresh for each run, and is not
// offered to an instance whose goal is stop.
TEST_F(EngineTest, StopOnPerInstanceOnEventsNoStartOnNames) {
  auto job = Service("mount", "dev-up");
  job->instance = "$DEV";
  job->stop_on = Or(And(On("unplug", {{"DEV", "$DEV", false}}), On("quiesce")), On("halt-all"));
  engine_.AddJob(std::move(job));
  engine_.AddJob(Service("other", "startup"));  // a job with no `stop on`
  EmitAndRun("startup");
  for (const char* dev : {"a", "b", "c", "d"}) EmitAndRun("dev-up", {{"DEV", dev}});
  ASSERT_EQ(runner_.started.size(), 5u);
  const pid_t a = runner_.started[1].pid, b = runner_.started[2].pid, c = runner_.started[3].pid,
              d = runner_.started[4].pid;

  EmitAndRun("unplug", {{"DEV", "b"}});
  EXPECT_THAT(runner_.signals, IsEmpty());
  EmitAndRun("quiesce");  // completes b's `and` only; the others keep it
  EXPECT_THAT(runner_.signals, ElementsAre(Pair(b, SIGTERM)));
  Exit(Killed(b, SIGTERM));
  EXPECT_FALSE(engine_.Find("mount", "b").has_value());
  EmitAndRun("unplug", {{"DEV", "c"}});  // c's own: it had quiesce already
  EXPECT_THAT(runner_.signals, ElementsAre(Pair(b, SIGTERM), Pair(c, SIGTERM)));
  Exit(Killed(c, SIGTERM));
  EXPECT_FALSE(engine_.Find("mount", "c").has_value());
  EXPECT_TRUE(Running("mount", "a"));
  EXPECT_TRUE(Running("mount", "d"));

  // A new run forgets what the last one matched (a's quiesce).
  ASSERT_TRUE(engine_.Restart("mount", "a").ok());
  engine_.RunQueue();
  ASSERT_EQ(runner_.signals.size(), 3u);
  EXPECT_EQ(runner_.signals[2], std::make_pair(a, SIGTERM));
  Exit(Killed(a, SIGTERM));
  ASSERT_TRUE(Running("mount", "a"));
  const pid_t a2 = runner_.Last().pid;
  EmitAndRun("unplug", {{"DEV", "a"}});
  EXPECT_EQ(runner_.signals.size(), 3u);
  EXPECT_TRUE(Running("mount", "a"));

  // d is being restarted (goal stop until its process is gone): halt-all
  // stops a but leaves d's restart alone.
  ASSERT_TRUE(engine_.Restart("mount", "d").ok());
  engine_.RunQueue();
  EmitAndRun("halt-all");
  EXPECT_THAT(runner_.signals, ElementsAre(Pair(b, SIGTERM), Pair(c, SIGTERM), Pair(a, SIGTERM),
                                           Pair(d, SIGTERM), Pair(a2, SIGTERM)));
  Exit(Killed(d, SIGTERM));
  Exit(Killed(a2, SIGTERM));
  EXPECT_FALSE(engine_.Find("mount", "a").has_value());
  ASSERT_TRUE(Running("mount", "d"));
  EXPECT_EQ(engine_.Find("mount", "d")->runs, 2);
  EXPECT_TRUE(Running("other"));
}

// Many instances stopped by one event are stopped in (job, instance) order.
TEST_F(EngineTest, StopOnManyInstancesInOrder) {
  for (const char* name : {"zz", "aa", "mm"}) {
    auto job = Service(name, "up");
    job->instance = "$N";
    job->stop_on = On("down", {{"ALL", "y*", false}});
    engine_.AddJob(std::move(job));
  }
  for (const char* n : {"3", "1", "2"}) EmitAndRun("up", {{"N", n}});
  ASSERT_EQ(runner_.started.size(), 9u);
  NewEvents();
  EmitAndRun("down", {{"ALL", "no"}});
  EXPECT_THAT(runner_.signals, IsEmpty());
  EmitAndRun("down", {{"ALL", "yes"}});
  std::vector<std::string> stopping;
  for (const std::string& e : NewEvents()) {
    if (e.rfind("stopping", 0) == 0) stopping.push_back(e);
  }
  EXPECT_THAT(
      stopping,
      ElementsAre("stopping JOB=aa INSTANCE=1 RESULT=ok", "stopping JOB=aa INSTANCE=2 RESULT=ok",
                  "stopping JOB=aa INSTANCE=3 RESULT=ok", "stopping JOB=mm INSTANCE=1 RESULT=ok",
                  "stopping JOB=mm INSTANCE=2 RESULT=ok", "stopping JOB=mm INSTANCE=3 RESULT=ok",
                  "stopping JOB=zz INSTANCE=1 RESULT=ok", "stopping JOB=zz INSTANCE=2 RESULT=ok",
                  "stopping JOB=zz INSTANCE=3 RESULT=ok"));
}

// --- lifecycle of tasks and services --------------------------------------------

TEST_F(EngineTest, TaskLifecycleEvents) {
  engine_.AddJob(Task("fsck", "startup"));
  EmitAndRun("startup");
  Exit(Exited(runner_.Last().pid, 0));
  EXPECT_THAT(NewEvents(), ElementsAre("startup", "starting JOB=fsck INSTANCE=",
                                       "started JOB=fsck INSTANCE=",
                                       "stopping JOB=fsck INSTANCE= RESULT=ok",
                                       "stopped JOB=fsck INSTANCE= RESULT=ok"));
  auto info = engine_.Find("fsck");
  EXPECT_EQ(info->state, State::kWaiting);
  EXPECT_EQ(info->goal, Goal::kStop);
  EXPECT_FALSE(info->failed);
  EXPECT_EQ(info->runs, 1);
  EXPECT_TRUE(runner_.signals.empty());
}

TEST_F(EngineTest, FailureResults) {
  struct Case {
    std::string name;
    bool task;
    sys::ChildExit exit;  // pid filled in
    std::string stopped;
    std::string failure;
  } cases[] = {
      {"task exit 3", true, Exited(0, 3),
       "stopped JOB=j INSTANCE= RESULT=failed PROCESS=main EXIT_STATUS=3", "main exit 3"},
      {"task killed", true, Killed(0, SIGSYS),
       "stopped JOB=j INSTANCE= RESULT=failed PROCESS=main EXIT_SIGNAL=SYS",
       "main killed by SIGSYS"},
      {"service exit 0", false, Exited(0, 0),
       "stopped JOB=j INSTANCE= RESULT=failed PROCESS=main EXIT_STATUS=0", "main exit 0"},
      {"service segv", false, Killed(0, SIGSEGV),
       "stopped JOB=j INSTANCE= RESULT=failed PROCESS=main EXIT_SIGNAL=SEGV",
       "main killed by SIGSEGV"},
  };
  for (const Case& c : cases) {
    FakeRunner runner;
    FakeClock clock;
    Engine engine(runner, clock);
    engine.AddJob(c.task ? Task("j", "go") : Service("j", "go"));
    engine.Emit("go");
    engine.RunQueue();
    ASSERT_EQ(runner.started.size(), 1u) << c.name;
    sys::ChildExit exit = c.exit;
    exit.pid = runner.Last().pid;
    EXPECT_TRUE(engine.OnProcessExit(exit));
    engine.RunQueue();
    ASSERT_FALSE(engine.History().empty());
    const Event& last = engine.History().back();
    std::string line = last.name;
    for (const auto& [k, v] : last.env) absl::StrAppend(&line, " ", k, "=", v);
    EXPECT_EQ(line, c.stopped) << c.name;
    EXPECT_TRUE(engine.Find("j")->failed) << c.name;
    EXPECT_EQ(engine.Find("j")->failure, c.failure) << c.name;
    EXPECT_EQ(runner.started.size(), 1u) << c.name << ": no respawn";
  }
}

TEST_F(EngineTest, PreStartFailureSkipsMain) {
  auto job = Service("s", "go");
  job->pre_start = Exec("/bin/check");
  job->post_stop = Exec("/bin/cleanup");
  engine_.AddJob(std::move(job));
  EmitAndRun("go");
  ASSERT_EQ(runner_.started.size(), 1u);
  EXPECT_EQ(runner_.Last().phase, Phase::kPreStart);
  EXPECT_EQ(StateOf("s"), State::kStarting);
  NewEvents();
  Exit(Exited(runner_.Last().pid, 1));
  // post-stop still runs, main never does.
  EXPECT_THAT(runner_.Commands(), ElementsAre("/bin/check", "/bin/cleanup"));
  EXPECT_EQ(runner_.Last().phase, Phase::kPostStop);
  EXPECT_EQ(StateOf("s"), State::kPostStop);
  Exit(Exited(runner_.Last().pid, 0));
  EXPECT_THAT(NewEvents(),
              ElementsAre("stopping JOB=s INSTANCE= RESULT=failed PROCESS=pre-start EXIT_STATUS=1",
                          "stopped JOB=s INSTANCE= RESULT=failed PROCESS=pre-start EXIT_STATUS=1"));
  EXPECT_EQ(engine_.Find("s")->failure, "pre-start exit 1");
  EXPECT_EQ(engine_.Find("s")->runs, 0);
}

TEST_F(EngineTest, PostStopRunsAfterMainWithTheSameEnv) {
  auto job = Task("t", "go");
  job->pre_start = Exec("/bin/pre");
  job->post_stop = Exec("/bin/post");
  engine_.AddJob(std::move(job));
  EmitAndRun("go", {{"X", "1"}});
  Exit(Exited(runner_.Last().pid, 0));  // pre-start
  EXPECT_EQ(runner_.Last().phase, Phase::kMain);
  Exit(Exited(runner_.Last().pid, 0));  // main
  EXPECT_EQ(runner_.Last().phase, Phase::kPostStop);
  EXPECT_EQ(StateOf("t"), State::kPostStop);
  EXPECT_EQ(engine_.Find("t")->pid, runner_.Last().pid);
  EXPECT_EQ(runner_.started[0].env, runner_.started[2].env);
  EXPECT_THAT(runner_.Last().env, testing::Contains(Pair("X", "1")));
  Exit(Exited(runner_.Last().pid, 2));  // post-stop fails
  EXPECT_THAT(runner_.Commands(), ElementsAre("/bin/pre", "/bin/t", "/bin/post"));
  EXPECT_EQ(engine_.History().back().name, "stopped");
  EXPECT_THAT(engine_.History().back().env,
              ElementsAre(Pair("JOB", "t"), Pair("INSTANCE", ""), Pair("RESULT", "failed"),
                          Pair("PROCESS", "post-stop"), Pair("EXIT_STATUS", "2")));
}

TEST_F(EngineTest, StopDuringStartingSkipsMain) {
  auto job = Service("s", "go");
  job->pre_start = Exec("/bin/pre");
  engine_.AddJob(std::move(job));
  EmitAndRun("go");
  ASSERT_EQ(runner_.started.size(), 1u);
  ASSERT_TRUE(engine_.Stop("s").ok());
  engine_.RunQueue();
  EXPECT_EQ(StateOf("s"), State::kStarting);  // pre-start is let finish
  EXPECT_TRUE(runner_.signals.empty());
  NewEvents();
  Exit(Exited(runner_.Last().pid, 0));
  EXPECT_EQ(runner_.started.size(), 1u);
  EXPECT_EQ(StateOf("s"), State::kWaiting);
  EXPECT_THAT(NewEvents(), ElementsAre("stopping JOB=s INSTANCE= RESULT=ok",
                                       "stopped JOB=s INSTANCE= RESULT=ok"));
}

TEST_F(EngineTest, StartDuringStoppingStartsAgain) {
  engine_.AddJob(Service("s", "go"));
  EmitAndRun("go");
  pid_t first = runner_.Last().pid;
  ASSERT_TRUE(engine_.Stop("s").ok());
  engine_.RunQueue();
  ASSERT_TRUE(engine_.Start("s").ok());
  engine_.RunQueue();
  EXPECT_EQ(runner_.started.size(), 1u);
  Exit(Killed(first, SIGTERM));
  ASSERT_EQ(runner_.started.size(), 2u);
  EXPECT_TRUE(Running("s"));
}

// --- respawn --------------------------------------------------------------------

TEST_F(EngineTest, RespawnUntilTooFast) {
  auto job = Service("getty", "go");
  job->respawn.enabled = true;
  job->respawn.limit_count = 3;
  job->respawn.limit_interval = absl::Seconds(10);
  engine_.AddJob(std::move(job));
  EmitAndRun("go");
  NewEvents();
  for (int i = 1; i <= 3; ++i) {
    clock_.Advance(absl::Seconds(1));
    Exit(Exited(runner_.Last().pid, 1));
    ASSERT_EQ(runner_.started.size(), static_cast<size_t>(i + 1));
    EXPECT_TRUE(Running("getty"));
    EXPECT_EQ(engine_.Find("getty")->respawns, i);
  }
  EXPECT_THAT(NewEvents(), IsEmpty());  // respawns emit nothing
  clock_.Advance(absl::Seconds(1));
  Exit(Exited(runner_.Last().pid, 1));
  EXPECT_EQ(runner_.started.size(), 4u);
  auto info = engine_.Find("getty");
  EXPECT_EQ(info->state, State::kWaiting);
  EXPECT_EQ(info->goal, Goal::kStop);
  EXPECT_TRUE(info->failed);
  EXPECT_EQ(info->failure, "respawning too fast");
  EXPECT_EQ(info->runs, 4);
  EXPECT_THAT(NewEvents(),
              ElementsAre("stopping JOB=getty INSTANCE= RESULT=failed PROCESS=respawn",
                          "stopped JOB=getty INSTANCE= RESULT=failed PROCESS=respawn"));
}

TEST_F(EngineTest, RespawnWindowSlides) {
  auto job = Service("getty", "go");
  job->respawn.enabled = true;
  job->respawn.limit_count = 2;
  job->respawn.limit_interval = absl::Seconds(5);
  engine_.AddJob(std::move(job));
  EmitAndRun("go");
  // One exit every 3 s: never more than 2 respawns in any 5 s.
  for (int i = 0; i < 20; ++i) {
    clock_.Advance(absl::Seconds(3));
    Exit(Exited(runner_.Last().pid, 1));
    ASSERT_TRUE(Running("getty")) << i;
  }
  EXPECT_EQ(runner_.started.size(), 21u);
  // The respawns 3 s and 0 s ago fill the window: one more now is refused.
  EXPECT_EQ(engine_.Find("getty")->respawns, 2);
  Exit(Exited(runner_.Last().pid, 1));
  EXPECT_FALSE(Running("getty"));
  EXPECT_EQ(runner_.started.size(), 21u);
  EXPECT_EQ(engine_.Find("getty")->failure, "respawning too fast");
}

TEST_F(EngineTest, TaskRespawnsOnlyOnFailure) {
  auto job = Task("t", "go");
  job->respawn.enabled = true;
  engine_.AddJob(std::move(job));
  EmitAndRun("go");
  Exit(Exited(runner_.Last().pid, 1));
  EXPECT_EQ(runner_.started.size(), 2u);
  EXPECT_TRUE(Running("t"));
  Exit(Exited(runner_.Last().pid, 0));
  EXPECT_EQ(runner_.started.size(), 2u);
  EXPECT_EQ(StateOf("t"), State::kWaiting);
  EXPECT_FALSE(engine_.Find("t")->failed);
}

// --- stopping, timers, errors ---------------------------------------------------

TEST_F(EngineTest, SigtermThenSigkillAfterKillTimeout) {
  auto job = Service("stubborn", "go");
  job->kill_timeout = absl::Seconds(5);
  engine_.AddJob(std::move(job));
  EmitAndRun("go");
  pid_t pid = runner_.Last().pid;
  EXPECT_FALSE(engine_.NextDeadline().has_value());
  ASSERT_TRUE(engine_.Stop("stubborn").ok());
  engine_.RunQueue();
  EXPECT_THAT(runner_.signals, ElementsAre(Pair(pid, SIGTERM)));
  ASSERT_TRUE(engine_.NextDeadline().has_value());
  EXPECT_EQ(*engine_.NextDeadline(), clock_.Now() + absl::Seconds(5));

  clock_.Advance(absl::Seconds(4));
  engine_.OnTimer();
  EXPECT_EQ(runner_.signals.size(), 1u);
  clock_.Advance(absl::Seconds(1));
  engine_.OnTimer();
  EXPECT_THAT(runner_.signals, ElementsAre(Pair(pid, SIGTERM), Pair(pid, SIGKILL)));
  EXPECT_FALSE(engine_.NextDeadline().has_value());
  EXPECT_EQ(StateOf("stubborn"), State::kStopping);
  Exit(Killed(pid, SIGKILL));
  EXPECT_EQ(StateOf("stubborn"), State::kWaiting);
  EXPECT_FALSE(engine_.Find("stubborn")->failed);
}

TEST_F(EngineTest, ExitBeforeKillTimeoutClearsDeadline) {
  engine_.AddJob(Service("s", "go"));
  EmitAndRun("go");
  ASSERT_TRUE(engine_.Stop("s").ok());
  engine_.RunQueue();
  Exit(Exited(runner_.Last().pid, 0));
  EXPECT_FALSE(engine_.NextDeadline().has_value());
  clock_.Advance(absl::Seconds(10));
  engine_.OnTimer();
  EXPECT_EQ(runner_.signals.size(), 1u);
}

TEST_F(EngineTest, RunnerStartErrorFails) {
  engine_.AddJob(Service("missing", "go"));
  runner_.FailOn("/bin/missing", "exec /bin/missing: No such file or directory");
  EmitAndRun("go");
  auto info = engine_.Find("missing");
  EXPECT_EQ(info->state, State::kWaiting);
  EXPECT_TRUE(info->failed);
  EXPECT_THAT(info->failure, HasSubstr("No such file"));
  EXPECT_THAT(NewEvents(),
              ElementsAre("go", "starting JOB=missing INSTANCE=",
                          "stopping JOB=missing INSTANCE= RESULT=failed PROCESS=main",
                          "stopped JOB=missing INSTANCE= RESULT=failed PROCESS=main"));
}

TEST_F(EngineTest, UnknownPidIsIgnored) {
  engine_.AddJob(Service("s", "go"));
  EmitAndRun("go");
  EXPECT_FALSE(engine_.OnProcessExit(Exited(4242, 0)));
  EXPECT_FALSE(engine_.Owns(4242));
  engine_.RunQueue();
  EXPECT_TRUE(Running("s"));
}

TEST_F(EngineTest, EventHistoryIsBounded) {
  const size_t n = Engine::kEventHistory + 5;
  for (size_t i = 0; i < n; ++i) engine_.Emit(absl::StrCat("e", i));
  engine_.RunQueue();
  ASSERT_EQ(engine_.History().size(), Engine::kEventHistory);
  EXPECT_EQ(engine_.History().front().name, "e5");
  EXPECT_EQ(engine_.History().front().seq, 6u);
  EXPECT_EQ(engine_.History().back().name, absl::StrCat("e", n - 1));
}

TEST_F(EngineTest, EventsGetSequenceAndTime) {
  engine_.Emit("a");
  clock_.Advance(absl::Seconds(2));
  engine_.Emit("b");
  engine_.RunQueue();
  ASSERT_EQ(engine_.History().size(), 2u);
  EXPECT_EQ(engine_.History()[0].seq, 1u);
  EXPECT_EQ(engine_.History()[1].seq, 2u);
  EXPECT_EQ(engine_.History()[1].when - engine_.History()[0].when, absl::Seconds(2));
}

// --- by hand ------------------------------------------------------------------

TEST_F(EngineTest, StartStopByHand) {
  auto job = Service("dev");
  job->instance = "$DEV";
  engine_.AddJob(std::move(job));
  EXPECT_EQ(engine_.Start("nope").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_.Stop("nope").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(engine_.Start("dev", {{"DEV", "x"}}).ok());
  EXPECT_EQ(engine_.Start("dev", {{"DEV", "x"}}).code(), absl::StatusCode::kAlreadyExists);
  engine_.RunQueue();
  EXPECT_TRUE(Running("dev", "x"));
  EXPECT_THAT(runner_.Last().env, ElementsAre(Pair("DEV", "x"), Pair("JOB", "dev"),
                                              Pair("INSTANCE", "x")));
  EXPECT_EQ(engine_.Stop("dev", "y").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(engine_.Stop("dev", "x").ok());
  EXPECT_EQ(engine_.Stop("dev", "x").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(EngineTest, RestartKeepsEnv) {
  engine_.AddJob(Service("s", "go"));
  EmitAndRun("go", {{"K", "v"}});
  pid_t first = runner_.Last().pid;
  Env env = runner_.Last().env;
  ASSERT_TRUE(engine_.Restart("s").ok());
  engine_.RunQueue();
  EXPECT_THAT(runner_.signals, ElementsAre(Pair(first, SIGTERM)));
  NewEvents();
  Exit(Killed(first, SIGTERM));
  ASSERT_EQ(runner_.started.size(), 2u);
  EXPECT_NE(runner_.Last().pid, first);
  EXPECT_EQ(runner_.Last().env, env);
  EXPECT_TRUE(Running("s"));
  EXPECT_EQ(engine_.Find("s")->runs, 2);
  EXPECT_THAT(NewEvents(), ElementsAre("stopped JOB=s INSTANCE= RESULT=ok",
                                       "starting JOB=s INSTANCE=", "started JOB=s INSTANCE="));
  ASSERT_TRUE(engine_.Stop("s").ok());
  engine_.RunQueue();
  Exit(Exited(runner_.Last().pid, 0));
  EXPECT_EQ(engine_.Restart("s").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(EngineTest, IdleOnlyWhenSettled) {
  engine_.AddJob(Task("t", "go"));
  EXPECT_TRUE(engine_.Idle());
  engine_.Emit("go");
  EXPECT_FALSE(engine_.Idle());
  engine_.RunQueue();
  EXPECT_TRUE(engine_.Idle());  // main runs: kRunning is settled
  ASSERT_TRUE(engine_.Stop("t").ok());
  engine_.RunQueue();
  EXPECT_FALSE(engine_.Idle());  // kStopping until main is gone
  Exit(Killed(runner_.Last().pid, SIGTERM));
  EXPECT_TRUE(engine_.Idle());
}

TEST_F(EngineTest, JobWithoutExecRunsUntilStopped) {
  auto job = Service("marker", "go");
  job->exec = jobs::Command();
  engine_.AddJob(std::move(job));
  EmitAndRun("go");
  EXPECT_TRUE(runner_.started.empty());
  EXPECT_TRUE(Running("marker"));
  EXPECT_EQ(engine_.Find("marker")->pid, 0);
  ASSERT_TRUE(engine_.Stop("marker").ok());
  engine_.RunQueue();
  EXPECT_EQ(StateOf("marker"), State::kWaiting);
  EXPECT_TRUE(runner_.signals.empty());
  EXPECT_THAT(NewEvents(), ElementsAre("go", "starting JOB=marker INSTANCE=",
                                       "started JOB=marker INSTANCE=",
                                       "stopping JOB=marker INSTANCE= RESULT=ok",
                                       "stopped JOB=marker INSTANCE= RESULT=ok"));
}

TEST_F(EngineTest, SelfRestartingJobDoesNotHangRunQueue) {
  // A task with nothing to run, started by its own `stopped`: endless.
  auto job = Task("loop");
  job->exec = jobs::Command();
  job->start_on = Or(On("go"), On("stopped", {{"JOB", "loop", false}}));
  engine_.AddJob(std::move(job));
  EmitAndRun("go");  // returns after kMaxQueueItemsPerRun items
  EXPECT_FALSE(engine_.Idle());
  EXPECT_EQ(engine_.History().size(), Engine::kEventHistory);
  engine_.RunQueue();  // and again: the loop keeps being served
  EXPECT_FALSE(engine_.Idle());
}

TEST_F(EngineTest, StateAndGoalNames) {
  EXPECT_STREQ(StateName(State::kPostStop), "post-stop");
  EXPECT_STREQ(GoalName(Goal::kStart), "start");
}


// --- the handoff: Export, Adopt, RestoreHistory ----------------------------------

TEST_F(EngineTest, ExportCarriesStateExitsAndRespawnWindow) {
  auto job = Service("getty", "go");
  job->respawn.enabled = true;
  job->respawn.limit_count = 5;
  job->respawn.limit_interval = absl::Seconds(10);
  engine_.AddJob(std::move(job));
  EmitAndRun("go", {{"TTY", "tty1"}});
  clock_.Advance(absl::Seconds(1));
  Exit(Exited(runner_.Last().pid, 3));
  std::vector<InstanceSnapshot> out = engine_.Export();
  ASSERT_EQ(out.size(), 1u);
  const InstanceSnapshot& s = out[0];
  EXPECT_EQ(s.job, "getty");
  EXPECT_EQ(s.state, State::kRunning);
  EXPECT_EQ(s.goal, Goal::kStart);
  EXPECT_EQ(s.pid, runner_.Last().pid);
  EXPECT_EQ(s.runs, 2);
  ASSERT_EQ(s.exits.size(), 1u);
  EXPECT_EQ(s.exits[0].exit.exit_status, 3);
  EXPECT_EQ(s.exits[0].when, clock_.Now());
  EXPECT_EQ(s.exits[0].phase, Phase::kMain);
  EXPECT_THAT(s.respawn_times, ElementsAre(clock_.Now()));
  EXPECT_THAT(s.start_env, ::testing::Contains(Pair("TTY", "tty1")));
}

TEST_F(EngineTest, RemoveJobOfAnIdleJobForgetsIt) {
  engine_.AddJob(Service("svc", "go"));
  EmitAndRun("go");
  ASSERT_TRUE(engine_.Stop("svc").ok());
  engine_.RunQueue();
  Exit(Killed(runner_.Last().pid, SIGTERM));
  ASSERT_EQ(StateOf("svc"), State::kWaiting);
  ASSERT_TRUE(engine_.RemoveJob("svc").ok());
  EXPECT_EQ(engine_.FindJob("svc"), nullptr);
  EXPECT_FALSE(engine_.Find("svc").has_value());
  size_t started = runner_.started.size();
  EmitAndRun("go");
  EXPECT_EQ(runner_.started.size(), started);
  EXPECT_EQ(engine_.RemoveJob("svc").code(), absl::StatusCode::kNotFound);
}

TEST_F(EngineTest, RemoveJobKeepsARunningInstanceUntilItStops) {
  engine_.AddJob(Service("svc", "go"));
  EmitAndRun("go");
  pid_t pid = runner_.Last().pid;
  ASSERT_TRUE(engine_.RemoveJob("svc").ok());
  // Still there and running, under a placeholder no event starts.
  ASSERT_NE(engine_.FindJob("svc"), nullptr);
  EXPECT_EQ(engine_.FindJob("svc")->start_on, nullptr);
  EXPECT_EQ(StateOf("svc"), State::kRunning);
  EXPECT_EQ(engine_.Find("svc")->pid, pid);
  ASSERT_TRUE(engine_.Stop("svc").ok());
  engine_.RunQueue();
  EXPECT_THAT(runner_.signals, ElementsAre(Pair(pid, SIGTERM)));
  Exit(Killed(pid, SIGTERM));
  EXPECT_EQ(StateOf("svc"), State::kWaiting);
  size_t started = runner_.started.size();
  EmitAndRun("go");
  EXPECT_EQ(runner_.started.size(), started);  // `start on go` went with the file
  // Once idle, a second removal takes it away.
  ASSERT_TRUE(engine_.RemoveJob("svc").ok());
  EXPECT_EQ(engine_.FindJob("svc"), nullptr);
}

TEST_F(EngineTest, AddJobAfterRemoveJobDefinesItAgain) {
  engine_.AddJob(Service("svc", "go"));
  EmitAndRun("go");
  ASSERT_TRUE(engine_.RemoveJob("svc").ok());
  engine_.AddJob(Service("svc", "again"));
  ASSERT_TRUE(engine_.Stop("svc").ok());
  engine_.RunQueue();
  Exit(Killed(runner_.Last().pid, SIGTERM));
  size_t started = runner_.started.size();
  EmitAndRun("again");
  EXPECT_EQ(runner_.started.size(), started + 1);
}

TEST_F(EngineTest, AdoptTakesTheProcessWithoutStartingIt) {
  auto job = Service("svc");
  job->respawn.enabled = true;
  engine_.AddJob(std::move(job));
  InstanceSnapshot s;
  s.job = "svc";
  s.state = State::kRunning;
  s.goal = Goal::kStart;
  s.pid = 4242;
  s.runs = 3;
  s.env = {{"JOB", "svc"}, {"INSTANCE", ""}};
  ASSERT_TRUE(engine_.Adopt(s).ok());
  engine_.RunQueue();
  EXPECT_TRUE(runner_.started.empty());
  EXPECT_THAT(NewEvents(), IsEmpty());
  EXPECT_TRUE(engine_.Owns(4242));
  EXPECT_EQ(engine_.Find("svc")->runs, 3);
  // Its exit is handled as any other: respawned.
  Exit(Exited(4242, 1));
  ASSERT_EQ(runner_.started.size(), 1u);
  EXPECT_EQ(engine_.Find("svc")->runs, 4);
  // Stop works on it as usual.
  ASSERT_TRUE(engine_.Stop("svc").ok());
  engine_.RunQueue();
  EXPECT_THAT(runner_.signals, ElementsAre(Pair(runner_.Last().pid, SIGTERM)));
}

TEST_F(EngineTest, AdoptRefusesBadSnapshots) {
  engine_.AddJob(Service("svc"));
  InstanceSnapshot s;
  s.job = "svc";
  s.state = State::kRunning;
  s.pid = 1;
  EXPECT_EQ(engine_.Adopt(s).code(), absl::StatusCode::kInvalidArgument);
  s.pid = 0;
  s.job = "";
  EXPECT_EQ(engine_.Adopt(s).code(), absl::StatusCode::kInvalidArgument);
  s.job = "svc";
  s.state = State::kWaiting;
  s.pid = 77;
  EXPECT_EQ(engine_.Adopt(s).code(), absl::StatusCode::kInvalidArgument);
  s.state = State::kRunning;
  ASSERT_TRUE(engine_.Adopt(s).ok());
  EXPECT_EQ(engine_.Adopt(s).code(), absl::StatusCode::kAlreadyExists);
  s.instance = "other";
  EXPECT_EQ(engine_.Adopt(s).code(), absl::StatusCode::kAlreadyExists);  // same pid
}

TEST_F(EngineTest, AdoptWaitingWithGoalStartBeginsARun) {
  engine_.AddJob(Service("svc"));
  InstanceSnapshot s;
  s.job = "svc";
  s.goal = Goal::kStart;
  s.runs = 1;
  ASSERT_TRUE(engine_.Adopt(s).ok());
  engine_.RunQueue();
  ASSERT_EQ(runner_.started.size(), 1u);
  EXPECT_EQ(engine_.Find("svc")->runs, 2);
  EXPECT_THAT(NewEvents(), ElementsAre("starting JOB=svc INSTANCE=", "started JOB=svc INSTANCE="));
}

TEST_F(EngineTest, AdoptKeepsRespawnWindow) {
  auto job = Service("getty");
  job->respawn.enabled = true;
  job->respawn.limit_count = 2;
  job->respawn.limit_interval = absl::Seconds(10);
  engine_.AddJob(std::move(job));
  InstanceSnapshot s;
  s.job = "getty";
  s.state = State::kRunning;
  s.goal = Goal::kStart;
  s.pid = 500;
  s.respawn_times = {clock_.Now() - absl::Seconds(2), clock_.Now() - absl::Seconds(1)};
  ASSERT_TRUE(engine_.Adopt(s).ok());
  EXPECT_EQ(engine_.Find("getty")->respawns, 2);
  Exit(Exited(500, 1));
  EXPECT_EQ(engine_.Find("getty")->failure, "respawning too fast");
}

TEST_F(EngineTest, ExportOfAStoppingInstanceCarriesItsKillDeadline) {
  auto job = Service("stubborn", "go");
  job->kill_timeout = absl::Seconds(5);
  engine_.AddJob(std::move(job));
  EmitAndRun("go");
  ASSERT_TRUE(engine_.Stop("stubborn").ok());
  engine_.RunQueue();
  std::vector<InstanceSnapshot> out = engine_.Export();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].state, State::kStopping);
  EXPECT_TRUE(out[0].term_sent);
  EXPECT_EQ(out[0].kill_deadline, clock_.Now() + absl::Seconds(5));
  // After SIGKILL: still stopping, no deadline left.
  clock_.Advance(absl::Seconds(5));
  engine_.OnTimer();
  out = engine_.Export();
  EXPECT_TRUE(out[0].term_sent);
  EXPECT_FALSE(out[0].kill_deadline.has_value());
}

TEST_F(EngineTest, AdoptOfAStoppingInstanceKeepsItsKillDeadline) {
  auto job = Service("stubborn");
  job->kill_timeout = absl::Seconds(5);
  engine_.AddJob(std::move(job));
  InstanceSnapshot s;
  s.job = "stubborn";
  s.state = State::kStopping;
  s.goal = Goal::kStop;
  s.pid = 600;
  s.term_sent = true;
  s.kill_deadline = clock_.Now() + absl::Seconds(2);  // 3 s of the 5 went by
  ASSERT_TRUE(engine_.Adopt(s).ok());
  engine_.RunQueue();
  EXPECT_THAT(runner_.signals, IsEmpty());  // SIGTERM went before the exec
  EXPECT_EQ(engine_.NextDeadline(), clock_.Now() + absl::Seconds(2));
  clock_.Advance(absl::Seconds(2));
  engine_.OnTimer();
  EXPECT_THAT(runner_.signals, ElementsAre(Pair(600, SIGKILL)));
  Exit(Killed(600, SIGKILL));
  EXPECT_EQ(StateOf("stubborn"), State::kWaiting);
}

TEST_F(EngineTest, AdoptOfAStoppingInstanceWithoutTermSentSignalsIt) {
  // A format-4 handoff has no term_sent: SIGTERM again, timeout from now.
  auto job = Service("stubborn");
  job->kill_timeout = absl::Seconds(5);
  engine_.AddJob(std::move(job));
  InstanceSnapshot s;
  s.job = "stubborn";
  s.state = State::kStopping;
  s.goal = Goal::kStop;
  s.pid = 601;
  ASSERT_TRUE(engine_.Adopt(s).ok());
  engine_.RunQueue();
  EXPECT_THAT(runner_.signals, ElementsAre(Pair(601, SIGTERM)));
  EXPECT_EQ(engine_.NextDeadline(), clock_.Now() + absl::Seconds(5));
}

TEST_F(EngineTest, AdoptOfUnknownJobMakesAPlaceholder) {
  InstanceSnapshot s;
  s.job = "stage1-only";
  s.instance = "x";
  s.state = State::kRunning;
  s.goal = Goal::kStart;
  s.pid = 600;
  ASSERT_TRUE(engine_.Adopt(s).ok());
  const JobConfig* job = engine_.FindJob("stage1-only");
  ASSERT_NE(job, nullptr);
  EXPECT_THAT(job->description, HasSubstr("adopted from stage 1"));
  Exit(Exited(600, 0));
  EXPECT_TRUE(runner_.started.empty());
  EXPECT_FALSE(engine_.Find("stage1-only", "x").has_value());  // stopped and forgotten
}

TEST_F(EngineTest, RestoreHistoryGoesFirstAndSeqContinues) {
  Event old;
  old.name = "initramfs";
  old.seq = 41;
  old.when = clock_.Now() - absl::Seconds(3);
  engine_.RestoreHistory({old});
  EmitAndRun("startup");
  ASSERT_EQ(engine_.History().size(), 2u);
  EXPECT_EQ(engine_.History()[0].name, "initramfs");
  EXPECT_EQ(engine_.History()[1].name, "startup");
  EXPECT_EQ(engine_.History()[1].seq, 42u);
}

}  // namespace
}  // namespace baton::supervisor
