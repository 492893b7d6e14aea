// Running the storage tools (cryptsetup, mdadm, lvm) from the one-shot
// `baton` subcommands that stage-1 job files call, and reporting what they do.
//
// A ToolContext bundles the Kernel with where output goes:
//   - the tools inherit STDOUT_FD/STDERR_FD (the job's log pipe, or the
//     console for `console output` jobs), so their messages land in the
//     job's log;
//   - baton's own lines ("baton: luks-unlock: …") are written to LOG_FD.
// These commands are ordinary children of PID 1, not PID 1: RunTool blocks
// in Kernel::Wait on the one child it started (no polling).
//
// Tools are found on ToolContext::path (first regular file or symlink wins;
// the stage-1 image has /sbin/cryptsetup, /sbin/mdadm, /sbin/lvm) and run
// with ToolContext::env as their whole environment. Secrets never travel in
// argv or env: a passphrase goes through the pipe given as STDIN_FD.
#ifndef BATON_SUPERVISOR_STAGE1_RUN_TOOL_H_
#define BATON_SUPERVISOR_STAGE1_RUN_TOOL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "supervisor/stage1/cmdline.h"
#include "sys/kernel.h"

namespace baton::stage1 {

struct ToolContext {
  explicit ToolContext(sys::Kernel& k) : kernel(k) {}

  sys::Kernel& kernel;
  std::string command = "baton";  // prefix of log lines: "baton: md-add: …"
  int log_fd = 2;
  int stdout_fd = 1;  // inherited by the tools
  int stderr_fd = 2;
  std::vector<std::string> path = {"/usr/sbin", "/usr/bin", "/sbin", "/bin"};
  std::vector<std::string> env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  // The console device for warnings users must see (md-run-degraded) and for
  // passphrase prompts, and the lock that serialises prompts.
  std::string console = "/dev/console";
  std::string console_fallback = "/dev/tty";
  std::string console_lock = "/run/baton/console.lock";

  // Writes "COMMAND: MESSAGE\n" to log_fd; a failed write is ignored.
  void Log(absl::string_view message) const;
};

// The full path of TOOL ("cryptsetup") on CTX.path, or NotFound naming the
// tool and the path searched. A TOOL holding '/' is returned as it is.
absl::StatusOr<std::string> FindTool(const ToolContext& ctx, absl::string_view tool);

// Runs ARGV (ARGV[0] looked up with FindTool) with stdin from STDIN_FD (-1:
// /dev/null) and waits for it. An error only when it could not be started or
// waited for; its exit status is in the result.
absl::StatusOr<sys::ChildExit> RunTool(const ToolContext& ctx, std::vector<std::string> argv,
                                       int stdin_fd = -1);

// RunTool, with the tool's standard output captured (into a memfd, so a
// tool that writes much never blocks on a pipe nobody reads; at most
// kMaxToolOutput bytes are kept) instead of inherited. Its stderr still goes
// to CTX.stderr_fd. For tools whose output is data (mdadm --examine --export).
inline constexpr size_t kMaxToolOutput = 64 * 1024;
struct ToolOutput {
  sys::ChildExit exit;
  std::string stdout_text;
};
absl::StatusOr<ToolOutput> RunToolOutput(const ToolContext& ctx, std::vector<std::string> argv);

// Where the subcommands read their inputs (tests point them into a fake tree).
struct Stage1Files {
  std::string cmdline = "/proc/cmdline";
  std::string crypttab = "/etc/crypttab";
  std::string mapper_dir = "/dev/mapper";
  // mdadm.conf: the first one that exists.
  std::string mdadm_conf = "/etc/mdadm/mdadm.conf";
  std::string mdadm_conf_alt = "/etc/mdadm.conf";
  std::string sys_block = "/sys/block";
};

// The text of the config file PATH; a missing file reads as empty (*EXISTS
// false), another read error is logged and reads as empty too.
std::string ReadConfig(const ToolContext& ctx, const std::string& path, bool* exists = nullptr);

// ParseCmdline of FILES.cmdline (unreadable: logged, empty options); its
// warnings are logged.
BootOptions ReadBootOptions(const ToolContext& ctx, const Stage1Files& files);

// "exit status 2" / "killed by signal 9" for messages.
std::string DescribeExit(const sys::ChildExit& exit);

// ARGV joined by spaces, for log lines (never used with secrets: none are in argv).
std::string JoinArgv(const std::vector<std::string>& argv);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_RUN_TOOL_H_
