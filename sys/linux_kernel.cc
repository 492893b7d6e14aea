#include "sys/linux_kernel.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/kd.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sys/status_macros.h"
#include "sys/proc_escape.h"

namespace baton::sys {
namespace {

// A NULL-terminated char* array over strings that outlive it.
std::vector<char*> CStringArray(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

FileInfo::Type TypeOf(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return FileInfo::Type::kRegular;
    case S_IFDIR:
      return FileInfo::Type::kDirectory;
    case S_IFLNK:
      return FileInfo::Type::kSymlink;
    case S_IFBLK:
      return FileInfo::Type::kBlockDevice;
    case S_IFCHR:
      return FileInfo::Type::kCharDevice;
    default:
      return FileInfo::Type::kOther;
  }
}

FileInfo InfoFromStat(const struct stat& st) {
  FileInfo info;
  info.type = TypeOf(st.st_mode);
  info.mode = st.st_mode & 07777;
  info.size = static_cast<uint64_t>(st.st_size);
  info.dev = st.st_dev;
  info.ino = st.st_ino;
  info.rdev = st.st_rdev;
  return info;
}

std::string Dirname(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::StatusOr<std::vector<std::string>> ReadDirStream(DIR* dir, absl::string_view what) {
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    struct dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      int err = errno;
      ::closedir(dir);
      if (err != 0) return ErrnoStatus(err, absl::StrCat("readdir ", what));
      break;
    }
    if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
    names.emplace_back(entry->d_name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// What the spawned child reports through the CLOEXEC pipe before _exit(127).
enum class ChildStep : int {
  kSetsid = 1,
  kStdio,
  kChdir,
  kNoNewPrivs,
  kSeccomp,
  kExec,
  kChroot,
  kListenFds,
};

struct ChildError {
  int step;
  int err;
};

const char* StepName(int step) {
  switch (static_cast<ChildStep>(step)) {
    case ChildStep::kSetsid:
      return "setsid";
    case ChildStep::kStdio:
      return "dup2 stdio";
    case ChildStep::kChdir:
      return "chdir";
    case ChildStep::kNoNewPrivs:
      return "prctl NO_NEW_PRIVS";
    case ChildStep::kSeccomp:
      return "seccomp";
    case ChildStep::kExec:
      return "exec";
    case ChildStep::kChroot:
      return "chroot";
    case ChildStep::kListenFds:
      return "dup2 listen fds";
  }
  return "spawn";
}

[[noreturn]] void ChildFail(int report_fd, ChildStep step) {
  ChildError error{static_cast<int>(step), errno};
  ssize_t ignored = ::write(report_fd, &error, sizeof(error));
  (void)ignored;
  ::_exit(127);
}

// Writes PID in decimal at OUT, NUL-terminated (OUT holds at least 12 bytes).
// Async-signal-safe, for the child.
void FormatPid(pid_t pid, char* out) {
  char digits[12];
  int n = 0;
  unsigned long value = static_cast<unsigned long>(pid);
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && n < 11);
  while (n > 0) *out++ = digits[--n];
  *out = '\0';
}

// What the forked child needs, all prepared before the fork.
struct ChildArgs {
  int report_fd = -1;
  int stdio[3] = {-1, -1, -1};
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const struct sock_fprog* prog = nullptr;  // null: no seccomp filter
  char* listen_pid_value = nullptr;  // after "LISTEN_PID=" in ENVP's entry; null: none
  int* listen_high = nullptr;        // scratch, one slot per listen fd
};

// Runs in the forked child: async-signal-safe calls only.
[[noreturn]] void RunChild(const SpawnRequest& request, const ChildArgs& args) {
  int report_fd = args.report_fd;
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    ::sigaction(sig, &dfl, nullptr);  // fails harmlessly for glibc-reserved signals
  }
  sigset_t empty;
  sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);

  if (request.new_session && ::setsid() < 0) ChildFail(report_fd, ChildStep::kSetsid);

  // Every source, and the report pipe, moves above the targets (0, 1, 2 and
  // 3 … 2+N for N listen fds) first, so that no dup2 clobbers a source or
  // the pipe; dup2 then clears CLOEXEC on each target.
  const int listen_count = static_cast<int>(request.listen_fds.size());
  const int floor = 3 + listen_count;
  int report = ::fcntl(report_fd, F_DUPFD_CLOEXEC, floor);
  if (report < 0) ChildFail(report_fd, ChildStep::kStdio);
  report_fd = report;
  int high[3];
  for (int i = 0; i < 3; ++i) {
    high[i] = ::fcntl(args.stdio[i], F_DUPFD_CLOEXEC, floor);
    if (high[i] < 0) ChildFail(report_fd, ChildStep::kStdio);
  }
  int* listen_high = args.listen_high;
  for (int i = 0; i < listen_count; ++i) {
    listen_high[i] = ::fcntl(request.listen_fds[i], F_DUPFD_CLOEXEC, floor);
    if (listen_high[i] < 0) ChildFail(report_fd, ChildStep::kListenFds);
  }
  for (int i = 0; i < 3; ++i) {
    if (::dup2(high[i], i) < 0) ChildFail(report_fd, ChildStep::kStdio);
  }
  for (int i = 0; i < listen_count; ++i) {
    if (::dup2(listen_high[i], 3 + i) < 0) ChildFail(report_fd, ChildStep::kListenFds);
  }
  if (args.listen_pid_value != nullptr) FormatPid(::getpid(), args.listen_pid_value);

