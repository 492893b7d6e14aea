#include "supervisor/loop.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "jobs/parser.h"
#include "supervisor/log_ring.h"
#include "supervisor/logger.h"
#include "supervisor/spawner.h"
#include "sys/linux_kernel.h"

namespace baton::supervisor {
namespace {

std::unique_ptr<jobs::JobConfig> Job(const std::string& name, const std::string& text) {
  std::vector<jobs::Diagnostic> diags;
  auto job = jobs::ParseJob(name, name + ".conf", text, &diags);
  EXPECT_TRUE(job.ok()) << job.status();
  return job.ok() ? std::move(*job) : nullptr;
}

class LoopTest : public ::testing::Test {
 protected:
  LoopTest()
      : ring_(kernel_, clock_, clock_.Now(), {}),
        logger_(kernel_, &ring_, -1),
        spawner_(kernel_, ring_, nullptr, {}),
        engine_(spawner_, clock_),
        loop_(kernel_, engine_, clock_, logger_, Loop::Options{absl::Seconds(2)}) {}

  void SetUp() override {
    ASSERT_TRUE(loop_.Init().ok());
    spawner_.set_watcher(&loop_);
  }
  void TearDown() override { spawner_.set_watcher(nullptr); }

  // Runs the loop until PRED holds or 10 s pass.
  template <typename Pred>
  bool RunUntil(Pred pred) {
    absl::Time deadline = clock_.Now() + absl::Seconds(10);
    while (!pred()) {
      if (clock_.Now() > deadline) return false;
      absl::Status once = loop_.RunOnce(absl::Milliseconds(100));
      if (!once.ok()) {
        ADD_FAILURE() << once;
        return false;
      }
    }
    return true;
  }

  bool Finished(const std::string& job) {
    auto info = engine_.Find(job);
    return info.has_value() && info->last_exit.has_value() && info->state == State::kWaiting;
  }

  sys::LinuxKernel kernel_;
  MonotonicClock clock_;
  LogRing ring_;
  Logger logger_;
  Spawner spawner_;
  Engine engine_;
  Loop loop_;
};

TEST(MonotonicClockTest, NeverGoesBack) {
  MonotonicClock clock;
  absl::Time a = clock.Now();
  absl::Time b = clock.Now();
  EXPECT_LE(a, b);
  EXPECT_GT(a, absl::UnixEpoch());
}

TEST_F(LoopTest, ReapsChildrenAndTellsTheEngine) {
  engine_.AddJob(Job("ok", "task\nexec /bin/true\n"));
  engine_.AddJob(Job("three", "task\nexec /bin/sh -c 'exit 3'\n"));
  ASSERT_TRUE(engine_.Start("ok").ok());
  ASSERT_TRUE(engine_.Start("three").ok());
  engine_.RunQueue();
  ASSERT_TRUE(RunUntil([&] { return Finished("ok") && Finished("three"); }));
  auto ok = engine_.Find("ok");
  EXPECT_EQ(ok->last_exit->exit_status, 0);
  EXPECT_EQ(ok->last_exit->signal, 0);
  EXPECT_FALSE(ok->failed);
  auto three = engine_.Find("three");
  EXPECT_EQ(three->last_exit->exit_status, 3);
  EXPECT_TRUE(three->failed);
  EXPECT_FALSE(engine_.Owns(three->last_exit->pid));
}

TEST_F(LoopTest, UnknownChildrenAreJustReaped) {
  std::vector<pid_t> orphans;
  loop_.set_orphan_hook([&](const sys::ChildExit& exit) { orphans.push_back(exit.pid); });
  sys::SpawnRequest request;
  request.argv = {"/bin/sh", "-c", "exit 7"};
  auto pid = kernel_.Spawn(request);
  ASSERT_TRUE(pid.ok()) << pid.status();
  ASSERT_TRUE(RunUntil([&] { return !orphans.empty(); }));
  EXPECT_EQ(orphans, std::vector<pid_t>{*pid});
  auto again = kernel_.ReapOne();
  EXPECT_FALSE(again.ok() && again->has_value());  // nothing left to reap
}

TEST_F(LoopTest, LogPipesFeedTheRing) {
  engine_.AddJob(Job("talk", "task\nexec /bin/echo hello from a job\n"));
  ASSERT_TRUE(engine_.Start("talk").ok());
  engine_.RunQueue();
  ASSERT_TRUE(RunUntil([&] { return Finished("talk") && spawner_.open_pipes() == 0; }));
  std::vector<LogLine> lines = ring_.Lines("talk", "");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "hello from a job");
}

TEST_F(LoopTest, ShutdownStopsServicesThenRunReturns) {
  engine_.AddJob(Job("sleeper", "exec sleep 30\n"));
  ASSERT_TRUE(engine_.Start("sleeper").ok());
  engine_.RunQueue();
  ASSERT_TRUE(RunUntil([&] {
    auto info = engine_.Find("sleeper");
    return info.has_value() && info->state == State::kRunning && info->pid != 0;
  }));
  EXPECT_FALSE(loop_.shutting_down());
  loop_.RequestShutdown();
  absl::Time before = clock_.Now();
  ASSERT_TRUE(loop_.Run().ok());
  EXPECT_LT(clock_.Now() - before, absl::Seconds(5));
  EXPECT_TRUE(loop_.shutdown_complete());
  auto info = engine_.Find("sleeper");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->state, State::kWaiting);
  ASSERT_TRUE(info->last_exit.has_value());
  EXPECT_EQ(info->last_exit->signal, SIGTERM);
}

