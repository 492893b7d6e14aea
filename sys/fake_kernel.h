// FakeKernel: an in-memory Kernel for unit tests (testonly).
//
// It keeps a mount table whose mounts each own a small file tree, an fd
// table, a process table and a log of the calls that change state, so that
// job, switch-root and stage-1 logic are tested without root and compared
// exactly.
//
// FILES. Paths are resolved like the kernel does, one component at a time,
// entering the topmost mount stacked on each prefix; relative paths start at
// the fake cwd, absolute ones at the fake root (see Chroot). "." and ".."
// are folded lexically; symlinks are never followed (Stat is lstat; Open of
// a symlink reads its target text). Each mount has its own device number
// and fs_magic (from its fstype: tmpfs/devtmpfs → TMPFS_MAGIC, ramfs/rootfs
// → RAMFS_MAGIC, proc, sysfs, ext4, else 0x1); a node reports the
// dev/fs_magic it was created with, inherited from its directory.
// Every node has its own inode number (FileInfo::ino), mount roots included.
// SetFilesystem(path, dev, magic) re-stamps the existing subtree at PATH
// and everything later created in it (the longest prefix wins, since a
// deeper call re-stamps its own subtree again). Renames across mounts fail
// with EXDEV; removing a mountpoint fails with EBUSY.
// The fake starts with one mount: source "rootfs", target "/", fstype
// "rootfs", dev 1, RAMFS_MAGIC, an empty directory.
//
// FDS. Numbers start at kFakeFdBase, far above any real fd, so a UniqueFd
// closing one does a harmless ::close (EBADF). The fake never learns of
// those closes; CloseFd() simulates one (a pipe reader then sees EOF once
// every write end is closed, and until then an empty pipe reads EAGAIN).
// fd-relative calls (OpenAt, StatAt, UnlinkAt, ListDirFd) work on the
// directory node itself and never enter a mount stacked on a child; they
// keep working after that directory is hidden by a pivot_root or MS_MOVE,
// like a real fd. "name" there may hold several components ("a/b").
//
// MOUNTS. Mount(source, target, fstype, flags, data):
//  * MS_MOVE moves the mount at SOURCE, with every mount below it, to
//    TARGET (stacked on top of whatever is there); cwd follows if it lay
//    inside.
//  * MS_SHARED / MS_PRIVATE / MS_SLAVE / MS_UNBINDABLE change `shared` on the
//    mount at TARGET, or with MS_REC on every mount at or below it.
//  * MS_REMOUNT rewrites the options of the mount at TARGET.
//  * MS_BIND mounts the directory SOURCE again at TARGET (same nodes, same
//    device; MS_REC does not copy submounts).
//  * otherwise a fresh, empty filesystem is mounted at TARGET.
// TARGET must be an existing directory (ENOENT/ENOTDIR), as in the kernel.
// Options read "rw" or "ro", then nosuid, nodev, noexec, relatime as
// flagged, then DATA: e.g. "rw,nosuid,mode=0755".
// Umount removes the topmost mount at TARGET (EINVAL if none); with
// MNT_DETACH also every mount below it, without it EBUSY if there are any.
// PivotRoot(new_root, put_old): NEW_ROOT must be a mountpoint other than
// "/" and PUT_OLD at or below it; mounts at or below NEW_ROOT move up to
// "/", all others move under PUT_OLD (for "pivot_root . ." the old root is
// stacked on top of the new one at "/", ready for umount(".", MNT_DETACH)).
// The cwd moves along, and a cwd of "/" becomes the new root.
// Chroot changes the fake root: later paths resolve below it and Mounts()
// lists only what lies below it, relative to it. Fchdir takes the path the
// directory fd was opened with.
//
// PROCESSES. Spawn records the request (spawned()) and returns pids 1000,
// 1001, …; FailExec(path, err) makes spawns (and Execve) of PATH fail the
// way LinuxKernel does ("exec PATH: …"). Exit/KillBySignal queue a
// ChildExit that ReapOne hands out in order. Kill records (pid, sig) in
// kills() and, with set_kill_terminates(true), turns SIGTERM and SIGKILL of
// a live child into its death by that signal; signal 0 only probes. Kill of
// a pid that is not live is ESRCH; a negative pid names the group led by
// that pid; -1 names every live child (ESRCH when there is none). Execve records into execs() and succeeds (it returns OK: a
// test can then look at what would have run) unless a failure is injected.
//
// WAITING. Wait(pid) hands out that child's queued exit (Exit/KillBySignal),
// taking it out of the ReapOne queue. A fake child never exits by itself: a
// test sets a spawn hook (set_spawn_hook) that sees each spawned request
// (and can read the pipe it got as stdin) and calls Exit for it. Wait for a
// live child with no queued exit fails (EDEADLK: it would block forever);
// for an unknown pid it is ECHILD.
//
// TERMINALS. AddTerminal(path, input) creates a char-device node at PATH
// that behaves like a tty in canonical mode: Read returns the queued input
// up to and including the next '\n' (0 = end of file once it is used up),
// Write appends to terminal_output(path), SetEcho toggles terminal_echo(path)
// (echo starts on). SetEcho on anything else is ENOTTY. Flock records
// "flock PATH LOCK_EX|LOCK_NB" style lines (PATH as opened); locks are not
// modelled otherwise. A terminal added with AddVirtualTerminal also takes
// SetKeyboardEntries: keyboard_entry(table, index) is the last value set
// (the table is one for all VTs, as the kernel's); index 0 with K_NOSUCHMAP
// frees a table; a Unicode value (a type past KT_BRL) is refused (EINVAL,
// counted) unless set_unicode_keyboard(true), the kernel's default with
// vt.default_utf8=1. On any other file SetKeyboardEntries is ENOTTY.
// HoldTerminal(path) keeps a terminal open once its
// input is used up (a person who has not typed yet): it then has nothing to
// read rather than end of file, so PollReadable leaves it out and a Read
// fails with EAGAIN (a real read would block); HoldTerminal(path, false)
// is the hang-up, end of file again.
//
// SetTerminalRoom(path, n) lets a terminal take N more bytes of output: a
// Write then takes what fits and, with nothing fitting, fails with EAGAIN
// on an O_NONBLOCK fd (a blocking one would block: EDEADLK instead);
// PollWritable says whether it has room, after set_poll_writable_hook's
// hook ran (where a test lets it drain), and returns at once either way.
//
// POLLING. PollReadable reports a terminal with input (or at end of file),
// a pipe with data or no writer left, and any other fd as readable. When
// none is and the timeout is infinite it fails with EDEADLK (it would block
// forever) instead of hanging the test; with a finite timeout it returns
// none at once.
//
// INJECTION. FailNext(call, err) makes the next call named CALL fail with
// errno ERR; FailNextOn(call, path, err) only when its main argument (as
// passed) is PATH. Several queue up and are used in order. Call names:
//   spawn kill reap execve set_child_subreaper open read write pread read_file
//   write_file mkdir_all unlink rmdir symlink rename mknod stat readlink
//   list_dir list_dir_entries stat_fd unlinkat openat list_dir_fd stat_at
//   pipe set_cloexec
//   dup mount umount pivot_root chroot chdir fchdir mounts uevent_socket
//   recv_datagram memfd_create seal_memfd reboot wait flock set_echo
//   set_keyboard_entries sync swapoff poll_readable
//
// LISTING. ListDirEntries types each child by its node (directory,
// symlink, regular; device nodes are kOther); a directory that is a
// mountpoint reports the directory under the mount, as getdents does.
//
// CALL COUNTS. call_count(CALL) is how many times the call named CALL (the
// names above, reads and stats included) was made, failed ones too;
// ClearCallCounts() starts over. Tests use it to pin how many syscalls a
// piece of logic costs.
//
// CALL LOG. calls() lists, in order, one line per call that changes state
// (reads, stats, opens and fd data transfers are not logged). Arguments
// appear as passed, not resolved. A failed call is logged too, with
// " -> ENAME" appended (e.g. "pivot_root . . -> EINVAL"). Lines:
//   spawn ARGV…                      kill PID SIG
//   execve PATH ARGV[1]…             set_child_subreaper
//   write_file PATH                  mkdir_all PATH
//   unlink PATH                      rmdir PATH
//   symlink TARGET LINK_PATH         rename FROM TO
//   mknod PATH MODE(octal) MAJOR:MINOR
//   unlinkat DIR NAME [AT_REMOVEDIR] (DIR: the path DIR_FD was opened with)
//   mount SOURCE TARGET [-t FSTYPE] [FLAGS] [-o DATA]
//        (empty SOURCE prints "-"; FLAGS are MS_* names joined by "|" in
//        bit order, e.g. "MS_NOSUID|MS_NODEV", unknown bits in hex)
//   umount TARGET [FLAGS]            (MNT_FORCE|MNT_DETACH|MNT_EXPIRE|UMOUNT_NOFOLLOW)
//   pivot_root NEW_ROOT PUT_OLD      chroot PATH
//   chdir PATH                       fchdir DIR
//   seal_memfd NAME                  reboot 0xCMD (hex)
//   sync                             swapoff PATH
//   flock PATH OPERATION             set_echo PATH on|off
// Examples: "mount /dev /root/dev MS_MOVE", "pivot_root . .",
// "umount . MNT_DETACH", "chroot .", "execve /sbin/init".
//
// DEVICE-MAPPER. A table of devices by name: DmCreate gives each the dev_t
// 253:N (N from 0; EBUSY when the name or a non-empty uuid is taken, as the
// kernel says), DmLoadTable keeps the targets as the inactive table (ENXIO
// for no such device; EINVAL for no targets, targets that are not contiguous
// from sector 0, or a type other than linear, striped, crypt, error, zero),
// DmResume makes it live, DmRemove drops the device (EBUSY after
// SetDmOpen(name, true)), DmStatus reports it. dm_devices() shows every
// device with its live and inactive tables, for tests to compare exactly;
// DmTableText renders one as `dmsetup table` does. Log lines never carry
// params (a crypt table holds a key):
//   dm_create NAME UUID     dm_load NAME TYPE[,TYPE…] [ro]
//   dm_resume NAME          dm_remove NAME
// Injection names: dm_create dm_load dm_resume dm_remove dm_status (the
// device name is the main argument).
//
// Not implemented (UnimplementedError): epoll, signalfd, timerfd and unix
// sockets; the event loop is tested against LinuxKernel.
#ifndef BATON_SYS_FAKE_KERNEL_H_
#define BATON_SYS_FAKE_KERNEL_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sys/kernel.h"

