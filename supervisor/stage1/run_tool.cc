#include "supervisor/stage1/run_tool.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "sys/status_macros.h"

namespace baton::stage1 {

void ToolContext::Log(absl::string_view message) const {
  std::string line = absl::StrCat(command, ": ", message, "\n");
  size_t done = 0;
  while (done < line.size()) {
    absl::StatusOr<size_t> n = kernel.Write(log_fd, line.data() + done, line.size() - done);
    if (!n.ok() || *n == 0) return;
    done += *n;
  }
}

absl::StatusOr<std::string> FindTool(const ToolContext& ctx, absl::string_view tool) {
  if (absl::StrContains(tool, '/')) return std::string(tool);
  for (const std::string& dir : ctx.path) {
    std::string candidate = absl::StrCat(dir, "/", tool);
    absl::StatusOr<sys::FileInfo> info = ctx.kernel.Stat(candidate);
    if (!info.ok()) continue;
    if (info->type == sys::FileInfo::Type::kRegular ||
        info->type == sys::FileInfo::Type::kSymlink) {
      return candidate;
    }
  }
  return absl::NotFoundError(
      absl::StrCat(tool, " not found in ", absl::StrJoin(ctx.path, ":")));
}

absl::StatusOr<sys::ChildExit> RunTool(const ToolContext& ctx, std::vector<std::string> argv,
                                       int stdin_fd) {
  if (argv.empty()) return absl::InvalidArgumentError("RunTool: empty argv");
  ASSIGN_OR_RETURN(argv[0], FindTool(ctx, argv[0]));
  sys::SpawnRequest request;
  request.argv = std::move(argv);
  request.env = ctx.env;
  request.stdin_fd = stdin_fd;
  request.stdout_fd = ctx.stdout_fd;
  request.stderr_fd = ctx.stderr_fd;
  // Stay in the job's process group: the supervisor stops a job by
  // signalling its group, and the tool must go with it.
  request.new_session = false;
  ASSIGN_OR_RETURN(pid_t pid, ctx.kernel.Spawn(request));
  return ctx.kernel.Wait(pid);
}

absl::StatusOr<ToolOutput> RunToolOutput(const ToolContext& ctx, std::vector<std::string> argv) {
  ASSIGN_OR_RETURN(sys::UniqueFd sink, ctx.kernel.MemfdCreate("baton-tool-output"));
  ToolContext capture = ctx;
  capture.stdout_fd = sink.get();
  ToolOutput out;
  ASSIGN_OR_RETURN(out.exit, RunTool(capture, std::move(argv)));
  char buf[4096];
  while (out.stdout_text.size() < kMaxToolOutput) {
    ASSIGN_OR_RETURN(size_t n, ctx.kernel.PRead(sink.get(), buf, sizeof(buf),
                                                out.stdout_text.size()));
    if (n == 0) break;
    out.stdout_text.append(buf, n);
  }
  if (out.stdout_text.size() > kMaxToolOutput) out.stdout_text.resize(kMaxToolOutput);
  return out;
}

std::string ReadConfig(const ToolContext& ctx, const std::string& path, bool* exists) {
  if (exists != nullptr) *exists = false;
  absl::StatusOr<std::string> text = ctx.kernel.ReadFile(path);
  if (text.ok()) {
    if (exists != nullptr) *exists = true;
    return *std::move(text);
  }
  if (!absl::IsNotFound(text.status())) {
    ctx.Log(absl::StrCat("ignoring ", path, ": ", text.status().message()));
  }
  return "";
}

BootOptions ReadBootOptions(const ToolContext& ctx, const Stage1Files& files) {
  absl::StatusOr<std::string> text = ctx.kernel.ReadFile(files.cmdline);
  if (!text.ok()) {
    ctx.Log(absl::StrCat("no kernel command line (", text.status().message(),
                         "); using the defaults"));
    return ParseCmdline("");
  }
  BootOptions options = ParseCmdline(*text);
  for (const std::string& warning : options.warnings) ctx.Log(warning);
  return options;
}

std::string DescribeExit(const sys::ChildExit& exit) {
  if (exit.signal != 0) return absl::StrCat("killed by signal ", exit.signal);
  return absl::StrCat("exit status ", exit.exit_status);
}

std::string JoinArgv(const std::vector<std::string>& argv) { return absl::StrJoin(argv, " "); }

}  // namespace baton::stage1
