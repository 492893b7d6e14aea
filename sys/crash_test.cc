// The crash handler in a forked child (not PID 1): a real fault and a sent
// signal end in the planned exec, not in death by the signal; with nothing
// to exec the child freezes in wait4. Under --config=asan too: ASan lets a
// program's own SIGSEGV handler replace its own (allow_user_segv_handler
// defaults to 1), and a write to a PROT_NONE page passes ASan's shadow check
// and faults for real.
#include "sys/crash.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace baton::sys {
namespace {

std::string TmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fallback program: prints what it was given and exits 42.
std::string WriteFallback(const std::string& name) {
  std::string path = TmpDir() + "/" + name;
  std::ofstream out(path);
  out << "#!/bin/sh\necho \"fallback pid=$$ args=$* env=$CRASH_TEST\"\nexit 42\n";
  out.close();
  chmod(path.c_str(), 0755);
  return path;
}

CrashPlan PlanWith(const std::string& console, std::vector<CrashExec> execs) {
  CrashPlan plan;
  plan.console = console;
  plan.execs = std::move(execs);
  plan.env = {"PATH=/usr/bin:/bin", "CRASH_TEST=yes"};
  return plan;
}

std::string FreshConsole(const std::string& name) {
  std::string path = TmpDir() + "/" + name;
  unlink(path.c_str());
  int fd = open(path.c_str(), O_CREAT | O_WRONLY, 0644);
  close(fd);
  return path;
}

// A page that faults on any access (SEGV_ACCERR). Not a null pointer:
// UBSan would report the null store before it faults.
volatile int* ForbiddenPage() {
  void* page = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return page == MAP_FAILED ? nullptr : static_cast<volatile int*>(page);
}

std::string Hex(const volatile void* p) {
  char text[32];
  snprintf(text, sizeof(text), "0x%lx", reinterpret_cast<unsigned long>(p));
  return text;
}

// Forks a child that installs PLAN's handler (exit 3 if it cannot) and runs
// BODY, which is meant not to return (it faults, aborts or waits to be sent
// a signal; exit 4 if it does). Returns the child's pid to the parent.
pid_t ForkInstalled(const CrashPlan& plan, const std::function<void()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    if (!InstallCrashHandler(plan).ok()) _exit(3);
    body();
    _exit(4);
  }
  return pid;
}

int WaitExit(pid_t pid) {
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WEXITSTATUS(status);
}

