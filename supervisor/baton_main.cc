#include "supervisor/baton_main.h"

#include <fcntl.h>
#include <sys/reboot.h>

#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "handoff/codec.h"
#include "handoff/status.h"
#include "handoff/memfd.h"
#include "handoff/version.h"
#include "handoff/timeline.h"
#include "jobs/parser.h"
#include "supervisor/control_server.h"
#include "supervisor/crash_plan.h"
#include "supervisor/engine.h"
#include "supervisor/exec_ladder.h"
#include "supervisor/job_files.h"
#include "supervisor/log_ring.h"
#include "supervisor/logger.h"
#include "supervisor/loop.h"
#include "supervisor/reload.h"
#include "supervisor/shutdown.h"
#include "supervisor/spawner.h"
#include "supervisor/stage1/rescue.h"
#include "supervisor/stage1/stage1_main.h"
#include "supervisor/stage2/reexec.h"
#include "supervisor/stage2/restore.h"
#include "supervisor/stage2/udev.h"
#include "sys/crash.h"
#include "sys/seccomp.h"
#include "sys/status_macros.h"

namespace baton::supervisor {

namespace {

constexpr char kSystemJobsDir[] = "/etc/baton/jobs";
constexpr char kSystemRunDir[] = "/run/baton";

std::string Lookup(const Env& env, absl::string_view key) {
  for (const auto& [k, v] : env) {
    if (k == key) return v;
  }
  return "";
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void Print(sys::Kernel& kernel, int fd, absl::string_view text) {
  (void)kernel.Write(fd, text.data(), text.size());
}

// PID 1's held console lines (Logger::Hold) wait in the crash handler's
// static storage too, so that a crash before "stage2-ready" shows them
// before its own line (sys/crash.h).
class CrashHeldText : public HeldConsoleMirror {
 public:
  void Append(absl::string_view lines) override { sys::AppendCrashHeldText(lines); }
  void Clear() override { sys::ClearCrashHeldText(); }
};

// Marks NAME and, when the handoff was accepted, adds it to what
// `initctl handoff-status` shows (the restore copied the marks up to
// "stage2-ready"; later ones come one by one).
void AppendMark(handoff::BootTimeline& timeline, absl::string_view name,
                stage2::RestoreResult* restored) {
  timeline.Mark(name);
  if (restored->report.handoff) {
    *restored->report.handoff->add_timestamps() = timeline.marks().back();
  }
}

// Reads the job files of JOBS_DIR and loads those RELOADER wants into
// ENGINE; a file with errors is skipped with a warning. MARK (may be empty)
// gets "jobs-read" and "jobs-loaded". Returns how many jobs were loaded.
size_t LoadJobFiles(sys::Kernel& kernel, const std::string& jobs_dir, JobReloader& reloader,
                    Engine& engine, Logger& logger,
                    const std::function<void(absl::string_view)>& mark) {
  std::vector<jobs::Diagnostic> read_diags;
  auto sources = ReadJobSources(kernel, {jobs_dir}, &read_diags);
  if (mark) mark("jobs-read");
  size_t job_count = 0;
  for (const jobs::Diagnostic& diag :
       reloader.Load(std::move(sources), std::move(read_diags), engine, &job_count)) {
    logger.Warn(absl::StrCat(diag.ToString(), " (file skipped)"));
  }
  logger.Info(absl::StrCat(job_count, " jobs loaded"));
  if (mark) mark("jobs-loaded");
  return job_count;
}

// udevd's job, when the root has a udevd and no job of that name: defined
// before the restore, so that a udevd carried by a re-exec is adopted under
// it (respawn and all), not as an orphan.
void DefineUdevdJob(sys::Kernel& kernel, Engine& engine) {
  std::string udevd = stage2::FindUdevd(kernel);
  if (!udevd.empty() && engine.FindJob(stage2::kUdevdJob) == nullptr) {
    engine.AddJob(stage2::UdevdJob(udevd));
  }
}

int RunSupervisor(const Options& options, sys::Kernel& kernel) {
  const bool user_mode = options.mode == Options::Mode::kUser;
  // Stage 2's first mark, as early as the process can make it: stage 1's
  // "exec" -> here is serializing the handoff, execve and loading us.
  handoff::BootTimeline timeline;
  if (options.stage2()) timeline.Mark("stage2-start");
  MonotonicClock clock;
  // PID 1 never dies of its own crash (supervisor/crash_plan.h, sys/crash.h):
  // the handler first of all; stage 1 plans again once /proc, /sys and the
  // command line are there, and after the root switch.
  const bool pid1 = !user_mode && kernel.GetPid() == 1;
  const bool initramfs = !user_mode && stage1::IsInitramfs(kernel);
  std::string crash_note;
  auto note_crash = [&crash_note](absl::string_view line) { crash_note = std::string(line); };
  // Stage 2 plans without the console tty (the crash shell on /dev/console,
  // no job control) and adds it after "stage2-ready": reading it costs more
  // than the rest of the plan under emulation.
  std::optional<CrashPlanInput> crash_console_later;
  if (pid1 && options.stage2()) {
    crash_console_later = GatherCrashInput(kernel, CrashStage::kRealRoot, /*with_console=*/false);
    (void)InstallCrashPlan(*crash_console_later, note_crash);
  } else if (pid1) {
    (void)InstallCrashPlan(kernel, initramfs ? CrashStage::kInitramfs : CrashStage::kRealRoot,
                           note_crash);
  }
  // Stage 1 (supervisor/stage1/stage1_main.h): early mounts before anything
  // writes to /run.
  std::unique_ptr<stage1::Stage1Host> stage1;
  if (initramfs) {
    stage1 = std::make_unique<stage1::Stage1Host>(kernel);
    stage1->Early(clock.Now());
    if (pid1) (void)InstallCrashPlan(kernel, CrashStage::kInitramfs, note_crash);
  }
  LogRing::Options ring_options;
  ring_options.log_dir = options.log_dir;
  LogRing ring(kernel, clock, clock.Now(), ring_options);
  CrashHeldText crash_held;  // outlives the logger, which clears it last
  // PID 1 writes its lines through its own non-blocking open of the console,
  // so that a console that takes nothing cannot stop it (logger.h); fds 0-2,
  // which jobs and the rescue shell inherit, stay as they are.
  sys::UniqueFd console;
  if (pid1) {
    absl::StatusOr<sys::UniqueFd> opened =
        kernel.Open("/dev/console", O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (opened.ok()) console = std::move(*opened);
  }
  Logger logger(kernel, &ring, console.valid() ? console.get() : 2);
  // Stage 2's console lines wait for "stage2-ready" (supervisor/logger.h:
  // under emulation the console costs more than the restore it reports);
  // the ring has them at once, warnings and errors are not held. A crash
  // before then writes them first (the crash handler is PID 1's only).
  if (pid1) logger.set_held_mirror(&crash_held);
  if (options.stage2()) logger.Hold();
  logger.Info(absl::StrCat("starting (", user_mode ? "user" : "system", " mode, pid ",
                           kernel.GetPid(), ", jobs from ", options.jobs_dir, ")"));
  if (!crash_note.empty()) logger.Info(crash_note);

  Spawner::Options spawner_options;
  if (user_mode) spawner_options.base_env = options.environment;
  if (stage1) spawner_options.base_env = stage1->JobEnv();
  Spawner spawner(kernel, ring, nullptr, spawner_options);
  Engine engine(spawner, clock);
  const bool in_stage1 = stage1 != nullptr;
  const bool in_stage2 = options.stage2();
  JobReloader reloader(options.jobs_dir, [in_stage1, in_stage2](const jobs::JobConfig& job) {
    if (in_stage1) return stage1::Stage1Host::WantsJob(job);
    return !in_stage2 || job.RunsIn(jobs::Stage::kRoot);
  });
  std::function<void(absl::string_view)> mark;
  if (options.stage2()) mark = [&timeline](absl::string_view name) { timeline.Mark(name); };
  (void)LoadJobFiles(kernel, options.jobs_dir, reloader, engine, logger, mark);

  // PID 1 on the real root: SIGTERM/SIGINT/SIGUSR1/SIGUSR2 reboot, halt and
  // power off (supervisor/shutdown.h); stage 1 and user mode only stop jobs.
  Loop::Options loop_options;
  loop_options.system_signals = !user_mode && !stage1;
  Loop loop(kernel, engine, clock, logger, loop_options);
  absl::Status ready = loop.Init();
  if (!ready.ok()) {
    logger.Error(absl::StrCat("cannot set up the event loop: ", ready.message()));
    return 1;
  }
  if (loop_options.system_signals) {
    // Ctrl-Alt-Del becomes a SIGINT to us (a clean reboot), not an instant one.
    absl::Status cad = kernel.Reboot(RB_DISABLE_CAD);
    if (!cad.ok()) logger.Warn(absl::StrCat("ctrl-alt-del stays a hard reboot: ", cad.message()));
  }
  spawner.set_watcher(&loop);

  absl::Status subreaper = kernel.SetChildSubreaper();
  if (!subreaper.ok()) logger.Warn(absl::StrCat("not a subreaper: ", subreaper.message()));

  ControlServer::Options control_options;
  control_options.owner_uid = kernel.GetUid();
  control_options.user_mode = user_mode;
  ControlServer control(kernel, engine, ring, loop, logger, control_options);
  // SIGHUP and `initctl reload`: the job files again (supervisor/reload.h).
  auto reload = [&]() -> ReloadReport {
    ReloadReport report = reloader.Reload(kernel, engine);
    std::string summary = report.Summary();
    if (report.errors.empty()) {
      logger.Info(summary);
    } else {
      logger.Warn(summary);
    }
    return report;
  };
  control.set_reload(reload);
  loop.set_hangup_hook([&reload, &engine] {
    (void)reload();
    engine.RunQueue();
  });
  // Listens on the socket path, or (after a re-exec) adopts the listening
  // socket carried in the handoff. Stage 2 does it inside the restore, just
  // before "stage2-ready" (supervisor/stage2/restore.h, step f).
  auto listen = [&](sys::UniqueFd carried) {
    absl::Status listening;
    const bool adopted = carried.valid();
    if (adopted) {
      listening = control.Adopt(std::move(carried));
    } else {
      absl::Status dir = kernel.MkdirAll(Dirname(options.socket_path), 0755);
      listening = dir.ok() ? control.Listen(options.socket_path) : dir;
    }
    if (!listening.ok()) {
      logger.Error(absl::StrCat("control socket ", options.socket_path, ": ", listening.message()));
    } else {
      logger.Info(absl::StrCat("control socket at ", options.socket_path,
                               adopted ? " (carried across the re-exec)" : ""));
    }
    if (options.stage2()) timeline.Mark("control-listening");
    return listening;
  };
  if (!options.stage2() && !listen(sys::UniqueFd()).ok() && user_mode) {
    spawner.set_watcher(nullptr);
    return 1;
  }

  if (stage1) {  // emits `initramfs`; never returns
    stage1->Run(
        engine, ring, spawner, clock, [&logger](absl::string_view line) { logger.Info(line); },
        [&loop](int fd, FdWatcher::Callback callback) { return loop.Watch(fd, callback); },
        [&loop](absl::Duration timeout) { (void)loop.RunOnce(timeout); },
        [&loop](std::function<void(const sys::ChildExit&)> hook) {
          loop.set_orphan_hook(std::move(hook));
        });
  }
  // Stage 2: what stage 1 handed over (supervisor/stage2/restore.h), then
  // udevd, the udev database and the replay (supervisor/stage2/udev.h).
  std::unique_ptr<stage2::RestoreResult> restored;
  if (!stage1 && options.stage2()) {
    auto log = [&logger](absl::string_view line) { logger.Info(line); };
    stage2::RestoreInput restore;
    restore.handoff_fd = options.handoff_fd;
    restore.handoff_fds = options.handoff_fds;
    restore.stateless_reason = options.stateless_reason;
    restore.engine = &engine;
    restore.ring = &ring;
    restore.spawner = &spawner;
    restore.timeline = &timeline;
    restore.log = log;
    restore.listen = [&listen](sys::UniqueFd carried) { (void)listen(std::move(carried)); };
    DefineUdevdJob(kernel, engine);
    restored = std::make_unique<stage2::RestoreResult>(stage2::RestoreStage2(kernel, restore));
    control.set_handoff_report(&restored->report);
  }
  if (crash_console_later) {
    // The shell on the console's own tty from here on (crash_plan.h).
    crash_console_later->console_tty = stage1::ActiveConsoleTty(kernel);
    if (!crash_console_later->console_tty.empty()) {
      absl::Status installed = sys::InstallCrashHandler(PlanCrash(*crash_console_later));
      if (!installed.ok()) {
        logger.Warn(absl::StrCat("crash handler: the console tty not added: ", installed.message()));
      }
    }
    crash_console_later.reset();
  }
  logger.Release();
  if (restored && restored->reexec()) {
    // The devices were set up and `startup` emitted before the re-exec:
    // nothing is redone (udevd, when it runs, was adopted like any service).
    logger.Info(absl::StrCat("re-exec: ", restored->report.adopted.size(),
                             " processes adopted; startup not emitted again"));
    if (!restored->uevents.empty()) {  // none unless the old process queued some
      stage2::ReplayResult replay = stage2::ReplayUevents(kernel, restored->uevents);
      restored->report.uevents_replayed = replay.written;
    }
  } else if (restored) {
    auto log = [&logger](absl::string_view line) { logger.Info(line); };
    stage2::DevicesHooks hooks;
    hooks.now = [&clock] { return clock.Now(); };
    hooks.run_once = [&loop](absl::Duration timeout) { (void)loop.RunOnce(timeout); };
    hooks.log = log;
    stage2::RestoreResult* carried = restored.get();
    hooks.more_uevents = [&kernel, carried] {
      return stage2::DrainUeventSocket(kernel, carried);
    };
    if (!spawner.HasListenFds(stage2::kUdevdJob)) {
      hooks.keep_udevd_socket = [&spawner](sys::UniqueFd fd) {
        spawner.AddListenFd(stage2::kUdevdJob, std::move(fd));
      };
    }
    stage2::DevicesResult devices =
        stage2::SetUpDevices(kernel, engine, restored->uevents, stage2::DevicesOptions(), hooks);
    restored->report.uevents_replayed = devices.replay.written;
    for (std::string& w : devices.warnings) restored->report.warnings.push_back(std::move(w));
    // The replay reaches udevd; stage 2 runs no bridge of its own on stage
    // 1's socket, so it is closed rather than left to fill up.
    restored->uevent_socket.reset();
    AppendMark(timeline, "devices-replayed", restored.get());
  }
  if (!restored || !restored->reexec()) {
    if (restored) AppendMark(timeline, "startup", restored.get());
    engine.Emit("startup");
  }
  // `initctl reexec` (supervisor/stage2/reexec.h): the system supervisor on
  // the real root only, and only from here on: a re-exec during the devices
  // step above would skip the rest of it in the new process.
  // The handoff is collected and the new binary preflighted with it in the
  // check, so that a refusal is initctl's answer (exit 1); the exec runs
  // once that answer is written.
  std::optional<stage2::ReexecPlan> reexec_plan;
  auto reexec_input = [&]() {
    stage2::ReexecInput in;
    in.engine = &engine;
    in.ring = &ring;
    in.spawner = &spawner;
    in.timeline = &timeline;
    in.control_socket = control.listen_fd();
    in.self_path = stage2::SelfPath(kernel);
    for (const auto& [key, value] : options.environment) {
      in.env.push_back(absl::StrCat(key, "=", value));
    }
    return in;
  };
  auto reexec_log = [&logger](absl::string_view line) { logger.Info(line); };
  if (!user_mode && !stage1) {
    ControlServer::ReexecHooks hooks;
    hooks.check = [&]() -> absl::StatusOr<std::string> {
      reexec_plan.reset();
      const stage2::ReexecInput in = reexec_input();
      ASSIGN_OR_RETURN(stage2::ReexecPlan plan, stage2::PrepareReexec(kernel, in, reexec_log));
      std::string answer = absl::StrCat("re-executing ", in.self_path, " (", plan.preflight, ")");
      reexec_plan = std::move(plan);
      return answer;
    };
    hooks.run = [&]() {
      if (!reexec_plan) return;
      stage2::ReexecPlan plan = std::move(*reexec_plan);
      reexec_plan.reset();
      (void)stage2::ExecReexec(kernel, reexec_input(), std::move(plan), reexec_log);
    };
    control.set_reexec(std::move(hooks));
    ControlServer::ShutdownHooks down;
    down.check = [&loop] {
      if (!loop.shutting_down()) return absl::OkStatus();
      return absl::FailedPreconditionError(absl::StrCat(
          "already shutting down (", ShutdownActionName(loop.shutdown_action()), ")"));
    };
    down.run = [&loop](ShutdownAction action) { (void)loop.RequestShutdown(action); };
    control.set_shutdown(std::move(down));
  }
  engine.RunQueue();
  absl::Status ran = loop.Run();
  int status = 0;
  if (!ran.ok()) {
    logger.Error(absl::StrCat("event loop failed: ", ran.message()));
    status = 1;
  }
  if (loop_options.system_signals && loop.shutdown_action() != ShutdownAction::kNone) {
    // The jobs are stopped: the other processes, the filesystems, reboot(2).
    ShutdownHooks hooks;
    hooks.now = [&clock] { return clock.Now(); };
    hooks.wait = [&loop](absl::Duration timeout) { (void)loop.RunOnce(timeout); };
    hooks.log = [&logger](absl::string_view line) { logger.Info(line); };
    (void)FinishShutdown(kernel, loop.shutdown_action(), KillOptions(), hooks);
    // Only when reboot(2) failed: PID 1 goes on below.
  }
  if (!user_mode) {
    // PID 1 never exits: keep serving whatever is left.
    for (;;) (void)loop.RunOnce(absl::Seconds(10));
  }
  (void)kernel.Unlink(options.socket_path);
  // The loop goes away first: the spawner must not unwatch through it later.
  spawner.set_watcher(nullptr);
  logger.Info("exiting");
  return status;
}

}  // namespace

absl::StatusOr<Options> ParseOptions(const std::vector<std::string>& args, const Env& environment,
                                     uid_t uid, bool is_pid1) {
  Options options;
  options.environment = environment;
  if (!args.empty() && args[0] == "check") {
    options.mode = Options::Mode::kCheck;
    options.check_paths.assign(args.begin() + 1, args.end());
    if (options.check_paths.empty()) {
      return absl::InvalidArgumentError("check: name at least one job file or directory");
    }
    return options;
  }
  bool user = false;
  bool preflight = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](std::string* out) -> absl::Status {
      size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        *out = arg.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        *out = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat(arg, " needs a value"));
      }
      if (out->empty()) return absl::InvalidArgumentError(absl::StrCat(arg, " needs a value"));
      return absl::OkStatus();
    };
    absl::string_view flag = absl::string_view(arg).substr(0, arg.find('='));
    if (arg == "--user") {
      user = true;
    } else if (arg == kPreflightFlag && !is_pid1) {
      preflight = true;
    } else if (arg == "--help" || arg == "-h") {
      options.mode = Options::Mode::kHelp;
      return options;
    } else if (flag == "--jobs") {
      RETURN_IF_ERROR(value(&options.jobs_dir));
    } else if (flag == "--socket") {
      RETURN_IF_ERROR(value(&options.socket_path));
    } else if (flag == "--log-dir") {
      RETURN_IF_ERROR(value(&options.log_dir));
    } else if (flag == "--handoff-fd") {
      std::string fd;
      RETURN_IF_ERROR(value(&fd));
      if (!absl::SimpleAtoi(fd, &options.handoff_fd) || options.handoff_fd < 0) {
        return absl::InvalidArgumentError(absl::StrCat("--handoff-fd: bad fd '", fd, "'"));
      }
    } else if (flag == "--handoff-fds") {
      std::string list;
      RETURN_IF_ERROR(value(&list));
      absl::StatusOr<std::vector<int>> fds = handoff::ParseFdList(list);
      if (!fds.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--handoff-fds: ", fds.status().message()));
      }
      options.handoff_fds = std::move(*fds);
    } else if (flag == "--stateless-reason") {
      RETURN_IF_ERROR(value(&options.stateless_reason));
    } else if (is_pid1) {
      continue;  // the kernel passes its unknown command-line words to init
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument '", arg, "'"));
    }
  }
  if (preflight) {
    if (user || !options.stateless_reason.empty() || !options.handoff_fds.empty()) {
      return absl::InvalidArgumentError(
          "--preflight takes only --handoff-fd and --jobs (it is a dry run of stage 2)");
    }
    options.mode = Options::Mode::kPreflight;
    if (options.jobs_dir.empty()) options.jobs_dir = kSystemJobsDir;
    return options;
  }
  if (user) {
    options.mode = Options::Mode::kUser;
    if (options.jobs_dir.empty()) return absl::InvalidArgumentError("--user needs --jobs DIR");
    std::string runtime = Lookup(environment, "XDG_RUNTIME_DIR");
    std::string base = runtime.empty() ? absl::StrCat("/tmp/baton-", uid)
                                       : absl::StrCat(runtime, "/baton");
    if (options.socket_path.empty()) options.socket_path = absl::StrCat(base, "/control.sock");
    if (options.log_dir.empty()) options.log_dir = absl::StrCat(base, "/log");
    return options;
  }
  if (!is_pid1) {
    return absl::InvalidArgumentError(
        "refusing to run as the system init: this is not PID 1 "
        "(use --user --jobs DIR to run as an ordinary supervisor)");
  }
  options.mode = Options::Mode::kSystem;
  if (options.jobs_dir.empty()) options.jobs_dir = kSystemJobsDir;
  if (options.socket_path.empty()) options.socket_path = absl::StrCat(kSystemRunDir, "/control.sock");
  if (options.log_dir.empty()) options.log_dir = absl::StrCat(kSystemRunDir, "/log");
  return options;
}

