#include "sys/fake_kernel.h"

#include <fcntl.h>
#include <linux/keyboard.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sys/fake_kernel_internal.h"
#include "sys/status_macros.h"

namespace baton::sys {

using fake_internal::ErrName;
using fake_internal::MagicFor;
using fake_internal::Normalize;
using fake_internal::Rebase;
using fake_internal::Under;
using Type = FileInfo::Type;

namespace fake_internal {

bool Under(const std::string& path, const std::string& prefix) {
  if (prefix == "/") return !path.empty() && path[0] == '/';
  return path == prefix || (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
                            path[prefix.size()] == '/');
}

// PATH (under FROM) with FROM replaced by TO.
std::string Rebase(const std::string& path, const std::string& from, const std::string& to) {
  std::string rest = from == "/" ? path : path.substr(from.size());
  if (rest.empty() || rest == "/") return to;
  return to == "/" ? rest : to + rest;
}

std::string Normalize(const std::string& absolute) {
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(absolute, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.emplace_back(part);
  }
  return "/" + absl::StrJoin(parts, "/");
}

uint64_t MagicFor(const std::string& fstype) {
  if (fstype == "tmpfs" || fstype == "devtmpfs") return TMPFS_MAGIC;
  if (fstype == "ramfs" || fstype == "rootfs") return RAMFS_MAGIC;
  if (fstype == "proc") return PROC_SUPER_MAGIC;
  if (fstype == "sysfs") return SYSFS_MAGIC;
  if (fstype == "ext4" || fstype == "ext3" || fstype == "ext2") return EXT4_SUPER_MAGIC;
  return 0x1;
}

std::string ErrName(int err) {
  const char* name = ::strerrorname_np(err);
  return name != nullptr ? name : absl::StrCat("errno ", err);
}

}  // namespace fake_internal

void FakeKernel::Stamp(const NodePtr& node, uint64_t dev, uint64_t magic) {
  node->dev = dev;
  node->magic = magic;
  for (auto& [name, child] : node->children) Stamp(child, dev, magic);
}

FakeKernel::FakeKernel() {
  MountRec root;
  root.id = next_mount_id_++;
  root.entry = MountEntry{"rootfs", "/", "rootfs", "rw", false};
  root.root = std::make_shared<Node>();
  root.root->type = Type::kDirectory;
  root.root->mode = 0755;
  root.root->ino = 1;
  root.root->dev = 1;
  root.root->magic = RAMFS_MAGIC;
  mounts_.push_back(std::move(root));
}

FakeKernel::~FakeKernel() = default;

// --- test controls -----------------------------------------------------------

void FakeKernel::FailNext(const std::string& call, int err) {
  injections_.push_back({call, "", err});
}

void FakeKernel::FailNextOn(const std::string& call, const std::string& path, int err) {
  injections_.push_back({call, path, err});
}

void FakeKernel::FailExec(const std::string& path, int err) { exec_failures_[path] = err; }

void FakeKernel::AddMount(const MountEntry& entry) {
  std::string target = Normalize(entry.target);
  if (target == "/" && initial_root_) {
    mounts_[0].entry = entry;
    mounts_[0].entry.target = "/";
    Stamp(mounts_[0].root, 1, MagicFor(entry.fstype));
    initial_root_ = false;
    return;
  }
  initial_root_ = false;
  MkdirAllInternal(target, 0755);
  NewMountAt(target, entry, nullptr, next_dev_++, MagicFor(entry.fstype));
}

void FakeKernel::SetFilesystem(const std::string& path_prefix, uint64_t dev, uint64_t fs_magic) {
  Resolved r;
  if (Resolve(Global(path_prefix), &r) == 0 && r.node != nullptr) Stamp(r.node, dev, fs_magic);
}

void FakeKernel::Exit(pid_t pid, int exit_status) {
  live_.erase(pid);
  exits_.push_back(ChildExit{pid, exit_status, 0, false});
}

absl::Status FakeKernel::FinishChild(pid_t pid, const SpawnRequest& request,
                                     absl::string_view output, int exit_status, int sig) {
  absl::Status wrote = absl::OkStatus();
  if (!output.empty()) wrote = Write(request.stdout_fd, output.data(), output.size()).status();
  CloseFd(request.stdout_fd);
  if (sig != 0) {
    KillBySignal(pid, sig);
  } else {
    Exit(pid, exit_status);
  }
  return wrote;
}

void FakeKernel::KillBySignal(pid_t pid, int sig) {
  live_.erase(pid);
  exits_.push_back(ChildExit{pid, 0, sig, false});
}

void FakeKernel::AddTerminal(const std::string& path, const std::string& input) {
  std::string global = Global(path);
  size_t slash = global.rfind('/');
  if (slash != std::string::npos && slash > 0) (void)MkdirAllInternal(global.substr(0, slash), 0755);
  Resolved r;
  if (Resolve(global, &r) == 0 && r.node == nullptr && r.parent != nullptr) {
    r.node = NewNode(Type::kCharDevice, 0620, r.parent);
    r.parent->children[r.name] = r.node;
  }
  terminals_[global].input = input;
}

void FakeKernel::AddVirtualTerminal(const std::string& path, const std::string& input) {
  AddTerminal(path, input);
  terminals_[Global(path)].virtual_terminal = true;
}

std::optional<uint16_t> FakeKernel::keyboard_entry(uint8_t table, uint8_t index) const {
  auto it = keymap_.find({table, index});
  if (it == keymap_.end()) return std::nullopt;
  return it->second;
}

void FakeKernel::AddTerminalInput(const std::string& path, const std::string& input) {
  terminals_[Global(path)].input += input;
}

void FakeKernel::HoldTerminal(const std::string& path, bool held) {
  terminals_[Global(path)].held = held;
}

void FakeKernel::SetTerminalRoom(const std::string& path, std::optional<size_t> room) {
  terminals_[Global(path)].room = room;
}

std::string FakeKernel::terminal_output(const std::string& path) const {
  auto it = terminals_.find(Global(path));
  return it == terminals_.end() ? "" : it->second.output;
}

bool FakeKernel::terminal_echo(const std::string& path) const {
  auto it = terminals_.find(Global(path));
  return it != terminals_.end() && it->second.echo;
}

void FakeKernel::InjectUevent(const std::string& payload, int group) {
  for (auto& [fd, file] : fds_) {
    if (file->kind == OpenFile::Kind::kUevent && file->group == group) {
      file->datagrams.push_back(payload);
    }
  }
}

void FakeKernel::InjectDatagram(int fd, const std::string& payload) {
  std::shared_ptr<OpenFile> file = FileOf(fd);
  if (file != nullptr) file->datagrams.push_back(payload);
}

void FakeKernel::CloseFd(int fd) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return;
  if (it->second->kind == OpenFile::Kind::kPipeWrite && it->second.use_count() == 1) {
    it->second->pipe->writers--;
  }
  fds_.erase(it);
  no_cloexec_.erase(fd);
}

