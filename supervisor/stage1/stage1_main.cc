#include "supervisor/stage1/stage1_main.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "handoff/collect.h"
#include "supervisor/crash_plan.h"
#include "supervisor/exec_ladder.h"
#include "supervisor/stage1/cpu_modules.h"
#include "supervisor/stage1/keymap.h"
#include "supervisor/stage2/udev.h"
#include "supervisor/switch_root.h"
#include "sys/kmod_loader.h"
#include "sys/libblkid_prober.h"

namespace baton::stage1 {

namespace {

constexpr char kPath[] = "/usr/sbin:/usr/bin:/sbin:/bin";
// Where a foreign init's handoff goes (the real root's /run, after the move).
constexpr char kHandoffFile[] = "/run/baton/handoff.pb";

bool Mounted(sys::Kernel& kernel, const std::string& target) {
  absl::StatusOr<std::vector<sys::MountEntry>> mounts = kernel.Mounts();
  if (!mounts.ok()) return false;
  for (const sys::MountEntry& m : *mounts) {
    if (m.target == target) return true;
  }
  return false;
}

// A ModuleLoader for when libkmod has no context: every load fails, logged
// by the bridge.
class NoModules : public sys::ModuleLoader {
 public:
  absl::Status LoadAlias(const std::string& alias) override {
    return absl::UnavailableError("no module loader (libkmod failed to start)");
  }
};

// TAKE_UEVENTS: drain the socket into the (paused) bridge's queue and carry
// it; false for the provisional handoff, made before the pause, which must
// leave the queue and the socket to stage 1.
handoff::CollectInput Collect(sys::Kernel& kernel, const SwitchContext& context,
                              std::vector<std::string> warnings, bool with_fds,
                              bool take_uevents = true) {
  handoff::CollectInput input;
  input.engine = context.engine;
  input.ring = context.ring;
  input.timeline = context.timeline;
  input.cmdline_raw = context.cmdline_raw;
  input.cmdline_params = CmdlineParams(context.cmdline_raw);
  if (context.bridge != nullptr && take_uevents) {
    // Whatever arrived during the move is still in the socket: queue it too.
    context.bridge->OnReadable();
    input.uevents = context.bridge->TakeQueued();
  }
  if (with_fds) {
    if (context.spawner != nullptr) {
      for (const supervisor::Spawner::LogPipeRef& pipe : context.spawner->LogPipes()) {
        input.fds.emplace_back(handoff::LogPipeRole(pipe.job, pipe.instance), pipe.fd);
      }
    }
    if (context.bridge != nullptr && context.bridge->kernel_fd() >= 0) {
      input.fds.emplace_back(handoff::kUeventSocketRole, context.bridge->kernel_fd());
    }
  }
  input.warnings = context.warnings;
  for (std::string& w : warnings) input.warnings.push_back(std::move(w));
  return input;
}

void Mark(const SwitchContext& context, absl::string_view name) {
  if (context.timeline != nullptr) context.timeline->Mark(name);
}

// The preflight of our own binary on the new root, before the pause, shown
// a provisional handoff (see the header for what that cannot prove).
std::optional<supervisor::EarlyPreflight> PreflightEarly(
    sys::Kernel& kernel, const SwitchContext& context, const supervisor::LadderOptions& ladder,
    const std::string& new_root, const std::vector<std::string>& plan_warnings,
    const std::function<void(absl::string_view)>& log) {
  // Closed when this returns: the real handoff is a new memfd.
  absl::StatusOr<handoff::PreparedHandoff> provisional = handoff::PrepareHandoff(
      kernel, Collect(kernel, context, plan_warnings, /*with_fds=*/true, /*take_uevents=*/false));
  const int fd = provisional.ok() ? provisional->handoff_fd : -1;
  if (!provisional.ok()) {
    log(absl::StrCat("provisional handoff for the preflight: ", provisional.status().message(),
                     "; preflighting without one"));
  }
  return supervisor::PreflightOnNewRoot(kernel, new_root, ladder.self_path, fd, ladder.env, log);
}

}  // namespace

absl::Status SwitchAndExec(sys::Kernel& kernel, const SwitchContext& context,
                           const Stage1Boot::SwitchRequest& request,
                           const std::function<void(absl::string_view)>& log) {
  // Before the pause: what reads the new root and plans, and the preflight.
  supervisor::LadderOptions ladder;
  ladder.init = context.boot.init;
  ladder.init_args = context.boot.init_args;
  ladder.env = {absl::StrCat("PATH=", kPath), "TERM=linux", "HOME=/"};
  supervisor::ResolveInits(kernel, request.new_root, &ladder);
  const std::string init_resolved = ladder.init_resolved.empty() ? ladder.init : ladder.init_resolved;
  const bool baton = supervisor::IsBaton(init_resolved);
  // The init= that is baton is our own binary on the real root.
  if (baton) ladder.self_path = init_resolved;
  // The real root's page cache is cold: the disk reads what the exec will
  // need while the rest runs.
  (void)supervisor::ReadaheadForExec(kernel, request.new_root, init_resolved);

  supervisor::SwitchOptions options;
  options.new_root = request.new_root;
  options.pid1 = kernel.GetPid() == 1;
  absl::StatusOr<supervisor::SwitchPlan> early_plan = supervisor::PlanSwitch(kernel, options);
  if (!early_plan.ok()) return early_plan.status();
  Mark(context, "switch-planned");
  std::vector<supervisor::EarlyPreflight> preflown;
  if (baton) {
    std::optional<supervisor::EarlyPreflight> early =
        PreflightEarly(kernel, context, ladder, request.new_root, early_plan->warnings, log);
    if (early) preflown.push_back(*std::move(early));
    Mark(context, "preflight-done");
  } else {
    // A foreign init's loader check, likewise before the pause (its argv
    // does not matter here: only its path and environment).
    std::vector<supervisor::ExecCandidate> rungs = supervisor::BuildLadder(ladder);
    if (!rungs.empty() && !rungs.front().preflight) {
      std::optional<supervisor::EarlyPreflight> early = supervisor::LoaderCheckOnNewRoot(
          kernel, request.new_root, rungs.front().path, rungs.front().env, log);
      if (early) {
        preflown.push_back(*std::move(early));
        Mark(context, "loader-checked");
      }
    }
  }

  // The crash plan for PID 1 on the real root, from the files it will run:
  // read and logged now, installed right after the switch.
  std::optional<sys::CrashPlan> crash_plan;
  if (context.install_crash_plan) {
    crash_plan = supervisor::PlanCrash(supervisor::GatherCrashInputOnRoot(kernel, request.new_root));
    log(absl::StrCat(supervisor::DescribeCrashPlan(supervisor::CrashStage::kRealRoot, *crash_plan),
                     "; installed at the switch"));
  }

  // The window: uevents now queue for stage 2.
  if (context.bridge != nullptr) context.bridge->Pause();
  Mark(context, "switch-start");
  // Stage-1 tasks still running (and the preflight child) share the mount
  // namespace: the plan is made again from the table as it is now, and
  // that one is executed. A change is logged.
  absl::StatusOr<supervisor::SwitchPlan> plan = supervisor::PlanSwitch(kernel, options);
  if (!plan.ok()) return plan.status();
  if (supervisor::FormatSteps(plan->steps) != supervisor::FormatSteps(early_plan->steps) ||
      supervisor::FormatSteps(plan->fallback) != supervisor::FormatSteps(early_plan->fallback)) {
    log(absl::StrCat("the mount table changed after the switch was planned: re-planned (",
                     absl::StrJoin(supervisor::FormatSteps(plan->steps), ", "), ")"));
  }
  Mark(context, "switch-checked");
  supervisor::SwitchReport report;
  absl::Status switched = supervisor::ExecuteSwitch(kernel, *plan, context.now, &report);
  Mark(context, "root-switched");
  for (const std::string& warning : report.warnings) log(warning);
  if (!switched.ok()) return switched;
  if (crash_plan) {
    absl::Status installed = context.install_crash_plan(*crash_plan);
    if (!installed.ok()) log(absl::StrCat("crash handler not installed: ", installed.message()));
  }

  // Held open until the exec: the ladder passes their numbers.
  handoff::PreparedHandoff prepared;
  sys::UniqueFd deserialize;
  if (baton) {
    absl::StatusOr<handoff::PreparedHandoff> made =
        handoff::PrepareHandoff(kernel, Collect(kernel, context, report.warnings, true));
    if (made.ok()) {
      prepared = *std::move(made);
      for (const std::string& warning : prepared.warnings) log(warning);
      ladder.handoff_fd = prepared.handoff_fd;
      ladder.handoff_fds = prepared.fds;
      // Its size and fds are stage 2's first line about it ("handoff from
      // …"): no console line here, inside the window.
    } else {
      ladder.stateless_reason =
          absl::StrCat("stage 1 could not prepare the handoff: ", made.status().message());
      log(ladder.stateless_reason);
    }
  } else {
    ladder.stateless_reason = "no handoff for a foreign init";
    absl::Status written = handoff::WriteHandoffFile(
        kernel, Collect(kernel, context, report.warnings, false), kHandoffFile);
    if (written.ok()) {
      log(absl::StrCat("handoff for ", init_resolved, " written to ", kHandoffFile));
    } else {
      log(absl::StrCat("cannot write ", kHandoffFile, ": ", written.message()));
    }
    if (supervisor::IsSystemd(init_resolved)) {
      const handoff::Timestamp* start =
          context.timeline != nullptr ? context.timeline->Find("stage1-start") : nullptr;
      if (start != nullptr) {
        absl::StatusOr<sys::UniqueFd> fd = supervisor::MakeSystemdDeserializeFd(
            kernel, supervisor::SystemdDeserialization(absl::FromUnixNanos(start->realtime_ns()),
                                                        absl::Nanoseconds(start->monotonic_ns())));
        if (fd.ok()) {
          deserialize = *std::move(fd);
          ladder.systemd_deserialize_fd = deserialize.get();
        } else {
          log(absl::StrCat("no --deserialize for systemd: ", fd.status().message()));
        }
      }
    }
  }
  return supervisor::RunLadder(kernel, supervisor::BuildLadder(ladder), log, "/", preflown);
}

bool IsInitramfs(sys::Kernel& kernel) {
  if (kernel.GetPid() != 1) return false;
  if (kernel.Stat("/etc/initrd-release").ok()) return true;
  absl::StatusOr<sys::FileInfo> root = kernel.Stat("/");
  return root.ok() &&
         (root->fs_magic == supervisor::kRamfsMagic || root->fs_magic == supervisor::kTmpfsMagic);
}

std::vector<std::string> EarlyMounts(sys::Kernel& kernel) {
  std::vector<std::string> warnings;
  auto mount = [&](const std::string& source, const std::string& target, const std::string& type,
                   unsigned long flags, const std::string& data) -> absl::Status {
    if (Mounted(kernel, target)) return absl::OkStatus();
    absl::Status made = kernel.MkdirAll(target, 0755);
    if (!made.ok()) return made;
    return kernel.Mount(source, target, type, flags, data);
  };
  auto warn = [&](const absl::Status& s) {
    if (!s.ok()) warnings.push_back(std::string(s.message()));
  };
  warn(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, ""));
  warn(mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, ""));
  absl::Status dev = mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  if (!dev.ok()) {
    warnings.push_back(absl::StrCat(dev.message(), "; /dev on tmpfs instead"));
    warn(mount("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=0755"));
    warn(kernel.Mknod("/dev/console", S_IFCHR | 0600, makedev(5, 1)));
    warn(kernel.Mknod("/dev/null", S_IFCHR | 0666, makedev(1, 3)));
  }
  warn(mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
             "gid=5,mode=0620,ptmxmode=0666"));
  warn(mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"));
  warn(kernel.MkdirAll("/run/baton", 0755));
  warn(kernel.MkdirAll("/root", 0755));
  return warnings;
}