TEST_F(LoopTest, ShutdownKillsWhatIgnoresSigterm) {
  engine_.AddJob(Job("stubborn", "kill timeout 1\nexec /bin/sh -c 'trap \"\" TERM; sleep 30'\n"));
  ASSERT_TRUE(engine_.Start("stubborn").ok());
  engine_.RunQueue();
  ASSERT_TRUE(RunUntil([&] {
    auto info = engine_.Find("stubborn");
    return info.has_value() && info->state == State::kRunning;
  }));
  absl::SleepFor(absl::Milliseconds(100));  // let the shell set its trap
  loop_.RequestShutdown();
  absl::Time before = clock_.Now();
  ASSERT_TRUE(loop_.Run().ok());
  EXPECT_LT(clock_.Now() - before, absl::Seconds(6));
  auto info = engine_.Find("stubborn");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->pid, 0);
}

// PID 1 on the real root: signals carry reboot/poweroff/halt, and such a
// shutdown emits `shutdown` and lets its tasks finish before stopping jobs.
class SystemLoopTest : public ::testing::Test {
 protected:
  SystemLoopTest()
      : ring_(kernel_, clock_, clock_.Now(), {}),
        logger_(kernel_, &ring_, -1),
        spawner_(kernel_, ring_, nullptr, {}),
        engine_(spawner_, clock_),
        loop_(kernel_, engine_, clock_, logger_,
              Loop::Options{absl::Seconds(2), true, absl::Seconds(3)}) {}
  void SetUp() override {
    ASSERT_TRUE(loop_.Init().ok());
    spawner_.set_watcher(&loop_);
    char dir[] = "/tmp/baton-loop-test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { spawner_.set_watcher(nullptr); }
  std::string Read(const std::string& name) {
    auto text = kernel_.ReadFile(dir_ + "/" + name);
    return text.ok() ? *text : "";
  }
  bool Running(const std::string& job) {
    auto info = engine_.Find(job);
    return info.has_value() && info->state == State::kRunning && info->pid != 0;
  }
  template <typename Pred>
  bool RunUntil(Pred pred) {
    absl::Time deadline = clock_.Now() + absl::Seconds(10);
    while (!pred()) {
      if (clock_.Now() > deadline) return false;
      if (!loop_.RunOnce(absl::Milliseconds(100)).ok()) return false;
    }
    return true;
  }

  sys::LinuxKernel kernel_;
  MonotonicClock clock_;
  LogRing ring_;
  Logger logger_;
  Spawner spawner_;
  Engine engine_;
  Loop loop_;
  std::string dir_;
};

TEST_F(SystemLoopTest, SignalsMapToBusyboxActions) {
  ASSERT_EQ(::kill(::getpid(), SIGUSR2), 0);
  ASSERT_TRUE(RunUntil([&] { return loop_.shutting_down(); }));
  EXPECT_EQ(loop_.shutdown_action(), ShutdownAction::kPoweroff);
  // A second request is refused and does not change the action.
  ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
  ASSERT_TRUE(loop_.RunOnce(absl::Milliseconds(100)).ok());
  EXPECT_EQ(loop_.shutdown_action(), ShutdownAction::kPoweroff);
  absl::Status again = loop_.RequestShutdown(ShutdownAction::kReboot);
  EXPECT_TRUE(absl::IsFailedPrecondition(again)) << again;
  EXPECT_NE(again.message().find("poweroff"), absl::string_view::npos);
}

TEST_F(SystemLoopTest, SigtermIsAReboot) {
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  ASSERT_TRUE(RunUntil([&] { return loop_.shutting_down(); }));
  EXPECT_EQ(loop_.shutdown_action(), ShutdownAction::kReboot);
  ASSERT_TRUE(loop_.Run().ok());
}

TEST_F(LoopTest, UserModeSigtermOnlyStopsJobs) {
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  ASSERT_TRUE(RunUntil([&] { return loop_.shutting_down(); }));
  EXPECT_EQ(loop_.shutdown_action(), ShutdownAction::kNone);
}

TEST_F(SystemLoopTest, ShutdownEventTasksFinishBeforeJobsAreStopped) {
  // The service's post-stop notes whether the task had finished by then.
  engine_.AddJob(Job("svc", "start on startup\nexec sleep 30\npost-stop exec /bin/sh -c 'test -e " +
                                dir_ + "/saved && touch " + dir_ + "/ok'\n"));
  engine_.AddJob(Job("saver", "task\nstart on shutdown\nexec /bin/sh -c 'sleep 0.3; echo $ACTION > " +
                                  dir_ + "/saved'\n"));
  engine_.Emit("startup");
  engine_.RunQueue();
  ASSERT_TRUE(RunUntil([&] { return Running("svc"); }));
  ASSERT_TRUE(loop_.RequestShutdown(ShutdownAction::kPoweroff).ok());
  EXPECT_TRUE(loop_.shutting_down());
  ASSERT_TRUE(loop_.Run().ok());
  EXPECT_TRUE(loop_.shutdown_complete());
  EXPECT_EQ(Read("saved"), "poweroff\n");
  EXPECT_TRUE(kernel_.Stat(dir_ + "/ok").ok()) << "svc was stopped before the task finished";
  auto saver = engine_.Find("saver");
  ASSERT_TRUE(saver.has_value());
  EXPECT_EQ(saver->runs, 1);
  auto svc = engine_.Find("svc");
  ASSERT_TRUE(svc.has_value());
  EXPECT_EQ(svc->state, State::kWaiting);
}

TEST_F(SystemLoopTest, AShutdownTaskThatHangsIsBoundedByTheEventTimeout) {
  engine_.AddJob(Job("hang", "task\nkill timeout 1\nstart on shutdown\nexec sleep 60\n"));
  ASSERT_TRUE(loop_.RequestShutdown(ShutdownAction::kHalt).ok());
  absl::Time before = clock_.Now();
  ASSERT_TRUE(loop_.Run().ok());
  absl::Duration took = clock_.Now() - before;
  // 3 s of event timeout, then the stop (SIGTERM ends sleep at once).
  EXPECT_GE(took, absl::Seconds(3));
  EXPECT_LT(took, absl::Seconds(7));
  auto hang = engine_.Find("hang");
  ASSERT_TRUE(hang.has_value());
  EXPECT_EQ(hang->pid, 0);
  EXPECT_EQ(hang->last_exit->signal, SIGTERM);
}

TEST_F(LoopTest, WatchRejectsDuplicatesAndUnwatchInsideCallbackIsSafe) {
  auto pipe = kernel_.Pipe();
  ASSERT_TRUE(pipe.ok());
  int fd = pipe->first.get();
  int calls = 0;
  ASSERT_TRUE(loop_.Watch(fd, [&](uint32_t) {
                    ++calls;
                    loop_.Unwatch(fd);
                  }).ok());
  EXPECT_FALSE(loop_.Watch(fd, [](uint32_t) {}).ok());
  ASSERT_TRUE(kernel_.Write(pipe->second.get(), "x", 1).ok());
  ASSERT_TRUE(loop_.RunOnce(absl::Milliseconds(100)).ok());
  ASSERT_TRUE(loop_.RunOnce(absl::Milliseconds(10)).ok());
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace baton::supervisor
