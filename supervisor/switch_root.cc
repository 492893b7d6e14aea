#include "supervisor/switch_root.h"

#include <fcntl.h>
#include <sys/mount.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sys/status_macros.h"
#include "sys/str_printf.h"
#include "sys/unique_fd.h"

namespace baton::supervisor {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// "/root" + "/dev" -> "/root/dev"; trailing slashes of ROOT dropped.
std::string Under(const std::string& root, const std::string& path) {
  std::string base = root;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  if (base == "/") return path;
  return base + path;
}

bool IsTemporaryFs(uint64_t magic) { return magic == kRamfsMagic || magic == kTmpfsMagic; }

// At most this many deletion errors are listed one by one; the rest are
// counted in a closing warning.
constexpr int kMaxCleanWarnings = 10;

struct Cleaner {
  sys::Kernel& kernel;
  uint64_t dev;
  SwitchReport* report;
  int errors = 0;

  void Error(const std::string& what) {
    if (++errors <= kMaxCleanWarnings) report->warnings.push_back("clean-old-root: " + what);
  }

  // Removes everything below DIR_FD (shown as PATH), staying on DEV.
  void RemoveChildren(int dir_fd, const std::string& path) {
    absl::StatusOr<std::vector<std::string>> names = kernel.ListDirFd(dir_fd);
    if (!names.ok()) {
      Error(std::string(names.status().message()));
      return;
    }
    for (const std::string& name : *names) {
      const std::string child = path == "/" ? "/" + name : path + "/" + name;
      absl::StatusOr<sys::FileInfo> info = kernel.StatAt(dir_fd, name);
      if (!info.ok()) {
        Error(std::string(info.status().message()));
        continue;
      }
      if (info->dev != dev) {
        ++report->skipped_other_device;
        report->warnings.push_back(
            absl::StrCat("clean-old-root: left ", child, " alone: another filesystem"));
        continue;
      }
      const bool is_dir = info->type == sys::FileInfo::Type::kDirectory;
      if (is_dir) {
        absl::StatusOr<sys::UniqueFd> sub =
            kernel.OpenAt(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (!sub.ok()) {
          Error(std::string(sub.status().message()));
          continue;
        }
        // A second look through the opened fd: openat may have entered a
        // mount that fstatat did not report.
        absl::StatusOr<sys::FileInfo> sub_info = kernel.StatFd(sub->get());
        if (!sub_info.ok() || sub_info->dev != dev) {
          ++report->skipped_other_device;
          report->warnings.push_back(
              absl::StrCat("clean-old-root: left ", child, " alone: another filesystem"));
          continue;
        }
        RemoveChildren(sub->get(), child);
      }
      absl::Status removed = kernel.UnlinkAt(dir_fd, name, is_dir);
      if (removed.ok()) {
        ++report->removed;
      } else {
        Error(std::string(removed.message()));
      }
    }
  }
};

class Executor {
 public:
  Executor(sys::Kernel& kernel, const SwitchPlan& plan, const std::function<absl::Time()>& now,
           SwitchReport* report)
      : kernel_(kernel), plan_(plan), now_(now), report_(report) {}

  absl::Status Run() {
    report_->warnings.insert(report_->warnings.end(), plan_.warnings.begin(), plan_.warnings.end());
    return RunSteps(plan_.steps, /*may_fall_back=*/true);
  }

 private:
  absl::Status RunSteps(const std::vector<SwitchStep>& steps, bool may_fall_back) {
    for (const SwitchStep& step : steps) {
      const absl::Time start = now_();
      absl::Status status = Apply(step);
      report_->steps.push_back({FormatStep(step), now_() - start, status});
      if (status.ok()) continue;
      if (may_fall_back && std::holds_alternative<PivotRoot>(step) &&
          absl::IsInvalidArgument(status) && !plan_.fallback.empty()) {
        report_->fell_back = true;
        report_->warnings.push_back(absl::StrCat(
            status.message(), "; falling back to MS_MOVE of the new root onto / and chroot"));
        return RunSteps(plan_.fallback, /*may_fall_back=*/false);
      }
      if (Optional(step)) {
        report_->warnings.push_back(absl::StrCat(FormatStep(step), ": ", status.message()));
        continue;
      }
      return status;
    }
    return absl::OkStatus();
  }

  static bool Optional(const SwitchStep& step) {
    return std::holds_alternative<DetachMount>(step) || std::holds_alternative<Umount>(step) ||
           std::holds_alternative<OpenOldRoot>(step) || std::holds_alternative<CleanOldRoot>(step);
  }

