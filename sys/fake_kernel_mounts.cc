// FakeKernel: the mount table, roots, uevent sockets, memfds and reboot.
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sys/fake_kernel.h"
#include "sys/fake_kernel_internal.h"
#include "sys/status_macros.h"

namespace baton::sys {

using fake_internal::MagicFor;
using fake_internal::Rebase;
using fake_internal::Under;
using Type = FileInfo::Type;

namespace {

std::string MountFlagNames(unsigned long flags) {
  static constexpr std::pair<unsigned long, const char*> kNames[] = {
      {MS_RDONLY, "MS_RDONLY"},       {MS_NOSUID, "MS_NOSUID"},
      {MS_NODEV, "MS_NODEV"},         {MS_NOEXEC, "MS_NOEXEC"},
      {MS_SYNCHRONOUS, "MS_SYNCHRONOUS"}, {MS_REMOUNT, "MS_REMOUNT"},
      {MS_MANDLOCK, "MS_MANDLOCK"},   {MS_DIRSYNC, "MS_DIRSYNC"},
      {MS_NOATIME, "MS_NOATIME"},     {MS_NODIRATIME, "MS_NODIRATIME"},
      {MS_BIND, "MS_BIND"},           {MS_MOVE, "MS_MOVE"},
      {MS_REC, "MS_REC"},             {MS_SILENT, "MS_SILENT"},
      {MS_UNBINDABLE, "MS_UNBINDABLE"}, {MS_PRIVATE, "MS_PRIVATE"},
      {MS_SLAVE, "MS_SLAVE"},         {MS_SHARED, "MS_SHARED"},
      {MS_RELATIME, "MS_RELATIME"},   {MS_STRICTATIME, "MS_STRICTATIME"},
      {MS_LAZYTIME, "MS_LAZYTIME"},
  };
  std::vector<std::string> names;
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) {
      names.push_back(name);
      flags &= ~bit;
    }
  }
  if (flags != 0) names.push_back(absl::StrFormat("0x%x", flags));
  return absl::StrJoin(names, "|");
}

std::string UmountFlagNames(int flags) {
  static constexpr std::pair<int, const char*> kNames[] = {
      {MNT_FORCE, "MNT_FORCE"}, {MNT_DETACH, "MNT_DETACH"},
      {MNT_EXPIRE, "MNT_EXPIRE"}, {UMOUNT_NOFOLLOW, "UMOUNT_NOFOLLOW"}};
  std::vector<std::string> names;
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) {
      names.push_back(name);
      flags &= ~bit;
    }
  }
  if (flags != 0) names.push_back(absl::StrFormat("0x%x", flags));
  return absl::StrJoin(names, "|");
}

std::string MountOptions(unsigned long flags, const std::string& data) {
  std::string options = (flags & MS_RDONLY) ? "ro" : "rw";
  if (flags & MS_NOSUID) options += ",nosuid";
  if (flags & MS_NODEV) options += ",nodev";
  if (flags & MS_NOEXEC) options += ",noexec";
  if (flags & MS_RELATIME) options += ",relatime";
  if (!data.empty()) absl::StrAppend(&options, ",", data);
  return options;
}

}  // namespace

absl::Status FakeKernel::Mount(const std::string& source, const std::string& target,
                               const std::string& fstype, unsigned long flags,
                               const std::string& data) {
  std::string line = absl::StrCat("mount ", source.empty() ? "-" : source, " ", target);
  if (!fstype.empty()) absl::StrAppend(&line, " -t ", fstype);
  if (flags != 0) absl::StrAppend(&line, " ", MountFlagNames(flags));
  if (!data.empty()) absl::StrAppend(&line, " -o ", data);
  return Logged("mount", target, line,
                [&] { return DoMount(source, target, fstype, flags, data); });
}

int FakeKernel::DoMount(const std::string& source, const std::string& target,
                        const std::string& fstype, unsigned long flags,
                        const std::string& data) {
  const std::string global = Global(target);
  if (flags & MS_MOVE) return DoMove(source, target);

  constexpr unsigned long kPropagation = MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE;
  if (flags & kPropagation) {
    MountRec* mount = TopMountAt(global);
    if (mount == nullptr) return EINVAL;
    const bool shared = (flags & MS_SHARED) != 0;
    if (flags & MS_REC) {
      for (MountRec& m : mounts_) {
        if (Under(m.entry.target, global)) m.entry.shared = shared;
      }
    } else {
      mount->entry.shared = shared;
    }
    return 0;
  }

  if (flags & MS_REMOUNT) {
    MountRec* mount = TopMountAt(global);
    if (mount == nullptr) return EINVAL;
    mount->entry.options = MountOptions(flags, data);
    return 0;
  }

  if (flags & MS_BIND) {
    Resolved src;
    if (int err = Resolve(Global(source), &src)) return err;
    if (src.node == nullptr) return ENOENT;
    Resolved dst;
    if (int err = Resolve(global, &dst)) return err;
    if (dst.node == nullptr) return ENOENT;
    if ((src.node->type == Type::kDirectory) != (dst.node->type == Type::kDirectory)) {
      return ENOTDIR;
    }
    MountEntry entry{src.mount->entry.source, global, src.mount->entry.fstype,
                     MountOptions(flags, data), false};
    return NewMountAt(global, entry, src.node, 0, 0);
  }

  MountEntry entry{source, global, fstype, MountOptions(flags, data), false};
  return NewMountAt(global, entry, nullptr, next_dev_++, MagicFor(fstype));
}

