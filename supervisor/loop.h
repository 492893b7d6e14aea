// The supervisor's single-threaded event loop.
//
// One epoll set holds:
//   - a signalfd for SIGCHLD, SIGTERM, SIGINT, SIGHUP and SIGPIPE (all
//     blocked, so a write to a vanished peer returns EPIPE instead of killing
//     us; children get the default mask back before exec);
//   - one timerfd, re-armed after every wakeup to Engine::NextDeadline();
//   - any fd registered through Watch() (log pipes, control connections, the
//     uevent socket).
//
// Each wakeup: dispatch what fired; on SIGCHLD reap every exited child
// (Kernel::ReapOne until none): children the engine owns go to
// Engine::OnProcessExit, others (orphans adopted as PID 1 or subreaper) are
// just reaped; on the timer, Engine::OnTimer(). Then Engine::RunQueue() and
// re-arm the timer.
//
// Shutdown (SIGTERM/SIGINT, or RequestShutdown()): every instance whose goal
// is start is stopped (and stopped again if an event restarts it), and Run()
// returns once no instance has a process or is between states, or after a
// bound (the longest kill timeout + Options::shutdown_grace) — then whatever
// is left is sent SIGKILL.
//
// With Options::system_signals (PID 1 on the real root), a shutdown carries
// an action (supervisor/shutdown.h): SIGTERM and SIGINT ask for a reboot,
// SIGUSR2 for a poweroff, SIGUSR1 for a halt (busybox init's meanings), and
// so does RequestShutdown(ACTION) (initctl reboot/poweroff/halt). Such a
// shutdown first emits `shutdown` with ACTION=reboot|poweroff|halt and lets
// what it started settle — until no instance is between states and no task
// started since is still running, or Options::shutdown_event_timeout — and
// only then stops every job as above. Run() then returns, and the caller
// finishes the shutdown (supervisor/shutdown.h: FinishShutdown).
#ifndef BATON_SUPERVISOR_LOOP_H_
#define BATON_SUPERVISOR_LOOP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "supervisor/engine.h"
#include "supervisor/fd_watcher.h"
#include "supervisor/logger.h"
#include "supervisor/shutdown.h"
#include "sys/kernel.h"
#include "sys/unique_fd.h"

namespace baton::supervisor {

// The real clock: CLOCK_MONOTONIC (std::chrono::steady_clock) mapped onto
// absl::Time as UnixEpoch() + uptime. Never jumps with the wall clock.
class MonotonicClock : public Clock {
 public:
  absl::Time Now() override;
};

class Loop : public FdWatcher {
 public:
  struct Options {
    absl::Duration shutdown_grace = absl::Seconds(5);
    // PID 1 on the real root: signals map to reboot/poweroff/halt (above),
    // and SIGUSR1/SIGUSR2 are read too.
    bool system_signals = false;
    // How long what the `shutdown` event started may run before the jobs
    // are stopped anyway.
    absl::Duration shutdown_event_timeout = absl::Seconds(30);
  };

  Loop(sys::Kernel& kernel, Engine& engine, Clock& clock, Logger& logger, Options options);
  Loop(sys::Kernel& kernel, Engine& engine, Clock& clock, Logger& logger)
      : Loop(kernel, engine, clock, logger, Options()) {}
  ~Loop() override;
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Creates the epoll set, the signalfd (blocking the signals) and the timer.
  absl::Status Init();

  absl::Status Watch(int fd, Callback callback) override;
  void Unwatch(int fd) override;

  // One wakeup: waits up to TIMEOUT for something to happen, handles it,
  // runs the engine's queue and re-arms the timer.
  absl::Status RunOnce(absl::Duration timeout);

  // Runs until shutdown completes. Errors of single wakeups are logged, not
  // returned; only a broken epoll set ends the loop with an error.
  absl::Status Run();

  // Stops every job (ACTION kNone) or, for another ACTION, emits
  // `shutdown` first (see above). A request while a shutdown is under way is
  // refused (FailedPrecondition, naming the one under way).
  absl::Status RequestShutdown(ShutdownAction action);
  // As a SIGTERM in user mode would: stop every job.
  void RequestShutdown() { (void)RequestShutdown(ShutdownAction::kNone); }
  bool shutting_down() const { return shutdown_requested_; }
  ShutdownAction shutdown_action() const { return shutdown_action_; }
  bool shutdown_complete() const;

  // Called for every reaped child the engine does not own (tests, logging).
  void set_orphan_hook(std::function<void(const sys::ChildExit&)> hook) {
    orphan_hook_ = std::move(hook);
  }
  // Called for SIGHUP (reload, later).
  void set_hangup_hook(std::function<void()> hook) { hangup_hook_ = std::move(hook); }

 private:
  struct Watched {
    int fd;
    Callback callback;
  };
  void OnSignals();
  void ReapChildren();
  void StopEverything();
  void BeginStopping();
  bool ShutdownEventSettled() const;
  void ArmTimer();

  sys::Kernel& kernel_;
  Engine& engine_;
  Clock& clock_;
  Logger& logger_;
  Options options_;
  sys::UniqueFd epoll_;
  sys::UniqueFd signal_fd_;
  sys::UniqueFd timer_fd_;
  // Tokens are never reused, so an event for an fd unwatched earlier in the
  // same wakeup is recognised and dropped.
  uint64_t next_token_ = 16;
  std::map<uint64_t, std::shared_ptr<Watched>> watched_;
  std::map<int, uint64_t> token_of_fd_;
  bool shutdown_requested_ = false;
  ShutdownAction shutdown_action_ = ShutdownAction::kNone;
  // Set while the `shutdown` event's work runs (before the jobs are stopped).
  std::optional<absl::Time> event_deadline_;
  // Tasks running when `shutdown` was emitted, with their run counts: they
  // are not waited for (unless they run again).
  std::map<std::pair<std::string, std::string>, int64_t> tasks_before_event_;
  // Set once the jobs are being stopped.
  std::optional<absl::Time> shutdown_deadline_;
  bool killed_leftovers_ = false;
  std::function<void(const sys::ChildExit&)> orphan_hook_;
  std::function<void()> hangup_hook_;
};

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_LOOP_H_