namespace baton::sys {

// The first fd number FakeKernel hands out.
inline constexpr int kFakeFdBase = 1 << 20;

class FakeKernel : public Kernel {
 public:
  struct ExecCall {
    std::string path;
    std::vector<std::string> argv;
    std::vector<std::string> env;
  };

  FakeKernel();
  ~FakeKernel() override;

  // --- test controls ---------------------------------------------------------
  void FailNext(const std::string& call, int err);
  void FailNextOn(const std::string& call, const std::string& path, int err);
  void FailExec(const std::string& path, int err);
  // Seeds a mount (the target directory is created if missing). A mount of
  // "/" while only the initial mount exists replaces that one's description.
  void AddMount(const MountEntry& entry);
  void SetFilesystem(const std::string& path_prefix, uint64_t dev, uint64_t fs_magic);
  void Exit(pid_t pid, int exit_status);
  void KillBySignal(pid_t pid, int sig);
  // The live PID is another process's child from now on (it was reparented,
  // or the pid was reused): Kill still reaches it, IsOurChild says false.
  void Disown(pid_t pid) { disowned_.insert(pid); }
  // From a spawn hook: the child PID (spawned as REQUEST) writes OUTPUT to
  // its stdout, closes it, then exits with EXIT_STATUS, or dies of SIG when
  // it is not 0. The error is the write's.
  absl::Status FinishChild(pid_t pid, const SpawnRequest& request, absl::string_view output,
                           int exit_status, int sig = 0);
  // Called after each successful Spawn with the new pid (see WAITING).
  using SpawnHook = std::function<void(pid_t, const SpawnRequest&)>;
  void set_spawn_hook(SpawnHook hook) { spawn_hook_ = std::move(hook); }
  // A tty at PATH (parents created) whose reads return INPUT (see TERMINALS).
  void AddTerminal(const std::string& path, const std::string& input);
  void AddVirtualTerminal(const std::string& path, const std::string& input);
  std::optional<uint16_t> keyboard_entry(uint8_t table, uint8_t index) const;
  void set_unicode_keyboard(bool on) { unicode_keyboard_ = on; }
  void AddTerminalInput(const std::string& path, const std::string& input);
  void HoldTerminal(const std::string& path, bool held = true);
  // The terminal takes ROOM more bytes of output, then none (a console
  // stopped by XOFF whose buffer filled); nullopt: no limit again.
  void SetTerminalRoom(const std::string& path, std::optional<size_t> room);
  // Called on each PollWritable of a terminal (with its path) before it is
  // answered: a test lets the console drain there.
  void set_poll_writable_hook(std::function<void(const std::string&)> hook) {
    poll_writable_hook_ = std::move(hook);
  }
  std::string terminal_output(const std::string& path) const;
  bool terminal_echo(const std::string& path) const;
  void set_kill_terminates(bool on) { kill_terminates_ = on; }
  void set_pid(pid_t pid) { pid_ = pid; }
  void set_uid(uid_t uid) { uid_ = uid; }
  // Called after each successful WriteFile (where a test plays the kernel:
  // a write into a sysfs uevent file sends an event).
  void set_write_file_hook(std::function<void(const std::string&, absl::string_view)> hook) {
    write_file_hook_ = std::move(hook);
  }
  // Queues a datagram on every uevent socket bound to GROUP.
  void InjectUevent(const std::string& payload, int group = 1);
  // Queues a datagram on one uevent socket.
  void InjectDatagram(int fd, const std::string& payload);
  // Simulates close(FD).
  void CloseFd(int fd);
  bool IsOpen(int fd) const;
  bool IsCloexec(int fd) const;