TEST(CrashHandlerTest, RealFaultExecsTheFallback) {
  const std::string console = FreshConsole("fault.console");
  const std::string fallback = WriteFallback("fallback-fault");
  CrashPlan plan = PlanWith(console, {{"/nonexistent/init", {"/nonexistent/init"}},
                                      {fallback, {fallback, "one", "two"}}});
  volatile int* page = ForbiddenPage();
  ASSERT_NE(page, nullptr);
  pid_t pid = ForkInstalled(plan, [page] { *page = 1; });
  ASSERT_GE(pid, 0);
  EXPECT_EQ(WaitExit(pid), 42) << Slurp(console);
  const std::string text = Slurp(console);
  EXPECT_NE(text.find("baton: PID 1 crashed: SIGSEGV at address " + Hex(page) +
                      " (code 2); next: exec "
                      "/nonexistent/init, then exec " + fallback + ", then freeze\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("exec /nonexistent/init failed (errno 2)"), std::string::npos) << text;
  // The fallback is the same process (exec'd, not spawned), with stdio on the console.
  EXPECT_NE(text.find("fallback pid=" + std::to_string(pid) + " args=one two env=yes"),
            std::string::npos)
      << text;
}

// Stage 2's held console lines (supervisor/logger.h) come out before the
// crash line, not lost; the handler's own lines follow.
TEST(CrashHandlerTest, HeldTextGoesOutBeforeTheCrashLine) {
  const std::string console = FreshConsole("held.console");
  const std::string fallback = WriteFallback("fallback-held");
  CrashPlan plan = PlanWith(console, {{fallback, {fallback}}});
  volatile int* page = ForbiddenPage();
  ASSERT_NE(page, nullptr);
  const std::string held =
      "baton: starting stateless: no handoff fd\nbaton: handoff from pid 1 (stage 1)\n";
  pid_t pid = ForkInstalled(plan, [page] {
    AppendCrashHeldText("baton: starting stateless: no handoff fd\n");
    AppendCrashHeldText("baton: handoff from pid 1 (stage 1)\n");
    *page = 1;
  });
  ASSERT_GE(pid, 0);
  EXPECT_EQ(WaitExit(pid), 42) << Slurp(console);
  const std::string text = Slurp(console);
  // Exactly once, first, right before the crash line.
  EXPECT_EQ(text.rfind(held + "baton: PID 1 crashed: SIGSEGV at address " + Hex(page), 0), 0u)
      << text;
  EXPECT_EQ(text.find("starting stateless", held.size()), std::string::npos) << text;
  EXPECT_NE(text.find("fallback pid=" + std::to_string(pid)), std::string::npos) << text;
}

TEST(CrashHandlerTest, ClearedHeldTextWritesNothing) {
  const std::string console = FreshConsole("cleared.console");
  const std::string fallback = WriteFallback("fallback-cleared");
  CrashPlan plan = PlanWith(console, {{fallback, {fallback}}});
  pid_t pid = ForkInstalled(plan, [] {
    AppendCrashHeldText("baton: already on the console\n");
    ClearCrashHeldText();
    abort();
  });
  ASSERT_GE(pid, 0);
  EXPECT_EQ(WaitExit(pid), 42) << Slurp(console);
  const std::string text = Slurp(console);
  EXPECT_EQ(text.rfind("baton: PID 1 got SIGABRT from pid " + std::to_string(pid), 0), 0u)
      << text;
  EXPECT_EQ(text.find("already on the console"), std::string::npos) << text;
}

// More than kCrashHeldBytes: what fits is kept whole, the rest left out.
TEST(CrashHandlerTest, HeldTextBeyondTheLimitIsLeftOutWhole) {
  const std::string console = FreshConsole("full.console");
  const std::string fallback = WriteFallback("fallback-full");
  CrashPlan plan = PlanWith(console, {{fallback, {fallback}}});
  const std::string filler(kCrashHeldBytes - 10, 'x');
  pid_t pid = ForkInstalled(plan, [&filler] {
    AppendCrashHeldText(filler);
    AppendCrashHeldText("too long to fit\n");
    AppendCrashHeldText("\nfits\n");
    abort();
  });
  ASSERT_GE(pid, 0);
  EXPECT_EQ(WaitExit(pid), 42) << Slurp(console);
  const std::string text = Slurp(console);
  EXPECT_EQ(text.rfind(filler + "\nfits\nbaton: PID 1 got SIGABRT", 0), 0u)
      << text.substr(filler.size());
}

TEST(CrashHandlerTest, AForkedChildDiesOfItsFaultAsWithoutTheHandler) {
  const std::string console = FreshConsole("child.console");
  const std::string fallback = WriteFallback("fallback-child");
  CrashPlan plan = PlanWith(console, {{fallback, {fallback}}});
  volatile int* page = ForbiddenPage();
  ASSERT_NE(page, nullptr);
  pid_t pid = ForkInstalled(plan, [page] {
    // The installer's own children, forked after the install: one faults,
    // one is sent SIGSEGV. Both must die of it; the fallback is PID 1's.
    pid_t faulting = fork();
    if (faulting == 0) {
      *page = 1;
      _exit(4);
    }
    pid_t sent = fork();
    if (sent == 0) {
      for (;;) pause();
    }
    kill(sent, SIGSEGV);
    int a = 0, b = 0;
    if (waitpid(faulting, &a, 0) != faulting || waitpid(sent, &b, 0) != sent) _exit(5);
    const bool both = WIFSIGNALED(a) && WTERMSIG(a) == SIGSEGV && WIFSIGNALED(b) &&
                      WTERMSIG(b) == SIGSEGV;
    _exit(both ? 7 : 6);
  });
  ASSERT_GE(pid, 0);
  EXPECT_EQ(WaitExit(pid), 7) << Slurp(console);
  EXPECT_EQ(Slurp(console).find("fallback"), std::string::npos) << Slurp(console);
}

// Deep recursion: only the alternate stack leaves room for the handler.
#pragma GCC diagnostic ignored "-Winfinite-recursion"
int Recurse(volatile int depth) {
  volatile char pad[4096];
  pad[0] = static_cast<char>(depth);
  return Recurse(depth + 1) + pad[0];
}

// A console that takes nothing (a fifo full to the brim, its reader never
// reading): the crash line is left out after the polls and the plan goes on
// (the fallback exits 42 without writing). Before, the handler waited in
// write(2) for ever.
TEST(CrashHandlerTest, AStoppedConsoleDoesNotStopThePlan) {
  const std::string console = TmpDir() + "/stopped.console";
  unlink(console.c_str());
  ASSERT_EQ(mkfifo(console.c_str(), 0644), 0);
  int reader = open(console.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  int filler = open(console.c_str(), O_WRONLY | O_NONBLOCK);
  ASSERT_GE(filler, 0);
  std::string block(4096, '.');
  while (write(filler, block.data(), block.size()) > 0) {
  }
  // A first exec that fails adds a line: the stalled console is not waited
  // for a second time.
  CrashPlan plan = PlanWith(console, {{"/nonexistent/init", {"/nonexistent/init"}},
                                      {"/bin/sh", {"/bin/sh", "-c", "exit 42"}}});
  volatile int* page = ForbiddenPage();
  ASSERT_NE(page, nullptr);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = ForkInstalled(plan, [page] { *page = 1; });
  ASSERT_GE(pid, 0);
  int status = 0;
  pid_t got = 0;
  while ((got = waitpid(pid, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(30)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (got == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL() << "the crash handler still waits on the stopped console after 30 s";
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42) << status;
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(1900));
  EXPECT_LT(took, std::chrono::milliseconds(3900)) << "the console was waited for twice";
  close(filler);
  close(reader);
  unlink(console.c_str());
}

TEST(CrashHandlerTest, StackOverflowIsCaught) {
  const std::string console = FreshConsole("overflow.console");
  const std::string fallback = WriteFallback("fallback-overflow");
  CrashPlan plan = PlanWith(console, {{fallback, {fallback}}});
  pid_t pid = ForkInstalled(plan, [] { _exit(Recurse(0)); });
  ASSERT_GE(pid, 0);
  EXPECT_EQ(WaitExit(pid), 42) << Slurp(console);
  EXPECT_NE(Slurp(console).find("crashed: SIGSEGV at address"), std::string::npos);
}

TEST(CrashHandlerTest, SentSignalExecsTheFallbackAndNamesTheSender) {
  const std::string console = FreshConsole("sent.console");
  const std::string fallback = WriteFallback("fallback-sent");
  CrashPlan plan = PlanWith(console, {{fallback, {fallback, "sent"}}});
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t pid = ForkInstalled(plan, [&ready] {
    (void)!write(ready[1], "x", 1);
    for (;;) pause();
  });
  ASSERT_GE(pid, 0);
  close(ready[1]);
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  ASSERT_EQ(kill(pid, SIGSEGV), 0);
  EXPECT_EQ(WaitExit(pid), 42) << Slurp(console);
  const std::string text = Slurp(console);
  EXPECT_NE(text.find("baton: PID 1 got SIGSEGV from pid " + std::to_string(getpid()) + " (uid " +
                      std::to_string(getuid()) + "); next: exec " + fallback + ", then freeze"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("fallback pid=" + std::to_string(pid) + " args=sent"), std::string::npos)
      << text;
}

TEST(CrashHandlerTest, AbortExecsTheFallback) {
  const std::string console = FreshConsole("abort.console");
  const std::string fallback = WriteFallback("fallback-abort");
  CrashPlan plan = PlanWith(console, {{fallback, {fallback}}});
  pid_t pid = ForkInstalled(plan, [] { abort(); });
  ASSERT_GE(pid, 0);
  EXPECT_EQ(WaitExit(pid), 42) << Slurp(console);
  // abort() raises SIGABRT at itself: "from pid <own pid>".
  EXPECT_NE(Slurp(console).find("got SIGABRT from pid " + std::to_string(pid)), std::string::npos)
      << Slurp(console);
}

// The syscall the process is blocked in (/proc/PID/syscall's first field).
long BlockedSyscall(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/syscall");
  long nr = -100;
  in >> nr;
  return nr;
}

char ProcState(pid_t pid) {
  std::string stat = Slurp("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2] : '?';
}

TEST(CrashHandlerTest, EveryExecFailingFreezesReapingChildren) {
  const std::string console = FreshConsole("freeze.console");
  CrashPlan plan = PlanWith(console, {{"/nonexistent/a", {"/nonexistent/a"}},
                                      {"/nonexistent/b", {"/nonexistent/b"}}});
  volatile int* page = ForbiddenPage();
  ASSERT_NE(page, nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // A child of its own, which outlives it by nothing (PDEATHSIG): the
    // frozen process has someone to wait for.
    pid_t kid = fork();
    if (kid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      for (;;) pause();
    }
    if (!InstallCrashHandler(plan).ok()) _exit(3);
    *page = 1;
    _exit(4);
  }
  std::string text;
  for (int i = 0; i < 200 && text.find("frozen") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    text = Slurp(console);
  }
  EXPECT_NE(text.find("exec /nonexistent/a failed (errno 2)"), std::string::npos) << text;
  EXPECT_NE(text.find("exec /nonexistent/b failed (errno 2)"), std::string::npos) << text;
  EXPECT_NE(text.find("nothing left to run; frozen, reaping children"), std::string::npos) << text;
  // Still alive a moment later, asleep in wait4 (61 on x86_64).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  int status;
  EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0);
  EXPECT_EQ(ProcState(pid), 'S');
#if defined(__x86_64__)
  EXPECT_EQ(BlockedSyscall(pid), 61);
#endif
  // A second sent SIGSEGV is ignored by the frozen handler.
  ASSERT_EQ(kill(pid, SIGSEGV), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  EXPECT_EQ(WaitExit(pid), -SIGKILL);
}

// panic=: sync, wait, reboot(RB_AUTOBOOT). Only ever inside a PID namespace
// of its own, where the crashing child is PID 1 and reboot(2) ends the
// namespace (its init dies of SIGHUP, the kernel's mark of a restart)
// instead of the machine: a grandchild checks getpid() == 1 before it
// installs anything.
TEST(CrashHandlerTest, PanicRebootsAfterTheDelay) {
  const std::string console = FreshConsole("reboot.console");
  CrashPlan plan = PlanWith(console, {{"/nonexistent/init", {"/nonexistent/init"}}});
  plan.reboot_after_s = 1;
  volatile int* page = ForbiddenPage();
  ASSERT_NE(page, nullptr);
  int result[2];
  ASSERT_EQ(pipe(result), 0);
  pid_t middle = fork();
  ASSERT_GE(middle, 0);
  if (middle == 0) {
    close(result[0]);
    int answer[2] = {-1, 0};  // {errno of unshare or 0, wait status}
    if (unshare(CLONE_NEWPID) < 0) {
      answer[0] = errno;
      (void)!write(result[1], answer, sizeof(answer));
      _exit(0);
    }
    pid_t init = fork();
    if (init == 0) {
      if (getpid() != 1) _exit(7);  // never reboot outside the namespace
      if (!InstallCrashHandler(plan).ok()) _exit(3);
      *page = 1;
      _exit(4);
    }
    int status = 0;
    waitpid(init, &status, 0);
    answer[0] = 0;
    answer[1] = status;
    (void)!write(result[1], answer, sizeof(answer));
    _exit(0);
  }
  close(result[1]);
  const auto start = std::chrono::steady_clock::now();
  int answer[2] = {0, 0};
  ASSERT_EQ(read(result[0], answer, sizeof(answer)), static_cast<ssize_t>(sizeof(answer)));
  const auto took = std::chrono::steady_clock::now() - start;
  close(result[0]);
  EXPECT_EQ(WaitExit(middle), 0);
  if (answer[0] != 0) {
    GTEST_SKIP() << "no PID namespace here (unshare: " << std::strerror(answer[0])
                 << "): reboot(2) is not tried outside one";
  }
  const std::string text = Slurp(console);
  ASSERT_TRUE(WIFSIGNALED(answer[1])) << "status " << answer[1] << "\n" << text;
  EXPECT_EQ(WTERMSIG(answer[1]), SIGHUP) << text;  // reboot_pid_ns(RB_AUTOBOOT)
  EXPECT_GE(took, std::chrono::seconds(1));
  EXPECT_NE(text.find("baton: PID 1 crashed: SIGSEGV at address " + Hex(page) +
                      " (code 2); next: exec /nonexistent/init, then reboot in 1 s (panic=), "
                      "then freeze"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("exec /nonexistent/init failed (errno 2)"), std::string::npos) << text;
  EXPECT_NE(text.find("baton: crash fallback: rebooting in 1 s (panic=)"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("reboot failed"), std::string::npos) << text;
}

TEST(CrashHandlerTest, TooLargeAPlanIsRefusedNamingTheLimit) {
  CrashPlan plan;
  for (int i = 0; i <= kCrashMaxExecs; ++i) plan.execs.push_back({"/bin/sh", {"/bin/sh"}});
  absl::Status status = InstallCrashHandler(plan);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("at most 6"), absl::string_view::npos) << status;
}

TEST(CrashPlanTest, DescribeSaysWhatComesNext) {
  CrashPlan plan;
  plan.execs = {{"/sbin/init", {"/sbin/init"}}, {"/bin/sh", {"/bin/sh"}}};
  EXPECT_EQ(plan.Describe(), "exec /sbin/init, then exec /bin/sh, then freeze");
  plan.execs.pop_back();
  plan.reboot_after_s = 5;
  EXPECT_EQ(plan.Describe(), "exec /sbin/init, then reboot in 5 s (panic=), then freeze");
}

}  // namespace
}  // namespace baton::sys
