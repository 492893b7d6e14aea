#include "supervisor/spawner.h"


#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sys/seccomp.h"
#include "sys/status_macros.h"

namespace baton::supervisor {

namespace {

constexpr char kShell[] = "/bin/sh";
constexpr size_t kPipeReadChunk = 16 * 1024;

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

bool NeedsShell(absl::string_view line) {
  for (char c : line) {
    switch (c) {
      case '|': case '&': case ';': case '<': case '>': case '(': case ')':
      case '$': case '`': case '\\': case '*': case '?': case '[': case ']':
      case '{': case '}': case '~': case '!': case '#': case '\n':
        return true;
      default:
        break;
    }
  }
  // `FOO=bar cmd`: an assignment only the shell understands.
  size_t start = 0;
  while (start < line.size() && IsBlank(line[start])) ++start;
  size_t end = start;
  while (end < line.size() && !IsBlank(line[end])) ++end;
  absl::string_view first = line.substr(start, end - start);
  size_t eq = first.find('=');
  return eq != absl::string_view::npos && eq > 0 && first[0] != '-' && first[0] != '/';
}

absl::StatusOr<std::vector<std::string>> SplitWords(absl::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (IsBlank(c) || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      size_t close = line.find('\'', i + 1);
      if (close == absl::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat("unterminated ' in: ", line));
      }
      word.append(line.substr(i + 1, close - i - 1).data(), close - i - 1);
      i = close;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size() && (line[j + 1] == '"' || line[j + 1] == '\\')) {
          ++j;
        }
        word.push_back(line[j]);
      }
      if (j >= line.size()) {
        return absl::InvalidArgumentError(absl::StrCat("unterminated \" in: ", line));
      }
      i = j;
    } else {
      word.push_back(c);
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) return absl::InvalidArgumentError("empty command");
  return words;
}

absl::StatusOr<std::vector<std::string>> BuildArgv(const jobs::Command& command) {
  switch (command.kind) {
    case jobs::Command::Kind::kNone:
      return absl::InvalidArgumentError("no command");
    case jobs::Command::Kind::kScript:
      return std::vector<std::string>{kShell, "-e", "-c", command.text};
    case jobs::Command::Kind::kExec:
      if (NeedsShell(command.text)) {
        return std::vector<std::string>{kShell, "-c", command.text};
      }
      return SplitWords(command.text);
  }
  return absl::InvalidArgumentError("no command");
}

std::vector<std::string> BuildEnv(const Env& base, const Env& overrides) {
  Env merged;
  auto set = [&merged](const std::string& key, const std::string& value) {
    for (auto& [k, v] : merged) {
      if (k == key) {
        v = value;
        return;
      }
    }
    merged.emplace_back(key, value);
  };
  for (const auto& [k, v] : base) set(k, v);
  for (const auto& [k, v] : overrides) set(k, v);
  std::vector<std::string> out;
  bool has_path = false;
  for (const auto& [k, v] : merged) {
    has_path = has_path || k == "PATH";
    out.push_back(absl::StrCat(k, "=", v));
  }
  if (!has_path) out.push_back(absl::StrCat("PATH=", kDefaultPath));
  return out;
}

Spawner::Spawner(sys::Kernel& kernel, LogRing& ring, FdWatcher* watcher, Options options)
    : kernel_(kernel), ring_(ring), watcher_(watcher), options_(std::move(options)) {}

Spawner::~Spawner() {
  if (watcher_ == nullptr) return;
  for (const auto& [fd, pipe] : pipes_) watcher_->Unwatch(fd);
}

std::string Spawner::ResolveProgram(const std::string& program,
                                    const std::vector<std::string>& env) {
  if (program.find('/') != std::string::npos) return program;
  std::string path = kDefaultPath;
  for (const std::string& kv : env) {
    if (absl::StartsWith(kv, "PATH=")) path = kv.substr(5);
  }
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", program);
    absl::StatusOr<sys::FileInfo> info = kernel_.Stat(candidate);
    if (info.ok() && info->type != sys::FileInfo::Type::kDirectory) return candidate;
  }
  return program;  // execve reports ENOENT, naming it
}

absl::StatusOr<std::vector<uint8_t>> Spawner::SeccompFor(const jobs::JobConfig& job) {
  const jobs::SeccompPolicy& policy = job.seccomp;
  if (policy.mode == jobs::SeccompPolicy::Mode::kNone) return std::vector<uint8_t>{};
  auto it = seccomp_cache_.find(job.name);
  if (it != seccomp_cache_.end() && it->second.mode == policy.mode &&
      it->second.syscalls == policy.syscalls) {
    return it->second.bpf;
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> bpf,
                   sys::CompileSeccompFilter(policy.mode == jobs::SeccompPolicy::Mode::kAllow,
                                             policy.syscalls));
  seccomp_cache_[job.name] = CachedFilter{policy.mode, policy.syscalls, bpf};
  return bpf;
}

