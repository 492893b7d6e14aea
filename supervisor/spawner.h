// Spawner: the production ProcessRunner. Turns the engine's
// ProcessRunner::Spec into a sys::SpawnRequest and starts it through the
// sys::Kernel.
//
// Command line:
//   - `exec LINE` holding shell syntax (see NeedsShell) runs as
//     `/bin/sh -c LINE`; otherwise LINE is split into words (blanks separate,
//     '...' and "..." quote, \" and \\ escape inside double quotes) and the
//     first word is resolved on the PATH of the process's environment.
//   - `script … end script` runs as `/bin/sh -e -c BODY`.
// Environment: Options::base_env (e.g. the supervisor's own, in user mode),
// overridden by the engine's Spec::env; PATH gets a default when absent.
// Console (the job's `console` stanza):
//   - log: stdout and stderr go into a pipe per process; its read end is
//     watched through the FdWatcher and every line enters the LogRing stream
//     of the job instance (and its file). At end of file a partial last line
//     is flushed. Without an FdWatcher, log falls back to none.
//   - output: the supervisor's own fd 1 and 2 are inherited.
//   - none: /dev/null.
// Listen fds: sockets the supervisor made for a job (AddListenFd), passed to
// every process of it as systemd passes a socket unit's.
// Seccomp: a job's policy is compiled once (sys::CompileSeccompFilter) and
// the bytes are cached per job name until the policy changes; a policy that
// does not compile makes Start fail with that error.
// Signal(PID, SIG) signals the process group -PID (each process leads its own
// session), falling back to PID itself when the group is gone (ESRCH).
#ifndef BATON_SUPERVISOR_SPAWNER_H_
#define BATON_SUPERVISOR_SPAWNER_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "jobs/job.h"
#include "supervisor/engine.h"
#include "supervisor/event.h"
#include "supervisor/fd_watcher.h"
#include "supervisor/log_ring.h"
#include "sys/kernel.h"
#include "sys/unique_fd.h"

namespace baton::supervisor {

inline constexpr char kDefaultPath[] =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// True when LINE needs a shell: it holds one of | & ; < > ( ) $ ` \ * ? [ ]
// { } ~ ! # or a newline, or its first word is an assignment (FOO=bar cmd).
bool NeedsShell(absl::string_view line);

// Splits LINE into words as described above. InvalidArgument on an
// unterminated quote or an empty line.
absl::StatusOr<std::vector<std::string>> SplitWords(absl::string_view line);

// The argv of COMMAND before PATH lookup (argv[0] as written).
absl::StatusOr<std::vector<std::string>> BuildArgv(const jobs::Command& command);

// BASE overridden by OVERRIDES (same key: the later value wins, in the
// position of the first), as "K=V" strings, with PATH=kDefaultPath appended
// when no PATH is given.
std::vector<std::string> BuildEnv(const Env& base, const Env& overrides);

class Spawner : public ProcessRunner {
 public:
  struct Options {
    Env base_env;            // inherited by every process, under the job's env
    std::string cwd = "/";
  };

  // WATCHER may be null (console log then behaves as none); RING receives
  // the output of console-log processes.
  Spawner(sys::Kernel& kernel, LogRing& ring, FdWatcher* watcher, Options options);
  ~Spawner() override;
  Spawner(const Spawner&) = delete;
  Spawner& operator=(const Spawner&) = delete;

  void set_watcher(FdWatcher* watcher) { watcher_ = watcher; }

  // The request Start would hand to the kernel, minus the stdio fds.
  absl::StatusOr<sys::SpawnRequest> BuildRequest(const Spec& spec);

  absl::StatusOr<pid_t> Start(const Spec& spec) override;
  absl::Status Signal(pid_t pid, int sig) override;

  // Log pipes still open (their writers have not all exited).
  size_t open_pipes() const { return pipes_.size(); }

  // The handoff: the read ends of the open log pipes cross execve (stage 1
  // lists them, stage 2 adopts them), so a job's output keeps flowing into
  // the same ring stream.
  struct LogPipeRef {
    int fd;
    std::string job;
    std::string instance;
  };
  std::vector<LogPipeRef> LogPipes() const;
  // Watches FD (a log pipe's read end) and appends what it yields to the
  // stream JOB/INSTANCE, as for a pipe of our own. FailedPrecondition without
  // a watcher; FD is closed on any error.
  absl::Status AdoptLogPipe(sys::UniqueFd fd, const std::string& job, const std::string& instance);

  // Sockets the supervisor holds for JOB, as a systemd socket unit does, and
  // hands to each of its processes as fds 3, 4, … in the order added
  // (sd_listen_fds(3): LISTEN_FDS and LISTEN_PID set). They outlive the
  // processes: what arrives while none runs waits in them for the next.
  void AddListenFd(const std::string& job, sys::UniqueFd fd);
  bool HasListenFds(const std::string& job) const { return listen_fds_.count(job) > 0; }
  struct ListenFdRef {
    int fd;
    std::string job;
  };
  // Every job's, by job name and then in order (the handoff carries them).
  std::vector<ListenFdRef> ListenFds() const;

 private:
  struct Pipe {
    sys::UniqueFd fd;
    std::string job;
    std::string instance;
  };
  absl::StatusOr<std::vector<uint8_t>> SeccompFor(const jobs::JobConfig& job);
  std::string ResolveProgram(const std::string& program, const std::vector<std::string>& env);
  void OnPipeReadable(int fd);
  void ClosePipe(int fd);

  sys::Kernel& kernel_;
  LogRing& ring_;
  FdWatcher* watcher_;
  Options options_;
  struct CachedFilter {
    jobs::SeccompPolicy::Mode mode;
    std::vector<std::string> syscalls;
    std::vector<uint8_t> bpf;
  };
  std::map<std::string, CachedFilter> seccomp_cache_;
  std::map<int, std::unique_ptr<Pipe>> pipes_;
  std::map<std::string, std::vector<sys::UniqueFd>> listen_fds_;
};

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_SPAWNER_H_
