#include "sys/linux_kernel.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/seccomp.h"

namespace baton::sys {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string TmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// Polls ReapOne until PID shows up (other children are ignored).
ChildExit WaitFor(LinuxKernel& kernel, pid_t pid) {
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    auto reaped = kernel.ReapOne();
    EXPECT_TRUE(reaped.ok()) << reaped.status();
    if (reaped.ok() && reaped->has_value() && (*reaped)->pid == pid) return **reaped;
    if (reaped.ok() && !reaped->has_value()) absl::SleepFor(absl::Milliseconds(5));
  }
  ADD_FAILURE() << "pid " << pid << " was never reaped";
  return ChildExit{};
}

std::string ReadAll(LinuxKernel& kernel, int fd) {
  std::string out;
  char buf[256];
  for (;;) {
    auto n = kernel.Read(fd, buf, sizeof(buf));
    if (!n.ok() || *n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

TEST(LinuxKernelTest, SpawnWritesStdoutIntoPipe) {
  LinuxKernel kernel;
  auto pipe = kernel.Pipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  SpawnRequest req;
  req.argv = {"/bin/sh", "-c", "echo hello $FOO; pwd"};
  req.env = {"FOO=world", "PATH=/bin:/usr/bin"};
  req.cwd = TmpDir();
  req.stdout_fd = pipe->second.get();
  auto pid = kernel.Spawn(req);
  ASSERT_TRUE(pid.ok()) << pid.status();
  pipe->second.reset();
  ChildExit exit = WaitFor(kernel, *pid);
  EXPECT_EQ(exit.signal, 0);
  EXPECT_EQ(exit.exit_status, 0);
  char real[4096];
  ASSERT_NE(::realpath(TmpDir().c_str(), real), nullptr);
  EXPECT_EQ(ReadAll(kernel, pipe->first.get()), "hello world\n" + std::string(real) + "\n");
}

TEST(LinuxKernelTest, SpawnHandsListenFdsAsSdListenFdsExpects) {
  LinuxKernel kernel;
  auto out = kernel.Pipe();
  auto first = kernel.Pipe();
  auto second = kernel.Pipe();
  ASSERT_TRUE(out.ok() && first.ok() && second.ok());
  SpawnRequest req;
  // fd 3 and 4 are the two write ends, in order; none of the copies the
  // child made on the way is left open; LISTEN_PID is the shell's own pid,
  // not the stale value given.
  req.argv = {"/bin/sh", "-c",
              "echo one >&3; echo two >&4; echo \"$LISTEN_FDS $((LISTEN_PID - $$))\"; "
              "ls /proc/$$/fd"};  // not in a pipeline: the shell's pipe would show
  req.env = {"PATH=/bin:/usr/bin", "LISTEN_PID=1", "LISTEN_FDS=7", "LISTEN_FDNAMES=x"};
  req.stdout_fd = out->second.get();
  req.listen_fds = {first->second.get(), second->second.get()};
  auto pid = kernel.Spawn(req);
  ASSERT_TRUE(pid.ok()) << pid.status();
  out->second.reset();
  first->second.reset();
  second->second.reset();
  ChildExit exit = WaitFor(kernel, *pid);
  EXPECT_EQ(exit.exit_status, 0);
  // 0-4, and above 4 only what this test process itself inherited without
  // CLOEXEC from whoever ran it (a shell's redirections, say).
  std::vector<int> want = {0, 1, 2, 3, 4};
  auto own = kernel.ListDir("/proc/self/fd");
  ASSERT_TRUE(own.ok());
  for (const std::string& name : *own) {
    int fd = std::atoi(name.c_str());
    int flags = ::fcntl(fd, F_GETFD);
    if (fd > 4 && flags >= 0 && (flags & FD_CLOEXEC) == 0) want.push_back(fd);
  }
  std::sort(want.begin(), want.end());
  std::vector<std::string> lines = absl::StrSplit(ReadAll(kernel, out->first.get()), '\n',
                                                  absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "2 0");
  std::vector<int> got;
  for (size_t i = 1; i < lines.size(); ++i) got.push_back(std::atoi(lines[i].c_str()));
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
  EXPECT_EQ(ReadAll(kernel, first->first.get()), "one\n");
  EXPECT_EQ(ReadAll(kernel, second->first.get()), "two\n");
}

// Moves FD to a number at or above 100 (CLOEXEC) and closes FD.
int MoveHigh(UniqueFd& fd) {
  int high = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 100);
  fd.reset();
  return high;
}

TEST(LinuxKernelTest, SpawnListenFdsMayHoldTheTargetNumbers) {
  // A listen fd that is 4 but goes to 3, and one that is 3 but goes to 4:
  // neither is clobbered before it is moved.
  LinuxKernel kernel;
  auto out = kernel.Pipe();
  auto a = kernel.Pipe();
  auto b = kernel.Pipe();
  ASSERT_TRUE(out.ok() && a.ok() && b.ok());
  UniqueFd out_write(MoveHigh(out->second));
  UniqueFd a_write(MoveHigh(a->second));
  UniqueFd b_write(MoveHigh(b->second));
  UniqueFd out_read(MoveHigh(out->first));
  UniqueFd a_read(MoveHigh(a->first));
  UniqueFd b_read(MoveHigh(b->first));
  // Whatever the test runner keeps at 3 and 4 is put aside and back.
  const int saved[2] = {::fcntl(3, F_DUPFD_CLOEXEC, 200), ::fcntl(4, F_DUPFD_CLOEXEC, 200)};
  ASSERT_EQ(::dup3(a_write.get(), 4, O_CLOEXEC), 4);
  ASSERT_EQ(::dup3(b_write.get(), 3, O_CLOEXEC), 3);
  SpawnRequest req;
  req.argv = {"/bin/sh", "-c", "echo A >&3; echo B >&4"};
  req.env = {"PATH=/bin:/usr/bin"};
  req.stdout_fd = out_write.get();
  req.listen_fds = {4, 3};
  auto pid = kernel.Spawn(req);
  for (int i = 0; i < 2; ++i) {
    if (saved[i] >= 0) {
      ::dup3(saved[i], 3 + i, 0);
      ::close(saved[i]);
    } else {
      ::close(3 + i);
    }
  }
  ASSERT_TRUE(pid.ok()) << pid.status();
  a_write.reset();
  b_write.reset();
  out_write.reset();
  EXPECT_EQ(WaitFor(kernel, *pid).exit_status, 0);
  EXPECT_EQ(ReadAll(kernel, a_read.get()), "A\n");
  EXPECT_EQ(ReadAll(kernel, b_read.get()), "B\n");
}

TEST(LinuxKernelTest, UdevdKernelSocketIsWhatUdevdAccepts) {
  LinuxKernel kernel;
  auto fd = kernel.UdevdKernelSocket();
  ASSERT_TRUE(fd.ok()) << fd.status();
  int type = 0, passcred = 0;
  socklen_t len = sizeof(type);
  ASSERT_EQ(::getsockopt(fd->get(), SOL_SOCKET, SO_TYPE, &type, &len), 0);
  EXPECT_EQ(type, SOCK_RAW);
  len = sizeof(passcred);
  ASSERT_EQ(::getsockopt(fd->get(), SOL_SOCKET, SO_PASSCRED, &passcred, &len), 0);
  EXPECT_EQ(passcred, 1);
  struct sockaddr_nl addr = {};
  len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd->get(), reinterpret_cast<struct sockaddr*>(&addr), &len), 0);
  EXPECT_EQ(addr.nl_family, AF_NETLINK);
  EXPECT_EQ(addr.nl_groups, 1u);
  EXPECT_NE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_EQ(::fcntl(fd->get(), F_GETFL) & O_NONBLOCK, 0);
}

