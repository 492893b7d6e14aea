#include "supervisor/exec_ladder.h"

#include <algorithm>
#include <cerrno>
#include <deque>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sys/status_macros.h"

namespace baton::supervisor {
namespace {

constexpr int kMaxLinks = 40;  // the kernel's MAXSYMLINKS
// Where stage 2 (baton_main's default --jobs) reads its job files.
constexpr char kJobsDirOnRoot[] = "/etc/baton/jobs";

absl::string_view Basename(absl::string_view path) {
  size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

// "/root" + "/sbin/init"; ROOT "/" gives PATH itself.
std::string OnRoot(const std::string& root, const std::string& path) {
  std::string base = root;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return base == "/" ? path : base + path;
}

// The part of a Status message after its last ": " ("No such file or
// directory (errno 2)" from "execve /x: No such file or directory (errno 2)").
std::string Reason(const absl::Status& status) {
  absl::string_view message = status.message();
  size_t colon = message.rfind(": ");
  return std::string(colon == absl::string_view::npos ? message : message.substr(colon + 2));
}

std::vector<std::string> InitArgv(const std::string& path, const std::string& resolved,
                                  const LadderOptions& options) {
  std::vector<std::string> argv = {path};
  if (IsSystemd(resolved)) {
    argv.push_back("--switched-root");
    argv.push_back("--system");
    if (options.systemd_deserialize_fd >= 0) {
      argv.push_back(absl::StrCat("--deserialize=", options.systemd_deserialize_fd));
    }
  }
  argv.insert(argv.end(), options.init_args.begin(), options.init_args.end());
  return argv;
}

}  // namespace

absl::StatusOr<std::string> ResolveOnRoot(sys::Kernel& kernel, const std::string& root,
                                          const std::string& path) {
  std::deque<std::string> todo;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    todo.emplace_back(part);
  }
  std::string done;  // resolved so far, relative to ROOT, "" meaning "/"
  int links = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      done = done.substr(0, done.rfind('/') == std::string::npos ? 0 : done.rfind('/'));
      continue;
    }
    std::string candidate = done + "/" + part;
    absl::StatusOr<sys::FileInfo> info = kernel.Stat(OnRoot(root, candidate));
    if (!info.ok()) {
      // Missing: the rest stays as written.
      done = std::move(candidate);
      for (const std::string& rest : todo) absl::StrAppend(&done, "/", rest);
      break;
    }
    if (info->type != sys::FileInfo::Type::kSymlink) {
      done = std::move(candidate);
      continue;
    }
    if (++links > kMaxLinks) {
      return ErrnoStatus(ELOOP, absl::StrCat("resolve ", path, " on ", root));
    }
    ASSIGN_OR_RETURN(std::string target, kernel.ReadLink(OnRoot(root, candidate)));
    if (!target.empty() && target[0] == '/') done.clear();
    std::vector<std::string> parts = absl::StrSplit(target, '/', absl::SkipEmpty());
    todo.insert(todo.begin(), parts.begin(), parts.end());
  }
  return done.empty() ? std::string("/") : done;
}

void ResolveInits(sys::Kernel& kernel, const std::string& root, LadderOptions* options) {
  absl::StatusOr<std::string> init = ResolveOnRoot(kernel, root, options->init);
  options->init_resolved = init.ok() ? *init : options->init;
  absl::StatusOr<std::string> sbin_init = ResolveOnRoot(kernel, root, "/sbin/init");
  options->sbin_init_resolved = sbin_init.ok() ? *sbin_init : "/sbin/init";
}

std::vector<std::string> ReadaheadForExec(sys::Kernel& kernel, const std::string& root,
                                          const std::string& init_resolved) {
  std::vector<std::string> asked;
  std::string base = root;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto ahead = [&](const std::string& path) {
    const std::string full = base + path;
    if (std::find(asked.begin(), asked.end(), full) != asked.end()) return;
    if (kernel.Readahead(full).ok()) asked.push_back(full);
  };
  ahead(init_resolved);
  if (!IsBaton(init_resolved)) return asked;
  absl::StatusOr<std::string> maps = kernel.ReadFile("/proc/self/maps");
  if (maps.ok()) {
    for (absl::string_view line : absl::StrSplit(*maps, '\n')) {
      // "ADDR PERMS OFFSET DEV INODE PATH": shared objects only, not our own
      // binary (stage 1's /init) nor [vdso] and the like.
      size_t slash = line.find('/');
      if (slash == absl::string_view::npos) continue;
      absl::string_view path = line.substr(slash);
      if (!absl::StrContains(path, ".so")) continue;
      ahead(std::string(path));
    }
  }
  // Stage 2 reads its job files before anything else: their directory is
  // looked up now (the lookup itself reads the cold metadata, which stage 2
  // then finds cached) and their contents are read in the background.
  absl::StatusOr<std::string> jobs = ResolveOnRoot(kernel, root, kJobsDirOnRoot);
  if (!jobs.ok()) return asked;
  absl::StatusOr<std::vector<std::string>> names = kernel.ListDir(base + *jobs);
  if (!names.ok()) return asked;
  for (const std::string& name : *names) {
    if (absl::EndsWith(name, ".conf")) ahead(absl::StrCat(*jobs, "/", name));
  }
  return asked;
}

