// tools/bench engine: how fast the job language and the engine are.
//
// 1. Parses 1,000 generated job files (varied stanzas, scripts, expressions)
//    with LoadJobFiles, several rounds; prints the median.
// 2. Loads 500 of them into an Engine with a runner that starts nothing, and
//    pushes 100,000 events through it (a mix that matches some jobs' start on
//    / stop on and many that match none); prints events/s (median of rounds).
// 3. Loads 500 instance jobs with `stop on` clauses (an instance's own
//    $DEV in an env test, `and`/`or`, a positional glob, a lifecycle event
//    with JOB=), starts 3 instances of each (1,500 instances whose `stop on`
//    is live), and pushes 100,000 events through them: mostly events that
//    name a `stop on` leaf without stopping anything, some that stop an
//    instance (its process exits on SIGTERM) and start it again; prints
//    events/s (median of rounds).
// 4. Prints the peak RSS of this process (getrusage).
//
// Aims (issue 2): 1,000 files in under 20 ms; over 200,000 events/s.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "jobs/parser.h"
#include "supervisor/engine.h"

namespace baton {
namespace {

std::string JobText(int i) {
  std::string t = absl::StrCat("# generated job ", i, "\n", "description \"job number ", i,
                               " of the benchmark\"\n");
  switch (i % 4) {
    case 0:
      absl::StrAppend(&t, "start on block-device-added ID_FS_TYPE=ext4 DEVNAME=/dev/vd", i % 26,
                      "*\nstop on stopping bench-stop\ninstance $DEVNAME\ntask\n",
                      "exec /bin/true $DEVNAME\n");
      break;
    case 1:
      absl::StrAppend(&t, "start on (net-up IFACE=eth", i % 8, " and startup) or bench-go-", i,
                      "\nrespawn\nrespawn limit 10 5\nenv A=1\nenv B=\"two words\"\n",
                      "script\n  echo starting ", i, "\n  exec sleep 1000\nend script\n");
      break;
    case 2:
      absl::StrAppend(&t, "start on started job", i - 1, "\nstage both\nconsole output\n",
                      "pre-start exec /bin/true\npost-stop script\n  rm -f /run/x", i,
                      "\nend script\nexec /bin/sleep 1000\n");
      break;
    default:
      absl::StrAppend(&t, "start on bench-never-", i, " KEY!=x*\nseccomp deny mount umount2\n",
                      "kill timeout 3\nexec /bin/false\n");
  }
  return t;
}

// Job I of the `stop on` workload: instances named by $DEV, started by
// `bench-up-I DEV=...`.
std::string StopJobText(int i) {
  std::string t = absl::StrCat("instance $DEV\nstart on bench-up-", i, "\n");
  switch (i % 4) {
    case 0:
      absl::StrAppend(&t, "stop on device-removed DEVNAME=/dev/$DEV\n");
      break;
    case 1:
      absl::StrAppend(&t, "stop on (net-down IFACE=$DEV and quiesced) or bench-halt\n");
      break;
    case 2:
      absl::StrAppend(&t, "stop on stopping JOB=bench-dep-", i % 50, "\n");
      break;
    default:
      absl::StrAppend(&t,
                      "stop on runlevel [016] or device-removed DEVNAME=/dev/$DEV KIND!=loop\n");
  }
  absl::StrAppend(&t, "exec /bin/sleep 1000\n");
  return t;
}

std::string Dev(int job, int k) { return absl::StrCat("sd", job, "x", k); }

// Starts nothing; a process it is asked to signal is taken to exit (the
// bench reports the exits through OnProcessExit).
class ExitingRunner : public supervisor::ProcessRunner {
 public:
  absl::StatusOr<pid_t> Start(const Spec&) override { return next_pid_++; }
  absl::Status Signal(pid_t pid, int) override {
    signalled.push_back(pid);
    return absl::OkStatus();
  }
  std::vector<pid_t> signalled;

 private:
  pid_t next_pid_ = 100;
};

void Settle(supervisor::Engine& engine, ExitingRunner& runner) {
  engine.RunQueue();
  while (!runner.signalled.empty()) {
    std::vector<pid_t> pids;
    pids.swap(runner.signalled);
    for (pid_t pid : pids) engine.OnProcessExit({pid, 0, SIGTERM, false});
    engine.RunQueue();
  }
}

class NullRunner : public supervisor::ProcessRunner {
 public:
  absl::StatusOr<pid_t> Start(const Spec&) override { return next_pid_++; }
  absl::Status Signal(pid_t, int) override { return absl::OkStatus(); }

 private:
  pid_t next_pid_ = 100;
};

class WallClock : public supervisor::Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Main() {
  constexpr int kFiles = 1000, kJobs = 500, kEvents = 100000, kRounds = 5;
  std::vector<std::pair<std::string, std::string>> files;
  size_t bytes = 0;
  for (int i = 0; i < kFiles; ++i) {
    files.emplace_back(absl::StrCat("/etc/baton/jobs/job", i, ".conf"), JobText(i));
    bytes += files.back().second.size();
  }

  std::vector<double> parse_ms;
  for (int r = 0; r < kRounds; ++r) {
    absl::Time t0 = absl::Now();
    jobs::LoadResult res = jobs::LoadJobFiles(files);
    parse_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
    if (res.jobs.size() != kFiles || !res.diagnostics.empty()) {
      std::fprintf(stderr, "bench: %zu jobs parsed, %zu diagnostics (first: %s)\n",
                   res.jobs.size(), res.diagnostics.size(),
                   res.diagnostics.empty() ? "" : res.diagnostics[0].ToString().c_str());
      return 1;
    }
  }