void ConsoleStdio(sys::Kernel& kernel) {
  for (int fd = 0; fd <= 2; ++fd) {
    if (kernel.StatFd(fd).ok()) continue;
    // The lowest free number comes back: FD itself, since lower ones are open.
    absl::StatusOr<sys::UniqueFd> console = kernel.Open("/dev/console", O_RDWR | O_NOCTTY);
    if (!console.ok()) return;
    int got = console->release();
    if (got != fd) return;  // not ours to place; keep it open, harmless
  }
  for (int fd = 0; fd <= 2; ++fd) (void)kernel.SetCloexec(fd, false);
}

Stage1Host::Stage1Host(sys::Kernel& kernel) : kernel_(kernel) {}
Stage1Host::~Stage1Host() = default;

void Stage1Host::Early(absl::Time start) {
  start_ = start;
  start_realtime_ = absl::Now();
  timeline_.Mark("stage1-start");
  warnings_ = EarlyMounts(kernel_);
  ConsoleStdio(kernel_);
  absl::StatusOr<std::string> cmdline = kernel_.ReadFile("/proc/cmdline");
  if (!cmdline.ok()) {
    warnings_.push_back(absl::StrCat("no kernel command line: ", cmdline.status().message()));
  }
  boot_ = ParseCmdline(cmdline.ok() ? *cmdline : "");
  if (cmdline.ok()) cmdline_raw_ = std::string(absl::StripAsciiWhitespace(*cmdline));
}