TEST(LinuxKernelTest, SpawnOfMissingBinaryNamesIt) {
  LinuxKernel kernel;
  SpawnRequest req;
  req.argv = {"/bin/nosuch"};
  auto pid = kernel.Spawn(req);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(pid.status().message(), HasSubstr("exec /bin/nosuch: No such file or directory"));
  // The failed child was reaped by Spawn itself.
  auto reaped = kernel.ReapOne();
  ASSERT_TRUE(reaped.ok());
  EXPECT_FALSE(reaped->has_value());
}

TEST(LinuxKernelTest, SpawnWithBadCwdFails) {
  LinuxKernel kernel;
  SpawnRequest req;
  req.argv = {"/bin/true"};
  req.cwd = TmpDir() + "/no/such/dir";
  auto pid = kernel.Spawn(req);
  ASSERT_FALSE(pid.ok());
  EXPECT_THAT(pid.status().message(), HasSubstr("chdir (spawning /bin/true)"));
}

TEST(LinuxKernelTest, SpawnRejectsEmptyArgv) {
  LinuxKernel kernel;
  EXPECT_EQ(kernel.Spawn(SpawnRequest{}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LinuxKernelTest, ReapOneSeesExitStatusAndSignal) {
  LinuxKernel kernel;
  SpawnRequest req;
  req.argv = {"/bin/sh", "-c", "exit 7"};
  auto exits = kernel.Spawn(req);
  ASSERT_TRUE(exits.ok()) << exits.status();
  ChildExit exit = WaitFor(kernel, *exits);
  EXPECT_EQ(exit.exit_status, 7);
  EXPECT_EQ(exit.signal, 0);

  req.argv = {"/bin/sh", "-c", "kill -TERM $$"};
  auto killed = kernel.Spawn(req);
  ASSERT_TRUE(killed.ok()) << killed.status();
  exit = WaitFor(kernel, *killed);
  EXPECT_EQ(exit.signal, SIGTERM);
  EXPECT_FALSE(exit.core_dumped);

  auto none = kernel.ReapOne();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

// A child that sleeps until killed.
absl::StatusOr<pid_t> SpawnSleeper(LinuxKernel& kernel) {
  SpawnRequest req;
  req.argv = {"/bin/sleep", "30"};
  return kernel.Spawn(req);
}

TEST(LinuxKernelTest, KillReachesChild) {
  LinuxKernel kernel;
  auto pid = SpawnSleeper(kernel);
  ASSERT_TRUE(pid.ok()) << pid.status();
  ASSERT_TRUE(kernel.Kill(*pid, SIGKILL).ok());
  EXPECT_EQ(WaitFor(kernel, *pid).signal, SIGKILL);
  EXPECT_FALSE(kernel.Kill(*pid, 0).ok());  // gone
}

// 1: our child, 0: not, -1: IsOurChild failed.
int Ours(LinuxKernel& kernel, pid_t pid) {
  absl::StatusOr<bool> ours = kernel.IsOurChild(pid);
  return ours.ok() ? (*ours ? 1 : 0) : -1;
}

TEST(LinuxKernelTest, IsOurChildWhileRunningAndUntilReaped) {
  LinuxKernel kernel;
  auto pid = SpawnSleeper(kernel);
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_EQ(Ours(kernel, *pid), 1);
  ASSERT_TRUE(kernel.Kill(*pid, SIGKILL).ok());
  // Exited, not reaped: still ours, and IsOurChild reaps nothing.
  for (int i = 0; i < 200 && kernel.Kill(*pid, 0).ok(); ++i) {
    std::string stat = kernel.ReadFile(absl::StrCat("/proc/", *pid, "/stat")).value_or("");
    if (stat.find(") Z ") != std::string::npos) break;
    usleep(10000);
  }
  EXPECT_EQ(Ours(kernel, *pid), 1);
  EXPECT_EQ(Ours(kernel, *pid), 1);
  EXPECT_EQ(WaitFor(kernel, *pid).signal, SIGKILL);
  EXPECT_EQ(Ours(kernel, *pid), 0);  // reaped
  EXPECT_EQ(Ours(kernel, getppid()), 0);  // alive, not ours
}

TEST(LinuxKernelTest, DenySeccompKillsMkdirWithSigsys) {
  LinuxKernel kernel;
  auto program = CompileSeccompFilter(false, {"mkdir", "mkdirat"});
  ASSERT_TRUE(program.ok()) << program.status();
  const std::string dir = TmpDir() + "/seccomp_denied";
  SpawnRequest req;
  req.argv = {"/bin/mkdir", dir};
  req.seccomp_bpf = *program;
  auto pid = kernel.Spawn(req);
  ASSERT_TRUE(pid.ok()) << pid.status();
  ChildExit exit = WaitFor(kernel, *pid);
  EXPECT_EQ(exit.signal, SIGSYS);
  EXPECT_EQ(kernel.Stat(dir).status().code(), absl::StatusCode::kNotFound);

  // The same command without the filter works, so the filter made the difference.
  req.seccomp_bpf.clear();
  pid = kernel.Spawn(req);
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_EQ(WaitFor(kernel, *pid).exit_status, 0);
  auto info = kernel.Stat(dir);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->type, FileInfo::Type::kDirectory);
}

TEST(LinuxKernelTest, EpollDeliversTimerAndSigchld) {
  LinuxKernel kernel;
  auto sfd = kernel.SignalFd({SIGCHLD});
  ASSERT_TRUE(sfd.ok()) << sfd.status();
  auto tfd = kernel.TimerFd();
  ASSERT_TRUE(tfd.ok()) << tfd.status();
  auto ep = kernel.EpollCreate();
  ASSERT_TRUE(ep.ok()) << ep.status();
  ASSERT_TRUE(kernel.EpollAdd(ep->get(), sfd->get(), EPOLLIN, 1).ok());
  ASSERT_TRUE(kernel.EpollAdd(ep->get(), tfd->get(), EPOLLIN, 2).ok());

  // Nothing is ready yet.
  auto events = kernel.EpollWait(ep->get(), absl::ZeroDuration());
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->empty());

  ASSERT_TRUE(kernel.TimerArm(tfd->get(), absl::Milliseconds(20)).ok());
  events = kernel.EpollWait(ep->get(), absl::Seconds(10));
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].data, 2u);
  uint64_t expirations = 0;
  auto n = kernel.Read(tfd->get(), &expirations, sizeof(expirations));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(expirations, 1u);

  SpawnRequest req;
  req.argv = {"/bin/true"};
  auto pid = kernel.Spawn(req);
  ASSERT_TRUE(pid.ok()) << pid.status();
  events = kernel.EpollWait(ep->get(), absl::Seconds(10));
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].data, 1u);
  auto sig = kernel.ReadSignal(sfd->get());
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(*sig, std::optional<int>(SIGCHLD));
  sig = kernel.ReadSignal(sfd->get());
  ASSERT_TRUE(sig.ok());
  EXPECT_FALSE(sig->has_value());
  WaitFor(kernel, *pid);

  ASSERT_TRUE(kernel.EpollDel(ep->get(), sfd->get()).ok());
  EXPECT_FALSE(kernel.EpollDel(ep->get(), sfd->get()).ok());
}