  const std::vector<std::string>& calls() const { return calls_; }
  void ClearCalls() { calls_.clear(); }
  size_t call_count(const std::string& call) const {
    auto it = call_counts_.find(call);
    return it == call_counts_.end() ? 0 : it->second;
  }
  void ClearCallCounts() { call_counts_.clear(); }
  const std::vector<SpawnRequest>& spawned() const { return spawned_; }
  const std::vector<std::pair<pid_t, int>>& kills() const { return kills_; }
  const std::vector<ExecCall>& execs() const { return execs_; }
  const std::vector<int>& reboots() const { return reboots_; }
  bool child_subreaper() const { return child_subreaper_; }
  // The cwd and root as paths in the whole mount namespace.
  const std::string& cwd() const { return cwd_; }
  const std::string& root() const { return root_; }
  // Pids spawned and not yet exited.
  const std::set<pid_t>& live() const { return live_; }

  // --- Kernel ------------------------------------------------------------------
  absl::StatusOr<pid_t> Spawn(const SpawnRequest& request) override;
  absl::Status Kill(pid_t pid, int sig) override;
  absl::StatusOr<std::optional<ChildExit>> ReapOne() override;
  // A live child, or one whose exit is queued and not reaped, unless
  // disowned. Not logged (it changes nothing); injectable as "is_our_child".
  absl::StatusOr<bool> IsOurChild(pid_t pid) override;
  absl::StatusOr<ChildExit> Wait(pid_t pid) override;
  // A pipe's read end: readable when it holds data or has no writer left;
  // otherwise false at once (fake time does not pass, so nothing could
  // arrive). Anything else is readable. Logged as "wait_readable FD".
  absl::StatusOr<bool> WaitReadable(int fd, absl::Duration timeout) override;
  absl::StatusOr<std::vector<int>> PollReadable(const std::vector<int>& fds,
                                                absl::Duration timeout) override;
  absl::StatusOr<bool> PollWritable(int fd, absl::Duration timeout) override;
  pid_t GetPid() override { return pid_; }
  uid_t GetUid() override { return uid_; }
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

