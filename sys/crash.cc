#include "sys/crash.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace baton::sys {

namespace {

// --- the precomputed plan (written by InstallCrashHandler only) ------------

struct Stored {
  char arena[kCrashArena];
  size_t used;
  const char* console;
  const char* next;  // Describe()
  int exec_count;
  const char* paths[kCrashMaxExecs];
  char* argv[kCrashMaxExecs][kCrashMaxArgs + 1];
  char* envp[kCrashMaxEnv + 1];
  bool reboot;
  int reboot_after_s;
  pid_t owner;  // the process that installed the plan (PID 1)
};
Stored stored;
volatile sig_atomic_t entered = 0;
// The alternate stack: a stack overflow leaves no room on the faulting one.
alignas(16) char alt_stack[64 * 1024];

// --- the held console text (written by the installing process's Logger) ----
//
// Safe against the crash arriving mid-update by publishing the length last:
// an append copies its bytes past held_len, then stores the new length with
// release order (a signal fence for a handler on the same thread); clearing
// is one store of 0. A handler that interrupts either sees the old length,
// and the bytes up to it are never rewritten while published (an append
// only writes past it), or the new one with its bytes in place. Blocking the
// crash signals instead, as InstallCrashHandler does for the plan, would
// cost two sigprocmask calls per held line, inside the switch window.
char held_text[kCrashHeldBytes];
std::atomic<size_t> held_len{0};
static_assert(std::atomic<size_t>::is_always_lock_free,
              "the handler reads held_len: it must not take a lock");

// Copies S into the arena; nullptr when it does not fit.
char* Keep(const std::string& s) {
  if (stored.used + s.size() + 1 > sizeof(stored.arena)) return nullptr;
  char* out = stored.arena + stored.used;
  std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  stored.used += s.size() + 1;
  return out;
}

// --- async-signal-safe formatting --------------------------------------------

struct Line {
  char buf[512];
  size_t len = 0;
  void Add(const char* s) {
    while (s != nullptr && *s != '\0' && len < sizeof(buf) - 1) buf[len++] = *s++;
  }
  void Dec(long long v) {
    char tmp[24];
    int n = 0;
    bool neg = v < 0;
    unsigned long long u = neg ? 0ULL - static_cast<unsigned long long>(v) : v;
    do {
      tmp[n++] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u != 0);
    if (neg) tmp[n++] = '-';
    while (n > 0 && len < sizeof(buf) - 1) buf[len++] = tmp[--n];
  }
  void Hex(unsigned long v) {
    char tmp[20];
    int n = 0;
    do {
      tmp[n++] = "0123456789abcdef"[v & 15];
      v >>= 4;
    } while (v != 0);
    Add("0x");
    while (n > 0 && len < sizeof(buf) - 1) buf[len++] = tmp[--n];
  }
};

const char* SignalName(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    case SIGSYS: return "SIGSYS";
    default: return "signal";
  }
}

// Writes LEN bytes of TEXT on the console (fd 2 when it cannot be opened).
// Opened O_NONBLOCK: a console that takes nothing (stopped with XOFF) gets
// kStallPolls polls of kPollMs in which it takes nothing, then the rest is
// left out and the plan goes on (supervisor/logger.h does the same).
void EmitText(const char* text, size_t len) {
  constexpr int kPollMs = 100;
  constexpr int kStallPolls = 20;
  static bool stalled = false;  // a console that stalled once is not waited for again
  int fd = -1;
  if (stored.console != nullptr) {
    fd = open(stored.console, O_WRONLY | O_NOCTTY | O_APPEND | O_CLOEXEC | O_NONBLOCK);
  }
  const int out = fd >= 0 ? fd : 2;
  size_t done = 0;
  int idle_polls = 0;
  while (done < len) {
    ssize_t n = write(out, text + done, len - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      idle_polls = 0;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !stalled) {
      if (idle_polls >= kStallPolls) {
        stalled = true;
        break;
      }
      struct pollfd polled = {out, POLLOUT, 0};
      if (poll(&polled, 1, kPollMs) == 0) ++idle_polls;
      continue;
    }
    break;
  }
  if (fd >= 0) close(fd);
}

void Emit(Line& line) {
  line.Add("\n");
  EmitText(line.buf, line.len);
}