int CheckJobFiles(const std::vector<std::string>& paths, sys::Kernel& kernel, int out_fd) {
  std::vector<jobs::Diagnostic> diags;
  auto sources = ReadJobSources(kernel, paths, &diags);
  size_t files = sources.size();
  jobs::LoadResult result = LoadAndLint(std::move(sources), std::move(diags));
  for (const jobs::Diagnostic& diag : result.diagnostics) {
    Print(kernel, out_fd, absl::StrCat(diag.ToString(), "\n"));
  }
  if (!result.diagnostics.empty()) return 1;
  Print(kernel, out_fd, absl::StrCat(files, " job files OK\n"));
  return 0;
}

int PreflightReport(const Options& options, sys::Kernel& kernel, int out_fd) {
  // The job files, read and parsed as stage 2 does first.
  std::vector<jobs::Diagnostic> diags;
  auto sources = ReadJobSources(kernel, {options.jobs_dir}, &diags);
  const size_t files = sources.size();
  jobs::LoadResult loaded = LoadAndLint(std::move(sources), std::move(diags));
  // The handoff, read and decoded (with its validation) as the restore does.
  std::string handoff = "none";
  if (options.handoff_fd >= 0) {
    absl::StatusOr<std::string> bytes = handoff::ReadHandoffFd(kernel, options.handoff_fd);
    if (!bytes.ok()) {
      handoff = absl::StrCat("unreadable: cannot read the handoff: ", bytes.status().message());
    } else {
      handoff::DecodeResult decoded = handoff::Decode(*bytes);
      if (!decoded.ok()) {
        handoff = absl::StrCat("unreadable: ", decoded.stateless_reason);
      } else {
        const handoff::Handoff& h = *decoded.handoff;
        handoff = absl::StrCat("ok (format ", h.format_version(), ", ", bytes->size(), " bytes, ",
                               h.instances_size(), " instances, ", h.events_size(), " events, ",
                               h.uevents_size(), " uevents",
                               decoded.warnings.empty()
                                   ? std::string()
                                   : absl::StrCat(", ", decoded.warnings.size(), " warnings"),
                               ")");
      }
    }
  }
  std::string line = absl::StrCat(
      kPreflightOk, " build=", absl::StrReplaceAll(handoff::kProducerBuild, {{" ", "-"}}),
      " handoff-reader=1-", handoff::kReaderVersion, " jobs=", files,
      " job-errors=", loaded.diagnostics.size(), " handoff=", handoff);
  for (char& c : line) {
    if (c == '\n') c = ' ';
  }
  Print(kernel, out_fd, absl::StrCat(line, "\n"));
  // The answer is out: the rehearsal can only add what it translates.
  (void)RehearseStage2(options, kernel);
  return 0;
}