bool FakeKernel::IsOpen(int fd) const { return fds_.count(fd) != 0; }

bool FakeKernel::IsCloexec(int fd) const { return IsOpen(fd) && no_cloexec_.count(fd) == 0; }

// --- helpers ---------------------------------------------------------------

int FakeKernel::TakeInjected(const std::string& call, const std::string& path) {
  ++call_counts_[call];
  for (auto it = injections_.begin(); it != injections_.end(); ++it) {
    if (it->call == call && (it->path.empty() || it->path == path)) {
      int err = it->err;
      injections_.erase(it);
      return err;
    }
  }
  return 0;
}

std::string FakeKernel::Global(const std::string& path) const {
  std::string view_cwd = Under(cwd_, root_) ? Rebase(cwd_, root_, "/") : "/";
  std::string view = Normalize(!path.empty() && path[0] == '/' ? path : view_cwd + "/" + path);
  return Rebase(view, "/", root_);
}

FakeKernel::MountRec* FakeKernel::TopMountAt(const std::string& global) {
  for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it) {
    if (it->entry.target == global) return &*it;
  }
  return nullptr;
}

int FakeKernel::Resolve(const std::string& global, Resolved* out) {
  MountRec* mount = TopMountAt("/");
  if (mount == nullptr) return ENOENT;
  *out = Resolved{mount, nullptr, "", mount->root, true};
  std::vector<std::string> parts = absl::StrSplit(global, '/', absl::SkipEmpty());
  std::string prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    NodePtr dir = out->node;
    if (dir == nullptr) return ENOENT;
    if (dir->type != Type::kDirectory) return ENOTDIR;
    prefix += "/" + parts[i];
    out->parent = dir;
    out->name = parts[i];
    out->mountpoint = false;
    if (MountRec* over = TopMountAt(prefix)) {
      out->mount = over;
      out->node = over->root;
      out->mountpoint = true;
      continue;
    }
    auto child = dir->children.find(parts[i]);
    out->node = child == dir->children.end() ? nullptr : child->second;
  }
  return 0;
}

FakeKernel::NodePtr FakeKernel::NewNode(FileInfo::Type type, uint32_t mode, const NodePtr& dir) {
  auto node = std::make_shared<Node>();
  node->type = type;
  node->ino = next_ino_++;
  node->mode = mode & 07777;
  node->dev = dir != nullptr ? dir->dev : 0;
  node->magic = dir != nullptr ? dir->magic : 0;
  return node;
}

FileInfo FakeKernel::InfoOf(const Node& node) const {
  FileInfo info;
  info.type = node.type;
  info.mode = node.mode;
  info.size = node.type == Type::kDirectory ? 0 : node.data.size();
  info.dev = node.dev;
  info.ino = node.ino;
  info.rdev = node.rdev;
  info.fs_magic = node.magic;
  return info;
}

std::vector<FakeKernel::MountRec*> FakeKernel::SubtreeOf(const MountRec& mount) {
  std::vector<MountRec*> out;
  std::set<int> ids = {mount.id};
  // Parents always come before their children in mounts_ order, except after
  // moves; iterate to a fixed point to be safe.
  for (bool grew = true; grew;) {
    grew = false;
    for (MountRec& m : mounts_) {
      if (!ids.count(m.id) && ids.count(m.parent)) {
        ids.insert(m.id);
        grew = true;
      }
    }
  }
  for (MountRec& m : mounts_) {
    if (ids.count(m.id)) out.push_back(&m);
  }
  return out;
}

int FakeKernel::NewMountAt(const std::string& global, MountEntry entry, NodePtr root,
                           uint64_t dev, uint64_t magic) {
  Resolved r;
  if (int err = Resolve(global, &r)) return err;
  if (r.node == nullptr) return ENOENT;
  if (r.node->type != Type::kDirectory && root == nullptr) return ENOTDIR;
  MountRec m;
  m.id = next_mount_id_++;
  m.parent = r.mount->id;
  entry.target = global;
  m.entry = std::move(entry);
  if (root == nullptr) {
    root = std::make_shared<Node>();
    root->type = Type::kDirectory;
    root->mode = 0755;
    root->ino = next_ino_++;
    root->dev = dev;
    root->magic = magic;
  }
  m.root = std::move(root);
  mounts_.push_back(std::move(m));
  return 0;
}