// The held console text, if any, then empty (it is on the console now).
void EmitHeld() {
  const size_t len = held_len.load(std::memory_order_acquire);
  if (len == 0) return;
  EmitText(held_text, len);
  held_len.store(0, std::memory_order_relaxed);
}

[[noreturn]] void Freeze() {
  for (;;) {
    int status;
    if (waitpid(-1, &status, 0) < 0 && errno == ECHILD) {
      struct timespec second = {1, 0};
      nanosleep(&second, nullptr);
    }
  }
}

void Sleep(int seconds) {
  struct timespec left = {seconds, 0};
  while (nanosleep(&left, &left) < 0 && errno == EINTR) {
  }
}

void OnCrash(int sig, siginfo_t* info, void*) {
  const bool sent = info != nullptr && info->si_code <= 0;  // SI_USER, SI_QUEUE, SI_TKILL
  if (getpid() != stored.owner) {
    // A child forked without an exec yet (RunInIdleChild's, a spawn before
    // it resets its signals): not PID 1, so no fallback — it dies of SIG as
    // it would without us. A fault refaults on return; a sent signal is
    // raised again, now unblocked and default.
    signal(sig, SIG_DFL);
    if (sent) {
      sigset_t just;
      sigemptyset(&just);
      sigaddset(&just, sig);
      sigprocmask(SIG_UNBLOCK, &just, nullptr);
      raise(sig);
    }
    return;
  }
  if (entered) {
    if (sent) return;  // a second kill while we are at it: ignored
    Freeze();          // a fault in the handler itself
  }
  entered = 1;
  // What PID 1 said but held back comes first: what led to the crash.
  EmitHeld();
  Line line;
  if (sent) {  // SI_USER, SI_QUEUE, SI_TKILL: sent
    line.Add("baton: PID 1 got ");
    line.Add(SignalName(sig));
    line.Add(" from pid ");
    line.Dec(info->si_pid);
    line.Add(" (uid ");
    line.Dec(info->si_uid);
    line.Add(")");
  } else {
    line.Add("baton: PID 1 crashed: ");
    line.Add(SignalName(sig));
    if (info != nullptr && sig != SIGABRT) {
      line.Add(" at address ");
      line.Hex(reinterpret_cast<unsigned long>(info->si_addr));
      line.Add(" (code ");
      line.Dec(info->si_code);
      line.Add(")");
    }
  }
  line.Add("; next: ");
  line.Add(stored.next);
  Emit(line);

  // What an exec keeps: the mask and ignored signals. Back to a clean slate
  // (caught signals go back to SIG_DFL by the exec itself; ours stay caught
  // until then, so a fault below still lands in the guard above).
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) {
    bool ours = false;
    for (int c : kCrashSignals) ours = ours || c == s;
    if (ours || s == SIGKILL || s == SIGSTOP) continue;
    sigaction(s, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  setsid();  // fails harmlessly when already a session leader
  int console = stored.console != nullptr ? open(stored.console, O_RDWR | O_NOCTTY | O_APPEND) : -1;
  if (console >= 0) {
    for (int fd = 0; fd <= 2; ++fd) {
      if (console != fd) dup2(console, fd);
    }
    if (console > 2) close(console);
  }
  for (int i = 0; i < stored.exec_count; ++i) {
    execve(stored.paths[i], stored.argv[i], stored.envp);
    const int err = errno;
    Line failed;
    failed.Add("baton: crash fallback: exec ");
    failed.Add(stored.paths[i]);
    failed.Add(" failed (errno ");
    failed.Dec(err);
    failed.Add(")");
    Emit(failed);
  }
  if (stored.reboot) {
    Line rebooting;
    rebooting.Add("baton: crash fallback: rebooting in ");
    rebooting.Dec(stored.reboot_after_s);
    rebooting.Add(" s (panic=)");
    Emit(rebooting);
    sync();
    Sleep(stored.reboot_after_s);
    reboot(RB_AUTOBOOT);
    const int err = errno;
    Line failed;
    failed.Add("baton: crash fallback: reboot failed (errno ");
    failed.Dec(err);
    failed.Add(")");
    Emit(failed);
  }
  Line frozen;
  frozen.Add("baton: crash fallback: nothing left to run; frozen, reaping children");
  Emit(frozen);
  Freeze();
}

}  // namespace

