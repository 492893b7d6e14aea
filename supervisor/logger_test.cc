#include "supervisor/logger.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"
#include "sys/linux_kernel.h"

namespace baton::supervisor {
namespace {

class FakeClock : public Clock {
 public:
  absl::Time Now() override { return now; }
  absl::Time now = absl::UnixEpoch() + absl::Seconds(100);
};

// A real kernel whose writes are counted: the console is a pipe here.
class CountingKernel : public sys::LinuxKernel {
 public:
  absl::StatusOr<size_t> Write(int fd, const void* buf, size_t len) override {
    ++writes;
    return sys::LinuxKernel::Write(fd, buf, len);
  }
  int writes = 0;
};

// The crash handler's held text, as the Logger sees it.
class FakeMirror : public HeldConsoleMirror {
 public:
  void Append(absl::string_view lines) override {
    text.append(lines.data(), lines.size());
    ++appends;
  }
  void Clear() override {
    text.clear();
    ++clears;
  }
  std::string text;
  int appends = 0;
  int clears = 0;
};

class LoggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    read_fd_ = fds[0];
    write_fd_ = fds[1];
  }
  void TearDown() override {
    ::close(read_fd_);
    ::close(write_fd_);
  }
  // What reached the console so far.
  std::string Console() {
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(read_fd_, buf, sizeof(buf));
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  std::vector<std::string> RingTexts(const LogRing& ring) {
    std::vector<std::string> out;
    for (const LogLine& line : ring.Lines("", "")) out.push_back(line.text);
    return out;
  }

  CountingKernel kernel_;
  FakeClock clock_;
  int read_fd_ = -1;
  int write_fd_ = -1;
};

TEST_F(LoggerTest, UnheldLinesAreWrittenOneByOne) {
  Logger logger(kernel_, nullptr, write_fd_);
  logger.Info("one");
  EXPECT_EQ(Console(), "baton: one\n");
  logger.Warn("two");
  EXPECT_EQ(Console(), "baton: warning: two\n");
  EXPECT_EQ(kernel_.writes, 2);
}

TEST_F(LoggerTest, HeldInfoLinesWaitAndGoOutInOneWrite) {
  LogRing ring(kernel_, clock_, clock_.now, {});
  Logger logger(kernel_, &ring, write_fd_);
  logger.Hold();
  EXPECT_TRUE(logger.held());
  logger.Info("starting");
  logger.Info("2 jobs loaded");
  // Nothing on the console yet, but the ring has both at once.
  EXPECT_EQ(Console(), "");
  EXPECT_EQ(kernel_.writes, 0);
  EXPECT_EQ(RingTexts(ring), std::vector<std::string>({"starting", "2 jobs loaded"}));
  logger.Release();
  EXPECT_FALSE(logger.held());
  EXPECT_EQ(Console(), "baton: starting\nbaton: 2 jobs loaded\n");
  EXPECT_EQ(kernel_.writes, 1);
  // Released: lines go out at once again; releasing twice writes nothing.
  logger.Info("ready");
  EXPECT_EQ(Console(), "baton: ready\n");
  logger.Release();
  EXPECT_EQ(kernel_.writes, 2);
}

TEST_F(LoggerTest, AWarningIsNotHeldAndKeepsTheOrder) {
  Logger logger(kernel_, nullptr, write_fd_);
  logger.Hold();
  logger.Info("before");
  logger.Error("broken");
  // The held line first, then the error, in one write; still holding after.
  EXPECT_EQ(Console(), "baton: before\nbaton: error: broken\n");
  EXPECT_EQ(kernel_.writes, 1);
  EXPECT_TRUE(logger.held());
  logger.Info("after");
  EXPECT_EQ(Console(), "");
  logger.Warn("odd");
  EXPECT_EQ(Console(), "baton: after\nbaton: warning: odd\n");
}

TEST_F(LoggerTest, QuietInfoLinesAreNotHeldEither) {
  Logger logger(kernel_, nullptr, write_fd_);
  logger.set_quiet(true);
  logger.Hold();
  logger.Info("ring only");
  logger.Release();
  EXPECT_EQ(Console(), "");
  EXPECT_EQ(kernel_.writes, 0);
}

TEST_F(LoggerTest, TheDestructorWritesWhatIsStillHeld) {
  {
    Logger logger(kernel_, nullptr, write_fd_);
    logger.Hold();
    logger.Info("last words");
    EXPECT_EQ(Console(), "");
  }
  EXPECT_EQ(Console(), "baton: last words\n");
}

TEST_F(LoggerTest, TooMuchHeldTextIsWrittenOut) {
  Logger logger(kernel_, nullptr, write_fd_);
  logger.Hold();
  const std::string line(1000, 'x');
  int lines = 0;
  while (kernel_.writes == 0 && lines < 100) {
    logger.Info(line);
    ++lines;
  }
  // Bounded: written after ~16 KiB, well before 100 lines.
  EXPECT_EQ(kernel_.writes, 1);
  EXPECT_GT(lines, 10);
  EXPECT_LT(lines, 30);
  EXPECT_EQ(Console().size(), static_cast<size_t>(lines) * (line.size() + 8));
}

TEST_F(LoggerTest, HeldLinesAreMirroredUntilReleased) {
  FakeMirror mirror;
  Logger logger(kernel_, nullptr, write_fd_);
  logger.set_held_mirror(&mirror);
  logger.Info("not held");
  EXPECT_EQ(mirror.text, "");
  EXPECT_EQ(mirror.appends, 0);
  logger.Hold();
  logger.Info("starting stateless: no handoff");
  logger.Info("handoff from stage 1");
  // What a crash now would show: exactly what the console has not had yet.
  EXPECT_EQ(mirror.text, "baton: starting stateless: no handoff\nbaton: handoff from stage 1\n");
  EXPECT_EQ(mirror.appends, 2);  // one line at a time, not a copy of all held
  EXPECT_EQ(Console(), "baton: not held\n");
  logger.Release();
  EXPECT_EQ(mirror.text, "");
  EXPECT_EQ(Console(), "baton: starting stateless: no handoff\nbaton: handoff from stage 1\n");
  logger.Info("after");
  EXPECT_EQ(mirror.text, "");
  logger.set_held_mirror(nullptr);
}

TEST_F(LoggerTest, AWarningWhileHeldEmptiesTheMirror) {
  FakeMirror mirror;
  Logger logger(kernel_, nullptr, write_fd_);
  logger.Hold();
  logger.Info("before the mirror");
  // Given late: what is held already is mirrored at once.
  logger.set_held_mirror(&mirror);
  EXPECT_EQ(mirror.text, "baton: before the mirror\n");
  logger.Warn("odd");  // written with what was held
  EXPECT_EQ(mirror.text, "");
  EXPECT_EQ(Console(), "baton: before the mirror\nbaton: warning: odd\n");
  logger.Info("held again");
  EXPECT_EQ(mirror.text, "baton: held again\n");
  logger.set_held_mirror(nullptr);  // unset: the mirror is emptied
  EXPECT_EQ(mirror.text, "");
}

TEST_F(LoggerTest, NoConsoleMeansNoWrites) {
  Logger logger(kernel_, nullptr, -1);
  logger.Hold();
  logger.Error("nowhere");
  logger.Release();
  EXPECT_EQ(kernel_.writes, 0);
}

// --- a console that takes nothing (logger.h) -----------------------------------

class StalledConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kernel_.AddTerminal("/dev/console", "");
    auto fd = kernel_.Open("/dev/console", O_WRONLY | O_NOCTTY | O_NONBLOCK);
    ASSERT_TRUE(fd.ok()) << fd.status();
    console_ = std::move(*fd);
    kernel_.set_poll_writable_hook([this](const std::string&) { ++polls_; });
  }
  std::string Console() { return kernel_.terminal_output("/dev/console"); }

  sys::FakeKernel kernel_;
  sys::UniqueFd console_;
  int polls_ = 0;
};