bool IsBaton(absl::string_view resolved_path) { return Basename(resolved_path) == "baton"; }
bool IsSystemd(absl::string_view resolved_path) { return Basename(resolved_path) == "systemd"; }

std::vector<ExecCandidate> BuildLadder(const LadderOptions& options) {
  std::vector<ExecCandidate> ladder;
  std::set<std::string> seen;  // paths and resolved paths already on the ladder
  auto add = [&](const std::string& path, const std::string& resolved,
                 std::vector<std::string> argv, std::string description) {
    if (seen.count(path) != 0 || seen.count(resolved) != 0) return;
    seen.insert(path);
    seen.insert(resolved);
    ladder.push_back({path, std::move(argv), options.env, std::move(description)});
  };
  const std::string init_resolved =
      options.init_resolved.empty() ? options.init : options.init_resolved;
  const std::string sbin_init_resolved =
      options.sbin_init_resolved.empty() ? "/sbin/init" : options.sbin_init_resolved;
  const bool foreign = !IsBaton(init_resolved);

  if (!foreign) {
    if (options.handoff_fd >= 0) {
      std::vector<std::string> argv = {options.self_path,
                                       absl::StrCat("--handoff-fd=", options.handoff_fd)};
      if (!options.handoff_fds.empty()) {
        argv.push_back(absl::StrCat("--handoff-fds=", absl::StrJoin(options.handoff_fds, ",")));
      }
      ladder.push_back({options.self_path, std::move(argv), options.env, "baton with handoff"});
    }
    ladder.push_back(
        {options.self_path,
         {options.self_path, absl::StrCat("--stateless-reason=", options.stateless_reason)},
         options.env,
         "baton without state"});
    seen.insert(options.self_path);
  }
  add(options.init, init_resolved, InitArgv(options.init, init_resolved, options),
      foreign ? absl::StrCat("init=", options.init, " (", init_resolved, ", not baton)")
              : absl::StrCat("init=", options.init));
  add("/sbin/init", sbin_init_resolved, InitArgv("/sbin/init", sbin_init_resolved, options),
      "/sbin/init");
  add("/bin/sh", "/bin/sh", {"/bin/sh"}, "shell");
  return ladder;
}

absl::Status RunLadder(sys::Kernel& kernel, const std::vector<ExecCandidate>& ladder,
                       const std::function<void(absl::string_view)>& log) {
  if (ladder.empty()) return absl::FailedPreconditionError("nothing to exec");
  std::vector<std::string> attempts;
  for (size_t i = 0; i < ladder.size(); ++i) {
    const ExecCandidate& rung = ladder[i];
    absl::Status status = kernel.Execve(rung.path, rung.argv, rung.env);
    if (status.ok()) return status;  // only a fake returns
    const std::string reason = Reason(status);
    attempts.push_back(absl::StrCat("exec ", rung.path, ": ", reason));
    if (i + 1 < ladder.size()) {
      log(absl::StrCat("exec ", rung.path, " failed: ", reason, "; trying ", ladder[i + 1].path,
                       " (", ladder[i + 1].description, ")"));
    } else {
      log(absl::StrCat("exec ", rung.path, " failed: ", reason, "; nothing left to try"));
    }
  }
  return absl::InternalError(absl::StrCat("every exec failed: ", absl::StrJoin(attempts, "; ")));
}

std::string SystemdDeserialization(absl::Time initrd_realtime, absl::Duration initrd_monotonic) {
  return absl::StrFormat("initrd-timestamp=%d %d\n\n", absl::ToUnixMicros(initrd_realtime),
                         absl::ToInt64Microseconds(initrd_monotonic));
}

absl::StatusOr<sys::UniqueFd> MakeSystemdDeserializeFd(sys::Kernel& kernel,
                                                       absl::string_view text) {
  ASSIGN_OR_RETURN(auto ends, kernel.Pipe());
  size_t written = 0;
  while (written < text.size()) {
    ASSIGN_OR_RETURN(size_t n,
                     kernel.Write(ends.second.get(), text.data() + written, text.size() - written));
    if (n == 0) return ErrnoStatus(EIO, "write systemd deserialization");
    written += n;
  }
  RETURN_IF_ERROR(kernel.SetCloexec(ends.first.get(), false));
  return std::move(ends.first);  // the write end closes here
}

}  // namespace baton::supervisor