int FakeKernel::MkdirAllInternal(const std::string& global, mode_t mode) {
  std::vector<std::string> parts = absl::StrSplit(global, '/', absl::SkipEmpty());
  std::string prefix;
  for (const std::string& part : parts) {
    prefix += "/" + part;
    Resolved r;
    if (int err = Resolve(prefix, &r)) return err;
    if (r.node != nullptr) {
      if (r.node->type != Type::kDirectory) return ENOTDIR;
      continue;
    }
    r.parent->children[r.name] = NewNode(Type::kDirectory, mode, r.parent);
  }
  return 0;
}

int FakeKernel::AddFd(std::shared_ptr<OpenFile> file) {
  int fd = next_fd_++;
  fds_[fd] = std::move(file);
  return fd;
}

std::shared_ptr<FakeKernel::OpenFile> FakeKernel::FileOf(int fd) const {
  auto it = fds_.find(fd);
  return it == fds_.end() ? nullptr : it->second;
}

// --- processes ---------------------------------------------------------------

absl::StatusOr<pid_t> FakeKernel::Spawn(const SpawnRequest& request) {
  std::string line = absl::StrCat("spawn ", absl::StrJoin(request.argv, " "));
  const std::string path = request.argv.empty() ? "" : request.argv[0];
  int err = TakeInjected("spawn", path);
  if (err == 0 && path.empty()) err = EINVAL;
  if (err == 0) {
    auto it = exec_failures_.find(path);
    if (it != exec_failures_.end()) err = it->second;
  }
  if (err != 0) {
    calls_.push_back(absl::StrCat(line, " -> ", ErrName(err)));
    return ErrnoStatus(err, absl::StrCat("exec ", path));
  }
  calls_.push_back(line);
  spawned_.push_back(request);
  pid_t pid = next_pid_++;
  live_.insert(pid);
  if (spawn_hook_) spawn_hook_(pid, request);
  return pid;
}

absl::Status FakeKernel::Kill(pid_t pid, int sig) {
  return Logged("kill", absl::StrCat(pid), absl::StrCat("kill ", pid, " ", sig), [&] {
    if (pid == -1) {  // every process but us: every live child here
      if (live_.empty()) return ESRCH;
      if (sig == 0) return 0;
      kills_.emplace_back(pid, sig);
      if (kill_terminates_ && (sig == SIGTERM || sig == SIGKILL)) {
        std::set<pid_t> all = live_;
        for (pid_t p : all) KillBySignal(p, sig);
      }
      return 0;
    }
    pid_t target = pid < 0 ? -pid : pid;
    if (!live_.count(target)) return ESRCH;
    if (sig == 0) return 0;
    kills_.emplace_back(pid, sig);
    if (kill_terminates_ && (sig == SIGTERM || sig == SIGKILL)) KillBySignal(target, sig);
    return 0;
  });
}

absl::StatusOr<std::optional<ChildExit>> FakeKernel::ReapOne() {
  if (int err = TakeInjected("reap", "")) return ErrnoStatus(err, "waitid");
  if (exits_.empty()) return std::optional<ChildExit>();
  ChildExit exit = exits_.front();
  exits_.pop_front();
  return std::optional<ChildExit>(exit);
}

absl::StatusOr<bool> FakeKernel::IsOurChild(pid_t pid) {
  if (int err = TakeInjected("is_our_child", absl::StrCat(pid))) {
    return ErrnoStatus(err, absl::StrCat("waitid ", pid));
  }
  if (disowned_.count(pid)) return false;
  if (live_.count(pid)) return true;
  for (const ChildExit& exit : exits_) {
    if (exit.pid == pid) return true;
  }
  return false;
}

absl::StatusOr<ChildExit> FakeKernel::Wait(pid_t pid) {
  std::string what = absl::StrCat("waitid ", pid);
  if (int err = TakeInjected("wait", absl::StrCat(pid))) return ErrnoStatus(err, what);
  for (auto it = exits_.begin(); it != exits_.end(); ++it) {
    if (it->pid != pid) continue;
    ChildExit exit = *it;
    exits_.erase(it);
    return exit;
  }
  return ErrnoStatus(live_.count(pid) ? EDEADLK : ECHILD, what);
}

absl::StatusOr<bool> FakeKernel::WaitReadable(int fd, absl::Duration timeout) {
  std::string what = absl::StrCat("poll fd ", fd);
  if (int err = TakeInjected("wait_readable", "")) return ErrnoStatus(err, what);
  std::shared_ptr<OpenFile> file = FileOf(fd);
  if (file == nullptr) return ErrnoStatus(EBADF, what);
  if (file->kind != OpenFile::Kind::kPipeRead) return true;
  return !file->pipe->data.empty() || file->pipe->writers <= 0;
}

absl::StatusOr<bool> FakeKernel::PollWritable(int fd, absl::Duration timeout) {
  std::string what = absl::StrCat("poll fd ", fd, " for output");
  if (int err = TakeInjected("poll_writable", "")) return ErrnoStatus(err, what);
  std::shared_ptr<OpenFile> file = FileOf(fd);
  if (file == nullptr) return ErrnoStatus(EBADF, what);
  if (file->kind != OpenFile::Kind::kNode) return true;
  auto tty = terminals_.find(file->path);
  if (tty == terminals_.end()) return true;
  if (poll_writable_hook_) poll_writable_hook_(file->path);
  return !tty->second.room.has_value() || *tty->second.room > 0;
}

