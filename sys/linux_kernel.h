// LinuxKernel: the Kernel interface (sys/kernel.h) made of real syscalls.
//
// Every fd it returns is O_CLOEXEC and owned by a UniqueFd. Errors are
// ErrnoStatus values naming the call and its main argument, e.g.
// "mkdir /run/baton: Permission denied (errno 13)".
//
// Notes on the less obvious methods:
//  * Spawn forks; the child resets every signal disposition to SIG_DFL and
//    unblocks all signals, then (setsid), dup2 of stdio ((-1 → /dev/null,
//    opened by the parent), chdir, seccomp (NO_NEW_PRIVS first) and execve.
//    Only async-signal-safe calls happen in the child: argv/envp arrays and
//    the sock_fprog are built before fork. A failure in the child is sent
//    back through a CLOEXEC pipe; Spawn then reaps the child and returns e.g.
//    "exec /bin/nosuch: No such file or directory (errno 2)". On success the
//    child is not reaped here: ReapOne sees it later.
//  * Stat uses lstat; fs_magic is statfs of the path, or of its parent
//    directory when the path is a symlink (so a symlink reports the
//    filesystem that holds it, not the one it points into). When statfs
//    fails fs_magic is 0.
//  * Mounts parses /proc/self/mountinfo: octal escapes (\040 …) are undone,
//    a "shared:N" optional field sets `shared`, and `options` is the
//    per-mount options followed by the filesystem's own options (without the
//    superblock's repeated rw/ro).
//  * EpollWait rounds the timeout up to whole milliseconds.
//  * TimerArm: a zero duration disarms, a negative one fires at once.
#ifndef BATON_SYS_LINUX_KERNEL_H_
#define BATON_SYS_LINUX_KERNEL_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "sys/kernel.h"

namespace baton::sys {

// The defaults of Open, WriteFile and MkdirAll repeat kernel.h's, so calls
// through a LinuxKernel& read the same as calls through a Kernel&.
class LinuxKernel : public Kernel {
 public:
  LinuxKernel() = default;

  absl::StatusOr<pid_t> Spawn(const SpawnRequest& request) override;
  absl::Status Kill(pid_t pid, int sig) override;
  absl::StatusOr<std::optional<ChildExit>> ReapOne() override;
  absl::StatusOr<bool> IsOurChild(pid_t pid) override;
  absl::StatusOr<ChildExit> Wait(pid_t pid) override;
  absl::StatusOr<bool> WaitReadable(int fd, absl::Duration timeout) override;
  absl::StatusOr<std::vector<int>> PollReadable(const std::vector<int>& fds,
                                                absl::Duration timeout) override;
  absl::StatusOr<bool> PollWritable(int fd, absl::Duration timeout) override;
  absl::StatusOr<UniqueFd> PidFd(pid_t pid) override;
  absl::StatusOr<pid_t> RunInIdleChild(const std::function<int()>& body) override;
  absl::StatusOr<uint64_t> Readahead(const std::string& path) override;
  pid_t GetPid() override;
  uid_t GetUid() override;
  absl::Status SetChildSubreaper() override;
  absl::Status Execve(const std::string& path, const std::vector<std::string>& argv,
                      const std::vector<std::string>& env) override;

  absl::StatusOr<UniqueFd> Open(const std::string& path, int flags, mode_t mode = 0) override;
  absl::StatusOr<size_t> Read(int fd, void* buf, size_t len) override;
  absl::StatusOr<size_t> Write(int fd, const void* buf, size_t len) override;
  absl::StatusOr<size_t> PRead(int fd, void* buf, size_t len, uint64_t offset) override;
  absl::StatusOr<std::string> ReadFile(const std::string& path) override;
  absl::StatusOr<std::string> ReadRegularFile(const std::string& path,
                                              size_t max_bytes) override;
  absl::Status WriteFile(const std::string& path, absl::string_view contents,
                         mode_t mode = 0644) override;
  absl::Status MkdirAll(const std::string& path, mode_t mode = 0755) override;
  absl::Status Unlink(const std::string& path) override;
  absl::Status Rmdir(const std::string& path) override;
  absl::Status Symlink(const std::string& target, const std::string& link_path) override;
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::Status Mknod(const std::string& path, mode_t mode, dev_t dev) override;
  absl::StatusOr<FileInfo> Stat(const std::string& path) override;
  absl::StatusOr<std::string> ReadLink(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path) override;
  absl::StatusOr<std::vector<DirEntry>> ListDirEntries(const std::string& path) override;
  absl::StatusOr<FileInfo> StatFd(int fd) override;
  absl::Status UnlinkAt(int dir_fd, const std::string& name, bool is_dir) override;
  absl::StatusOr<UniqueFd> OpenAt(int dir_fd, const std::string& name, int flags) override;
  absl::StatusOr<std::vector<std::string>> ListDirFd(int dir_fd) override;
  absl::StatusOr<FileInfo> StatAt(int dir_fd, const std::string& name) override;