TEST(LinuxKernelTest, TimerArmZeroDisarms) {
  LinuxKernel kernel;
  auto tfd = kernel.TimerFd();
  ASSERT_TRUE(tfd.ok());
  auto ep = kernel.EpollCreate();
  ASSERT_TRUE(ep.ok());
  ASSERT_TRUE(kernel.EpollAdd(ep->get(), tfd->get(), EPOLLIN, 7).ok());
  ASSERT_TRUE(kernel.TimerArm(tfd->get(), absl::Milliseconds(10)).ok());
  ASSERT_TRUE(kernel.TimerArm(tfd->get(), absl::ZeroDuration()).ok());
  auto events = kernel.EpollWait(ep->get(), absl::Milliseconds(50));
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->empty());
}

TEST(LinuxKernelTest, UnixSocketCarriesPeerCred) {
  LinuxKernel kernel;
  std::string path = TmpDir() + "/ctl.sock";
  if (path.size() >= 100) {  // sun_path is 108 bytes: fall back to a relative name
    ASSERT_TRUE(kernel.Chdir(TmpDir()).ok());
    path = "ctl.sock";
  }
  ASSERT_TRUE(kernel.WriteFile(path, "stale").ok());  // replaced by UnixListen
  auto listener = kernel.UnixListen(path);
  ASSERT_TRUE(listener.ok()) << listener.status();
  auto client = kernel.UnixConnect(path);
  ASSERT_TRUE(client.ok()) << client.status();
  auto server = kernel.Accept(listener->get());
  ASSERT_TRUE(server.ok()) << server.status();

  auto cred = kernel.GetPeerCred(server->get());
  ASSERT_TRUE(cred.ok()) << cred.status();
  EXPECT_EQ(cred->pid, ::getpid());
  EXPECT_EQ(cred->uid, ::getuid());
  EXPECT_EQ(cred->gid, ::getgid());

  ASSERT_TRUE(kernel.Write(client->get(), "ping", 4).ok());
  char buf[16];
  auto n = kernel.Read(server->get(), buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "ping");

  EXPECT_FALSE(kernel.UnixConnect(TmpDir() + "/absent.sock").ok());
}