absl::StatusOr<std::vector<int>> FakeKernel::PollReadable(const std::vector<int>& fds,
                                                        absl::Duration timeout) {
  std::string what = absl::StrCat("poll ", fds.size(), " fds");
  if (int err = TakeInjected("poll_readable", "")) return ErrnoStatus(err, what);
  std::vector<int> ready;
  for (int fd : fds) {
    std::shared_ptr<OpenFile> file = FileOf(fd);
    if (file == nullptr) return ErrnoStatus(EBADF, what);
    bool readable = true;
    if (file->kind == OpenFile::Kind::kPipeRead) {
      readable = !file->pipe->data.empty() || file->pipe->writers <= 0;
    } else if (file->kind == OpenFile::Kind::kNode) {
      auto tty = terminals_.find(file->path);
      if (tty != terminals_.end()) readable = !tty->second.input.empty() || !tty->second.held;
    }
    if (readable) ready.push_back(fd);
  }
  if (ready.empty() && timeout == absl::InfiniteDuration()) {
    return ErrnoStatus(EDEADLK, absl::StrCat(what, " (nothing would ever be readable)"));
  }
  return ready;
}

absl::Status FakeKernel::SetChildSubreaper() {
  return Logged("set_child_subreaper", "", "set_child_subreaper", [&] {
    child_subreaper_ = true;
    return 0;
  });
}

absl::Status FakeKernel::Execve(const std::string& path, const std::vector<std::string>& argv,
                                const std::vector<std::string>& env) {
  std::string line = absl::StrCat("execve ", path);
  for (size_t i = 1; i < argv.size(); ++i) absl::StrAppend(&line, " ", argv[i]);
  return Logged("execve", path, line, [&] {
    execs_.push_back(ExecCall{path, argv, env});
    auto it = exec_failures_.find(path);
    return it == exec_failures_.end() ? 0 : it->second;
  });
}

// --- files -------------------------------------------------------------------

absl::StatusOr<UniqueFd> FakeKernel::Open(const std::string& path, int flags, mode_t mode) {
  std::string what = absl::StrCat("open ", path);
  if (int err = TakeInjected("open", path)) return ErrnoStatus(err, what);
  std::string global = Global(path);
  Resolved r;
  if (int err = Resolve(global, &r)) return ErrnoStatus(err, what);
  if (r.node == nullptr) {
    if (!(flags & O_CREAT) || r.parent == nullptr) return ErrnoStatus(ENOENT, what);
    r.node = NewNode(Type::kRegular, mode, r.parent);
    r.parent->children[r.name] = r.node;
  } else if ((flags & O_CREAT) && (flags & O_EXCL)) {
    return ErrnoStatus(EEXIST, what);
  }
  const bool writable = (flags & O_ACCMODE) != O_RDONLY;
  if (r.node->type == Type::kDirectory && writable) return ErrnoStatus(EISDIR, what);
  if ((flags & O_DIRECTORY) && r.node->type != Type::kDirectory) return ErrnoStatus(ENOTDIR, what);
  if (writable && (flags & O_TRUNC)) {
    if (r.node->sealed) return ErrnoStatus(EPERM, what);
    r.node->data.clear();
  }
  auto file = std::make_shared<OpenFile>();
  file->node = r.node;
  file->path = global;
  file->flags = flags;
  return UniqueFd(AddFd(std::move(file)));
}

absl::StatusOr<size_t> FakeKernel::Read(int fd, void* buf, size_t len) {
  std::string what = absl::StrCat("read fd ", fd);
  if (int err = TakeInjected("read", "")) return ErrnoStatus(err, what);
  std::shared_ptr<OpenFile> file = FileOf(fd);
  if (file == nullptr) return ErrnoStatus(EBADF, what);
  switch (file->kind) {
    case OpenFile::Kind::kPipeRead: {
      std::string& data = file->pipe->data;
      if (data.empty()) {
        if (file->pipe->writers > 0) return ErrnoStatus(EAGAIN, what);
        return size_t{0};
      }
      size_t n = std::min(len, data.size());
      std::memcpy(buf, data.data(), n);
      data.erase(0, n);
      return n;
    }
    case OpenFile::Kind::kNode: {
      if (file->node->type == Type::kDirectory) return ErrnoStatus(EISDIR, what);
      if ((file->flags & O_ACCMODE) == O_WRONLY) return ErrnoStatus(EBADF, what);
      auto tty = terminals_.find(file->path);
      if (tty != terminals_.end()) {
        std::string& input = tty->second.input;
        if (input.empty() && tty->second.held) return ErrnoStatus(EAGAIN, what);
        size_t line_end = input.find('\n');
        size_t n = std::min(len, line_end == std::string::npos ? input.size() : line_end + 1);
        std::memcpy(buf, input.data(), n);
        input.erase(0, n);
        return n;
      }
      const std::string& data = file->node->data;
      if (file->offset >= data.size()) return size_t{0};
      size_t n = std::min(len, data.size() - file->offset);
      std::memcpy(buf, data.data() + file->offset, n);
      file->offset += n;
      return n;
    }
    default:
      return ErrnoStatus(EINVAL, what);
  }
}