  // --- device-mapper (see DEVICE-MAPPER) -------------------------------------
  struct DmDeviceRecord {
    std::string uuid;
    dev_t dev = 0;
    std::vector<DmTarget> table;  // live; empty until the first resume
    bool read_only = false;       // of the live table
    bool has_inactive = false;
    std::vector<DmTarget> inactive;
    bool inactive_read_only = false;
    bool suspended = true;
    bool open = false;
  };
  const std::map<std::string, DmDeviceRecord>& dm_devices() const { return dm_devices_; }
  // Seeds a device as if made earlier (live TABLE, resumed); returns its dev.
  dev_t AddDmDevice(const std::string& name, const std::string& uuid,
                    const std::vector<DmTarget>& table, bool read_only = false);
  void SetDmOpen(const std::string& name, bool open);
  // "START LENGTH TYPE PARAMS" lines, each ending in '\n'.
  static std::string DmTableText(const std::vector<DmTarget>& table);
  absl::StatusOr<dev_t> DmCreate(const std::string& name, const std::string& uuid) override;
  absl::Status DmLoadTable(const std::string& name, const std::vector<DmTarget>& targets,
                           bool read_only) override;
  absl::Status DmResume(const std::string& name) override;
  absl::Status DmRemove(const std::string& name) override;
  absl::StatusOr<std::optional<DmInfo>> DmStatus(const std::string& name) override;