void AppendCrashHeldText(absl::string_view text) {
  const size_t len = held_len.load(std::memory_order_relaxed);
  // Whole or not at all: a cut line would run into the crash line.
  if (text.empty() || text.size() > sizeof(held_text) - len) return;
  std::memcpy(held_text + len, text.data(), text.size());
  held_len.store(len + text.size(), std::memory_order_release);  // published last
}

void ClearCrashHeldText() { held_len.store(0, std::memory_order_release); }

std::string CrashPlan::Describe() const {
  std::string text;
  for (const CrashExec& e : execs) absl::StrAppend(&text, "exec ", e.path, ", then ");
  if (reboot_after_s) absl::StrAppend(&text, "reboot in ", *reboot_after_s, " s (panic=), then ");
  absl::StrAppend(&text, "freeze");
  return text;
}

absl::Status InstallCrashHandler(const CrashPlan& plan) {
  if (plan.execs.size() > static_cast<size_t>(kCrashMaxExecs)) {
    return absl::InvalidArgumentError(
        absl::StrCat("crash plan: ", plan.execs.size(), " execs, at most ", kCrashMaxExecs));
  }
  if (plan.env.size() > static_cast<size_t>(kCrashMaxEnv)) {
    return absl::InvalidArgumentError(
        absl::StrCat("crash plan: ", plan.env.size(), " env entries, at most ", kCrashMaxEnv));
  }
  for (const CrashExec& e : plan.execs) {
    if (e.argv.empty() || e.argv.size() > static_cast<size_t>(kCrashMaxArgs)) {
      return absl::InvalidArgumentError(absl::StrCat("crash plan: exec ", e.path, " has ",
                                                     e.argv.size(), " arguments (1 to ",
                                                     kCrashMaxArgs, ")"));
    }
  }
  // No crash handler runs while the plan is half written.
  sigset_t crash, old;
  sigemptyset(&crash);
  for (int sig : kCrashSignals) sigaddset(&crash, sig);
  if (sigprocmask(SIG_BLOCK, &crash, &old) < 0) {
    return absl::InternalError(absl::StrCat("sigprocmask: ", std::strerror(errno)));
  }
  stored.used = 0;
  stored.exec_count = 0;
  bool fits = true;
  auto keep = [&fits](const std::string& s) {
    char* p = Keep(s);
    if (p == nullptr) fits = false;
    return p;
  };
  stored.console = plan.console.empty() ? nullptr : keep(plan.console);
  stored.next = keep(plan.Describe());
  for (const CrashExec& e : plan.execs) {
    const int i = stored.exec_count++;
    stored.paths[i] = keep(e.path);
    size_t a = 0;
    for (; a < e.argv.size(); ++a) stored.argv[i][a] = keep(e.argv[a]);
    stored.argv[i][a] = nullptr;
  }
  size_t n = 0;
  for (; n < plan.env.size(); ++n) stored.envp[n] = keep(plan.env[n]);
  stored.envp[n] = nullptr;
  stored.reboot = plan.reboot_after_s.has_value();
  stored.reboot_after_s = plan.reboot_after_s.value_or(0);
  stored.owner = getpid();
  if (!fits) {  // keep what fitted out of use: the shell alone would be wrong too
    stored.exec_count = 0;
    stored.next = "freeze (the crash plan did not fit)";
  }
  entered = 0;

  absl::Status status;
  stack_t stack;
  std::memset(&stack, 0, sizeof(stack));
  stack.ss_sp = alt_stack;
  stack.ss_size = sizeof(alt_stack);
  if (sigaltstack(&stack, nullptr) < 0) {
    status = absl::InternalError(absl::StrCat("sigaltstack: ", std::strerror(errno)));
  }
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_sigaction = OnCrash;
  // SA_NODEFER: a fault inside the handler re-enters it (and freezes)
  // instead of meeting a blocked SIGSEGV, which the kernel turns into death.
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigfillset(&action.sa_mask);  // nothing else interrupts the handler
  for (int sig : kCrashSignals) sigdelset(&action.sa_mask, sig);
  for (int sig : kCrashSignals) {
    if (sigaction(sig, &action, nullptr) < 0 && status.ok()) {
      status = absl::InternalError(
          absl::StrCat("sigaction ", SignalName(sig), ": ", std::strerror(errno)));
    }
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  if (status.ok() && !fits) {
    return absl::InvalidArgumentError(
        absl::StrCat("crash plan: more than ", kCrashArena, " bytes of paths and arguments"));
  }
  return status;
}

}  // namespace baton::sys