absl::StatusOr<size_t> FakeKernel::Write(int fd, const void* buf, size_t len) {
  std::string what = absl::StrCat("write fd ", fd);
  if (int err = TakeInjected("write", "")) return ErrnoStatus(err, what);
  std::shared_ptr<OpenFile> file = FileOf(fd);
  if (file == nullptr) return ErrnoStatus(EBADF, what);
  const char* bytes = static_cast<const char*>(buf);
  if (file->kind == OpenFile::Kind::kPipeWrite) {
    file->pipe->data.append(bytes, len);
    return len;
  }
  if (file->kind != OpenFile::Kind::kNode) return ErrnoStatus(EBADF, what);
  if ((file->flags & O_ACCMODE) == O_RDONLY) return ErrnoStatus(EBADF, what);
  auto tty = terminals_.find(file->path);
  if (tty != terminals_.end()) {
    Terminal& t = tty->second;
    size_t taken = t.room.has_value() ? std::min(len, *t.room) : len;
    if (taken == 0 && len > 0) {
      return ErrnoStatus((file->flags & O_NONBLOCK) != 0 ? EAGAIN : EDEADLK, what);
    }
    t.output.append(bytes, taken);
    if (t.room.has_value()) *t.room -= taken;
    return taken;
  }
  Node& node = *file->node;
  if (node.type == Type::kDirectory) return ErrnoStatus(EISDIR, what);
  if (node.sealed) return ErrnoStatus(EPERM, what);
  if (file->flags & O_APPEND) file->offset = node.data.size();
  if (node.data.size() < file->offset + len) node.data.resize(file->offset + len);
  node.data.replace(file->offset, len, bytes, len);
  file->offset += len;
  return len;
}

absl::StatusOr<size_t> FakeKernel::PRead(int fd, void* buf, size_t len, uint64_t offset) {
  std::string what = absl::StrCat("pread fd ", fd);
  if (int err = TakeInjected("pread", "")) return ErrnoStatus(err, what);
  std::shared_ptr<OpenFile> file = FileOf(fd);
  if (file == nullptr) return ErrnoStatus(EBADF, what);
  if (file->kind != OpenFile::Kind::kNode) return ErrnoStatus(ESPIPE, what);
  if (file->node->type == Type::kDirectory) return ErrnoStatus(EISDIR, what);
  if ((file->flags & O_ACCMODE) == O_WRONLY) return ErrnoStatus(EBADF, what);
  const std::string& data = file->node->data;
  if (offset >= data.size()) return size_t{0};
  size_t n = std::min<size_t>(len, data.size() - offset);
  std::memcpy(buf, data.data() + offset, n);
  return n;
}

absl::StatusOr<FakeKernel::Node*> FakeKernel::NodeToRead(const std::string& path) {
  std::string what = absl::StrCat("open ", path);
  if (int err = TakeInjected("read_file", path)) return ErrnoStatus(err, what);
  Resolved r;
  if (int err = Resolve(Global(path), &r)) return ErrnoStatus(err, what);
  if (r.node == nullptr) return ErrnoStatus(ENOENT, what);
  return r.node.get();
}

absl::StatusOr<std::string> FakeKernel::ReadFile(const std::string& path) {
  ASSIGN_OR_RETURN(Node* node, NodeToRead(path));
  if (node->type == Type::kDirectory) return ErrnoStatus(EISDIR, absl::StrCat("read ", path));
  return node->data;
}

absl::StatusOr<std::string> FakeKernel::ReadRegularFile(const std::string& path,
                                                        size_t max_bytes) {
  ASSIGN_OR_RETURN(Node* node, NodeToRead(path));
  if (node->type != Type::kRegular) {
    const char* kind = node->type == Type::kDirectory     ? "a directory"
                       : node->type == Type::kCharDevice  ? "a character device"
                       : node->type == Type::kBlockDevice ? "a block device"
                                                          : "not a plain file";
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": not a regular file (", kind, ")"));
  }
  if (node->data.size() > max_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(path, ": larger than ", max_bytes, " bytes"));
  }
  return node->data;
}

absl::Status FakeKernel::WriteFile(const std::string& path, absl::string_view contents,
                                   mode_t mode) {
  absl::Status written = Logged("write_file", path, absl::StrCat("write_file ", path), [&] {
    Resolved r;
    if (int err = Resolve(Global(path), &r)) return err;
    if (r.node == nullptr) {
      if (r.parent == nullptr) return ENOENT;
      r.node = NewNode(Type::kRegular, mode, r.parent);
      r.parent->children[r.name] = r.node;
    }
    if (r.node->type == Type::kDirectory) return EISDIR;
    if (r.node->sealed) return EPERM;
    r.node->data = std::string(contents);
    return 0;
  });
  if (written.ok() && write_file_hook_) write_file_hook_(path, contents);
  return written;
}

absl::Status FakeKernel::MkdirAll(const std::string& path, mode_t mode) {
  return Logged("mkdir_all", path, absl::StrCat("mkdir_all ", path),
                [&] { return path.empty() ? EINVAL : MkdirAllInternal(Global(path), mode); });
}

absl::Status FakeKernel::Unlink(const std::string& path) {
  return Logged("unlink", path, absl::StrCat("unlink ", path), [&] {
    Resolved r;
    if (int err = Resolve(Global(path), &r)) return err;
    if (r.node == nullptr) return ENOENT;
    if (r.node->type == Type::kDirectory) return EISDIR;
    r.parent->children.erase(r.name);
    return 0;
  });
}

absl::Status FakeKernel::Rmdir(const std::string& path) {
  return Logged("rmdir", path, absl::StrCat("rmdir ", path), [&] {
    Resolved r;
    if (int err = Resolve(Global(path), &r)) return err;
    if (r.node == nullptr) return ENOENT;
    if (r.node->type != Type::kDirectory) return ENOTDIR;
    if (r.mountpoint) return EBUSY;
    if (!r.node->children.empty()) return ENOTEMPTY;
    r.parent->children.erase(r.name);
    return 0;
  });
}

