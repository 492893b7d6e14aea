#include "supervisor/loop.h"

#include <signal.h>
#include <sys/epoll.h>

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sys/status_macros.h"

namespace baton::supervisor {

namespace {

constexpr uint64_t kSignalToken = 1;
constexpr uint64_t kTimerToken = 2;
constexpr uint32_t kReadEvents = EPOLLIN | EPOLLHUP | EPOLLERR;

}  // namespace

absl::Time MonotonicClock::Now() {
  auto since = std::chrono::steady_clock::now().time_since_epoch();
  return absl::UnixEpoch() + absl::FromChrono(since);
}

Loop::Loop(sys::Kernel& kernel, Engine& engine, Clock& clock, Logger& logger, Options options)
    : kernel_(kernel), engine_(engine), clock_(clock), logger_(logger), options_(options) {}

Loop::~Loop() = default;

absl::Status Loop::Init() {
  ASSIGN_OR_RETURN(epoll_, kernel_.EpollCreate());
  ASSIGN_OR_RETURN(signal_fd_, kernel_.SignalFd({SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGPIPE}));
  ASSIGN_OR_RETURN(timer_fd_, kernel_.TimerFd());
  RETURN_IF_ERROR(kernel_.EpollAdd(epoll_.get(), signal_fd_.get(), EPOLLIN, kSignalToken));
  RETURN_IF_ERROR(kernel_.EpollAdd(epoll_.get(), timer_fd_.get(), EPOLLIN, kTimerToken));
  return absl::OkStatus();
}

absl::Status Loop::Watch(int fd, Callback callback) {
  if (!epoll_.valid()) return absl::FailedPreconditionError("event loop not initialised");
  if (token_of_fd_.count(fd) > 0) {
    return absl::AlreadyExistsError(absl::StrCat("fd ", fd, " is already watched"));
  }
  uint64_t token = next_token_++;
  RETURN_IF_ERROR(kernel_.EpollAdd(epoll_.get(), fd, kReadEvents, token));
  watched_[token] = std::make_shared<Watched>(Watched{fd, std::move(callback)});
  token_of_fd_[fd] = token;
  return absl::OkStatus();
}

void Loop::Unwatch(int fd) {
  auto it = token_of_fd_.find(fd);
  if (it == token_of_fd_.end()) return;
  // The fd may already be closed by its owner; a failed EpollDel is harmless.
  (void)kernel_.EpollDel(epoll_.get(), fd);
  watched_.erase(it->second);
  token_of_fd_.erase(it);
}

absl::Status Loop::RunOnce(absl::Duration timeout) {
  if (!epoll_.valid()) return absl::FailedPreconditionError("event loop not initialised");
  ASSIGN_OR_RETURN(std::vector<sys::Kernel::EpollEvent> events,
                   kernel_.EpollWait(epoll_.get(), timeout));
  for (const sys::Kernel::EpollEvent& event : events) {
    if (event.data == kSignalToken) {
      OnSignals();
    } else if (event.data == kTimerToken) {
      uint64_t expirations = 0;
      (void)kernel_.Read(timer_fd_.get(), &expirations, sizeof(expirations));
      engine_.OnTimer();
    } else {
      auto it = watched_.find(event.data);
      if (it == watched_.end()) continue;  // unwatched during this wakeup
      std::shared_ptr<Watched> watched = it->second;  // survives an Unwatch inside
      watched->callback(event.events);
    }
  }
  // Deadlines may have passed while we were busy, without the timer firing.
  std::optional<absl::Time> deadline = engine_.NextDeadline();
  if (deadline.has_value() && *deadline <= clock_.Now()) engine_.OnTimer();
  if (shutting_down()) StopEverything();
  engine_.RunQueue();
  ArmTimer();
  return absl::OkStatus();
}

void Loop::OnSignals() {
  for (;;) {
    absl::StatusOr<std::optional<int>> sig = kernel_.ReadSignal(signal_fd_.get());
    if (!sig.ok()) {
      logger_.Warn(absl::StrCat("reading signals: ", sig.status().message()));
      return;
    }
    if (!sig->has_value()) return;
    switch (**sig) {
      case SIGCHLD:
        ReapChildren();
        break;
      case SIGTERM:
      case SIGINT:
        if (!shutting_down()) {
          logger_.Info(absl::StrCat("got ", **sig == SIGTERM ? "SIGTERM" : "SIGINT",
                                    ", stopping all jobs"));
        }
        RequestShutdown();
        break;
      case SIGHUP:
        if (hangup_hook_) {
          hangup_hook_();
        } else {
          logger_.Info("SIGHUP ignored (reloading job files is not supported)");
        }
        break;
      default:
        break;  // SIGPIPE: the failed write reports EPIPE itself
    }
  }
}

void Loop::ReapChildren() {
  for (;;) {
    absl::StatusOr<std::optional<sys::ChildExit>> reaped = kernel_.ReapOne();
    if (!reaped.ok()) {
      // ECHILD (no children at all) ends the loop as well.
      return;
    }
    if (!reaped->has_value()) return;
    const sys::ChildExit& exit = **reaped;
    if (engine_.Owns(exit.pid)) {
      engine_.OnProcessExit(exit);
    } else if (orphan_hook_) {
      orphan_hook_(exit);
    }
  }
}

void Loop::RequestShutdown() {
  if (shutting_down()) return;
  absl::Duration longest = absl::ZeroDuration();
  for (const jobs::JobConfig* job : engine_.Jobs()) {
    longest = std::max(longest, job->kill_timeout);
  }
  shutdown_deadline_ = clock_.Now() + longest + options_.shutdown_grace;
  StopEverything();
}

void Loop::StopEverything() {
  for (const InstanceInfo& info : engine_.Instances()) {
    if (info.goal != Goal::kStart) continue;
    absl::Status stopped = engine_.Stop(info.job, info.instance);
    if (!stopped.ok()) {
      logger_.Warn(absl::StrCat("stopping ", info.job, ": ", stopped.message()));
    }
  }
}

bool Loop::shutdown_complete() const {
  if (!shutting_down() || !engine_.Idle()) return false;
  for (const InstanceInfo& info : engine_.Instances()) {
    if (info.state != State::kWaiting || info.pid != 0) return false;
  }
  return true;
}

void Loop::ArmTimer() {
  std::optional<absl::Time> deadline = engine_.NextDeadline();
  if (shutting_down() && (!deadline.has_value() || *shutdown_deadline_ < *deadline)) {
    deadline = shutdown_deadline_;
  }
  absl::Duration after = absl::ZeroDuration();
  if (deadline.has_value()) {
    // Zero would disarm: a deadline already due fires in a millisecond.
    after = std::max(*deadline - clock_.Now(), absl::Milliseconds(1));
  }
  absl::Status armed = kernel_.TimerArm(timer_fd_.get(), after);
  if (!armed.ok()) logger_.Warn(absl::StrCat("arming the timer: ", armed.message()));
}

absl::Status Loop::Run() {
  int failures = 0;
  while (!shutdown_complete()) {
    if (shutting_down() && clock_.Now() >= *shutdown_deadline_) {
      if (killed_leftovers_) break;
      killed_leftovers_ = true;
      for (const InstanceInfo& info : engine_.Instances()) {
        if (info.pid == 0) continue;
        logger_.Warn(absl::StrCat("job ", info.job, info.instance.empty() ? "" : " ",
                                  info.instance, " (pid ", info.pid,
                                  ") did not stop in time, killing it"));
        if (!kernel_.Kill(-info.pid, SIGKILL).ok()) (void)kernel_.Kill(info.pid, SIGKILL);
      }
      // One more bounded round to reap them.
      shutdown_deadline_ = clock_.Now() + absl::Seconds(1);
    }
    absl::Status once = RunOnce(absl::Seconds(1));
    if (once.ok()) {
      failures = 0;
      continue;
    }
    logger_.Error(absl::StrCat("event loop: ", once.message()));
    if (++failures >= 100) return once;
  }
  logger_.Info("all jobs stopped");
  return absl::OkStatus();
}

}  // namespace baton::supervisor