 private:
  struct Node;
  struct MountRec;
  struct OpenFile;
  struct PipeBuffer;
  struct Resolved;
  struct Terminal {
    std::string input;
    std::string output;
    bool echo = true;
    bool virtual_terminal = false;
    bool held = false;  // used-up input is "nothing yet", not end of file
    std::optional<size_t> room;  // bytes it takes before it is full; none: no limit
  };
  struct Injection {
    std::string call;
    std::string path;  // empty: any
    int err;
  };
  using NodePtr = std::shared_ptr<Node>;

  // Returns the injected errno for CALL on PATH (consuming it), or 0.
  int TakeInjected(const std::string& call, const std::string& path);
  // Runs a state-changing call: injection, then BODY (returning an errno,
  // 0 for success), then the log line; a failure becomes ErrnoStatus(LINE).
  template <typename Body>
  absl::Status Logged(const std::string& call, const std::string& path, const std::string& line,
                      Body body);

  std::string Global(const std::string& path) const;
  int Resolve(const std::string& global, Resolved* out);
  MountRec* TopMountAt(const std::string& global);
  NodePtr NewNode(FileInfo::Type type, uint32_t mode, const NodePtr& dir);
  FileInfo InfoOf(const Node& node) const;
  // Sets dev and fs_magic on NODE and everything below it.
  static void Stamp(const NodePtr& node, uint64_t dev, uint64_t magic);
  std::vector<MountRec*> SubtreeOf(const MountRec& mount);
  int NewMountAt(const std::string& global, MountEntry entry, NodePtr root, uint64_t dev,
                 uint64_t magic);
  int DoMount(const std::string& source, const std::string& target, const std::string& fstype,
              unsigned long flags, const std::string& data);
  int DoMove(const std::string& source, const std::string& target);
  int DoPivotRoot(const std::string& new_root, const std::string& put_old);
  int DoUmount(const std::string& target, int flags);
  int MkdirAllInternal(const std::string& global, mode_t mode);
  int WalkAt(int dir_fd, const std::string& name, NodePtr* parent, std::string* leaf,
             NodePtr* node, std::string* dir_path);
  int AddFd(std::shared_ptr<OpenFile> file);
  // A uevent socket's fd in GROUP, named PATH.
  UniqueFd UeventFd(int group, const std::string& path);
  // What ReadFile and ReadRegularFile read: the "read_file" injection,
  // then PATH resolved (ENOENT when nothing is there).
  absl::StatusOr<Node*> NodeToRead(const std::string& path);
  std::shared_ptr<OpenFile> FileOf(int fd) const;

  std::vector<MountRec> mounts_;  // bottom to top
  std::map<int, std::shared_ptr<OpenFile>> fds_;
  std::set<int> no_cloexec_;
  std::deque<Injection> injections_;
  std::map<std::string, int> exec_failures_;
  std::vector<std::string> calls_;
  std::map<std::string, size_t> call_counts_;
  std::vector<SpawnRequest> spawned_;
  std::vector<std::pair<pid_t, int>> kills_;
  std::vector<ExecCall> execs_;
  std::vector<int> reboots_;
  std::deque<ChildExit> exits_;
  SpawnHook spawn_hook_;
  std::map<std::string, Terminal> terminals_;  // by path in the whole namespace
  std::function<void(const std::string&)> poll_writable_hook_;
  std::function<void(const std::string&, absl::string_view)> write_file_hook_;
  std::map<std::pair<uint8_t, uint8_t>, uint16_t> keymap_;  // (table, index) -> value
  bool unicode_keyboard_ = true;
  std::set<pid_t> live_;
  std::set<pid_t> disowned_;
  std::string cwd_ = "/";
  std::string root_ = "/";
  int next_fd_ = kFakeFdBase;
  int next_mount_id_ = 1;
  uint64_t next_dev_ = 2;
  uint64_t next_ino_ = 2;
  pid_t next_pid_ = 1000;
  pid_t pid_ = 1;
  uid_t uid_ = 0;
  bool kill_terminates_ = false;
  bool child_subreaper_ = false;
  bool initial_root_ = true;
  // device-mapper
  std::map<std::string, DmDeviceRecord> dm_devices_;
  unsigned next_dm_minor_ = 0;
};

}  // namespace baton::sys

#endif  // BATON_SYS_FAKE_KERNEL_H_