int FakeKernel::DoMove(const std::string& source, const std::string& target) {
  const std::string from = Global(source);
  const std::string to = Global(target);
  MountRec* mount = TopMountAt(from);
  if (mount == nullptr) return EINVAL;
  if (from == "/" && mounts_.size() == 1) return EINVAL;
  Resolved dst;
  if (int err = Resolve(to, &dst)) return err;
  if (dst.node == nullptr) return ENOENT;
  if (dst.node->type != Type::kDirectory) return ENOTDIR;
  if (from != to && Under(to, from)) return ELOOP;
  const int moved_id = mount->id;
  const int new_parent = dst.mount->id;
  if (new_parent == moved_id) return ELOOP;

  std::vector<MountRec*> subtree = SubtreeOf(*mount);
  std::set<int> ids;
  for (MountRec* m : subtree) {
    ids.insert(m->id);
    m->entry.target = Rebase(m->entry.target, from, to);
    if (m->id == moved_id) m->parent = new_parent;
  }
  // The moved mounts go on top, keeping their own order.
  std::stable_partition(mounts_.begin(), mounts_.end(),
                        [&](const MountRec& m) { return ids.count(m.id) == 0; });
  if (Under(cwd_, from)) cwd_ = Rebase(cwd_, from, to);
  return 0;
}

absl::Status FakeKernel::Umount(const std::string& target, int flags) {
  std::string line = absl::StrCat("umount ", target);
  if (flags != 0) absl::StrAppend(&line, " ", UmountFlagNames(flags));
  return Logged("umount", target, line, [&] { return DoUmount(target, flags); });
}

int FakeKernel::DoUmount(const std::string& target, int flags) {
  MountRec* mount = TopMountAt(Global(target));
  if (mount == nullptr) return EINVAL;
  if (mount->parent == 0) return EBUSY;  // the root of the namespace
  std::vector<MountRec*> subtree = SubtreeOf(*mount);
  if (subtree.size() > 1 && !(flags & MNT_DETACH)) return EBUSY;
  std::set<int> ids;
  for (MountRec* m : subtree) ids.insert(m->id);
  mounts_.erase(std::remove_if(mounts_.begin(), mounts_.end(),
                               [&](const MountRec& m) { return ids.count(m.id) != 0; }),
                mounts_.end());
  return 0;
}

absl::Status FakeKernel::PivotRoot(const std::string& new_root, const std::string& put_old) {
  return Logged("pivot_root", new_root, absl::StrCat("pivot_root ", new_root, " ", put_old),
                [&] { return DoPivotRoot(new_root, put_old); });
}

int FakeKernel::DoPivotRoot(const std::string& new_root, const std::string& put_old) {
  if (root_ != "/") return EINVAL;
  const std::string gnew = Global(new_root);
  const std::string gold = Global(put_old);
  if (gnew == "/") return EBUSY;
  MountRec* mount = TopMountAt(gnew);
  if (mount == nullptr) return EINVAL;
  if (!Under(gold, gnew)) return EINVAL;
  Resolved old_dir;
  if (int err = Resolve(gold, &old_dir)) return err;
  if (old_dir.node == nullptr) return ENOENT;
  if (old_dir.node->type != Type::kDirectory) return ENOTDIR;

  const int new_id = mount->id;
  MountRec* old_root = TopMountAt("/");
  const int old_id = old_root->id;
  const std::string put_old_in_new = Rebase(gold, gnew, "/");
  std::set<int> moving_up;
  for (MountRec* m : SubtreeOf(*mount)) moving_up.insert(m->id);
  for (MountRec& m : mounts_) {
    if (moving_up.count(m.id)) {
      m.entry.target = Rebase(m.entry.target, gnew, "/");
    } else {
      m.entry.target = Rebase(m.entry.target, "/", put_old_in_new);
    }
    if (m.id == new_id) m.parent = 0;
    if (m.id == old_id) m.parent = new_id;
  }
  // The new root goes to the bottom; the old tree stacks on top of it.
  std::stable_partition(mounts_.begin(), mounts_.end(),
                        [&](const MountRec& m) { return moving_up.count(m.id) != 0; });
  if (cwd_ == "/") {
    cwd_ = "/";
  } else if (Under(cwd_, gnew)) {
    cwd_ = Rebase(cwd_, gnew, "/");
  } else {
    cwd_ = Rebase(cwd_, "/", put_old_in_new);
  }
  return 0;
}

absl::Status FakeKernel::Chroot(const std::string& path) {
  return Logged("chroot", path, absl::StrCat("chroot ", path), [&] {
    std::string global = Global(path);
    Resolved r;
    if (int err = Resolve(global, &r)) return err;
    if (r.node == nullptr) return ENOENT;
    if (r.node->type != Type::kDirectory) return ENOTDIR;
    root_ = global;
    return 0;
  });
}