absl::Status FakeKernel::Symlink(const std::string& target, const std::string& link_path) {
  return Logged("symlink", link_path, absl::StrCat("symlink ", target, " ", link_path), [&] {
    Resolved r;
    if (int err = Resolve(Global(link_path), &r)) return err;
    if (r.node != nullptr) return EEXIST;
    if (r.parent == nullptr) return ENOENT;
    NodePtr node = NewNode(Type::kSymlink, 0777, r.parent);
    node->data = target;
    r.parent->children[r.name] = node;
    return 0;
  });
}

absl::Status FakeKernel::Rename(const std::string& from, const std::string& to) {
  return Logged("rename", from, absl::StrCat("rename ", from, " ", to), [&] {
    std::string gfrom = Global(from);
    std::string gto = Global(to);
    Resolved src;
    Resolved dst;
    if (int err = Resolve(gfrom, &src)) return err;
    if (src.node == nullptr) return ENOENT;
    if (int err = Resolve(gto, &dst)) return err;
    if (dst.parent == nullptr || src.parent == nullptr) return EBUSY;
    if (src.mountpoint || dst.mountpoint) return EBUSY;
    if (src.mount != dst.mount) return EXDEV;
    if (gfrom == gto) return 0;
    if (Under(gto, gfrom)) return EINVAL;
    if (dst.node != nullptr) {
      const bool src_dir = src.node->type == Type::kDirectory;
      const bool dst_dir = dst.node->type == Type::kDirectory;
      if (src_dir && !dst_dir) return ENOTDIR;
      if (!src_dir && dst_dir) return EISDIR;
      if (dst_dir && !dst.node->children.empty()) return ENOTEMPTY;
    }
    NodePtr node = src.node;
    src.parent->children.erase(src.name);
    dst.parent->children[dst.name] = node;
    return 0;
  });
}

absl::Status FakeKernel::Mknod(const std::string& path, mode_t mode, dev_t dev) {
  std::string line = absl::StrFormat("mknod %s %o %u:%u", path, mode, major(dev), minor(dev));
  return Logged("mknod", path, line, [&] {
    Resolved r;
    if (int err = Resolve(Global(path), &r)) return err;
    if (r.node != nullptr) return EEXIST;
    if (r.parent == nullptr) return ENOENT;
    Type type = Type::kOther;
    switch (mode & S_IFMT) {
      case S_IFBLK:
        type = Type::kBlockDevice;
        break;
      case S_IFCHR:
        type = Type::kCharDevice;
        break;
      case 0:
      case S_IFREG:
        type = Type::kRegular;
        break;
      case S_IFDIR:
        return EPERM;
      default:
        break;
    }
    NodePtr node = NewNode(type, mode, r.parent);
    node->rdev = dev;
    r.parent->children[r.name] = node;
    return 0;
  });
}

absl::StatusOr<FileInfo> FakeKernel::Stat(const std::string& path) {
  std::string what = absl::StrCat("lstat ", path);
  if (int err = TakeInjected("stat", path)) return ErrnoStatus(err, what);
  Resolved r;
  if (int err = Resolve(Global(path), &r)) return ErrnoStatus(err, what);
  if (r.node == nullptr) return ErrnoStatus(ENOENT, what);
  return InfoOf(*r.node);
}

absl::StatusOr<std::string> FakeKernel::ReadLink(const std::string& path) {
  std::string what = absl::StrCat("readlink ", path);
  if (int err = TakeInjected("readlink", path)) return ErrnoStatus(err, what);
  Resolved r;
  if (int err = Resolve(Global(path), &r)) return ErrnoStatus(err, what);
  if (r.node == nullptr) return ErrnoStatus(ENOENT, what);
  if (r.node->type != Type::kSymlink) return ErrnoStatus(EINVAL, what);
  return r.node->data;
}

absl::StatusOr<std::vector<std::string>> FakeKernel::ListDir(const std::string& path) {
  std::string what = absl::StrCat("opendir ", path);
  if (int err = TakeInjected("list_dir", path)) return ErrnoStatus(err, what);
  Resolved r;
  if (int err = Resolve(Global(path), &r)) return ErrnoStatus(err, what);
  if (r.node == nullptr) return ErrnoStatus(ENOENT, what);
  if (r.node->type != Type::kDirectory) return ErrnoStatus(ENOTDIR, what);
  std::vector<std::string> names;
  for (const auto& [name, child] : r.node->children) names.push_back(name);
  return names;
}

absl::StatusOr<std::vector<DirEntry>> FakeKernel::ListDirEntries(const std::string& path) {
  std::string what = absl::StrCat("opendir ", path);
  if (int err = TakeInjected("list_dir_entries", path)) return ErrnoStatus(err, what);
  Resolved r;
  if (int err = Resolve(Global(path), &r)) return ErrnoStatus(err, what);
  if (r.node == nullptr) return ErrnoStatus(ENOENT, what);
  if (r.node->type != Type::kDirectory) return ErrnoStatus(ENOTDIR, what);
  std::vector<DirEntry> entries;
  for (const auto& [name, child] : r.node->children) {
    DirEntry::Type t = DirEntry::Type::kOther;
    switch (child->type) {
      case Type::kDirectory: t = DirEntry::Type::kDirectory; break;
      case Type::kSymlink: t = DirEntry::Type::kSymlink; break;
      case Type::kRegular: t = DirEntry::Type::kRegular; break;
      default: break;
    }
    entries.push_back(DirEntry{name, t});
  }
  return entries;  // children is a std::map: sorted by name
}

absl::StatusOr<FileInfo> FakeKernel::StatFd(int fd) {
  std::string what = absl::StrCat("fstat fd ", fd);
  if (int err = TakeInjected("stat_fd", "")) return ErrnoStatus(err, what);
  std::shared_ptr<OpenFile> file = FileOf(fd);
  if (file == nullptr) return ErrnoStatus(EBADF, what);
  if (file->kind != OpenFile::Kind::kNode) return FileInfo{};
  return InfoOf(*file->node);
}