  if (!request.root.empty() && ::chroot(request.root.c_str()) < 0) {
    ChildFail(report_fd, ChildStep::kChroot);
  }
  if (::chdir(request.cwd.empty() ? "/" : request.cwd.c_str()) < 0) {
    ChildFail(report_fd, ChildStep::kChdir);
  }
  if (args.prog != nullptr) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) ChildFail(report_fd, ChildStep::kNoNewPrivs);
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, args.prog) < 0) {
      ChildFail(report_fd, ChildStep::kSeccomp);
    }
  }
  ::execve(args.argv[0], args.argv, args.envp);
  ChildFail(report_fd, ChildStep::kExec);
}

}  // namespace

// --- processes -------------------------------------------------------------

absl::StatusOr<pid_t> LinuxKernel::Spawn(const SpawnRequest& request) {
  if (request.argv.empty() || request.argv[0].empty()) {
    return absl::InvalidArgumentError("spawn: empty argv");
  }
  if (request.seccomp_bpf.size() % sizeof(struct sock_filter) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("spawn ", request.argv[0], ": seccomp program of ",
                                                   request.seccomp_bpf.size(),
                                                   " bytes is not whole instructions"));
  }
  // Everything the child needs is prepared here, before fork.
  UniqueFd dev_null;
  if (request.stdin_fd < 0 || request.stdout_fd < 0 || request.stderr_fd < 0) {
    dev_null.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!dev_null) return ErrnoStatus(errno, "open /dev/null");
  }
  const int stdio[3] = {
      request.stdin_fd >= 0 ? request.stdin_fd : dev_null.get(),
      request.stdout_fd >= 0 ? request.stdout_fd : dev_null.get(),
      request.stderr_fd >= 0 ? request.stderr_fd : dev_null.get(),
  };
  std::vector<char*> argv = CStringArray(request.argv);
  // With listen fds: LISTEN_FDS and a LISTEN_PID entry with room for the
  // child's pid, which only the child knows (it writes it there).
  std::vector<std::string> env;
  if (!request.listen_fds.empty()) {
    for (const std::string& entry : request.env) {
      if (absl::StartsWith(entry, "LISTEN_FDS=") || absl::StartsWith(entry, "LISTEN_PID=") ||
          absl::StartsWith(entry, "LISTEN_FDNAMES=")) {
        continue;
      }
      env.push_back(entry);
    }
    env.push_back(absl::StrCat("LISTEN_FDS=", request.listen_fds.size()));
    env.push_back(std::string("LISTEN_PID=") + std::string(12, '\0'));
  }
  std::vector<char*> envp = CStringArray(request.listen_fds.empty() ? request.env : env);
  std::vector<int> listen_high(request.listen_fds.size());
  std::vector<struct sock_filter> filter(request.seccomp_bpf.size() / sizeof(struct sock_filter));
  if (!filter.empty()) std::memcpy(filter.data(), request.seccomp_bpf.data(), request.seccomp_bpf.size());
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(filter.size());
  prog.filter = filter.data();

  int report[2];
  if (::pipe2(report, O_CLOEXEC) < 0) return ErrnoStatus(errno, "pipe2");
  UniqueFd report_read(report[0]);
  UniqueFd report_write(report[1]);

  pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus(errno, absl::StrCat("fork for ", request.argv[0]));
  if (pid == 0) {
    ChildArgs args;
    args.report_fd = report_write.get();
    std::copy(stdio, stdio + 3, args.stdio);
    args.argv = argv.data();
    args.envp = envp.data();
    args.prog = filter.empty() ? nullptr : &prog;
    if (!request.listen_fds.empty()) {
      args.listen_pid_value = envp[env.size() - 1] + std::strlen("LISTEN_PID=");
      args.listen_high = listen_high.data();
    }
    RunChild(request, args);
  }
  report_write.reset();

  ChildError error{};
  ssize_t n;
  do {
    n = ::read(report_read.get(), &error, sizeof(error));
  } while (n < 0 && errno == EINTR);
  if (n == 0) return pid;  // exec succeeded: the pipe closed on exec

  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof(error))) {
    return absl::InternalError(absl::StrCat("spawn ", request.argv[0], ": short child report"));
  }
  if (error.step == static_cast<int>(ChildStep::kExec)) {
    return ErrnoStatus(error.err, absl::StrCat("exec ", request.argv[0]));
  }
  return ErrnoStatus(error.err,
                     absl::StrCat(StepName(error.step), " (spawning ", request.argv[0], ")"));
}