TEST(LinuxKernelTest, SealedMemfdRejectsWrites) {
  LinuxKernel kernel;
  auto fd = kernel.MemfdCreate("handoff");
  ASSERT_TRUE(fd.ok()) << fd.status();
  ASSERT_TRUE(kernel.Write(fd->get(), "abc", 3).ok());
  ASSERT_TRUE(kernel.SealMemfd(fd->get()).ok());
  auto n = kernel.Write(fd->get(), "d", 1);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kPermissionDenied);
  auto info = kernel.StatFd(fd->get());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, 3u);
  EXPECT_NE(info->ino, 0u);
  // The offset sits at the end after the write; PRead reads from 0 anyway.
  char buf[8];
  auto got = kernel.PRead(fd->get(), buf, sizeof(buf), 0);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(std::string(buf, *got), "abc");
  EXPECT_EQ(info->type, FileInfo::Type::kRegular);
}

TEST(LinuxKernelTest, MountsListsRoot) {
  LinuxKernel kernel;
  auto mounts = kernel.Mounts();
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  ASSERT_FALSE(mounts->empty());
  bool has_root = false;
  for (const MountEntry& m : *mounts) {
    if (m.target == "/") has_root = true;
    EXPECT_FALSE(m.fstype.empty()) << m.target;
  }
  EXPECT_TRUE(has_root);
}