supervisor::Env Stage1Host::JobEnv() const {
  supervisor::Env env = {{"PATH", kPath}, {"TERM", "linux"}, {"HOME", "/"}};
  for (auto& kv : boot_.ToEnv()) env.push_back(std::move(kv));
  return env;
}

bool Stage1Host::WantsJob(const jobs::JobConfig& job) {
  return job.RunsIn(jobs::Stage::kInitramfs);
}

bool Stage1Host::SetUpUdevd(supervisor::Engine& engine, supervisor::Spawner& spawner,
                            const LogFn& log) {
  const std::string udevd = stage2::FindUdevd(kernel_);
  if (udevd.empty()) return false;
  auto option = boot_.baton.find("udevd");
  if (option != boot_.baton.end()) {
    const std::string value = absl::AsciiStrToLower(option->second);
    if (value == "0" || value == "no" || value == "off" || value == "false") {
      log(absl::StrCat("baton.udevd=", option->second, ": ", udevd,
                       " is not started; baton's own uevent bridge handles the devices"));
      return false;
    }
  }
  // Made before the bridge's own kernel socket (uevent_bridge.h).
  absl::StatusOr<sys::UniqueFd> socket = kernel_.UdevdKernelSocket();
  if (!socket.ok()) {
    log(absl::StrCat("no uevent socket for udevd (", socket.status().message(),
                     "): baton's own uevent bridge handles the devices"));
    return false;
  }
  spawner.AddListenFd(stage2::kUdevdJob, *std::move(socket));
  if (engine.FindJob(stage2::kUdevdJob) == nullptr) {
    engine.AddJob(stage2::UdevdJob(udevd, jobs::Stage::kInitramfs));
  }
  log(absl::StrCat("following udevd: ", udevd, " handles the devices in stage 1"));
  return true;
}

