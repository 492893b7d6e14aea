// The one seam between baton and the Linux kernel.
//
// Every syscall that PID 1 makes goes through a Kernel, passed by reference.
// LinuxKernel (sys/linux_kernel.h) makes the real calls; FakeKernel
// (sys/fake_kernel.h, testonly) keeps a mount table, an fd table, a process
// table and a small in-memory file tree so that job, switch-root and stage-1
// logic are tested without root. Errors come back as absl::Status whose
// message names the call, its main argument and errno.
#ifndef BATON_SYS_KERNEL_H_
#define BATON_SYS_KERNEL_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sys/unique_fd.h"

namespace baton::sys {

// What a new process gets. The child side (between fork and exec) does only
// async-signal-safe work: setsid, dup2 of the three stdio fds, chdir, the
// seccomp filter, then execve.
struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is the path executed
  std::vector<std::string> env;   // "KEY=VALUE", the whole environment
  std::string cwd = "/";
  // Not empty: the child chroot()s to ROOT before the chdir to CWD (CWD is
  // then a path under ROOT), so the program and, for a dynamic binary, its
  // loader and libraries resolve there — as after a switch to ROOT. ARGV[0]
  // is a path under ROOT.
  std::string root;
  // -1 means /dev/null. The fds are dup2'ed onto 0, 1 and 2 in the child.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  bool new_session = true;  // setsid(): own session and process group
  // A compiled classic-BPF seccomp program (struct sock_filter, 8 bytes an
  // instruction), installed with NO_NEW_PRIVS just before execve. Empty: none.
  std::vector<uint8_t> seccomp_bpf;
  // Sockets handed over as sd_listen_fds(3) expects them: the child gets
  // them as fds 3, 4, … in this order, and LISTEN_FDS=<count> and
  // LISTEN_PID=<its own pid> are added to ENV (replacing any given there).
  std::vector<int> listen_fds;
};

// One reaped child, from waitid(P_ALL, WEXITED | WNOHANG).
struct ChildExit {
  pid_t pid = 0;
  int exit_status = 0;  // valid when signal == 0
  int signal = 0;       // the signal that killed it, or 0
  bool core_dumped = false;
};

struct FileInfo {
  enum class Type { kRegular, kDirectory, kSymlink, kBlockDevice, kCharDevice, kOther };
  Type type = Type::kOther;
  uint32_t mode = 0;     // permission bits
  uint64_t size = 0;
  uint64_t dev = 0;      // st_dev: the filesystem it lives on
  uint64_t ino = 0;      // st_ino (0 where a fake does not model inodes)
  uint64_t rdev = 0;     // st_rdev for device nodes
  uint64_t fs_magic = 0; // statfs f_type of the filesystem holding it
};

// One entry of a directory listing, typed from getdents' d_type.
struct DirEntry {
  // kOther: a device node, fifo or socket. kUnknown: the filesystem gave no
  // d_type and the lstat of the entry failed too (e.g. it was just removed).
  enum class Type { kDirectory, kSymlink, kRegular, kOther, kUnknown };
  std::string name;
  Type type = Type::kUnknown;
  bool operator==(const DirEntry& o) const { return name == o.name && type == o.type; }
};

struct PeerCred {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

// A mount as /proc/self/mountinfo lists it.
struct MountEntry {
  std::string source;
  std::string target;
  std::string fstype;
  std::string options;
  bool shared = false;
};

// --- device-mapper ----------------------------------------------------------
// One line of a device-mapper table: LENGTH sectors from START handled by the
// target TYPE ("linear", "striped", "crypt" …) with PARAMS, as `dmsetup
// table` prints it ("253:0 2048" for linear). PARAMS may hold a key (crypt):
// it is never logged, and the ioctl buffer is wiped after use.
struct DmTarget {
  uint64_t start = 0;   // in 512-byte sectors
  uint64_t length = 0;  // in 512-byte sectors
  std::string type;
  std::string params;
};

// What DM_DEV_STATUS says about a device.
struct DmInfo {
  dev_t dev = 0;
  std::string uuid;
  bool active = false;     // a live table (DM_ACTIVE_PRESENT_FLAG)
  bool suspended = false;  // DM_SUSPEND_FLAG
  bool read_only = false;  // DM_READONLY_FLAG
};

class Kernel {
 public:
  virtual ~Kernel() = default;