absl::StatusOr<sys::SpawnRequest> Spawner::BuildRequest(const Spec& spec) {
  if (spec.job == nullptr || spec.command == nullptr) {
    return absl::InvalidArgumentError("spawn without a job or command");
  }
  sys::SpawnRequest request;
  absl::StatusOr<std::vector<std::string>> argv = BuildArgv(*spec.command);
  if (!argv.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("job ", spec.job->name, ": ", argv.status().message()));
  }
  request.argv = std::move(*argv);
  request.env = BuildEnv(options_.base_env, spec.env);
  request.argv[0] = ResolveProgram(request.argv[0], request.env);
  request.cwd = options_.cwd;
  absl::StatusOr<std::vector<uint8_t>> bpf = SeccompFor(*spec.job);
  if (!bpf.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("job ", spec.job->name, ": seccomp: ", bpf.status().message()));
  }
  request.seccomp_bpf = std::move(*bpf);
  auto listen = listen_fds_.find(spec.job->name);
  if (listen != listen_fds_.end()) {
    for (const sys::UniqueFd& fd : listen->second) request.listen_fds.push_back(fd.get());
  }
  return request;
}

void Spawner::AddListenFd(const std::string& job, sys::UniqueFd fd) {
  listen_fds_[job].push_back(std::move(fd));
}

std::vector<Spawner::ListenFdRef> Spawner::ListenFds() const {
  std::vector<ListenFdRef> out;
  for (const auto& [job, fds] : listen_fds_) {
    for (const sys::UniqueFd& fd : fds) out.push_back({fd.get(), job});
  }
  return out;
}

absl::StatusOr<pid_t> Spawner::Start(const Spec& spec) {
  ASSIGN_OR_RETURN(sys::SpawnRequest request, BuildRequest(spec));
  sys::UniqueFd read_end;
  sys::UniqueFd write_end;
  switch (spec.job->console) {
    case jobs::ConsoleMode::kOutput:
      request.stdout_fd = 1;
      request.stderr_fd = 2;
      break;
    case jobs::ConsoleMode::kNone:
      break;
    case jobs::ConsoleMode::kLog:
      if (watcher_ == nullptr) break;
      ASSIGN_OR_RETURN(auto pipe, kernel_.Pipe());
      read_end = std::move(pipe.first);
      write_end = std::move(pipe.second);
      request.stdout_fd = write_end.get();
      request.stderr_fd = write_end.get();
      break;
  }
  ASSIGN_OR_RETURN(pid_t pid, kernel_.Spawn(request));
  write_end.reset();  // the child holds the only write end now
  if (read_end.valid()) {
    int fd = read_end.get();
    auto pipe = std::make_unique<Pipe>();
    pipe->fd = std::move(read_end);
    pipe->job = spec.job->name;
    pipe->instance = spec.instance;
    absl::Status watched = watcher_->Watch(fd, [this, fd](uint32_t) { OnPipeReadable(fd); });
    if (watched.ok()) {
      pipes_[fd] = std::move(pipe);
    } else {
      ring_.AddSupervisorLine(absl::StrCat("cannot watch the log pipe of ", spec.job->name,
                                           ": ", watched.message(), " (output lost)"));
    }
  }
  return pid;
}

std::vector<Spawner::LogPipeRef> Spawner::LogPipes() const {
  std::vector<LogPipeRef> out;
  for (const auto& [fd, pipe] : pipes_) out.push_back({fd, pipe->job, pipe->instance});
  return out;
}

absl::Status Spawner::AdoptLogPipe(sys::UniqueFd fd, const std::string& job,
                                   const std::string& instance) {
  if (watcher_ == nullptr) return absl::FailedPreconditionError("no fd watcher for log pipes");
  int raw = fd.get();
  auto pipe = std::make_unique<Pipe>();
  pipe->fd = std::move(fd);
  pipe->job = job;
  pipe->instance = instance;
  RETURN_IF_ERROR(watcher_->Watch(raw, [this, raw](uint32_t) { OnPipeReadable(raw); }));
  pipes_[raw] = std::move(pipe);
  return absl::OkStatus();
}

void Spawner::OnPipeReadable(int fd) {
  auto it = pipes_.find(fd);
  if (it == pipes_.end()) return;
  Pipe& pipe = *it->second;
  char buf[kPipeReadChunk];
  // One read per wakeup: epoll is level-triggered, so a busy writer cannot
  // starve the rest of the loop.
  absl::StatusOr<size_t> n = kernel_.Read(fd, buf, sizeof(buf));
  if (!n.ok()) {
    if (absl::IsUnavailable(n.status())) return;  // EAGAIN: spurious wakeup
    ring_.AddSupervisorLine(absl::StrCat("reading the output of ", pipe.job, ": ",
                                         n.status().message()));
    ClosePipe(fd);
    return;
  }
  if (*n == 0) {
    ClosePipe(fd);
    return;
  }
  ring_.Append(pipe.job, pipe.instance, absl::string_view(buf, *n));
}

void Spawner::ClosePipe(int fd) {
  auto it = pipes_.find(fd);
  if (it == pipes_.end()) return;
  ring_.Flush(it->second->job, it->second->instance);
  if (watcher_ != nullptr) watcher_->Unwatch(fd);
  pipes_.erase(it);  // closes the fd
}

absl::Status Spawner::Signal(pid_t pid, int sig) {
  if (pid <= 0) return absl::InvalidArgumentError(absl::StrCat("bad pid ", pid));
  absl::Status group = kernel_.Kill(-pid, sig);
  if (group.ok()) return group;
  absl::Status single = kernel_.Kill(pid, sig);
  if (single.ok()) return single;
  return group;
}

}  // namespace baton::supervisor