absl::StatusOr<bool> LinuxKernel::IsOurChild(pid_t pid) {
  siginfo_t info = {};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
    return true;
  }
  if (errno == ECHILD) return false;
  return ErrnoStatus(errno, absl::StrCat("waitid ", pid));
}

absl::Status LinuxKernel::Kill(pid_t pid, int sig) {
  if (::kill(pid, sig) < 0) return ErrnoStatus(errno, absl::StrCat("kill ", pid, " ", sig));
  return absl::OkStatus();
}

namespace {

// The ChildExit that a waitid() siginfo describes.
ChildExit ExitFromSiginfo(const siginfo_t& info) {
  ChildExit exit;
  exit.pid = info.si_pid;
  switch (info.si_code) {
    case CLD_EXITED:
      exit.exit_status = info.si_status;
      break;
    case CLD_DUMPED:
      exit.core_dumped = true;
      [[fallthrough]];
    default:  // CLD_KILLED
      exit.signal = info.si_status;
      break;
  }
  return exit;
}

}  // namespace

absl::StatusOr<std::optional<ChildExit>> LinuxKernel::ReapOne() {
  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  for (;;) {
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG) == 0) break;
    if (errno == EINTR) continue;
    if (errno == ECHILD) return std::optional<ChildExit>();
    return ErrnoStatus(errno, "waitid");
  }
  if (info.si_pid == 0) return std::optional<ChildExit>();
  return std::optional<ChildExit>(ExitFromSiginfo(info));
}

absl::StatusOr<pid_t> LinuxKernel::RunInIdleChild(const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus(errno, "fork");
  if (pid > 0) return pid;
  // The child: idle priority first, so that it never competes with PID 1.
  struct sched_param param = {};
  (void)sched_setscheduler(0, SCHED_IDLE, &param);
  _exit(body());
}

absl::StatusOr<uint64_t> LinuxKernel::Readahead(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open " + path);
  struct stat st;
  uint64_t size = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  // One WILLNEED reads at most max(read_ahead_kb, the device's optimal I/O
  // size) from its offset (mm/readahead.c, force_page_cache_ra): 128 KiB by
  // default, so a whole 2.7 MB binary takes one call per 128 KiB.
  constexpr off_t kChunk = 128 << 10;
  int err = 0;
  off_t off = 0;
  do {
    err = ::posix_fadvise(fd, off, kChunk, POSIX_FADV_WILLNEED);
    off += kChunk;
  } while (err == 0 && static_cast<uint64_t>(off) < size);
  ::close(fd);
  if (err != 0) return ErrnoStatus(err, "posix_fadvise " + path);
  return size;
}

absl::StatusOr<ChildExit> LinuxKernel::Wait(pid_t pid) {
  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  for (;;) {
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED) == 0) break;
    if (errno == EINTR) continue;
    return ErrnoStatus(errno, absl::StrCat("waitid ", pid));
  }
  return ExitFromSiginfo(info);
}

namespace {

// poll(2) on FDS until one is ready or TIMEOUT (infinite: no limit) has
// passed, EINTR retried with the time left. poll's result: the number of
// ready fds, 0 when the time passed, -1 with errno.
int PollUntil(struct pollfd* fds, size_t count, absl::Duration timeout) {
  const bool forever = timeout == absl::InfiniteDuration();
  const absl::Time deadline = forever ? absl::InfiniteFuture() : absl::Now() + timeout;
  for (;;) {
    int ms = -1;
    if (!forever) {
      absl::Duration left = std::max(absl::ZeroDuration(), deadline - absl::Now());
      ms = static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))));
    }
    int n = ::poll(fds, count, ms);
    if (n >= 0 || errno != EINTR) return n;
  }
}

}  // namespace

absl::StatusOr<bool> LinuxKernel::WaitReadable(int fd, absl::Duration timeout) {
  struct pollfd p = {fd, POLLIN, 0};
  int n = PollUntil(&p, 1, timeout);
  if (n < 0) return ErrnoStatus(errno, absl::StrCat("poll fd ", fd));
  return n > 0;
}

absl::StatusOr<std::vector<int>> LinuxKernel::PollReadable(const std::vector<int>& fds,
                                                         absl::Duration timeout) {
  std::vector<struct pollfd> polled;
  polled.reserve(fds.size());
  for (int fd : fds) polled.push_back({fd, POLLIN, 0});
  if (PollUntil(polled.data(), polled.size(), timeout) < 0) {
    return ErrnoStatus(errno, absl::StrCat("poll ", fds.size(), " fds"));
  }
  std::vector<int> ready;
  for (const struct pollfd& p : polled) {
    if (p.revents != 0) ready.push_back(p.fd);
  }
  return ready;
}