TEST(LinuxKernelTest, ParseMountInfoUnescapesAndSeesShared) {
  auto mounts = ParseMountInfo(
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
      "30 22 0:5 / /mnt/my\\040disk rw,nosuid master:2 - tmpfs my\\134src rw,size=10k\n");
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  ASSERT_EQ(mounts->size(), 2u);
  EXPECT_EQ((*mounts)[0].target, "/");
  EXPECT_EQ((*mounts)[0].source, "/dev/sda1");
  EXPECT_EQ((*mounts)[0].fstype, "ext4");
  EXPECT_EQ((*mounts)[0].options, "rw,relatime,errors=remount-ro");
  EXPECT_TRUE((*mounts)[0].shared);
  EXPECT_EQ((*mounts)[1].target, "/mnt/my disk");
  EXPECT_EQ((*mounts)[1].source, "my\\src");
  EXPECT_FALSE((*mounts)[1].shared);

  EXPECT_FALSE(ParseMountInfo("22 1 8:1 / / rw\n").ok());
}

TEST(LinuxKernelTest, FileHelpers) {
  LinuxKernel kernel;
  const std::string root = TmpDir() + "/files";
  ASSERT_TRUE(kernel.MkdirAll(root + "/a/b/c", 0755).ok());
  ASSERT_TRUE(kernel.MkdirAll(root + "/a/b/c", 0755).ok());  // idempotent
  ASSERT_TRUE(kernel.WriteFile(root + "/a/f", "contents", 0600).ok());
  EXPECT_FALSE(kernel.MkdirAll(root + "/a/f/g", 0755).ok());  // through a file

  auto text = kernel.ReadFile(root + "/a/f");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "contents");
  EXPECT_EQ(kernel.ReadFile(root + "/missing").status().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(kernel.Symlink("f", root + "/a/link").ok());
  ASSERT_TRUE(kernel.Symlink("nowhere", root + "/a/dangling").ok());
  auto names = kernel.ListDir(root + "/a");
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, ElementsAre("b", "dangling", "f", "link"));

  auto target = kernel.ReadLink(root + "/a/link");
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(*target, "f");

  auto file = kernel.Stat(root + "/a/f");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->type, FileInfo::Type::kRegular);
  EXPECT_EQ(file->mode, 0600u);
  EXPECT_EQ(file->size, 8u);
  EXPECT_NE(file->fs_magic, 0u);
  auto link = kernel.Stat(root + "/a/link");
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(link->type, FileInfo::Type::kSymlink);
  EXPECT_EQ(link->fs_magic, file->fs_magic);
  auto dangling = kernel.Stat(root + "/a/dangling");
  ASSERT_TRUE(dangling.ok()) << dangling.status();
  EXPECT_EQ(dangling->type, FileInfo::Type::kSymlink);

  ASSERT_TRUE(kernel.Rename(root + "/a/f", root + "/a/g").ok());
  EXPECT_FALSE(kernel.Stat(root + "/a/f").ok());
  ASSERT_TRUE(kernel.Unlink(root + "/a/g").ok());
  EXPECT_FALSE(kernel.Rmdir(root + "/a/b").ok());  // not empty
  ASSERT_TRUE(kernel.Rmdir(root + "/a/b/c").ok());

  // The fd-relative family.
  auto dir = kernel.Open(root + "/a", O_RDONLY | O_DIRECTORY, 0);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(::fcntl(dir->get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  auto dir_info = kernel.StatFd(dir->get());
  ASSERT_TRUE(dir_info.ok());
  EXPECT_EQ(dir_info->type, FileInfo::Type::kDirectory);
  EXPECT_EQ(dir_info->dev, file->dev);
  auto fd_names = kernel.ListDirFd(dir->get());
  ASSERT_TRUE(fd_names.ok()) << fd_names.status();
  EXPECT_THAT(*fd_names, ElementsAre("b", "dangling", "link"));
  auto at = kernel.StatAt(dir->get(), "link");
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->type, FileInfo::Type::kSymlink);
  auto sub = kernel.OpenAt(dir->get(), "b", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(kernel.UnlinkAt(dir->get(), "link", false).ok());
  ASSERT_TRUE(kernel.UnlinkAt(dir->get(), "b", true).ok());
  fd_names = kernel.ListDirFd(dir->get());
  ASSERT_TRUE(fd_names.ok());
  EXPECT_THAT(*fd_names, ElementsAre("dangling"));
}

// "d name" / "l name" / "f name" / "o name" / "? name", in listing order.
std::vector<std::string> Typed(const std::vector<DirEntry>& entries) {
  std::vector<std::string> out;
  for (const DirEntry& e : entries) {
    const char* t = "?";
    switch (e.type) {
      case DirEntry::Type::kDirectory: t = "d"; break;
      case DirEntry::Type::kSymlink: t = "l"; break;
      case DirEntry::Type::kRegular: t = "f"; break;
      case DirEntry::Type::kOther: t = "o"; break;
      case DirEntry::Type::kUnknown: t = "?"; break;
    }
    out.push_back(std::string(t) + " " + e.name);
  }
  return out;
}

TEST(LinuxKernelTest, ListDirEntriesTypesFromDirentWithoutFollowingSymlinks) {
  LinuxKernel kernel;
  const std::string root = TmpDir() + "/typed";
  ASSERT_TRUE(kernel.MkdirAll(root + "/sub/inner").ok());
  ASSERT_TRUE(kernel.WriteFile(root + "/file", "x").ok());
  ASSERT_TRUE(kernel.Symlink("sub", root + "/link-to-dir").ok());
  ASSERT_TRUE(kernel.Symlink("nowhere", root + "/dangling").ok());
  ASSERT_EQ(::mkfifo((root + "/fifo").c_str(), 0600), 0);

  auto entries = kernel.ListDirEntries(root);
  ASSERT_TRUE(entries.ok()) << entries.status();
  // Sorted by name; the symlink to a directory is a symlink, not a directory.
  EXPECT_THAT(Typed(*entries),
              ElementsAre("l dangling", "o fifo", "f file", "l link-to-dir", "d sub"));
  // Same answer as the default (ListDir + an lstat of each entry).
  auto by_stat = kernel.Kernel::ListDirEntries(root);
  ASSERT_TRUE(by_stat.ok());
  EXPECT_EQ(*entries, *by_stat);

  // Listing through the symlink lists the directory it points to.
  auto through = kernel.ListDirEntries(root + "/link-to-dir");
  ASSERT_TRUE(through.ok());
  EXPECT_THAT(Typed(*through), ElementsAre("d inner"));

  auto missing = kernel.ListDirEntries(root + "/missing");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr(root + "/missing"));
  EXPECT_FALSE(kernel.ListDirEntries(root + "/file").ok());
}

