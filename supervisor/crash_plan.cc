#include "supervisor/crash_plan.h"

#include <fcntl.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "supervisor/exec_ladder.h"
#include "supervisor/stage1/cmdline.h"
#include "supervisor/stage1/rescue.h"

namespace baton::supervisor {

namespace {
constexpr char kShell[] = "/bin/sh";
constexpr char kSbinInit[] = "/sbin/init";
}  // namespace

sys::CrashPlan PlanCrash(const CrashPlanInput& input) {
  sys::CrashPlan plan;
  plan.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/",
              "TERM=linux", "PS1=(baton crashed) # "};
  auto id = [&input](const std::string& path) -> std::optional<FileId> {
    return input.identify ? input.identify(path) : std::nullopt;
  };
  if (input.stage == CrashStage::kRealRoot && input.self) {
    std::vector<FileId> planned;
    for (const std::string& init : {input.init, std::string(kSbinInit)}) {
      if (init.empty() || init[0] != '/') continue;
      std::optional<FileId> file = id(init);
      if (!file || *file == *input.self) continue;
      bool again = false;
      for (const FileId& p : planned) again = again || p == *file;
      if (again) continue;
      planned.push_back(*file);
      sys::CrashExec exec{init, {init}};
      for (const std::string& arg : input.init_args) exec.argv.push_back(arg);
      plan.execs.push_back(std::move(exec));
    }
  }
  if (input.panic.has_value() && *input.panic != 0) {
    plan.reboot_after_s = *input.panic < 0 ? 0 : *input.panic;
  } else if (id(kShell)) {
    sys::CrashExec shell{kShell, {kShell, "-i"}};
    if (!input.console_tty.empty()) {
      shell.argv = {kShell, "-c",
                    absl::StrCat("exec /bin/sh -i <>", input.console_tty, " >&0 2>&0")};
    }
    plan.execs.push_back(std::move(shell));
  }
  return plan;
}

namespace {
// The regular file at PATH (O_PATH, so symlinks are followed), or nullopt.
std::optional<FileId> Identify(sys::Kernel& kernel, const std::string& path) {
  absl::StatusOr<sys::UniqueFd> fd = kernel.Open(path, O_PATH | O_CLOEXEC);
  if (!fd.ok()) return std::nullopt;
  absl::StatusOr<sys::FileInfo> info = kernel.StatFd(fd->get());
  if (!info.ok() || info->type != sys::FileInfo::Type::kRegular) return std::nullopt;
  return FileId{info->dev, info->ino};
}
}  // namespace

CrashPlanInput GatherCrashInput(sys::Kernel& kernel, CrashStage stage, bool with_console) {
  CrashPlanInput input;
  input.stage = stage;
  absl::StatusOr<std::string> cmdline = kernel.ReadFile("/proc/cmdline");
  stage1::BootOptions boot = stage1::ParseCmdline(cmdline.ok() ? *cmdline : "");
  input.init = boot.init;
  input.init_args = boot.init_args;
  input.panic = boot.panic;
  input.identify = [&kernel](const std::string& path) { return Identify(kernel, path); };
  input.self = input.identify("/proc/self/exe");
  if (with_console) input.console_tty = stage1::ActiveConsoleTty(kernel);
  return input;
}

CrashPlanInput GatherCrashInputOnRoot(sys::Kernel& kernel, const std::string& new_root) {
  CrashPlanInput input = GatherCrashInput(kernel, CrashStage::kRealRoot);
  std::string base = new_root;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  if (base == "/") base.clear();
  input.identify = [&kernel, base](const std::string& path) -> std::optional<FileId> {
    absl::StatusOr<std::string> resolved = ResolveOnRoot(kernel, base.empty() ? "/" : base, path);
    if (!resolved.ok()) return std::nullopt;
    return Identify(kernel, base + *resolved);
  };
  return input;
}

std::string DescribeCrashPlan(CrashStage stage, const sys::CrashPlan& plan) {
  return absl::StrCat("crash handler (", stage == CrashStage::kInitramfs ? "initramfs" : "real root",
                      "): PID 1 crash -> ", plan.Describe());
}

absl::Status InstallCrashPlan(sys::Kernel& kernel, CrashStage stage,
                              const std::function<void(absl::string_view)>& log) {
  return InstallCrashPlan(GatherCrashInput(kernel, stage), log);
}

absl::Status InstallCrashPlan(const CrashPlanInput& input,
                              const std::function<void(absl::string_view)>& log) {
  const CrashStage stage = input.stage;
  sys::CrashPlan plan = PlanCrash(input);
  absl::Status installed = sys::InstallCrashHandler(plan);
  if (!installed.ok()) {
    log(absl::StrCat("crash handler not installed: ", installed.message()));
    return installed;
  }
  log(DescribeCrashPlan(stage, plan));
  return installed;
}

}  // namespace baton::supervisor