void Stage1Host::Run(supervisor::Engine& engine, const supervisor::LogRing& ring,
                     supervisor::Spawner& spawner, supervisor::Clock& clock, LogFn log,
                     WatchFn watch, RunOnceFn run_once, OrphanHookFn orphan_hook) {
  for (const std::string& warning : warnings_) log(warning);
  // Before the bridge starts: no unlock job can ask for a passphrase yet.
  std::string keymap = LoadImageKeymap(kernel_);
  if (!keymap.empty()) log(keymap);
  absl::StatusOr<std::string> release = kernel_.ReadFile("/proc/sys/kernel/osrelease");
  sys::KmodLoader::Options kmod_options;
  if (release.ok()) {
    kmod_options.modules_dir =
        absl::StrCat("/lib/modules/", absl::StripAsciiWhitespace(*release));
  }
  // Before any loader reads its configuration (cpu_modules.h).
  if (!kmod_options.modules_dir.empty()) {
    absl::StatusOr<std::vector<std::string>> left_out = WriteCpuFeatureConfig(
        kernel_, kmod_options.modules_dir, "/sys", sys::kRuntimeConfigDir);
    if (!left_out.ok()) {
      log(absl::StrCat("modules for CPU features: ", left_out.status().message()));
    } else if (!left_out->empty()) {
      log(absl::StrCat("not loaded, for CPU features this CPU lacks: ",
                       absl::StrJoin(*left_out, " ")));
    }
  }
  std::unique_ptr<sys::ModuleLoader> modules;
  absl::StatusOr<std::unique_ptr<sys::KmodLoader>> kmod = sys::KmodLoader::Create(kmod_options);
  if (kmod.ok()) {
    modules = *std::move(kmod);
  } else {
    log(absl::StrCat("libkmod: ", kmod.status().message()));
    modules = std::make_unique<NoModules>();
  }
  sys::LibblkidProber prober;

  Stage1Boot::Options options;
  options.boot = boot_;
  options.start = start_;
  options.follow_udevd = SetUpUdevd(engine, spawner, log);
  options.on_emit = [this](const std::string& name) {
    if (name == "root-device-ready" || name == "root-mounted") timeline_.Mark(name);
  };
  options.mark = [this](absl::string_view name) { timeline_.Mark(name); };
  Stage1Boot* self = nullptr;
  Stage1Boot boot(kernel_, engine, clock, *modules, prober, options, log,
                  [&](const Stage1Boot::SwitchRequest& request) {
                    SwitchContext context;
                    context.engine = &engine;
                    context.ring = &ring;
                    context.spawner = &spawner;
                    context.timeline = &timeline_;
                    context.bridge = &self->bridge();
                    context.cmdline_raw = cmdline_raw_;
                    context.boot = boot_;
                    context.warnings = warnings_;
                    context.install_crash_plan = [](const sys::CrashPlan& plan) {
                      return sys::InstallCrashHandler(plan);
                    };
                    return SwitchAndExec(kernel_, context, request, log);
                  });
  self = &boot;
  absl::StatusOr<int> socket = boot.Start();
  if (socket.ok()) {
    absl::Status watched = watch(*socket, [&boot](uint32_t) { boot.OnUeventReadable(); });
    if (!watched.ok()) log(absl::StrCat("cannot watch the uevent socket: ", watched.message()));
    const int kernel_fd = boot.bridge().kernel_fd();
    if (kernel_fd != *socket) {  // following udevd: the kernel's events too
      watched = watch(kernel_fd, [&boot](uint32_t) { boot.bridge().OnKernelReadable(); });
      if (!watched.ok()) {
        log(absl::StrCat("cannot watch the kernel's uevent socket: ", watched.message()));
      }
    }
  } else {
    log(absl::StrCat("no uevent socket (devices present at coldplug only): ",
                     socket.status().message()));
  }
  orphan_hook([&boot](const sys::ChildExit& exit) { boot.OnChildExit(exit); });
  boot.Begin();
  for (;;) {
    std::optional<absl::Time> next = boot.NextDeadline();
    absl::Duration timeout = absl::InfiniteDuration();
    if (next) timeout = std::max(absl::ZeroDuration(), *next - clock.Now());
    run_once(timeout);
    boot.AfterWakeup();
  }
}

}  // namespace baton::stage1