absl::StatusOr<bool> LinuxKernel::PollWritable(int fd, absl::Duration timeout) {
  struct pollfd p = {fd, POLLOUT, 0};
  int n = PollUntil(&p, 1, timeout);
  if (n < 0) return ErrnoStatus(errno, absl::StrCat("poll fd ", fd, " for output"));
  return n > 0;
}

absl::StatusOr<UniqueFd> LinuxKernel::PidFd(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // CLOEXEC already
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("pidfd_open ", pid));
  return UniqueFd(fd);
}

pid_t LinuxKernel::GetPid() { return ::getpid(); }

uid_t LinuxKernel::GetUid() { return ::getuid(); }

absl::Status LinuxKernel::SetChildSubreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
    return ErrnoStatus(errno, "prctl PR_SET_CHILD_SUBREAPER");
  }
  return absl::OkStatus();
}

absl::Status LinuxKernel::Execve(const std::string& path, const std::vector<std::string>& argv,
                                 const std::vector<std::string>& env) {
  std::vector<char*> c_argv = CStringArray(argv);
  std::vector<char*> c_env = CStringArray(env);
  ::execve(path.c_str(), c_argv.data(), c_env.data());
  return ErrnoStatus(errno, absl::StrCat("execve ", path));
}

// --- files -----------------------------------------------------------------

absl::StatusOr<UniqueFd> LinuxKernel::Open(const std::string& path, int flags, mode_t mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
  return UniqueFd(fd);
}

absl::StatusOr<size_t> LinuxKernel::Read(int fd, void* buf, size_t len) {
  for (;;) {
    ssize_t n = ::read(fd, buf, len);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return ErrnoStatus(errno, absl::StrCat("read fd ", fd));
  }
}

absl::StatusOr<size_t> LinuxKernel::Write(int fd, const void* buf, size_t len) {
  for (;;) {
    ssize_t n = ::write(fd, buf, len);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return ErrnoStatus(errno, absl::StrCat("write fd ", fd));
  }
}

absl::StatusOr<size_t> LinuxKernel::PRead(int fd, void* buf, size_t len, uint64_t offset) {
  for (;;) {
    ssize_t n = ::pread(fd, buf, len, static_cast<off_t>(offset));
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return ErrnoStatus(errno, absl::StrCat("pread fd ", fd));
  }
}

namespace {

// FD (PATH, for messages) read to its end; ResourceExhausted past MAX_BYTES.
absl::StatusOr<std::string> ReadToEnd(int fd, const std::string& path, size_t max_bytes) {
  std::string contents;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat("read ", path));
    }
    if (n == 0) break;
    if (contents.size() + static_cast<size_t>(n) > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat(path, ": larger than ", max_bytes, " bytes"));
    }
    contents.append(buf, static_cast<size_t>(n));
  }
  return contents;
}

const char* FileTypeName(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFDIR:
      return "a directory";
    case S_IFIFO:
      return "a fifo";
    case S_IFCHR:
      return "a character device";
    case S_IFBLK:
      return "a block device";
    case S_IFSOCK:
      return "a socket";
    default:
      return "not a plain file";
  }
}

}  // namespace

absl::StatusOr<std::string> LinuxKernel::ReadFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return ErrnoStatus(errno, absl::StrCat("open ", path));
  return ReadToEnd(fd.get(), path, std::numeric_limits<size_t>::max());
}

absl::StatusOr<std::string> LinuxKernel::ReadRegularFile(const std::string& path,
                                                         size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd) return ErrnoStatus(errno, absl::StrCat("open ", path));
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return ErrnoStatus(errno, absl::StrCat("fstat ", path));
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": not a regular file (", FileTypeName(st.st_mode), ")"));
  }
  return ReadToEnd(fd.get(), path, max_bytes);
}

absl::Status LinuxKernel::WriteFile(const std::string& path, absl::string_view contents,
                                    mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return ErrnoStatus(errno, absl::StrCat("open ", path));
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat("write ", path));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status LinuxKernel::MkdirAll(const std::string& path, mode_t mode) {
  if (path.empty()) return absl::InvalidArgumentError("mkdir: empty path");
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    std::string prefix = path.substr(0, pos);
    if (prefix.empty() || prefix == "/") continue;
    if (::mkdir(prefix.c_str(), mode) == 0) continue;
    int err = errno;
    struct stat st;
    if (err == EEXIST && ::stat(prefix.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    return ErrnoStatus(err == EEXIST ? ENOTDIR : err, absl::StrCat("mkdir ", prefix));
  }
  return absl::OkStatus();
}

absl::Status LinuxKernel::Unlink(const std::string& path) {
  if (::unlink(path.c_str()) < 0) return ErrnoStatus(errno, absl::StrCat("unlink ", path));
  return absl::OkStatus();
}

absl::Status LinuxKernel::Rmdir(const std::string& path) {
  if (::rmdir(path.c_str()) < 0) return ErrnoStatus(errno, absl::StrCat("rmdir ", path));
  return absl::OkStatus();
}

absl::Status LinuxKernel::Symlink(const std::string& target, const std::string& link_path) {
  if (::symlink(target.c_str(), link_path.c_str()) < 0) {
    return ErrnoStatus(errno, absl::StrCat("symlink ", link_path, " -> ", target));
  }
  return absl::OkStatus();
}

absl::Status LinuxKernel::Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) < 0) {
    return ErrnoStatus(errno, absl::StrCat("rename ", from, " ", to));
  }
  return absl::OkStatus();
}

