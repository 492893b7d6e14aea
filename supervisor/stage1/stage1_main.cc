#include "supervisor/stage1/stage1_main.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "supervisor/exec_ladder.h"
#include "supervisor/switch_root.h"
#include "sys/kmod_loader.h"
#include "sys/libblkid_prober.h"

namespace baton::stage1 {

namespace {

constexpr char kPath[] = "/usr/sbin:/usr/bin:/sbin:/bin";

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

absl::Status SwitchAndExec(sys::Kernel& kernel, supervisor::UeventBridge& bridge,
                           const BootOptions& boot, const Stage1Boot::SwitchRequest& request,
                           const std::function<void(absl::string_view)>& log) {
  bridge.Pause();
  supervisor::LadderOptions ladder;
  ladder.init = boot.init;
  ladder.init_args = boot.init_args;
  ladder.stateless_reason = "stage 1 carries no handoff yet";
  ladder.env = {absl::StrCat("PATH=", kPath), "TERM=linux", "HOME=/"};
  supervisor::ResolveInits(kernel, request.new_root, &ladder);

  supervisor::SwitchOptions options;
  options.new_root = request.new_root;
  options.pid1 = kernel.GetPid() == 1;
  absl::StatusOr<supervisor::SwitchPlan> plan = supervisor::PlanSwitch(kernel, options);
  if (!plan.ok()) return plan.status();
  supervisor::SwitchReport report;
  absl::Status switched =
      supervisor::ExecuteSwitch(kernel, *plan, [] { return absl::Now(); }, &report);
  for (const std::string& warning : report.warnings) log(warning);
  if (!switched.ok()) return switched;
  return supervisor::RunLadder(kernel, supervisor::BuildLadder(ladder), log);
}

}  // namespace

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
  warnings_ = EarlyMounts(kernel_);
  ConsoleStdio(kernel_);
  absl::StatusOr<std::string> cmdline = kernel_.ReadFile("/proc/cmdline");
  if (!cmdline.ok()) {
    warnings_.push_back(absl::StrCat("no kernel command line: ", cmdline.status().message()));
  }
  boot_ = ParseCmdline(cmdline.ok() ? *cmdline : "");
}

supervisor::Env Stage1Host::JobEnv() const {
  supervisor::Env env = {{"PATH", kPath}, {"TERM", "linux"}, {"HOME", "/"}};
  for (auto& kv : boot_.ToEnv()) env.push_back(std::move(kv));
  return env;
}

bool Stage1Host::WantsJob(const jobs::JobConfig& job) {
  return job.RunsIn(jobs::Stage::kInitramfs);
}

void Stage1Host::Run(supervisor::Engine& engine, supervisor::Clock& clock, LogFn log,
                     WatchFn watch, RunOnceFn run_once, OrphanHookFn orphan_hook) {
  for (const std::string& warning : warnings_) log(warning);
  absl::StatusOr<std::string> release = kernel_.ReadFile("/proc/sys/kernel/osrelease");
  sys::KmodLoader::Options kmod_options;
  if (release.ok()) {
    kmod_options.modules_dir =
        absl::StrCat("/lib/modules/", absl::StripAsciiWhitespace(*release));
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
  Stage1Boot* self = nullptr;
  Stage1Boot boot(kernel_, engine, clock, *modules, prober, options, log,
                  [&](const Stage1Boot::SwitchRequest& request) {
                    return SwitchAndExec(kernel_, self->bridge(), boot_, request, log);
                  });
  self = &boot;
  absl::StatusOr<int> socket = boot.Start();
  if (socket.ok()) {
    absl::Status watched = watch(*socket, [&boot](uint32_t) { boot.OnUeventReadable(); });
    if (!watched.ok()) log(absl::StrCat("cannot watch the uevent socket: ", watched.message()));
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