TEST(LinuxKernelTest, ListDirEntriesOnSysfsMatchesLstat) {
  // sysfs fills d_type; the typed listing must agree with lstat there (what
  // the coldplug walk relies on). Skipped where /sys is not mounted.
  LinuxKernel kernel;
  auto entries = kernel.ListDirEntries("/sys/devices/virtual");
  if (!entries.ok()) GTEST_SKIP() << entries.status();
  auto by_stat = kernel.Kernel::ListDirEntries("/sys/devices/virtual");
  ASSERT_TRUE(by_stat.ok());
  EXPECT_EQ(Typed(*entries), Typed(*by_stat));
  EXPECT_FALSE(entries->empty());
}

TEST(LinuxKernelTest, PipeReadEndIsNonblockingAndFdsAreCloexec) {
  LinuxKernel kernel;
  auto pipe = kernel.Pipe();
  ASSERT_TRUE(pipe.ok());
  char c;
  auto empty = kernel.Read(pipe->first.get(), &c, 1);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(::fcntl(pipe->second.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);

  auto copy = kernel.Dup(pipe->second.get());
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(::fcntl(copy->get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  ASSERT_TRUE(kernel.SetCloexec(copy->get(), false).ok());
  EXPECT_EQ(::fcntl(copy->get(), F_GETFD) & FD_CLOEXEC, 0);
  ASSERT_TRUE(kernel.Write(copy->get(), "x", 1).ok());
  auto one = kernel.Read(pipe->first.get(), &c, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(c, 'x');
}

TEST(LinuxKernelTest, ExecveOfMissingPathReturnsError) {
  LinuxKernel kernel;
  absl::Status status = kernel.Execve("/no/such/init", {"/no/such/init"}, {});
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("execve /no/such/init"));
}

TEST(LinuxKernelTest, UeventSocketOpensAndIsNonblocking) {
  LinuxKernel kernel;
  auto fd = kernel.UeventSocket(1);
  if (!fd.ok()) GTEST_SKIP() << "no uevent netlink here: " << fd.status();
  EXPECT_NE(::fcntl(fd->get(), F_GETFL) & O_NONBLOCK, 0);
  // Whether or not an event happens to be pending, the call must not block or fail.
  EXPECT_TRUE(kernel.RecvDatagram(fd->get()).ok());
}

TEST(LinuxKernelTest, PrivilegedCallsFailCleanlyWithoutRoot) {
  LinuxKernel kernel;
  if (kernel.GetUid() == 0) GTEST_SKIP() << "running as root";
  absl::Status status = kernel.Mount("none", TmpDir(), "tmpfs", 0, "");
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("mount none "));
  EXPECT_FALSE(kernel.PivotRoot(TmpDir(), TmpDir()).ok());
}

TEST(LinuxKernelTest, WaitBlocksUntilThatChildExits) {
  LinuxKernel kernel;
  // The stdin pipe is filled and its write end closed before the spawn: the
  // child reads everything, then end of file, even with O_NONBLOCK.
  auto in = kernel.Pipe();
  ASSERT_TRUE(in.ok()) << in.status();
  auto out = kernel.Pipe();
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_TRUE(kernel.Write(in->second.get(), "secret", 6).ok());
  in->second.reset();
  SpawnRequest req;
  req.argv = {"/bin/sh", "-c", "sleep 0.2; cat; exit 7"};
  req.env = {"PATH=/bin:/usr/bin"};
  req.stdin_fd = in->first.get();
  req.stdout_fd = out->second.get();
  auto pid = kernel.Spawn(req);
  ASSERT_TRUE(pid.ok()) << pid.status();
  out->second.reset();
  auto exit = kernel.Wait(*pid);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->pid, *pid);
  EXPECT_EQ(exit->exit_status, 7);
  EXPECT_EQ(ReadAll(kernel, out->first.get()), "secret");
  EXPECT_FALSE(kernel.Wait(*pid).ok());  // already reaped: ECHILD
}

TEST(LinuxKernelTest, WaitReadableAndPidFdBoundTheWaitForAChild) {
  LinuxKernel kernel;
  auto out = kernel.Pipe();
  ASSERT_TRUE(out.ok()) << out.status();
  SpawnRequest req;
  req.argv = {"/bin/sh", "-c", "sleep 0.3; echo late"};
  req.env = {"PATH=/bin:/usr/bin"};
  req.stdout_fd = out->second.get();
  auto pid = kernel.Spawn(req);
  ASSERT_TRUE(pid.ok()) << pid.status();
  out->second.reset();
  auto pidfd = kernel.PidFd(*pid);
  ASSERT_TRUE(pidfd.ok()) << pidfd.status();
  // Nothing yet: both waits give up after their timeout.
  auto early = kernel.WaitReadable(out->first.get(), absl::Milliseconds(20));
  ASSERT_TRUE(early.ok()) << early.status();
  EXPECT_FALSE(*early);
  auto alive = kernel.WaitReadable(pidfd->get(), absl::Milliseconds(1));
  ASSERT_TRUE(alive.ok()) << alive.status();
  EXPECT_FALSE(*alive);
  auto later = kernel.WaitReadable(out->first.get(), absl::Seconds(20));
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_TRUE(*later);
  auto exited = kernel.WaitReadable(pidfd->get(), absl::Seconds(20));
  ASSERT_TRUE(exited.ok()) << exited.status();
  EXPECT_TRUE(*exited);
  auto exit = kernel.Wait(*pid);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_status, 0);
  EXPECT_EQ(ReadAll(kernel, out->first.get()), "late\n");
}