  // --- processes ---------------------------------------------------------
  virtual absl::StatusOr<pid_t> Spawn(const SpawnRequest& request) = 0;
  // Sends SIG to PID (a negative PID names a process group).
  virtual absl::Status Kill(pid_t pid, int sig) = 0;
  // Reaps one exited child without blocking; nullopt when none is waiting.
  virtual absl::StatusOr<std::optional<ChildExit>> ReapOne() = 0;
  // Whether PID is our child, running or exited and not yet reaped
  // (waitid(P_PID, WEXITED | WNOHANG | WNOWAIT): nothing is reaped); false
  // for any other pid (ECHILD).
  virtual absl::StatusOr<bool> IsOurChild(pid_t pid) {
    return absl::UnimplementedError("is our child");
  }
  virtual pid_t GetPid() = 0;
  virtual uid_t GetUid() = 0;
  // prctl(PR_SET_CHILD_SUBREAPER): orphans of our children come to us.
  virtual absl::Status SetChildSubreaper() = 0;
  // Blocks until the child PID exits and reaps it (waitid(P_PID, WEXITED),
  // EINTR retried). For one-shot commands (`baton luks-unlock` …) waiting on
  // a tool they ran; PID 1's event loop uses ReapOne instead.
  virtual absl::StatusOr<ChildExit> Wait(pid_t pid) {
    return absl::UnimplementedError("wait");
  }
  // Waits up to TIMEOUT for FD to become readable (data, end of file, or an
  // error to report): poll(POLLIN). False when the time passed first; EINTR
  // is retried with the time left. For a child that should answer at once
  // (the exec ladder's preflight) and must not hang PID 1.
  virtual absl::StatusOr<bool> WaitReadable(int fd, absl::Duration timeout) {
    return absl::UnimplementedError("wait readable");
  }
  // Waits up to TIMEOUT until at least one of FDS is readable: poll(POLLIN),
  // a hang-up or an error counting as readable (the Read then says which).
  // Returns the ready fds in the order of FDS; empty when the time passed
  // first. EINTR is retried with the time left. For reading whichever of
  // several consoles is typed on first (console_prompt.h).
  virtual absl::StatusOr<std::vector<int>> PollReadable(const std::vector<int>& fds,
                                                        absl::Duration timeout) {
    return absl::UnimplementedError("poll");
  }
  // poll(2) for POLLOUT on FD: true when FD takes output (or is in error)
  // before TIMEOUT, false when the time passed first. EINTR is retried.
  virtual absl::StatusOr<bool> PollWritable(int fd, absl::Duration timeout) {
    return absl::UnimplementedError("poll");
  }
  // pidfd_open(PID): an fd that becomes readable (WaitReadable) when the
  // child PID exits, so that waiting for it can be bounded; Wait still reaps.
  virtual absl::StatusOr<UniqueFd> PidFd(pid_t pid) {
    return absl::UnimplementedError("pidfd_open");
  }
  // Runs BODY in a forked child at SCHED_IDLE priority (it only gets a CPU
  // that nothing else wants) which then _exits with BODY's value; returns the
  // child's pid, for the caller's reaper. BODY runs in a copy of this
  // process: what it changes in memory stays in the child. For background
  // chores of PID 1 that must not delay it (emptying the old rootfs after
  // the switch). The default, for fakes, runs BODY here, at once, and
  // returns 0.
  virtual absl::StatusOr<pid_t> RunInIdleChild(const std::function<int()>& body) {
    (void)body();
    return 0;
  }
  // Asks the kernel to read PATH into the page cache in the background
  // (open + posix_fadvise(POSIX_FADV_WILLNEED)); returns at once, with the
  // file's size. For a binary about to be executed from a cold disk. The
  // default, for fakes: the size, nothing read.
  virtual absl::StatusOr<uint64_t> Readahead(const std::string& path) {
    absl::StatusOr<FileInfo> info = Stat(path);
    if (!info.ok()) return info.status();
    return info->size;
  }
  // Replaces this process. Returns only on failure.
  virtual absl::Status Execve(const std::string& path, const std::vector<std::string>& argv,
                              const std::vector<std::string>& env) = 0;