Stage2Rehearsal RehearseStage2(const Options& options, sys::Kernel& kernel) {
  Stage2Rehearsal out;
  // As RunSupervisor, in its order, minus what has effects outside: the
  // crash handler is planned, not installed; the ring has no log
  // directory; the logger no console; no loop, no socket.
  handoff::BootTimeline timeline;
  timeline.Mark("stage2-start");
  MonotonicClock clock;
  const sys::CrashPlan crash = PlanCrash(GatherCrashInput(kernel, CrashStage::kRealRoot));
  LogRing ring(kernel, clock, clock.Now(), LogRing::Options());
  Logger logger(kernel, &ring, -1);
  logger.Info(absl::StrCat("starting (system mode, pid ", kernel.GetPid(), ", jobs from ",
                           options.jobs_dir, ")"));
  logger.Info(absl::StrCat("crash handler (real root): PID 1 crash -> ", crash.Describe()));
  Spawner spawner(kernel, ring, nullptr, Spawner::Options());
  Engine engine(spawner, clock);
  JobReloader reloader(options.jobs_dir,
                       [](const jobs::JobConfig& job) { return job.RunsIn(jobs::Stage::kRoot); });
  out.jobs = LoadJobFiles(kernel, options.jobs_dir, reloader, engine, logger,
                          [&timeline](absl::string_view name) { timeline.Mark(name); });
  DefineUdevdJob(kernel, engine);
  if (options.handoff_fd >= 0) {
    // A dup: the restore closes the fd it reads; the preflight's stays.
    absl::StatusOr<sys::UniqueFd> dup = kernel.Dup(options.handoff_fd);
    if (dup.ok()) {
      stage2::RestoreInput restore;
      restore.handoff_fd = dup->release();
      restore.engine = &engine;
      restore.ring = &ring;
      restore.spawner = &spawner;
      restore.timeline = &timeline;
      restore.log = [&logger](absl::string_view line) { logger.Info(line); };
      stage2::RestoreResult result = stage2::RestoreStage2(kernel, restore);
      out.restored = !result.stateless();
      out.stateless_reason = result.report.stateless_reason;
    }
  }
  out.history = engine.History().size();
  out.instances = engine.Instances().size();
  out.supervisor_lines = ring.Lines("", "").size();
  return out;
}

int Run(const Options& options, sys::Kernel& kernel) {
  switch (options.mode) {
    case Options::Mode::kPreflight:
      return PreflightReport(options, kernel, 1);
    case Options::Mode::kHelp:
      Print(kernel, 1, kUsage);
      return 0;
    case Options::Mode::kCheck:
      return CheckJobFiles(options.check_paths, kernel, 1);
    case Options::Mode::kUser:
    case Options::Mode::kSystem:
      return RunSupervisor(options, kernel);
  }
  return 2;
}

}  // namespace baton::supervisor