absl::Status LinuxKernel::Mknod(const std::string& path, mode_t mode, dev_t dev) {
  if (::mknod(path.c_str(), mode, dev) < 0) return ErrnoStatus(errno, absl::StrCat("mknod ", path));
  return absl::OkStatus();
}

absl::StatusOr<FileInfo> LinuxKernel::Stat(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) < 0) return ErrnoStatus(errno, absl::StrCat("lstat ", path));
  FileInfo info = InfoFromStat(st);
  struct statfs fs;
  std::string fs_path = S_ISLNK(st.st_mode) ? Dirname(path) : path;
  if (::statfs(fs_path.c_str(), &fs) == 0) info.fs_magic = static_cast<uint64_t>(fs.f_type);
  return info;
}

absl::StatusOr<std::string> LinuxKernel::ReadLink(const std::string& path) {
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("readlink ", path));
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    buf.resize(buf.size() * 2);
  }
}

absl::StatusOr<std::vector<std::string>> LinuxKernel::ListDir(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());  // glibc opens it O_CLOEXEC
  if (dir == nullptr) return ErrnoStatus(errno, absl::StrCat("opendir ", path));
  return ReadDirStream(dir, path);
}

absl::StatusOr<std::vector<DirEntry>> LinuxKernel::ListDirEntries(const std::string& path) {
  // open + getdents64 + close: opendir() would add an fstat of the
  // directory, one syscall more per directory of a sysfs walk.
  UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return ErrnoStatus(errno, absl::StrCat("opendir ", path));
  std::vector<DirEntry> entries;
  alignas(struct dirent64) char buf[32768];
  for (;;) {
    ssize_t n = ::getdents64(dir.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat("readdir ", path));
    }
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      const auto* entry = reinterpret_cast<const struct dirent64*>(buf + off);
      off += entry->d_reclen;
      if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) {
        continue;
      }
      unsigned char type = entry->d_type;
      if (type == DT_UNKNOWN) {
        // The filesystem does not fill d_type: lstat this entry only.
        struct stat st;
        if (::fstatat(dir.get(), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
          type = IFTODT(st.st_mode);
        }
      }
      DirEntry::Type t = DirEntry::Type::kUnknown;
      switch (type) {
        case DT_DIR: t = DirEntry::Type::kDirectory; break;
        case DT_LNK: t = DirEntry::Type::kSymlink; break;
        case DT_REG: t = DirEntry::Type::kRegular; break;
        case DT_UNKNOWN: break;
        default: t = DirEntry::Type::kOther; break;
      }
      entries.push_back(DirEntry{entry->d_name, t});
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return entries;
}

absl::StatusOr<FileInfo> LinuxKernel::StatFd(int fd) {
  struct stat st;
  if (::fstat(fd, &st) < 0) return ErrnoStatus(errno, absl::StrCat("fstat fd ", fd));
  FileInfo info = InfoFromStat(st);
  struct statfs fs;
  if (::fstatfs(fd, &fs) == 0) info.fs_magic = static_cast<uint64_t>(fs.f_type);
  return info;
}

absl::Status LinuxKernel::UnlinkAt(int dir_fd, const std::string& name, bool is_dir) {
  if (::unlinkat(dir_fd, name.c_str(), is_dir ? AT_REMOVEDIR : 0) < 0) {
    return ErrnoStatus(errno, absl::StrCat("unlinkat ", name));
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> LinuxKernel::OpenAt(int dir_fd, const std::string& name, int flags) {
  int fd = ::openat(dir_fd, name.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("openat ", name));
  return UniqueFd(fd);
}

absl::StatusOr<std::vector<std::string>> LinuxKernel::ListDirFd(int dir_fd) {
  // A fresh open of "." has its own offset, so DIR_FD itself is untouched.
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("openat fd ", dir_fd, " ."));
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, absl::StrCat("fdopendir fd ", dir_fd));
  }
  return ReadDirStream(dir, absl::StrCat("fd ", dir_fd));
}