TEST(LinuxKernelTest, PollReadableReportsTheReadyFdsOnly) {
  LinuxKernel kernel;
  auto a = kernel.Pipe();
  auto b = kernel.Pipe();
  ASSERT_TRUE(a.ok() && b.ok());
  auto none = kernel.PollReadable({a->first.get(), b->first.get()}, absl::Milliseconds(20));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(kernel.Write(b->second.get(), "x", 1).ok());
  auto ready = kernel.PollReadable({a->first.get(), b->first.get()}, absl::InfiniteDuration());
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_THAT(*ready, ::testing::ElementsAre(b->first.get()));
  a->second.reset();  // end of file counts as readable
  ready = kernel.PollReadable({a->first.get(), b->first.get()}, absl::Seconds(5));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_THAT(*ready, ::testing::ElementsAre(a->first.get(), b->first.get()));
}

TEST(LinuxKernelTest, SpawnWithRootChrootsFirst) {
  LinuxKernel kernel;
  SpawnRequest req;
  req.argv = {"/bin/true"};
  req.root = "/nonexistent-root-for-test";
  auto pid = kernel.Spawn(req);
  ASSERT_FALSE(pid.ok());
  // Unprivileged: EPERM; as root: ENOENT. Either way the chroot step says so.
  EXPECT_NE(pid.status().message().find("chroot"), absl::string_view::npos) << pid.status();
}