  // --- files ---------------------------------------------------------------
  // Every fd is opened O_CLOEXEC (added to FLAGS).
  virtual absl::StatusOr<UniqueFd> Open(const std::string& path, int flags, mode_t mode = 0) = 0;
  virtual absl::StatusOr<size_t> Read(int fd, void* buf, size_t len) = 0;
  virtual absl::StatusOr<size_t> Write(int fd, const void* buf, size_t len) = 0;
  // pread(2): reads at OFFSET without moving the file offset (the handoff
  // memfd is read from 0 after its writer left the offset at the end).
  // Fakes that do not model it return UnimplementedError.
  virtual absl::StatusOr<size_t> PRead(int fd, void* buf, size_t len, uint64_t offset) {
    return absl::UnimplementedError("pread");
  }
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) = 0;
  // The contents of a file someone put where PID 1 reads it (a job file),
  // following a final symlink: opened O_NONBLOCK, so that a fifo cannot
  // block PID 1, and refused unless fstat says it is a regular file
  // (FailedPrecondition "not a regular file (a fifo)": a device such as
  // /dev/zero would never end) or when it holds more than MAX_BYTES
  // (ResourceExhausted).
  virtual absl::StatusOr<std::string> ReadRegularFile(const std::string& path,
                                                      size_t max_bytes) = 0;
  // Writes CONTENTS to PATH (created or truncated).
  virtual absl::Status WriteFile(const std::string& path, absl::string_view contents,
                                 mode_t mode = 0644) = 0;
  virtual absl::Status MkdirAll(const std::string& path, mode_t mode = 0755) = 0;
  virtual absl::Status Unlink(const std::string& path) = 0;
  virtual absl::Status Rmdir(const std::string& path) = 0;
  virtual absl::Status Symlink(const std::string& target, const std::string& link_path) = 0;
  virtual absl::Status Rename(const std::string& from, const std::string& to) = 0;
  virtual absl::Status Mknod(const std::string& path, mode_t mode, dev_t dev) = 0;
  // lstat + statfs: does not follow a final symlink.
  virtual absl::StatusOr<FileInfo> Stat(const std::string& path) = 0;
  virtual absl::StatusOr<std::string> ReadLink(const std::string& path) = 0;
  // Names in a directory, without "." and "..", sorted.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path) = 0;
  // ListDir with each entry's type, as the directory read reports it
  // (d_type: no stat per entry; sysfs, tmpfs, ext4 fill it). Only for an
  // entry whose d_type is DT_UNKNOWN is that one entry lstat'ed. Never
  // follows a symlink: a symlink to a directory is kSymlink. The default
  // is ListDir plus a Stat (lstat) of each entry.
  virtual absl::StatusOr<std::vector<DirEntry>> ListDirEntries(const std::string& path) {
    absl::StatusOr<std::vector<std::string>> names = ListDir(path);
    if (!names.ok()) return names.status();
    std::vector<DirEntry> entries;
    entries.reserve(names->size());
    for (std::string& name : *names) {
      DirEntry entry{std::move(name), DirEntry::Type::kUnknown};
      absl::StatusOr<FileInfo> info = Stat(path + "/" + entry.name);
      if (info.ok()) {
        switch (info->type) {
          case FileInfo::Type::kDirectory: entry.type = DirEntry::Type::kDirectory; break;
          case FileInfo::Type::kSymlink: entry.type = DirEntry::Type::kSymlink; break;
          case FileInfo::Type::kRegular: entry.type = DirEntry::Type::kRegular; break;
          default: entry.type = DirEntry::Type::kOther; break;
        }
      }
      entries.push_back(std::move(entry));
    }
    return entries;
  }
  // fstat + fstatfs of an open fd (used to check "still on the same device").
  virtual absl::StatusOr<FileInfo> StatFd(int fd) = 0;
  // unlinkat(DIR_FD, NAME, flags): removal relative to an fd opened earlier.
  virtual absl::Status UnlinkAt(int dir_fd, const std::string& name, bool is_dir) = 0;
  virtual absl::StatusOr<UniqueFd> OpenAt(int dir_fd, const std::string& name, int flags) = 0;
  // Names in the directory behind DIR_FD, as ListDir.
  virtual absl::StatusOr<std::vector<std::string>> ListDirFd(int dir_fd) = 0;
  virtual absl::StatusOr<FileInfo> StatAt(int dir_fd, const std::string& name) = 0;