absl::StatusOr<FileInfo> LinuxKernel::StatAt(int dir_fd, const std::string& name) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    return ErrnoStatus(errno, absl::StrCat("fstatat ", name));
  }
  FileInfo info = InfoFromStat(st);
  struct statfs fs;
  if (S_ISLNK(st.st_mode)) {
    if (::fstatfs(dir_fd, &fs) == 0) info.fs_magic = static_cast<uint64_t>(fs.f_type);
  } else {
    UniqueFd path_fd(::openat(dir_fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (path_fd && ::fstatfs(path_fd.get(), &fs) == 0) {
      info.fs_magic = static_cast<uint64_t>(fs.f_type);
    }
  }
  return info;
}

// --- fds -------------------------------------------------------------------

absl::StatusOr<std::pair<UniqueFd, UniqueFd>> LinuxKernel::Pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return ErrnoStatus(errno, "pipe2");
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  int flags = ::fcntl(read_end.get(), F_GETFL);
  if (flags < 0 || ::fcntl(read_end.get(), F_SETFL, flags | O_NONBLOCK) < 0) {
    return ErrnoStatus(errno, "fcntl O_NONBLOCK on pipe");
  }
  return std::make_pair(std::move(read_end), std::move(write_end));
}

absl::Status LinuxKernel::SetCloexec(int fd, bool on) {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0) return ErrnoStatus(errno, absl::StrCat("fcntl F_GETFD fd ", fd));
  flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
  if (::fcntl(fd, F_SETFD, flags) < 0) return ErrnoStatus(errno, absl::StrCat("fcntl F_SETFD fd ", fd));
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> LinuxKernel::Dup(int fd) {
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return ErrnoStatus(errno, absl::StrCat("dup fd ", fd));
  return UniqueFd(copy);
}

absl::Status LinuxKernel::Flock(int fd, int operation) {
  for (;;) {
    if (::flock(fd, operation) == 0) return absl::OkStatus();
    if (errno != EINTR) return ErrnoStatus(errno, absl::StrCat("flock fd ", fd));
  }
}

absl::StatusOr<bool> LinuxKernel::SetEcho(int fd, bool on) {
  struct termios tio;
  if (::tcgetattr(fd, &tio) != 0) return ErrnoStatus(errno, absl::StrCat("tcgetattr fd ", fd));
  const bool was_on = (tio.c_lflag & ECHO) != 0;
  if (on) {
    tio.c_lflag |= ECHO;
  } else {
    tio.c_lflag &= ~ECHO;
  }
  if (::tcsetattr(fd, TCSANOW, &tio) != 0) {
    return ErrnoStatus(errno, absl::StrCat("tcsetattr fd ", fd));
  }
  return was_on;
}

absl::StatusOr<size_t> LinuxKernel::SetKeyboardEntries(int fd,
                                                       const std::vector<KeyboardEntry>& entries) {
  size_t refused = 0;
  for (const KeyboardEntry& e : entries) {
    struct kbentry ke = {};
    ke.kb_table = e.table;
    ke.kb_index = e.index;
    ke.kb_value = e.value;
    if (::ioctl(fd, KDSKBENT, &ke) == 0) continue;
    if (errno == EINVAL) {
      ++refused;
      continue;
    }
    return ErrnoStatus(errno, absl::StrCat("KDSKBENT fd ", fd, " table ", e.table, " key ",
                                           e.index));
  }
  return refused;
}

// --- event loop primitives -------------------------------------------------

absl::StatusOr<UniqueFd> LinuxKernel::EpollCreate() {
  int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "epoll_create1");
  return UniqueFd(fd);
}

absl::Status LinuxKernel::EpollAdd(int epfd, int fd, uint32_t events, uint64_t data) {
  struct epoll_event ev;
  std::memset(&ev, 0, sizeof(ev));
  ev.events = events;
  ev.data.u64 = data;
  if (::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    return ErrnoStatus(errno, absl::StrCat("epoll_ctl ADD fd ", fd));
  }
  return absl::OkStatus();
}

absl::Status LinuxKernel::EpollDel(int epfd, int fd) {
  if (::epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr) < 0) {
    return ErrnoStatus(errno, absl::StrCat("epoll_ctl DEL fd ", fd));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Kernel::EpollEvent>> LinuxKernel::EpollWait(int epfd,
                                                                       absl::Duration timeout) {
  int timeout_ms = -1;
  if (timeout != absl::InfiniteDuration()) {
    timeout = std::max(timeout, absl::ZeroDuration());
    int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1)));
    timeout_ms = static_cast<int>(std::min<int64_t>(ms, INT32_MAX));
  }
  struct epoll_event events[64];
  int n = ::epoll_wait(epfd, events, 64, timeout_ms);
  std::vector<EpollEvent> out;
  if (n < 0) {
    if (errno == EINTR) return out;
    return ErrnoStatus(errno, "epoll_wait");
  }
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) out.push_back({events[i].events, events[i].data.u64});
  return out;
}

absl::StatusOr<UniqueFd> LinuxKernel::SignalFd(const std::vector<int>& signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : signals) {
    if (sigaddset(&set, sig) < 0) return ErrnoStatus(errno, absl::StrCat("sigaddset ", sig));
  }
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) < 0) return ErrnoStatus(errno, "sigprocmask");
  int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) return ErrnoStatus(errno, "signalfd");
  return UniqueFd(fd);
}

