#include "supervisor/spawner.h"

#include <signal.h>

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/linux_kernel.h"

namespace baton::supervisor {
namespace {

using ::testing::ElementsAre;

jobs::Command Exec(std::string text) {
  jobs::Command c;
  c.kind = jobs::Command::Kind::kExec;
  c.text = std::move(text);
  return c;
}

TEST(NeedsShellTest, PlainCommandsDoNot) {
  EXPECT_FALSE(NeedsShell("/bin/true"));
  EXPECT_FALSE(NeedsShell("sleep 10"));
  EXPECT_FALSE(NeedsShell("/sbin/daemon --config=/etc/x.conf -v"));
  EXPECT_FALSE(NeedsShell("echo 'a b' \"c d\""));
}

TEST(NeedsShellTest, ShellSyntaxDoes) {
  EXPECT_TRUE(NeedsShell("echo $HOME"));
  EXPECT_TRUE(NeedsShell("a | b"));
  EXPECT_TRUE(NeedsShell("a && b"));
  EXPECT_TRUE(NeedsShell("a; b"));
  EXPECT_TRUE(NeedsShell("echo hi > /tmp/x"));
  EXPECT_TRUE(NeedsShell("ls *.conf"));
  EXPECT_TRUE(NeedsShell("echo `date`"));
  EXPECT_TRUE(NeedsShell("FOO=bar cmd"));
  EXPECT_TRUE(NeedsShell("a\nb"));
}

TEST(SplitWordsTest, HonoursQuotes) {
  auto words = SplitWords("  echo 'a b'  \"c \\\"d\\\"\" x'y'z\t e ");
  ASSERT_TRUE(words.ok()) << words.status();
  EXPECT_THAT(*words, ElementsAre("echo", "a b", "c \"d\"", "xyz", "e"));
}

TEST(SplitWordsTest, EmptyQuotedWordIsKept) {
  auto words = SplitWords("prog ''");
  ASSERT_TRUE(words.ok());
  EXPECT_THAT(*words, ElementsAre("prog", ""));
}

TEST(SplitWordsTest, Errors) {
  EXPECT_FALSE(SplitWords("echo 'open").ok());
  EXPECT_FALSE(SplitWords("echo \"open").ok());
  EXPECT_FALSE(SplitWords("   ").ok());
}

TEST(BuildArgvTest, ExecScriptAndShell) {
  auto plain = BuildArgv(Exec("/bin/echo hi there"));
  ASSERT_TRUE(plain.ok());
  EXPECT_THAT(*plain, ElementsAre("/bin/echo", "hi", "there"));

  auto shell = BuildArgv(Exec("echo $NAME > /tmp/out"));
  ASSERT_TRUE(shell.ok());
  EXPECT_THAT(*shell, ElementsAre("/bin/sh", "-c", "echo $NAME > /tmp/out"));

  jobs::Command script;
  script.kind = jobs::Command::Kind::kScript;
  script.text = "echo one\necho two\n";
  auto sh = BuildArgv(script);
  ASSERT_TRUE(sh.ok());
  EXPECT_THAT(*sh, ElementsAre("/bin/sh", "-e", "-c", "echo one\necho two\n"));

  EXPECT_FALSE(BuildArgv(jobs::Command()).ok());
}

TEST(BuildEnvTest, OverridesInPlaceAndDefaultsPath) {
  Env base = {{"HOME", "/root"}, {"LANG", "C"}};
  Env job = {{"LANG", "C.UTF-8"}, {"JOB", "x"}};
  EXPECT_THAT(BuildEnv(base, job),
              ElementsAre("HOME=/root", "LANG=C.UTF-8", "JOB=x", std::string("PATH=") + kDefaultPath));
  EXPECT_THAT(BuildEnv({{"PATH", "/bin"}}, {}), ElementsAre("PATH=/bin"));
}

// Records watched fds; the test drives the callbacks by hand.
class FakeWatcher : public FdWatcher {
 public:
  absl::Status Watch(int fd, Callback callback) override {
    callbacks[fd] = std::move(callback);
    return absl::OkStatus();
  }
  void Unwatch(int fd) override { callbacks.erase(fd); }
  std::map<int, Callback> callbacks;
};

class FakeClock : public Clock {
 public:
  absl::Time Now() override { return absl::UnixEpoch(); }
};

class SpawnerTest : public ::testing::Test {
 protected:
  SpawnerTest() : ring_(kernel_, clock_, clock_.Now(), {}) {}

