#include "supervisor/stage1/rescue.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace baton::stage1 {

namespace {
constexpr char kPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}  // namespace

FatalAction DecideFatal(const BootOptions& options) {
  FatalAction action;
  if (options.panic.has_value() && *options.panic != 0) {
    action.kind = FatalAction::Kind::kReboot;
    action.reboot_after = *options.panic < 0 ? absl::ZeroDuration() : absl::Seconds(*options.panic);
    return action;
  }
  action.kind = options.shell ? FatalAction::Kind::kShell : FatalAction::Kind::kWait;
  return action;
}

std::vector<std::string> ActiveConsoleNames(sys::Kernel& kernel) {
  absl::StatusOr<std::string> active = kernel.ReadFile("/sys/class/tty/console/active");
  if (!active.ok()) return {};
  return absl::StrSplit(absl::StripAsciiWhitespace(*active), absl::ByAnyChar(" \t\n"),
                        absl::SkipEmpty());
}

std::string ActiveConsoleTty(sys::Kernel& kernel) {
  std::vector<std::string> words = ActiveConsoleNames(kernel);
  if (words.empty() || words.back().find('/') != std::string::npos) return "";
  std::string tty = absl::StrCat("/dev/", words.back());
  absl::StatusOr<sys::FileInfo> info = kernel.Stat(tty);
  return info.ok() && info->type == sys::FileInfo::Type::kCharDevice ? tty : "";
}

sys::SpawnRequest RescueShellRequest(sys::Kernel& kernel, int console_fd,
                                     const std::string& reason) {
  sys::SpawnRequest request;
  request.argv = {"/bin/sh", "-i"};
  const std::string tty = ActiveConsoleTty(kernel);
  if (!tty.empty()) {
    request.argv = {"/bin/sh", "-c", absl::StrCat("exec /bin/sh -i <>", tty, " >&0 2>&0")};
  }
  request.env = {
      absl::StrCat("PATH=", kPath),
      "HOME=/",
      "TERM=linux",
      "PS1=(baton rescue) # ",
      absl::StrCat("BATON_RESCUE_REASON=", reason),
  };
  request.stdin_fd = console_fd;
  request.stdout_fd = console_fd;
  request.stderr_fd = console_fd;
  request.new_session = true;
  return request;
}

std::optional<std::vector<std::string>> FsckCommand(sys::Kernel& kernel,
                                                    const std::string& fs_type,
                                                    const std::string& devname,
                                                    const BootOptions& options) {
  std::vector<std::string> names = {absl::StrCat("fsck.", fs_type)};
  if (fs_type == "ext2" || fs_type == "ext3" || fs_type == "ext4") names.push_back("e2fsck");
  std::string program;
  for (const std::string& name : names) {
    for (const char* dir : {"/sbin/", "/usr/sbin/", "/bin/", "/usr/bin/"}) {
      std::string path = absl::StrCat(dir, name);
      absl::StatusOr<sys::FileInfo> info = kernel.Stat(path);
      if (info.ok() && info->type != sys::FileInfo::Type::kDirectory) {
        program = path;
        break;
      }
    }
    if (!program.empty()) break;
  }
  if (program.empty()) return std::nullopt;
  std::vector<std::string> argv = {program};
  switch (options.fsck_repair) {
    case FsckRepair::kPreen:
      argv.push_back("-a");
      break;
    case FsckRepair::kYes:
      argv.push_back("-y");
      break;
    case FsckRepair::kNo:
      argv.push_back("-n");
      break;
  }
  if (options.fsck_mode == FsckMode::kForce) argv.push_back("-f");
  argv.push_back(devname);
  return argv;
}

FsckVerdict JudgeFsck(const sys::ChildExit& exit) {
  if (exit.signal != 0) {
    return {false, absl::StrCat("fsck was killed by signal ", exit.signal)};
  }
  int status = exit.exit_status;
  if (status == 0) return {true, ""};
  if (status == 1) return {true, "fsck corrected errors"};
  if (status == 32) return {true, "fsck was cancelled; going on"};
  if ((status & (4 | 8 | 16 | 128)) != 0) {
    return {false, absl::StrCat("fsck failed (exit status ", status,
                                status & 4 ? ": errors left uncorrected" : "", ")")};
  }
  return {true, absl::StrCat("fsck exit status ", status, " (reboot advised); going on")};
}

}  // namespace baton::stage1