  std::vector<double> rates;
  for (int r = 0; r < kRounds; ++r) {
    NullRunner runner;
    WallClock clock;
    supervisor::Engine engine(runner, clock);
    jobs::LoadResult res =
        jobs::LoadJobFiles({files.begin(), files.begin() + kJobs});
    for (auto& j : res.jobs) engine.AddJob(std::move(j));
    absl::Time t0 = absl::Now();
    for (int i = 0; i < kEvents; ++i) {
      switch (i % 4) {
        case 0:
          engine.Emit("block-device-added", {{"DEVNAME", absl::StrCat("/dev/vd", i % 26, "x")},
                                             {"ID_FS_TYPE", "ext4"}});
          break;
        case 1:
          engine.Emit("net-up", {{"IFACE", absl::StrCat("eth", i % 8)}});
          break;
        case 2:
          engine.Emit("unrelated-event", {{"K", "v"}});
          break;
        default:
          engine.Emit(absl::StrCat("bench-go-", i % kJobs));
      }
      if (i % 64 == 63) engine.RunQueue();
    }
    engine.RunQueue();
    rates.push_back(kEvents / absl::ToDoubleSeconds(absl::Now() - t0));
  }

  // `stop on` of many instances.
  constexpr int kStopJobs = 500, kPerJob = 3;
  std::vector<std::pair<std::string, std::string>> stop_files;
  for (int i = 0; i < kStopJobs; ++i) {
    stop_files.emplace_back(absl::StrCat("/etc/baton/jobs/stop", i, ".conf"), StopJobText(i));
  }
  std::vector<double> stop_rates;
  size_t running = 0, stops = 0;
  for (int r = 0; r < kRounds; ++r) {
    ExitingRunner runner;
    WallClock clock;
    supervisor::Engine engine(runner, clock);
    jobs::LoadResult res = jobs::LoadJobFiles(stop_files);
    if (res.jobs.size() != kStopJobs || !res.diagnostics.empty()) {
      std::fprintf(stderr, "bench: %zu stop jobs parsed, %zu diagnostics (first: %s)\n",
                   res.jobs.size(), res.diagnostics.size(),
                   res.diagnostics.empty() ? "" : res.diagnostics[0].ToString().c_str());
      return 1;
    }
    for (auto& j : res.jobs) engine.AddJob(std::move(j));
    for (int i = 0; i < kStopJobs; ++i) {
      for (int k = 0; k < kPerJob; ++k) {
        engine.Emit(absl::StrCat("bench-up-", i), {{"DEV", Dev(i, k)}});
      }
    }
    Settle(engine, runner);
    size_t before = 0;
    for (const supervisor::InstanceInfo& in : engine.Instances()) {
      if (in.state == supervisor::State::kRunning) ++before;
    }
    uint64_t lcg = 1;
    auto rand = [&](int n) {
      lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
      return static_cast<int>((lcg >> 33) % static_cast<uint64_t>(n));
    };
    absl::Time t0 = absl::Now();
    for (int i = 0; i < kEvents; ++i) {
      const int j = rand(kStopJobs), k = rand(kPerJob);
      if (i % 97 == 0) {
        // A real stop, and the instance back: an instance whose `stop on`
        // names device-removed (jobs 0 and 3 mod 4).
        const int d = j - j % 4 + (i % 2 == 0 ? 0 : 3);
        engine.Emit("device-removed", {{"DEVNAME", absl::StrCat("/dev/", Dev(d, k))}});
        engine.Emit(absl::StrCat("bench-up-", d), {{"DEV", Dev(d, k)}});
        continue;
      }
      switch (i % 8) {
        case 0:
        case 1:
          engine.Emit("device-removed", {{"DEVNAME", absl::StrCat("/dev/nosuch", i % 100)}});
          break;
        case 2:  // the left leaf of an `and`: kept, nothing stops
          engine.Emit("net-down", {{"IFACE", Dev(j - j % 4 + 1, k)}});
          break;
        case 3:
          engine.Emit("stopping", {{"JOB", absl::StrCat("other-", j)}, {"RESULT", "ok"}});
          break;
        case 4:
          engine.Emit("runlevel", {{"RUNLEVEL", "2"}, {"PREVLEVEL", "S"}});
          break;
        case 5:
          engine.Emit("unrelated-event", {{"K", "v"}});
          break;
        case 6:  // the instance's own device, held back by KIND!=loop
          engine.Emit("device-removed", {{"DEVNAME", absl::StrCat("/dev/", Dev(j - j % 4 + 3, k))},
                                         {"KIND", "loop"}});
          break;
        default:  // already running: nothing to start
          engine.Emit(absl::StrCat("bench-up-", j), {{"DEV", Dev(j, k)}});
      }
      if (i % 64 == 63) Settle(engine, runner);
    }
    Settle(engine, runner);
    stop_rates.push_back(kEvents / absl::ToDoubleSeconds(absl::Now() - t0));
    running = before;
    stops = 0;
    for (const supervisor::InstanceInfo& in : engine.Instances()) stops += in.runs - 1;
  }

  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("parse: %d files (%zu KiB) median %.2f ms (aim < 20 ms)\n", kFiles, bytes / 1024,
              Median(parse_ms));
  std::printf("events: %d events through %d jobs, median %.0f events/s (aim > 200000)\n",
              kEvents, kJobs, Median(rates));
  std::printf(
      "stop on: %d events through %zu running instances of %d jobs with `stop on` "
      "(%zu stopped and started again), median %.0f events/s\n",
      kEvents, running, kStopJobs, stops, Median(stop_rates));
  std::printf("peak RSS of the benchmark process: %.1f MiB\n", ru.ru_maxrss / 1024.0);
  return 0;
}

}  // namespace
}  // namespace baton

int main() { return baton::Main(); }