TEST(LinuxKernelTest, FlockExcludesASecondOpenFile) {
  LinuxKernel kernel;
  std::string path = TmpDir() + "/flock-test.lock";
  auto a = kernel.Open(path, O_RDWR | O_CREAT, 0600);
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = kernel.Open(path, O_RDWR);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE(kernel.Flock(a->get(), LOCK_EX).ok());
  absl::Status busy = kernel.Flock(b->get(), LOCK_EX | LOCK_NB);
  EXPECT_FALSE(busy.ok());
  EXPECT_THAT(std::string(busy.message()), HasSubstr("flock"));
  ASSERT_TRUE(kernel.Flock(a->get(), LOCK_UN).ok());
  EXPECT_TRUE(kernel.Flock(b->get(), LOCK_EX | LOCK_NB).ok());
}

TEST(LinuxKernelTest, SetEchoOnAFileIsNotATty) {
  LinuxKernel kernel;
  auto fd = kernel.Open(TmpDir() + "/echo-test", O_RDWR | O_CREAT, 0600);
  ASSERT_TRUE(fd.ok()) << fd.status();
  auto was = kernel.SetEcho(fd->get(), false);
  ASSERT_FALSE(was.ok());
  EXPECT_THAT(std::string(was.status().message()), HasSubstr("tcgetattr"));
}

}  // namespace
}  // namespace baton::sys