TEST_F(StalledConsoleTest, GivesUpAfterThePollsThenTriesOnceEachUntilItTakesAll) {
  Logger logger(kernel_, nullptr, console_.get());
  kernel_.SetTerminalRoom("/dev/console", 12);
  logger.Warn("a line the console stops in");
  // It took 12 bytes, then nothing for kConsoleStallPolls polls.
  EXPECT_EQ(Console(), "baton: warni");
  EXPECT_EQ(polls_, Logger::kConsoleStallPolls);
  EXPECT_TRUE(logger.console_stalled());
  const size_t first = std::string("baton: warning: a line the console stops in\n").size() - 12;
  EXPECT_EQ(logger.console_dropped(), first);

  // Stalled: one try, no wait.
  logger.Info("two");
  EXPECT_EQ(polls_, Logger::kConsoleStallPolls);
  EXPECT_EQ(logger.console_dropped(), first + std::string("baton: two\n").size());

  // XON: the next line goes out whole, after the count, on a line of its own.
  kernel_.SetTerminalRoom("/dev/console", std::nullopt);
  logger.Info("three");
  EXPECT_EQ(Console(), "baton: warni\nbaton: warning: the console took no output for a while: " +
                           std::to_string(first + 11) +
                           " bytes of these lines were dropped (they are in `initctl log`)\n"
                           "baton: three\n");
  EXPECT_FALSE(logger.console_stalled());
  EXPECT_EQ(logger.console_dropped(), 0u);
}