  absl::Status Apply(const SwitchStep& step) {
    return std::visit(
        Overloaded{
            [&](const MakePrivate& s) {
              return kernel_.Mount("", s.path, "", MS_REC | MS_PRIVATE, "");
            },
            [&](const OpenOldRoot& s) -> absl::Status {
              ASSIGN_OR_RETURN(old_root_, kernel_.Open(s.path, O_RDONLY | O_DIRECTORY));
              return absl::OkStatus();
            },
            [&](const MoveMount& s) { return kernel_.Mount(s.from, s.to, "", MS_MOVE, ""); },
            [&](const DetachMount& s) { return kernel_.Umount(s.path, MNT_DETACH); },
            [&](const Chdir& s) { return kernel_.Chdir(s.path); },
            [&](const PivotRoot& s) { return kernel_.PivotRoot(s.new_root, s.put_old); },
            [&](const Umount& s) { return kernel_.Umount(s.path, s.flags); },
            [&](const MoveMountRoot& s) { return kernel_.Mount(s.from, s.to, "", MS_MOVE, ""); },
            [&](const Chroot& s) { return kernel_.Chroot(s.path); },
            [&](const CleanOldRoot& s) -> absl::Status {
              if (!old_root_.valid()) {
                return absl::FailedPreconditionError("no fd on the old root was opened");
              }
              ASSIGN_OR_RETURN(sys::FileInfo new_root, kernel_.Stat("/"));
              if (!s.in_background) {
                CleanOldRootFd(kernel_, old_root_.get(), plan_.pid1, new_root.dev, report_);
              } else if (CheckOldRoot(kernel_, old_root_.get(), plan_.pid1, new_root.dev,
                                      report_)) {
                // The refusals above are the parent's (they reach the log);
                // the deletion is the child's, which says how it went.
                ASSIGN_OR_RETURN(report_->cleaner_pid,
                                 kernel_.RunInIdleChild([&, dev = new_root.dev]() {
                                   const size_t first = report_->warnings.size();
                                   CleanOldRootFd(kernel_, old_root_.get(), plan_.pid1, dev,
                                                  report_);
                                   std::string line = absl::StrCat(
                                       "baton: old root emptied in the background: ",
                                       report_->removed, " entries removed");
                                   if (report_->warnings.size() > first) {
                                     absl::StrAppend(&line, " (",
                                                     report_->warnings.size() - first,
                                                     " warnings; first: ",
                                                     report_->warnings[first], ")");
                                   }
                                   line += "\n";
                                   (void)kernel_.Write(2, line.data(), line.size());
                                   return 0;
                                 }));
              }
              old_root_.reset();
              return absl::OkStatus();
            },
        },
        step);
  }