int FakeKernel::WalkAt(int dir_fd, const std::string& name, NodePtr* parent, std::string* leaf,
                       NodePtr* node, std::string* dir_path) {
  std::shared_ptr<OpenFile> dir = FileOf(dir_fd);
  if (dir == nullptr) return EBADF;
  if (dir->kind != OpenFile::Kind::kNode || dir->node->type != Type::kDirectory) return ENOTDIR;
  *dir_path = dir->path;
  *parent = nullptr;
  *node = dir->node;
  *leaf = ".";
  for (absl::string_view part : absl::StrSplit(name, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") return EINVAL;  // not modelled
    if (*node == nullptr) return ENOENT;
    if ((*node)->type != Type::kDirectory) return ENOTDIR;
    *parent = *node;
    *leaf = std::string(part);
    auto it = (*parent)->children.find(*leaf);
    *node = it == (*parent)->children.end() ? nullptr : it->second;
  }
  return 0;
}

absl::Status FakeKernel::UnlinkAt(int dir_fd, const std::string& name, bool is_dir) {
  std::shared_ptr<OpenFile> dir = FileOf(dir_fd);
  std::string line = absl::StrCat("unlinkat ", dir != nullptr ? dir->path : absl::StrCat(dir_fd),
                                  " ", name, is_dir ? " AT_REMOVEDIR" : "");
  return Logged("unlinkat", name, line, [&] {
    NodePtr parent;
    NodePtr node;
    std::string leaf;
    std::string dir_path;
    if (int err = WalkAt(dir_fd, name, &parent, &leaf, &node, &dir_path)) return err;
    if (node == nullptr) return ENOENT;
    if (parent == nullptr) return EBUSY;
    const bool node_is_dir = node->type == Type::kDirectory;
    if (is_dir && !node_is_dir) return ENOTDIR;
    if (!is_dir && node_is_dir) return EISDIR;
    if (is_dir && !node->children.empty()) return ENOTEMPTY;
    parent->children.erase(leaf);
    return 0;
  });
}

absl::StatusOr<UniqueFd> FakeKernel::OpenAt(int dir_fd, const std::string& name, int flags) {
  std::string what = absl::StrCat("openat ", name);
  if (int err = TakeInjected("openat", name)) return ErrnoStatus(err, what);
  NodePtr parent;
  NodePtr node;
  std::string leaf;
  std::string dir_path;
  if (int err = WalkAt(dir_fd, name, &parent, &leaf, &node, &dir_path)) {
    return ErrnoStatus(err, what);
  }
  if (node == nullptr) {
    if (!(flags & O_CREAT) || parent == nullptr) return ErrnoStatus(ENOENT, what);
    node = NewNode(Type::kRegular, 0644, parent);
    parent->children[leaf] = node;
  }
  if ((flags & O_DIRECTORY) && node->type != Type::kDirectory) return ErrnoStatus(ENOTDIR, what);
  auto file = std::make_shared<OpenFile>();
  file->node = node;
  file->path = Normalize(dir_path + "/" + name);
  file->flags = flags;
  return UniqueFd(AddFd(std::move(file)));
}

absl::StatusOr<std::vector<std::string>> FakeKernel::ListDirFd(int dir_fd) {
  std::string what = absl::StrCat("readdir fd ", dir_fd);
  if (int err = TakeInjected("list_dir_fd", "")) return ErrnoStatus(err, what);
  std::shared_ptr<OpenFile> dir = FileOf(dir_fd);
  if (dir == nullptr) return ErrnoStatus(EBADF, what);
  if (dir->kind != OpenFile::Kind::kNode || dir->node->type != Type::kDirectory) {
    return ErrnoStatus(ENOTDIR, what);
  }
  std::vector<std::string> names;
  for (const auto& [name, child] : dir->node->children) names.push_back(name);
  return names;
}

absl::StatusOr<FileInfo> FakeKernel::StatAt(int dir_fd, const std::string& name) {
  std::string what = absl::StrCat("fstatat ", name);
  if (int err = TakeInjected("stat_at", name)) return ErrnoStatus(err, what);
  NodePtr parent;
  NodePtr node;
  std::string leaf;
  std::string dir_path;
  if (int err = WalkAt(dir_fd, name, &parent, &leaf, &node, &dir_path)) {
    return ErrnoStatus(err, what);
  }
  if (node == nullptr) return ErrnoStatus(ENOENT, what);
  return InfoOf(*node);
}

// --- fds ---------------------------------------------------------------------

absl::StatusOr<std::pair<UniqueFd, UniqueFd>> FakeKernel::Pipe() {
  if (int err = TakeInjected("pipe", "")) return ErrnoStatus(err, "pipe2");
  auto buffer = std::make_shared<PipeBuffer>();
  auto reader = std::make_shared<OpenFile>();
  reader->kind = OpenFile::Kind::kPipeRead;
  reader->pipe = buffer;
  reader->path = "pipe";
  auto writer = std::make_shared<OpenFile>();
  writer->kind = OpenFile::Kind::kPipeWrite;
  writer->pipe = buffer;
  writer->path = "pipe";
  UniqueFd read_end(AddFd(std::move(reader)));
  UniqueFd write_end(AddFd(std::move(writer)));
  return std::make_pair(std::move(read_end), std::move(write_end));
}

absl::Status FakeKernel::SetCloexec(int fd, bool on) {
  if (int err = TakeInjected("set_cloexec", "")) {
    return ErrnoStatus(err, absl::StrCat("fcntl F_SETFD fd ", fd));
  }
  if (!IsOpen(fd)) return ErrnoStatus(EBADF, absl::StrCat("fcntl F_SETFD fd ", fd));
  if (on) {
    no_cloexec_.erase(fd);
  } else {
    no_cloexec_.insert(fd);
  }
  return absl::OkStatus();
}

absl::Status FakeKernel::Flock(int fd, int operation) {
  std::shared_ptr<OpenFile> file = FileOf(fd);
  std::string path = file != nullptr ? file->path : absl::StrCat("fd ", fd);
  std::vector<std::string> ops;
  switch (operation & ~LOCK_NB) {
    case LOCK_EX:
      ops.push_back("LOCK_EX");
      break;
    case LOCK_SH:
      ops.push_back("LOCK_SH");
      break;
    case LOCK_UN:
      ops.push_back("LOCK_UN");
      break;
    default:
      ops.push_back(absl::StrCat(operation & ~LOCK_NB));
      break;
  }
  if (operation & LOCK_NB) ops.push_back("LOCK_NB");
  std::string line = absl::StrCat("flock ", path, " ", absl::StrJoin(ops, "|"));
  return Logged("flock", path, line, [&] { return file == nullptr ? EBADF : 0; });
}

absl::StatusOr<bool> FakeKernel::SetEcho(int fd, bool on) {
  std::shared_ptr<OpenFile> file = FileOf(fd);
  std::string path = file != nullptr ? file->path : absl::StrCat("fd ", fd);
  bool was_on = false;
  absl::Status status =
      Logged("set_echo", path, absl::StrCat("set_echo ", path, on ? " on" : " off"), [&] {
        if (file == nullptr) return EBADF;
        auto tty = terminals_.find(file->path);
        if (file->kind != OpenFile::Kind::kNode || tty == terminals_.end()) return ENOTTY;
        was_on = tty->second.echo;
        tty->second.echo = on;
        return 0;
      });
  if (!status.ok()) return status;
  return was_on;
}

absl::StatusOr<size_t> FakeKernel::SetKeyboardEntries(int fd,
                                                      const std::vector<KeyboardEntry>& entries) {
  std::shared_ptr<OpenFile> file = FileOf(fd);
  std::string path = file != nullptr ? file->path : absl::StrCat("fd ", fd);
  size_t refused = 0;
  absl::Status status = Logged(
      "set_keyboard_entries", path,
      absl::StrCat("set_keyboard_entries ", path, " ", entries.size()), [&] {
        if (file == nullptr) return EBADF;
        auto tty = terminals_.find(file->path);
        if (file->kind != OpenFile::Kind::kNode || tty == terminals_.end() ||
            !tty->second.virtual_terminal) {
          return ENOTTY;
        }
        for (const KeyboardEntry& e : entries) {
          if (e.index == 0 && e.value == K_NOSUCHMAP) {
            if (e.table == 0) continue;
            for (int i = 0; i < 256; ++i) keymap_.erase({e.table, static_cast<uint8_t>(i)});
            continue;
          }
          if (KTYP(e.value) > KT_BRL && !unicode_keyboard_) {  // past the last type: Unicode
            ++refused;
            continue;
          }
          keymap_[{e.table, e.index}] = e.value;
        }
        return 0;
      });
  if (!status.ok()) return status;
  return refused;
}

absl::StatusOr<UniqueFd> FakeKernel::Dup(int fd) {
  std::string what = absl::StrCat("dup fd ", fd);
  if (int err = TakeInjected("dup", "")) return ErrnoStatus(err, what);
  std::shared_ptr<OpenFile> file = FileOf(fd);
  if (file == nullptr) return ErrnoStatus(EBADF, what);
  return UniqueFd(AddFd(file));  // shares the open file, offset included
}

// --- event loop primitives: not modelled ---------------------------------------

namespace {
absl::Status NotInFake(absl::string_view what) {
  return absl::UnimplementedError(absl::StrCat(what, " is not modelled by FakeKernel"));
}
}  // namespace

absl::StatusOr<UniqueFd> FakeKernel::EpollCreate() { return NotInFake("epoll"); }
absl::Status FakeKernel::EpollAdd(int, int, uint32_t, uint64_t) { return NotInFake("epoll"); }
absl::Status FakeKernel::EpollDel(int, int) { return NotInFake("epoll"); }
absl::StatusOr<std::vector<Kernel::EpollEvent>> FakeKernel::EpollWait(int, absl::Duration) {
  return NotInFake("epoll");
}
absl::StatusOr<UniqueFd> FakeKernel::SignalFd(const std::vector<int>&) {
  return NotInFake("signalfd");
}
absl::StatusOr<std::optional<int>> FakeKernel::ReadSignal(int) { return NotInFake("signalfd"); }
absl::StatusOr<UniqueFd> FakeKernel::TimerFd() { return NotInFake("timerfd"); }
absl::Status FakeKernel::TimerArm(int, absl::Duration) { return NotInFake("timerfd"); }
absl::StatusOr<UniqueFd> FakeKernel::UnixListen(const std::string&) {
  return NotInFake("unix sockets");
}
absl::StatusOr<UniqueFd> FakeKernel::UnixConnect(const std::string&) {
  return NotInFake("unix sockets");
}
absl::StatusOr<UniqueFd> FakeKernel::Accept(int) { return NotInFake("unix sockets"); }
absl::StatusOr<PeerCred> FakeKernel::GetPeerCred(int) { return NotInFake("unix sockets"); }

}  // namespace baton::sys