TEST_F(StalledConsoleTest, ASlowConsoleThatKeepsTakingLosesNothing) {
  Logger logger(kernel_, nullptr, console_.get());
  kernel_.SetTerminalRoom("/dev/console", 4);
  // Each poll, the console has sent four more bytes: far more polls than
  // the stall limit, but never one without progress.
  kernel_.set_poll_writable_hook([this](const std::string& path) {
    ++polls_;
    kernel_.SetTerminalRoom(path, 4);
  });
  std::string message(200, 'x');
  logger.Warn(message);
  EXPECT_EQ(Console(), "baton: warning: " + message + "\n");
  EXPECT_GT(polls_, Logger::kConsoleStallPolls);
  EXPECT_FALSE(logger.console_stalled());
  EXPECT_EQ(logger.console_dropped(), 0u);
}

TEST_F(StalledConsoleTest, AnotherWriteErrorIsNotWaitedOn) {
  Logger logger(kernel_, nullptr, console_.get());
  kernel_.FailNext("write", EIO);
  logger.Warn("lost");
  EXPECT_EQ(polls_, 0);
  EXPECT_EQ(Console(), "");
}

// On the real kernel: a non-blocking pipe that is full stands for a stopped
// console. The Logger comes back (after the polls), and once the pipe is
// read it says what was dropped.
TEST_F(LoggerTest, AFullNonBlockingConsoleDoesNotStopTheLogger) {
  std::string fill(1 << 16, '.');
  while (::write(write_fd_, fill.data(), fill.size()) > 0) {
  }
  Logger logger(kernel_, nullptr, write_fd_);
  absl::Time start = absl::Now();
  logger.Warn("while full");
  absl::Duration took = absl::Now() - start;
  EXPECT_TRUE(logger.console_stalled());
  EXPECT_GE(took, Logger::kConsolePoll * (Logger::kConsoleStallPolls - 1));
  EXPECT_LT(took, absl::Seconds(30));
  Console();  // drained
  logger.Info("after");
  std::string out = Console();
  EXPECT_NE(out.find("bytes of these lines were dropped"), std::string::npos) << out;
  EXPECT_NE(out.find("baton: after\n"), std::string::npos) << out;
  EXPECT_FALSE(logger.console_stalled());
}

}  // namespace
}  // namespace baton::supervisor