  sys::Kernel& kernel_;
  const SwitchPlan& plan_;
  const std::function<absl::Time()>& now_;
  SwitchReport* report_;
  sys::UniqueFd old_root_;
};

}  // namespace

std::string FormatStep(const SwitchStep& step) {
  return std::visit(
      Overloaded{
          [](const MakePrivate& s) { return "make-private " + s.path; },
          [](const OpenOldRoot& s) { return "open-old-root " + s.path; },
          [](const MoveMount& s) { return absl::StrCat("move-mount ", s.from, " ", s.to); },
          [](const DetachMount& s) {
            return s.why.empty() ? "detach-mount " + s.path
                                 : absl::StrCat("detach-mount ", s.path, " (", s.why, ")");
          },
          [](const Chdir& s) { return "chdir " + s.path; },
          [](const PivotRoot& s) {
            return absl::StrCat("pivot-root ", s.new_root, " ", s.put_old);
          },
          [](const Umount& s) {
            std::string line = "umount " + s.path;
            int flags = s.flags;
            if (flags & MNT_DETACH) {
              line += " MNT_DETACH";
              flags &= ~MNT_DETACH;
            }
            if (flags != 0) absl::StrAppend(&line, sys::StrPrintf(" 0x%x", flags));
            return line;
          },
          [](const MoveMountRoot& s) {
            return absl::StrCat("move-mount-root ", s.from, " ", s.to);
          },
          [](const Chroot& s) { return "chroot " + s.path; },
          [](const CleanOldRoot& s) {
            return std::string(s.in_background ? "clean-old-root in-background"
                                               : "clean-old-root");
          },
      },
      step);
}

std::vector<std::string> FormatSteps(const std::vector<SwitchStep>& steps) {
  std::vector<std::string> lines;
  lines.reserve(steps.size());
  for (const SwitchStep& step : steps) lines.push_back(FormatStep(step));
  return lines;
}

absl::StatusOr<SwitchPlan> PlanSwitch(sys::Kernel& kernel, const SwitchOptions& options) {
  std::string new_root = options.new_root;
  while (new_root.size() > 1 && new_root.back() == '/') new_root.pop_back();
  if (new_root.empty() || new_root[0] != '/' || new_root == "/") {
    return absl::InvalidArgumentError(
        absl::StrCat("new root \"", options.new_root, "\" is not an absolute path below /"));
  }
  ASSIGN_OR_RETURN(std::vector<sys::MountEntry> mounts, kernel.Mounts());
  auto mounted = [&](const std::string& path) {
    return std::any_of(mounts.begin(), mounts.end(),
                       [&](const sys::MountEntry& m) { return m.target == path; });
  };
  if (!mounted(new_root)) {
    return absl::FailedPreconditionError(
        absl::StrCat("new root ", new_root, " is not a mount point"));
  }
  ASSIGN_OR_RETURN(sys::FileInfo root_info, kernel.Stat("/"));
  std::string root_fstype;
  for (const sys::MountEntry& m : mounts) {
    if (m.target == "/") root_fstype = m.fstype;  // the topmost one wins
  }
  const bool initial_rootfs = IsTemporaryFs(root_info.fs_magic) || root_fstype == "rootfs";

  SwitchPlan plan;
  plan.pivot = !initial_rootfs;
  plan.pid1 = options.pid1;
  plan.steps.push_back(MakePrivate{"/"});
  if (options.pid1) {
    plan.steps.push_back(OpenOldRoot{"/"});
  } else {
    plan.notes.push_back("not PID 1: the old root will not be emptied");
  }
  for (const std::string& path : options.api_mounts) {
    if (!mounted(path)) {
      plan.notes.push_back(absl::StrCat(path, " not mounted; skipped"));
      continue;
    }
    const std::string target = Under(new_root, path);
    if (mounted(target)) {
      std::string why = absl::StrCat(target, " already mounted on the new root");
      plan.notes.push_back(absl::StrCat(path, ": ", why, "; detaching ours"));
      plan.steps.push_back(DetachMount{path, std::move(why)});
      continue;
    }
    absl::StatusOr<sys::FileInfo> info = kernel.Stat(target);
    if (!info.ok() || info->type != sys::FileInfo::Type::kDirectory) {
      std::string why =
          absl::StrCat(target, info.ok() ? " not a directory" : " missing", " on the new root");
      plan.warnings.push_back(absl::StrCat(path, ": ", why, "; detaching it"));
      plan.steps.push_back(DetachMount{path, std::move(why)});
      continue;
    }
    plan.steps.push_back(MoveMount{path, target});
  }
  plan.steps.push_back(Chdir{new_root});

  std::vector<SwitchStep> move_and_chroot = {MoveMountRoot{".", "/"}, Chroot{"."}, Chdir{"/"}};
  if (options.pid1) move_and_chroot.push_back(CleanOldRoot{options.clean_in_background});
  if (plan.pivot) {
    plan.steps.push_back(PivotRoot{".", "."});
    plan.steps.push_back(Umount{".", MNT_DETACH});
    plan.steps.push_back(Chdir{"/"});
    plan.fallback = std::move(move_and_chroot);
  } else {
    plan.steps.insert(plan.steps.end(), move_and_chroot.begin(), move_and_chroot.end());
  }
  return plan;
}

absl::Status ExecuteSwitch(sys::Kernel& kernel, const SwitchPlan& plan,
                           const std::function<absl::Time()>& now, SwitchReport* report) {
  Executor executor(kernel, plan, now, report);
  return executor.Run();
}

bool CheckOldRoot(sys::Kernel& kernel, int old_root_fd, bool pid1, uint64_t new_root_dev,
                  SwitchReport* report, uint64_t* old_root_dev) {
  if (!pid1) {
    report->warnings.push_back("clean-old-root: not PID 1; old root left alone");
    return false;
  }
  absl::StatusOr<sys::FileInfo> info = kernel.StatFd(old_root_fd);
  if (!info.ok()) {
    report->warnings.push_back(
        absl::StrCat("clean-old-root: ", info.status().message(), "; old root left alone"));
    return false;
  }
  if (!IsTemporaryFs(info->fs_magic)) {
    report->warnings.push_back(absl::StrCat(
        "clean-old-root: old root is not tmpfs/ramfs (f_type 0x", absl::Hex(info->fs_magic),
        "); left alone"));
    return false;
  }
  if (info->dev == new_root_dev) {
    report->warnings.push_back(
        "clean-old-root: old root is on the device of "
        "the new root; left alone");
    return false;
  }
  if (old_root_dev != nullptr) *old_root_dev = info->dev;
  return true;
}

void CleanOldRootFd(sys::Kernel& kernel, int old_root_fd, bool pid1, uint64_t new_root_dev,
                    SwitchReport* report) {
  uint64_t dev = 0;
  if (!CheckOldRoot(kernel, old_root_fd, pid1, new_root_dev, report, &dev)) return;
  Cleaner cleaner{kernel, dev, report};
  cleaner.RemoveChildren(old_root_fd, "/");
  if (cleaner.errors > kMaxCleanWarnings) {
    report->warnings.push_back(absl::StrCat("clean-old-root: ", cleaner.errors - kMaxCleanWarnings,
                                            " more errors not listed"));
  }
}

}  // namespace baton::supervisor