  // --- fds -----------------------------------------------------------------
  // A pipe; both ends O_CLOEXEC, the read end O_NONBLOCK.
  virtual absl::StatusOr<std::pair<UniqueFd, UniqueFd>> Pipe() = 0;
  virtual absl::Status SetCloexec(int fd, bool on) = 0;
  virtual absl::StatusOr<UniqueFd> Dup(int fd) = 0;
  // flock(2): OPERATION is LOCK_EX, LOCK_SH or LOCK_UN, optionally | LOCK_NB;
  // without LOCK_NB it blocks until the lock is granted (EINTR retried). The
  // lock goes away with the last fd of its open file.
  virtual absl::Status Flock(int fd, int operation) {
    return absl::UnimplementedError("flock");
  }
  // Turns echo (ECHO in c_lflag; ECHONL kept) of the terminal FD on or off,
  // at once (TCSANOW: input typed ahead is kept, not flushed). Returns whether
  // echo was on before, so the caller can restore it. ENOTTY for a non-tty.
  virtual absl::StatusOr<bool> SetEcho(int fd, bool on) {
    return absl::UnimplementedError("tcsetattr");
  }
  // The console keymap (linux/kd.h KDSKBENT), one entry per ioctl, in order,
  // on FD, a virtual terminal (the table is the kernel's, shared by every
  // VT). An entry with index 0 and value K_NOSUCHMAP frees its table (not
  // table 0). Entries the kernel refuses with EINVAL (a value of a type it
  // does not know, or a Unicode value while the keyboard is not in Unicode
  // mode) are counted and skipped, as loadkeys does; returns that count.
  // Any other error (ENOTTY: not a VT, EPERM) stops at once.
  struct KeyboardEntry {
    uint8_t table;
    uint8_t index;
    uint16_t value;
  };
  virtual absl::StatusOr<size_t> SetKeyboardEntries(int fd,
                                                    const std::vector<KeyboardEntry>& entries) {
    return absl::UnimplementedError("KDSKBENT");
  }

  // --- event loop primitives ---------------------------------------------
  virtual absl::StatusOr<UniqueFd> EpollCreate() = 0;
  // EVENTS is an EPOLL* mask; DATA comes back from EpollWait.
  virtual absl::Status EpollAdd(int epfd, int fd, uint32_t events, uint64_t data) = 0;
  virtual absl::Status EpollDel(int epfd, int fd) = 0;
  struct EpollEvent {
    uint32_t events;
    uint64_t data;
  };
  // Waits up to TIMEOUT (absl::InfiniteDuration() blocks); EINTR is no error.
  virtual absl::StatusOr<std::vector<EpollEvent>> EpollWait(int epfd, absl::Duration timeout) = 0;
  // Blocks SIGNALS for this process and returns a signalfd reading them.
  virtual absl::StatusOr<UniqueFd> SignalFd(const std::vector<int>& signals) = 0;
  // Reads one pending signal number from a signalfd; nullopt when none.
  virtual absl::StatusOr<std::optional<int>> ReadSignal(int sfd) = 0;
  // Restores the default signal mask (done in children before exec too).
  virtual absl::StatusOr<UniqueFd> TimerFd() = 0;
  // Arms a one-shot CLOCK_MONOTONIC timer AFTER from now; zero disarms.
  virtual absl::Status TimerArm(int tfd, absl::Duration after) = 0;

  // --- unix sockets ----------------------------------------------------------
  // A listening SOCK_SEQPACKET socket at PATH (an old socket file is replaced).
  virtual absl::StatusOr<UniqueFd> UnixListen(const std::string& path) = 0;
  virtual absl::StatusOr<UniqueFd> UnixConnect(const std::string& path) = 0;
  // The connection is non-blocking: a peer that does not read what it is
  // sent makes a write fail with EAGAIN (Unavailable), never wait.
  virtual absl::StatusOr<UniqueFd> Accept(int listen_fd) = 0;
  virtual absl::StatusOr<PeerCred> GetPeerCred(int fd) = 0;