absl::StatusOr<std::optional<int>> LinuxKernel::ReadSignal(int sfd) {
  struct signalfd_siginfo info;
  for (;;) {
    ssize_t n = ::read(sfd, &info, sizeof(info));
    if (n == static_cast<ssize_t>(sizeof(info))) return std::optional<int>(info.ssi_signo);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return std::optional<int>();
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("read signalfd ", sfd));
    return absl::InternalError(absl::StrCat("read signalfd ", sfd, ": short read of ", n));
  }
}

absl::StatusOr<UniqueFd> LinuxKernel::TimerFd() {
  int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (fd < 0) return ErrnoStatus(errno, "timerfd_create");
  return UniqueFd(fd);
}

absl::Status LinuxKernel::TimerArm(int tfd, absl::Duration after) {
  struct itimerspec spec;
  std::memset(&spec, 0, sizeof(spec));
  if (after < absl::ZeroDuration()) after = absl::Nanoseconds(1);
  spec.it_value = absl::ToTimespec(after);
  if (::timerfd_settime(tfd, 0, &spec, nullptr) < 0) {
    return ErrnoStatus(errno, absl::StrCat("timerfd_settime fd ", tfd));
  }
  return absl::OkStatus();
}

// --- unix sockets ----------------------------------------------------------

namespace {

absl::StatusOr<struct sockaddr_un> UnixAddress(const std::string& path) {
  struct sockaddr_un addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("unix socket path too long or empty: ", path));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

}  // namespace

absl::StatusOr<UniqueFd> LinuxKernel::UnixListen(const std::string& path) {
  ASSIGN_OR_RETURN(struct sockaddr_un addr, UnixAddress(path));
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus(errno, "socket AF_UNIX");
  if (::unlink(path.c_str()) < 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("unlink stale socket ", path));
  }
  if (::bind(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) < 0) {
    return ErrnoStatus(errno, absl::StrCat("bind ", path));
  }
  if (::listen(fd.get(), SOMAXCONN) < 0) return ErrnoStatus(errno, absl::StrCat("listen ", path));
  return fd;
}

absl::StatusOr<UniqueFd> LinuxKernel::UnixConnect(const std::string& path) {
  ASSIGN_OR_RETURN(struct sockaddr_un addr, UnixAddress(path));
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus(errno, "socket AF_UNIX");
  for (;;) {
    if (::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) == 0) break;
    if (errno != EINTR) return ErrnoStatus(errno, absl::StrCat("connect ", path));
  }
  return fd;
}

absl::StatusOr<UniqueFd> LinuxKernel::Accept(int listen_fd) {
  for (;;) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != EINTR) return ErrnoStatus(errno, absl::StrCat("accept fd ", listen_fd));
  }
}

absl::StatusOr<PeerCred> LinuxKernel::GetPeerCred(int fd) {
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
    return ErrnoStatus(errno, absl::StrCat("getsockopt SO_PEERCRED fd ", fd));
  }
  return PeerCred{cred.pid, cred.uid, cred.gid};
}

// --- mounts and roots ------------------------------------------------------

absl::Status LinuxKernel::Mount(const std::string& source, const std::string& target,
                                const std::string& fstype, unsigned long flags,
                                const std::string& data) {
  if (::mount(source.empty() ? nullptr : source.c_str(), target.c_str(),
              fstype.empty() ? nullptr : fstype.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) < 0) {
    return ErrnoStatus(errno, absl::StrCat("mount ", source, " ", target));
  }
  return absl::OkStatus();
}

absl::Status LinuxKernel::Umount(const std::string& target, int flags) {
  if (::umount2(target.c_str(), flags) < 0) return ErrnoStatus(errno, absl::StrCat("umount ", target));
  return absl::OkStatus();
}

absl::Status LinuxKernel::PivotRoot(const std::string& new_root, const std::string& put_old) {
  if (::syscall(SYS_pivot_root, new_root.c_str(), put_old.c_str()) < 0) {
    return ErrnoStatus(errno, absl::StrCat("pivot_root ", new_root, " ", put_old));
  }
  return absl::OkStatus();
}

absl::Status LinuxKernel::Chroot(const std::string& path) {
  if (::chroot(path.c_str()) < 0) return ErrnoStatus(errno, absl::StrCat("chroot ", path));
  return absl::OkStatus();
}

absl::Status LinuxKernel::Chdir(const std::string& path) {
  if (::chdir(path.c_str()) < 0) return ErrnoStatus(errno, absl::StrCat("chdir ", path));
  return absl::OkStatus();
}