  ProcessRunner::Spec SpecFor(const jobs::JobConfig& job) {
    ProcessRunner::Spec spec;
    spec.job = &job;
    spec.command = &job.exec;
    spec.phase = Phase::kMain;
    return spec;
  }

  // Waits for PID to exit (reaping it) and drains its log pipe.
  sys::ChildExit WaitAndDrain(pid_t pid, Spawner& spawner) {
    sys::ChildExit exit;
    for (int i = 0; i < 2000; ++i) {
      auto reaped = kernel_.ReapOne();
      if (reaped.ok() && reaped->has_value() && (*reaped)->pid == pid) {
        exit = **reaped;
        break;
      }
      usleep(2000);
    }
    for (int i = 0; i < 100 && !watcher_.callbacks.empty(); ++i) {
      auto callbacks = watcher_.callbacks;
      for (auto& [fd, cb] : callbacks) cb(0);
    }
    return exit;
  }

  sys::LinuxKernel kernel_;
  FakeClock clock_;
  LogRing ring_;
  FakeWatcher watcher_;
};

TEST_F(SpawnerTest, RequestCarriesEnvResolvedPathAndSeccomp) {
  Spawner spawner(kernel_, ring_, &watcher_, {{{"BASE", "1"}, {"PATH", "/usr/bin:/bin"}}});
  jobs::JobConfig job;
  job.name = "j";
  job.exec = Exec("sh -x");
  job.seccomp.mode = jobs::SeccompPolicy::Mode::kDeny;
  job.seccomp.syscalls = {"mkdir"};
  ProcessRunner::Spec spec = SpecFor(job);
  spec.env = {{"JOB", "j"}};
  auto request = spawner.BuildRequest(spec);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_TRUE(request->argv[0] == "/usr/bin/sh" || request->argv[0] == "/bin/sh")
      << request->argv[0];
  EXPECT_THAT(request->env, ElementsAre("BASE=1", "PATH=/usr/bin:/bin", "JOB=j"));
  EXPECT_FALSE(request->seccomp_bpf.empty());
  EXPECT_EQ(request->seccomp_bpf.size() % 8, 0u);

  job.seccomp.syscalls = {"no_such_syscall"};
  auto bad = spawner.BuildRequest(spec);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown syscall 'no_such_syscall'"), std::string::npos)
      << bad.status();
}

TEST_F(SpawnerTest, ConsoleLogOutputReachesTheRing) {
  Spawner spawner(kernel_, ring_, &watcher_, {});
  jobs::JobConfig job;
  job.name = "talker";
  job.exec = Exec("echo out; echo err >&2; printf partial");
  ProcessRunner::Spec spec = SpecFor(job);
  spec.instance = "one";
  auto pid = spawner.Start(spec);
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_EQ(watcher_.callbacks.size(), 1u);
  sys::ChildExit exit = WaitAndDrain(*pid, spawner);
  EXPECT_EQ(exit.pid, *pid);
  EXPECT_EQ(exit.exit_status, 0);
  EXPECT_TRUE(watcher_.callbacks.empty());
  EXPECT_EQ(spawner.open_pipes(), 0u);
  std::vector<std::string> texts;
  for (const LogLine& line : ring_.Lines("talker", "one")) texts.push_back(line.text);
  EXPECT_THAT(texts, ElementsAre("out", "err", "partial"));
}

TEST_F(SpawnerTest, EnvironmentReachesTheProcess) {
  Spawner spawner(kernel_, ring_, &watcher_, {{{"FROM_BASE", "b"}}});
  jobs::JobConfig job;
  job.name = "env";
  job.exec = Exec("echo \"$FROM_BASE $FROM_JOB\"");
  ProcessRunner::Spec spec = SpecFor(job);
  spec.env = {{"FROM_JOB", "j"}};
  auto pid = spawner.Start(spec);
  ASSERT_TRUE(pid.ok()) << pid.status();
  WaitAndDrain(*pid, spawner);
  std::vector<LogLine> lines = ring_.Lines("env", "");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "b j");
}

TEST_F(SpawnerTest, ListenFdsGoToEveryProcessOfTheirJobOnly) {
  Spawner spawner(kernel_, ring_, &watcher_, {});
  auto pipe = kernel_.Pipe();
  ASSERT_TRUE(pipe.ok());
  int held = pipe->second.get();
  spawner.AddListenFd("sock", std::move(pipe->second));
  EXPECT_TRUE(spawner.HasListenFds("sock"));
  EXPECT_FALSE(spawner.HasListenFds("other"));
  ASSERT_EQ(spawner.ListenFds().size(), 1u);
  EXPECT_EQ(spawner.ListenFds()[0].fd, held);
  EXPECT_EQ(spawner.ListenFds()[0].job, "sock");

  jobs::JobConfig job;
  job.name = "sock";
  job.exec = Exec("echo \"$LISTEN_FDS\" >&3");
  // Two processes, as a respawn makes: both get the socket the supervisor
  // keeps.
  for (int i = 0; i < 2; ++i) {
    auto pid = spawner.Start(SpecFor(job));
    ASSERT_TRUE(pid.ok()) << pid.status();
    EXPECT_EQ(WaitAndDrain(*pid, spawner).exit_status, 0);
  }
  char buf[16] = {};
  auto n = kernel_.Read(pipe->first.get(), buf, sizeof(buf));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(std::string(buf, *n), "1\n1\n");

  jobs::JobConfig other;
  other.name = "other";
  other.exec = Exec("true");
  auto request = spawner.BuildRequest(SpecFor(other));
  ASSERT_TRUE(request.ok());
  EXPECT_TRUE(request->listen_fds.empty());
  auto with = spawner.BuildRequest(SpecFor(job));
  ASSERT_TRUE(with.ok());
  EXPECT_THAT(with->listen_fds, ElementsAre(held));
}

TEST_F(SpawnerTest, ConsoleNoneOpensNoPipe) {
  Spawner spawner(kernel_, ring_, &watcher_, {});
  jobs::JobConfig job;
  job.name = "quiet";
  job.console = jobs::ConsoleMode::kNone;
  job.exec = Exec("echo hidden");
  auto pid = spawner.Start(SpecFor(job));
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_TRUE(watcher_.callbacks.empty());
  WaitAndDrain(*pid, spawner);
  EXPECT_FALSE(ring_.HasStream("quiet", ""));
}

TEST_F(SpawnerTest, SignalReachesTheProcessGroup) {
  Spawner spawner(kernel_, ring_, nullptr, {});
  jobs::JobConfig job;
  job.name = "sleeper";
  job.exec = Exec("sleep 30");
  auto pid = spawner.Start(SpecFor(job));
  ASSERT_TRUE(pid.ok()) << pid.status();
  ASSERT_TRUE(spawner.Signal(*pid, SIGTERM).ok());
  sys::ChildExit exit = WaitAndDrain(*pid, spawner);
  EXPECT_EQ(exit.pid, *pid);
  EXPECT_EQ(exit.signal, SIGTERM);
  EXPECT_FALSE(spawner.Signal(*pid, SIGTERM).ok());  // gone
}

TEST_F(SpawnerTest, MissingProgramFailsToStart) {
  Spawner spawner(kernel_, ring_, &watcher_, {});
  jobs::JobConfig job;
  job.name = "missing";
  job.exec = Exec("/no/such/program");
  auto pid = spawner.Start(SpecFor(job));
  EXPECT_FALSE(pid.ok());
  EXPECT_EQ(spawner.open_pipes(), 0u);
}

}  // namespace
}  // namespace baton::supervisor