absl::Status FakeKernel::Chdir(const std::string& path) {
  return Logged("chdir", path, absl::StrCat("chdir ", path), [&] {
    std::string global = Global(path);
    Resolved r;
    if (int err = Resolve(global, &r)) return err;
    if (r.node == nullptr) return ENOENT;
    if (r.node->type != Type::kDirectory) return ENOTDIR;
    cwd_ = global;
    return 0;
  });
}

absl::Status FakeKernel::Fchdir(int fd) {
  std::shared_ptr<OpenFile> file = FileOf(fd);
  std::string line = absl::StrCat("fchdir ", file != nullptr ? file->path : absl::StrCat(fd));
  return Logged("fchdir", file != nullptr ? file->path : "", line, [&] {
    if (file == nullptr) return EBADF;
    if (file->kind != OpenFile::Kind::kNode || file->node->type != Type::kDirectory) {
      return ENOTDIR;
    }
    cwd_ = file->path;
    return 0;
  });
}

absl::StatusOr<std::vector<MountEntry>> FakeKernel::Mounts() {
  if (int err = TakeInjected("mounts", "")) return ErrnoStatus(err, "open /proc/self/mountinfo");
  std::vector<MountEntry> out;
  for (const MountRec& m : mounts_) {
    if (!Under(m.entry.target, root_)) continue;
    MountEntry entry = m.entry;
    entry.target = Rebase(entry.target, root_, "/");
    out.push_back(std::move(entry));
  }
  return out;
}

// --- device events and handoff ---------------------------------------------

absl::StatusOr<UniqueFd> FakeKernel::UeventSocket(int group) {
  if (int err = TakeInjected("uevent_socket", "")) {
    return ErrnoStatus(err, "socket NETLINK_KOBJECT_UEVENT");
  }
  return UeventFd(group, absl::StrCat("uevent:", group));
}

absl::StatusOr<UniqueFd> FakeKernel::UdevdKernelSocket() {
  if (int err = TakeInjected("udevd_kernel_socket", "")) {
    return ErrnoStatus(err, "socket NETLINK_KOBJECT_UEVENT for udevd");
  }
  return UeventFd(1, "uevent:1 (udevd)");
}

UniqueFd FakeKernel::UeventFd(int group, const std::string& path) {
  auto file = std::make_shared<OpenFile>();
  file->kind = OpenFile::Kind::kUevent;
  file->group = group;
  file->path = path;
  return UniqueFd(AddFd(std::move(file)));
}

absl::StatusOr<std::optional<std::string>> FakeKernel::RecvDatagram(int fd) {
  std::string what = absl::StrCat("recv fd ", fd);
  if (int err = TakeInjected("recv_datagram", "")) return ErrnoStatus(err, what);
  std::shared_ptr<OpenFile> file = FileOf(fd);
  if (file == nullptr) return ErrnoStatus(EBADF, what);
  if (file->kind != OpenFile::Kind::kUevent) return ErrnoStatus(ENOTSOCK, what);
  if (file->datagrams.empty()) return std::optional<std::string>();
  std::string datagram = std::move(file->datagrams.front());
  file->datagrams.pop_front();
  return std::optional<std::string>(std::move(datagram));
}

absl::StatusOr<UniqueFd> FakeKernel::MemfdCreate(const std::string& name) {
  if (int err = TakeInjected("memfd_create", name)) {
    return ErrnoStatus(err, absl::StrCat("memfd_create ", name));
  }
  auto file = std::make_shared<OpenFile>();
  file->node = NewNode(Type::kRegular, 0600, nullptr);
  file->node->magic = TMPFS_MAGIC;
  file->path = name;
  file->flags = O_RDWR;
  file->memfd = true;
  return UniqueFd(AddFd(std::move(file)));
}

absl::Status FakeKernel::SealMemfd(int fd) {
  std::shared_ptr<OpenFile> file = FileOf(fd);
  std::string line = absl::StrCat("seal_memfd ", file != nullptr ? file->path : absl::StrCat(fd));
  return Logged("seal_memfd", file != nullptr ? file->path : "", line, [&] {
    if (file == nullptr) return EBADF;
    if (!file->memfd) return EINVAL;
    if (file->node->sealed) return EPERM;  // F_SEAL_SEAL
    file->node->sealed = true;
    return 0;
  });
}

absl::Status FakeKernel::Reboot(int cmd) {
  return Logged("reboot", "", absl::StrFormat("reboot 0x%x", static_cast<unsigned>(cmd)), [&] {
    reboots_.push_back(cmd);
    return 0;
  });
}

absl::Status FakeKernel::Sync() {
  return Logged("sync", "", "sync", [] { return 0; });
}

absl::Status FakeKernel::Swapoff(const std::string& path) {
  return Logged("swapoff", path, absl::StrCat("swapoff ", path), [] { return 0; });
}

}  // namespace baton::sys
