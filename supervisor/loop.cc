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
  std::vector<int> signals = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGPIPE};
  if (options_.system_signals) {
    signals.push_back(SIGUSR1);
    signals.push_back(SIGUSR2);
  }
  ASSIGN_OR_RETURN(signal_fd_, kernel_.SignalFd(signals));
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
  if (shutdown_deadline_.has_value()) StopEverything();
  engine_.RunQueue();
  if (event_deadline_.has_value()) {
    bool settled = ShutdownEventSettled();
    if (settled || clock_.Now() >= *event_deadline_) {
      logger_.Info(settled ? "shutdown event done, stopping all jobs"
                           : absl::StrCat("shutdown event still running after ",
                                          absl::FormatDuration(options_.shutdown_event_timeout),
                                          ", stopping all jobs"));
      BeginStopping();
      engine_.RunQueue();
    }
  }
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
      case SIGUSR1:
      case SIGUSR2: {
        std::optional<ShutdownAction> action =
            ShutdownActionForSignal(**sig, options_.system_signals);
        if (!action.has_value()) break;
        if (!shutting_down()) {
          const char* name = **sig == SIGTERM  ? "SIGTERM"
                             : **sig == SIGINT ? "SIGINT"
                             : **sig == SIGUSR1 ? "SIGUSR1"
                                                : "SIGUSR2";
          logger_.Info(*action == ShutdownAction::kNone
                           ? absl::StrCat("got ", name, ", stopping all jobs")
                           : absl::StrCat("got ", name, ": ", ShutdownActionName(*action)));
        }
        (void)RequestShutdown(*action);
        break;
      }
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

absl::Status Loop::RequestShutdown(ShutdownAction action) {
  if (shutting_down()) {
    return absl::FailedPreconditionError(
        absl::StrCat("already shutting down (", ShutdownActionName(shutdown_action_), ")"));
  }
  shutdown_requested_ = true;
  shutdown_action_ = action;
  if (action == ShutdownAction::kNone) {
    BeginStopping();
    return absl::OkStatus();
  }
  logger_.Info(absl::StrCat("shutdown (", ShutdownActionName(action),
                            "): emitting the shutdown event"));
  for (const InstanceInfo& info : engine_.Instances()) {
    const jobs::JobConfig* job = engine_.FindJob(info.job);
    if (job != nullptr && job->task && info.state != State::kWaiting) {
      tasks_before_event_[{info.job, info.instance}] = info.runs;
    }
  }
  event_deadline_ = clock_.Now() + options_.shutdown_event_timeout;
  engine_.Emit("shutdown", {{"ACTION", ShutdownActionName(action)}});
  return absl::OkStatus();
}

bool Loop::ShutdownEventSettled() const {
  if (!engine_.Idle()) return false;
  for (const InstanceInfo& info : engine_.Instances()) {
    if (info.state == State::kWaiting) continue;
    const jobs::JobConfig* job = engine_.FindJob(info.job);
    if (job == nullptr || !job->task) continue;  // a service: running is settled
    auto before = tasks_before_event_.find({info.job, info.instance});
    if (before != tasks_before_event_.end() && before->second == info.runs) continue;
    return false;  // a task the event started (or restarted) still runs
  }
  return true;
}

void Loop::BeginStopping() {
  event_deadline_.reset();
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
  if (!shutdown_deadline_.has_value() || !engine_.Idle()) return false;
  for (const InstanceInfo& info : engine_.Instances()) {
    if (info.state != State::kWaiting || info.pid != 0) return false;
  }
  return true;
}

void Loop::ArmTimer() {
  std::optional<absl::Time> deadline = engine_.NextDeadline();
  for (const std::optional<absl::Time>& own : {shutdown_deadline_, event_deadline_}) {
    if (own.has_value() && (!deadline.has_value() || *own < *deadline)) deadline = own;
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
    if (shutdown_deadline_.has_value() && clock_.Now() >= *shutdown_deadline_) {
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