  // --- mounts and roots --------------------------------------------------
  virtual absl::Status Mount(const std::string& source, const std::string& target,
                             const std::string& fstype, unsigned long flags,
                             const std::string& data) = 0;
  virtual absl::Status Umount(const std::string& target, int flags) = 0;
  virtual absl::Status PivotRoot(const std::string& new_root, const std::string& put_old) = 0;
  virtual absl::Status Chroot(const std::string& path) = 0;
  virtual absl::Status Chdir(const std::string& path) = 0;
  virtual absl::Status Fchdir(int fd) = 0;
  virtual absl::StatusOr<std::vector<MountEntry>> Mounts() = 0;

  // --- device events and handoff ------------------------------------------
  // A NETLINK_KOBJECT_UEVENT socket bound to the kernel's multicast group
  // (GROUP 1) or to udevd's processed events (GROUP 2). Nonblocking.
  virtual absl::StatusOr<UniqueFd> UeventSocket(int group) = 0;
  // The socket systemd's systemd-udevd-kernel.socket makes for udevd
  // (ListenNetlink=kobject-uevent 1, PassCredentials=yes, ReceiveBuffer=
  // 128M): SOCK_RAW, bound to group 1, SO_PASSCRED on, blocking. Events
  // wait in it from the bind on, whether or not udevd runs yet.
  virtual absl::StatusOr<UniqueFd> UdevdKernelSocket() = 0;
  // One datagram from a netlink socket; nullopt when none is pending.
  virtual absl::StatusOr<std::optional<std::string>> RecvDatagram(int fd) = 0;
  virtual absl::StatusOr<UniqueFd> MemfdCreate(const std::string& name) = 0;
  // Seals a memfd against any further change (F_SEAL_SEAL|SHRINK|GROW|WRITE).
  virtual absl::Status SealMemfd(int fd) = 0;
  virtual absl::Status Reboot(int cmd) = 0;
  // sync(2): every filesystem's dirty data to its device. The default, for
  // fakes that do not model it, is UnimplementedError.
  virtual absl::Status Sync() { return absl::UnimplementedError("sync"); }
  // swapoff(2) of the swap device or file PATH.
  virtual absl::Status Swapoff(const std::string& path) {
    return absl::UnimplementedError("swapoff");
  }

  // --- device-mapper (ioctls on /dev/mapper/control, linux/dm-ioctl.h) -----
  // The control node exists once dm_mod is loaded. NAME is at most 127
  // bytes and holds no '/'; UUID at most 128 bytes. Every error names the
  // device ("device-mapper create vg-root: Device or resource busy …").
  // The defaults, for kernels without device-mapper, are UnimplementedError.
  //
  // DM_DEV_CREATE: a new device with no table; returns its dev_t.
  virtual absl::StatusOr<dev_t> DmCreate(const std::string& name, const std::string& uuid) {
    return absl::UnimplementedError("device-mapper create");
  }
  // DM_TABLE_LOAD: TARGETS (in order, contiguous from sector 0) become the
  // device's inactive table; READ_ONLY makes the device read-only once the
  // table is live. DM_SECURE_DATA_FLAG is always set (the kernel wipes its
  // copy of the buffer).
  virtual absl::Status DmLoadTable(const std::string& name, const std::vector<DmTarget>& targets,
                                   bool read_only) {
    return absl::UnimplementedError("device-mapper load");
  }
  // DM_DEV_SUSPEND without DM_SUSPEND_FLAG: the loaded table goes live and
  // the device resumes (the kernel then sends a "change" uevent).
  virtual absl::Status DmResume(const std::string& name) {
    return absl::UnimplementedError("device-mapper resume");
  }
  // DM_DEV_REMOVE. Fails with EBUSY while the device is open.
  virtual absl::Status DmRemove(const std::string& name) {
    return absl::UnimplementedError("device-mapper remove");
  }
  // DM_DEV_STATUS: the device called NAME, or nullopt when there is none.
  virtual absl::StatusOr<std::optional<DmInfo>> DmStatus(const std::string& name) {
    return absl::UnimplementedError("device-mapper status");
  }
};

}  // namespace baton::sys

#endif  // BATON_SYS_KERNEL_H_