  absl::StatusOr<std::pair<UniqueFd, UniqueFd>> Pipe() override;
  absl::Status SetCloexec(int fd, bool on) override;
  absl::StatusOr<UniqueFd> Dup(int fd) override;
  absl::Status Flock(int fd, int operation) override;
  absl::StatusOr<bool> SetEcho(int fd, bool on) override;
  absl::StatusOr<size_t> SetKeyboardEntries(int fd,
                                            const std::vector<KeyboardEntry>& entries) override;

  absl::StatusOr<UniqueFd> EpollCreate() override;
  absl::Status EpollAdd(int epfd, int fd, uint32_t events, uint64_t data) override;
  absl::Status EpollDel(int epfd, int fd) override;
  absl::StatusOr<std::vector<EpollEvent>> EpollWait(int epfd, absl::Duration timeout) override;
  absl::StatusOr<UniqueFd> SignalFd(const std::vector<int>& signals) override;
  absl::StatusOr<std::optional<int>> ReadSignal(int sfd) override;
  absl::StatusOr<UniqueFd> TimerFd() override;
  absl::Status TimerArm(int tfd, absl::Duration after) override;

  absl::StatusOr<UniqueFd> UnixListen(const std::string& path) override;
  absl::StatusOr<UniqueFd> UnixConnect(const std::string& path) override;
  absl::StatusOr<UniqueFd> Accept(int listen_fd) override;
  absl::StatusOr<PeerCred> GetPeerCred(int fd) override;

  absl::Status Mount(const std::string& source, const std::string& target,
                     const std::string& fstype, unsigned long flags,
                     const std::string& data) override;
  absl::Status Umount(const std::string& target, int flags) override;
  absl::Status PivotRoot(const std::string& new_root, const std::string& put_old) override;
  absl::Status Chroot(const std::string& path) override;
  absl::Status Chdir(const std::string& path) override;
  absl::Status Fchdir(int fd) override;
  absl::StatusOr<std::vector<MountEntry>> Mounts() override;

  absl::StatusOr<UniqueFd> UeventSocket(int group) override;
  absl::StatusOr<UniqueFd> UdevdKernelSocket() override;
  absl::StatusOr<std::optional<std::string>> RecvDatagram(int fd) override;
  absl::StatusOr<UniqueFd> MemfdCreate(const std::string& name) override;
  absl::Status SealMemfd(int fd) override;
  absl::Status Reboot(int cmd) override;
  absl::Status Sync() override;
  absl::Status Swapoff(const std::string& path) override;

  // device-mapper: each call opens /dev/mapper/control O_RDWR|O_CLOEXEC for
  // one ioctl (a missing node says "is dm_mod loaded?").
  absl::StatusOr<dev_t> DmCreate(const std::string& name, const std::string& uuid) override;
  absl::Status DmLoadTable(const std::string& name, const std::vector<DmTarget>& targets,
                           bool read_only) override;
  absl::Status DmResume(const std::string& name) override;
  absl::Status DmRemove(const std::string& name) override;
  absl::StatusOr<std::optional<DmInfo>> DmStatus(const std::string& name) override;
};

// Parses the text of /proc/self/mountinfo (exposed for tests).
absl::StatusOr<std::vector<MountEntry>> ParseMountInfo(absl::string_view text);

}  // namespace baton::sys

#endif  // BATON_SYS_LINUX_KERNEL_H_