absl::Status LinuxKernel::Fchdir(int fd) {
  if (::fchdir(fd) < 0) return ErrnoStatus(errno, absl::StrCat("fchdir fd ", fd));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<MountEntry>> ParseMountInfo(absl::string_view text) {
  std::vector<MountEntry> mounts;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    // id parent major:minor root mountpoint options [optional...] - fstype source super
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 10 || dash - fields.begin() < 6 || fields.end() - dash < 4) {
      return absl::InvalidArgumentError(absl::StrCat("malformed mountinfo line: ", line));
    }
    MountEntry entry;
    entry.target = UnescapeProcField(fields[4]);
    entry.options = std::string(fields[5]);
    for (auto it = fields.begin() + 6; it != dash; ++it) {
      if (absl::StartsWith(*it, "shared:")) entry.shared = true;
    }
    entry.fstype = UnescapeProcField(dash[1]);
    entry.source = UnescapeProcField(dash[2]);
    for (absl::string_view opt : absl::StrSplit(dash[3], ',', absl::SkipEmpty())) {
      if (opt == "rw" || opt == "ro") continue;
      absl::StrAppend(&entry.options, ",", opt);
    }
    mounts.push_back(std::move(entry));
  }
  return mounts;
}

absl::StatusOr<std::vector<MountEntry>> LinuxKernel::Mounts() {
  ASSIGN_OR_RETURN(std::string text, ReadFile("/proc/self/mountinfo"));
  return ParseMountInfo(text);
}

// --- device events and handoff ---------------------------------------------

namespace {

// A NETLINK_KOBJECT_UEVENT socket of TYPE (with its SOCK_* flags) asking for
// a RCVBUF-byte receive buffer (forced when allowed: without CAP_NET_ADMIN
// the plain option, capped by rmem_max, still helps), with SO_PASSCRED when
// PASSCRED, bound to GROUP. WHAT names it in errors.
absl::StatusOr<UniqueFd> UeventNetlinkSocket(int type, int rcvbuf, bool passcred, int group,
                                             absl::string_view what) {
  UniqueFd fd(::socket(AF_NETLINK, type, NETLINK_KOBJECT_UEVENT));
  if (!fd) return ErrnoStatus(errno, absl::StrCat("socket NETLINK_KOBJECT_UEVENT", what));
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0) {
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  }
  int on = 1;
  if (passcred && ::setsockopt(fd.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0) {
    return ErrnoStatus(errno, absl::StrCat("setsockopt SO_PASSCRED", what));
  }
  struct sockaddr_nl addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = static_cast<uint32_t>(group);
  if (::bind(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) < 0) {
    return ErrnoStatus(errno, absl::StrCat("bind uevent group ", group, what));
  }
  return fd;
}

}  // namespace

absl::StatusOr<UniqueFd> LinuxKernel::UeventSocket(int group) {
  // Bursts at coldplug are large: a big buffer.
  return UeventNetlinkSocket(SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 8 * 1024 * 1024,
                             /*passcred=*/false, group, "");
}

absl::StatusOr<UniqueFd> LinuxKernel::UdevdKernelSocket() {
  // SOCK_RAW, not SOCK_DGRAM: the same to netlink, but udevd takes a passed
  // socket only if sd_is_socket(fd, AF_NETLINK, SOCK_RAW, -1) holds. And
  // SO_PASSCRED: udevd drops a datagram without sender credentials; a
  // socket it binds itself gets the option from udevd, a passed one must
  // have it already.
  return UeventNetlinkSocket(SOCK_RAW | SOCK_CLOEXEC, 128 * 1024 * 1024, /*passcred=*/true,
                             /*group=*/1, " (udevd's uevent socket)");
}

absl::StatusOr<std::optional<std::string>> LinuxKernel::RecvDatagram(int fd) {
  std::string buf(64 * 1024, '\0');
  for (;;) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n >= 0) {
      buf.resize(static_cast<size_t>(n));
      return std::optional<std::string>(std::move(buf));
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<std::string>();
    return ErrnoStatus(errno, absl::StrCat("recv fd ", fd));
  }
}

absl::StatusOr<UniqueFd> LinuxKernel::MemfdCreate(const std::string& name) {
  int fd = ::memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("memfd_create ", name));
  return UniqueFd(fd);
}

absl::Status LinuxKernel::SealMemfd(int fd) {
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
    return ErrnoStatus(errno, absl::StrCat("F_ADD_SEALS fd ", fd));
  }
  return absl::OkStatus();
}

absl::Status LinuxKernel::Reboot(int cmd) {
  if (::reboot(cmd) < 0) return ErrnoStatus(errno, absl::StrCat("reboot ", cmd));
  return absl::OkStatus();
}

absl::Status LinuxKernel::Sync() {
  ::sync();
  return absl::OkStatus();
}

absl::Status LinuxKernel::Swapoff(const std::string& path) {
  if (::swapoff(path.c_str()) < 0) return ErrnoStatus(errno, absl::StrCat("swapoff ", path));
  return absl::OkStatus();
}

}  // namespace baton::sys
