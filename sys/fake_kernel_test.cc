#include "sys/fake_kernel.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::sys {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Targets(FakeKernel& kernel) {
  std::vector<std::string> out;
  auto mounts = kernel.Mounts();
  EXPECT_TRUE(mounts.ok());
  if (mounts.ok()) {
    for (const MountEntry& m : *mounts) out.push_back(m.target + " " + m.fstype);
  }
  return out;
}

TEST(FakeKernelTest, FileTree) {
  FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/etc/baton/jobs").ok());
  ASSERT_TRUE(kernel.WriteFile("/etc/baton/jobs/a.job", "exec /bin/a\n").ok());
  ASSERT_TRUE(kernel.Symlink("a.job", "/etc/baton/jobs/b.job").ok());
  ASSERT_TRUE(kernel.Mknod("/null", S_IFCHR | 0666, makedev(1, 3)).ok());

  auto text = kernel.ReadFile("/etc/baton/jobs/a.job");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "exec /bin/a\n");
  EXPECT_THAT(*kernel.ListDir("/etc/baton/jobs"), ElementsAre("a.job", "b.job"));
  EXPECT_THAT(*kernel.ListDir("/"), ElementsAre("etc", "null"));
  EXPECT_EQ(*kernel.ReadLink("/etc/baton/jobs/b.job"), "a.job");
  EXPECT_EQ(kernel.Stat("/etc/baton/jobs/b.job")->type, FileInfo::Type::kSymlink);
  auto null = kernel.Stat("/null");
  ASSERT_TRUE(null.ok());
  EXPECT_EQ(null->type, FileInfo::Type::kCharDevice);
  EXPECT_EQ(null->rdev, makedev(1, 3));
  EXPECT_EQ(null->mode, 0666u);
  EXPECT_NE(null->ino, 0u);
  EXPECT_NE(null->ino, kernel.Stat("/etc")->ino);

  EXPECT_EQ(kernel.ReadFile("/etc/missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(kernel.MkdirAll("/null/x").ok());
  EXPECT_FALSE(kernel.WriteFile("/no/dir/file", "x").ok());
  EXPECT_FALSE(kernel.Rmdir("/etc").ok());  // not empty
  EXPECT_FALSE(kernel.Unlink("/etc").ok());  // a directory

  ASSERT_TRUE(kernel.Rename("/etc/baton/jobs/a.job", "/etc/baton/c.job").ok());
  EXPECT_THAT(*kernel.ListDir("/etc/baton"), ElementsAre("c.job", "jobs"));
  ASSERT_TRUE(kernel.Unlink("/etc/baton/jobs/b.job").ok());
  ASSERT_TRUE(kernel.Rmdir("/etc/baton/jobs").ok());

  // Relative paths start at the cwd; "." and ".." fold.
  ASSERT_TRUE(kernel.Chdir("/etc").ok());
  EXPECT_EQ(*kernel.ReadFile("baton/../baton/./c.job"), "exec /bin/a\n");
}

TEST(FakeKernelTest, ListDirEntriesReportsModelledTypesAndCountsCalls) {
  FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/sys/devices/a/power").ok());
  ASSERT_TRUE(kernel.WriteFile("/sys/devices/a/uevent", "").ok());
  ASSERT_TRUE(kernel.Symlink("../../bus/x", "/sys/devices/a/subsystem").ok());
  ASSERT_TRUE(kernel.Symlink("power", "/sys/devices/a/link-to-dir").ok());
  ASSERT_TRUE(kernel.Mknod("/sys/devices/a/node", S_IFCHR | 0600, makedev(1, 3)).ok());
  ASSERT_TRUE(kernel.MkdirAll("/sys/devices/a/mnt").ok());
  kernel.AddMount({"tmpfs", "/sys/devices/a/mnt", "tmpfs", "rw", false});
  kernel.ClearCallCounts();

  auto entries = kernel.ListDirEntries("/sys/devices/a");
  ASSERT_TRUE(entries.ok()) << entries.status();
  std::vector<std::string> typed;
  for (const DirEntry& e : *entries) {
    typed.push_back(e.name + (e.type == DirEntry::Type::kDirectory ? "/"
                              : e.type == DirEntry::Type::kSymlink ? "@"
                              : e.type == DirEntry::Type::kRegular ? ""
                              : e.type == DirEntry::Type::kOther   ? "%"
                                                                   : "?"));
  }
  EXPECT_THAT(typed, ElementsAre("link-to-dir@", "mnt/", "node%", "power/", "subsystem@",
                                 "uevent"));
  // The default (ListDir + Stat each) agrees.
  auto by_stat = kernel.Kernel::ListDirEntries("/sys/devices/a");
  ASSERT_TRUE(by_stat.ok());
  EXPECT_EQ(*entries, *by_stat);

  EXPECT_EQ(kernel.call_count("list_dir_entries"), 1u);
  EXPECT_EQ(kernel.call_count("list_dir"), 1u);  // the default's
  EXPECT_EQ(kernel.call_count("stat"), 6u);      // the default's, one an entry
  kernel.ClearCallCounts();
  EXPECT_EQ(kernel.call_count("stat"), 0u);

  auto not_dir = kernel.ListDirEntries("/sys/devices/a/uevent");
  EXPECT_FALSE(not_dir.ok());
  EXPECT_THAT(std::string(not_dir.status().message()), HasSubstr("/sys/devices/a/uevent"));
  EXPECT_EQ(kernel.ListDirEntries("/missing").status().code(), absl::StatusCode::kNotFound);
  kernel.FailNextOn("list_dir_entries", "/sys/devices/a", EACCES);
  EXPECT_FALSE(kernel.ListDirEntries("/sys/devices/a").ok());
  EXPECT_TRUE(kernel.ListDirEntries("/sys/devices/a").ok());
  EXPECT_EQ(kernel.call_count("list_dir_entries"), 4u);
}

TEST(FakeKernelTest, OpenReadWriteAndDirFds) {
  FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/run/x").ok());
  auto fd = kernel.Open("/run/log", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_GE(fd->get(), kFakeFdBase);
  ASSERT_TRUE(kernel.Write(fd->get(), "hello ", 6).ok());
  ASSERT_TRUE(kernel.Write(fd->get(), "world", 5).ok());
  EXPECT_FALSE(kernel.Read(fd->get(), nullptr, 0).ok());  // write-only
  EXPECT_EQ(*kernel.ReadFile("/run/log"), "hello world");
  EXPECT_EQ(kernel.Stat("/run/log")->mode, 0600u);

  auto rd = kernel.Open("/run/log", O_RDONLY);
  ASSERT_TRUE(rd.ok());
  char buf[5];
  ASSERT_EQ(*kernel.Read(rd->get(), buf, 5), 5u);
  EXPECT_EQ(std::string(buf, 5), "hello");
  EXPECT_EQ(kernel.Open("/run/none", O_RDONLY).status().code(), absl::StatusCode::kNotFound);

  auto dir = kernel.Open("/run", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(dir.ok());
  EXPECT_THAT(*kernel.ListDirFd(dir->get()), ElementsAre("log", "x"));
  EXPECT_EQ(kernel.StatAt(dir->get(), "x")->type, FileInfo::Type::kDirectory);
  auto sub = kernel.OpenAt(dir->get(), "x", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(kernel.StatFd(sub->get())->type, FileInfo::Type::kDirectory);
  EXPECT_FALSE(kernel.UnlinkAt(dir->get(), "x", false).ok());  // a directory
  ASSERT_TRUE(kernel.UnlinkAt(dir->get(), "x", true).ok());
  ASSERT_TRUE(kernel.UnlinkAt(dir->get(), "log", false).ok());
  EXPECT_THAT(*kernel.ListDir("/run"), IsEmpty());
}

TEST(FakeKernelTest, FilesystemsAndDevices) {
  FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/a/disk/deep").ok());
  kernel.SetFilesystem("/a/disk", 9, EXT4_SUPER_MAGIC);
  ASSERT_TRUE(kernel.WriteFile("/a/disk/deep/new", "x").ok());  // inherits
  EXPECT_EQ(kernel.Stat("/a")->dev, 1u);
  EXPECT_EQ(kernel.Stat("/a")->fs_magic, RAMFS_MAGIC);
  EXPECT_EQ(kernel.Stat("/a/disk/deep/new")->dev, 9u);
  EXPECT_EQ(kernel.Stat("/a/disk/deep/new")->fs_magic, EXT4_SUPER_MAGIC);

  // A mount has its own device, and renames cannot cross it.
  ASSERT_TRUE(kernel.MkdirAll("/run").ok());
  ASSERT_TRUE(kernel.Mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755").ok());
  ASSERT_TRUE(kernel.WriteFile("/run/f", "x").ok());
  auto run = kernel.Stat("/run/f");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->fs_magic, TMPFS_MAGIC);
  EXPECT_NE(run->dev, 1u);
  absl::Status cross = kernel.Rename("/run/f", "/a/f");
  EXPECT_THAT(cross.message(), HasSubstr("Invalid cross-device link"));
  EXPECT_EQ(kernel.Rmdir("/run").code(), absl::StatusCode::kInternal);  // EBUSY
  EXPECT_THAT(kernel.calls().back(), "rmdir /run -> EBUSY");
}

TEST(FakeKernelTest, MountTableAndMoveOfSubtree) {
  FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/dev").ok());
  ASSERT_TRUE(kernel.MkdirAll("/root/dev").ok());
  EXPECT_EQ(kernel.Mount("devtmpfs", "/nodir", "devtmpfs", 0, "").code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(kernel.Mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755").ok());
  ASSERT_TRUE(kernel.MkdirAll("/dev/pts").ok());
  ASSERT_TRUE(kernel.Mount("devpts", "/dev/pts", "devpts", 0, "").ok());
  ASSERT_TRUE(kernel.WriteFile("/dev/pts/ptmx", "").ok());
  EXPECT_THAT(Targets(kernel), ElementsAre("/ rootfs", "/dev devtmpfs", "/dev/pts devpts"));
  EXPECT_EQ(kernel.Mounts()->at(1).options, "rw,nosuid,mode=0755");

  ASSERT_TRUE(kernel.Mount("/dev", "/root/dev", "", MS_MOVE, "").ok());
  EXPECT_THAT(Targets(kernel),
              ElementsAre("/ rootfs", "/root/dev devtmpfs", "/root/dev/pts devpts"));
  EXPECT_TRUE(kernel.Stat("/root/dev/pts/ptmx").ok());
  EXPECT_FALSE(kernel.Stat("/dev/pts").ok());  // the empty directory below is back
  EXPECT_THAT(*kernel.ListDir("/dev"), IsEmpty());

  // Moving something that is not a mountpoint fails.
  EXPECT_EQ(kernel.Mount("/dev", "/root/dev", "", MS_MOVE, "").code(),
            absl::StatusCode::kInvalidArgument);

  // Umount refuses while submounts exist, unless detached.
  EXPECT_FALSE(kernel.Umount("/root/dev", 0).ok());
  ASSERT_TRUE(kernel.Umount("/root/dev", MNT_DETACH).ok());
  EXPECT_THAT(Targets(kernel), ElementsAre("/ rootfs"));
  EXPECT_EQ(kernel.Umount("/root/dev", 0).code(), absl::StatusCode::kInvalidArgument);
}

TEST(FakeKernelTest, PropagationFlags) {
  FakeKernel kernel;
  kernel.AddMount({"/dev/sda1", "/", "ext4", "rw", true});
  kernel.AddMount({"proc", "/proc", "proc", "rw", true});
  kernel.AddMount({"tmpfs", "/tmp", "tmpfs", "rw", true});
  EXPECT_THAT(Targets(kernel), ElementsAre("/ ext4", "/proc proc", "/tmp tmpfs"));
  EXPECT_EQ(kernel.Stat("/proc")->fs_magic, PROC_SUPER_MAGIC);
  ASSERT_TRUE(kernel.Mount("", "/tmp", "", MS_PRIVATE, "").ok());
  auto mounts = kernel.Mounts();
  EXPECT_TRUE((*mounts)[1].shared);
  EXPECT_FALSE((*mounts)[2].shared);
  ASSERT_TRUE(kernel.Mount("", "/", "", MS_REC | MS_PRIVATE, "").ok());
  mounts = kernel.Mounts();
  ASSERT_TRUE(mounts.ok());
  for (const MountEntry& m : *mounts) EXPECT_FALSE(m.shared) << m.target;
  EXPECT_EQ(kernel.calls().back(), "mount - / MS_REC|MS_PRIVATE");
  EXPECT_EQ(kernel.Mount("", "/etc", "", MS_PRIVATE, "").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FakeKernelTest, PivotRootDotDotThenDetachOldRoot) {
  FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/sysroot").ok());
  ASSERT_TRUE(kernel.MkdirAll("/proc").ok());
  ASSERT_TRUE(kernel.Mount("/dev/vda2", "/sysroot", "ext4", 0, "").ok());
  ASSERT_TRUE(kernel.Mount("proc", "/proc", "proc", 0, "").ok());
  ASSERT_TRUE(kernel.MkdirAll("/sysroot/sbin").ok());
  ASSERT_TRUE(kernel.WriteFile("/sysroot/sbin/init", "ELF").ok());
  ASSERT_TRUE(kernel.WriteFile("/initrd-only", "x").ok());
  kernel.ClearCalls();

  // Not a mountpoint.
  EXPECT_EQ(kernel.PivotRoot("/sysroot/sbin", "/sysroot/sbin").code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(kernel.Chdir("/sysroot").ok());
  ASSERT_TRUE(kernel.PivotRoot(".", ".").ok());
  EXPECT_EQ(kernel.cwd(), "/");
  // The old root is stacked on the new one, with its submounts.
  EXPECT_THAT(Targets(kernel), ElementsAre("/ ext4", "/ rootfs", "/proc proc"));
  EXPECT_TRUE(kernel.Stat("/initrd-only").ok());
  ASSERT_TRUE(kernel.Umount(".", MNT_DETACH).ok());
  EXPECT_THAT(Targets(kernel), ElementsAre("/ ext4"));
  EXPECT_FALSE(kernel.Stat("/initrd-only").ok());
  EXPECT_EQ(*kernel.ReadFile("/sbin/init"), "ELF");
  ASSERT_TRUE(kernel.Chroot(".").ok());
  ASSERT_TRUE(kernel.Execve("/sbin/init", {"/sbin/init", "--switched-root"}, {"TERM=linux"}).ok());

  EXPECT_THAT(kernel.calls(),
              ElementsAre("pivot_root /sysroot/sbin /sysroot/sbin -> EINVAL", "chdir /sysroot",
                          "pivot_root . .", "umount . MNT_DETACH", "chroot .",
                          "execve /sbin/init --switched-root"));
  ASSERT_EQ(kernel.execs().size(), 1u);
  EXPECT_THAT(kernel.execs()[0].env, ElementsAre("TERM=linux"));
}

TEST(FakeKernelTest, PivotRootIntoPutOld) {
  FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/new").ok());
  ASSERT_TRUE(kernel.Mount("/dev/vda2", "/new", "ext4", 0, "").ok());
  ASSERT_TRUE(kernel.MkdirAll("/new/oldroot").ok());
  ASSERT_TRUE(kernel.PivotRoot("/new", "/new/oldroot").ok());
  EXPECT_THAT(Targets(kernel), ElementsAre("/ ext4", "/oldroot rootfs"));
  EXPECT_TRUE(kernel.Stat("/oldroot/new").ok());
  EXPECT_EQ(kernel.PivotRoot("/", "/oldroot").code(), absl::StatusCode::kInternal);  // EBUSY
}

TEST(FakeKernelTest, InitramfsSwitchRootByMove) {
  FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/root").ok());
  ASSERT_TRUE(kernel.Mount("/dev/vda1", "/root", "ext4", MS_RDONLY, "").ok());
  ASSERT_TRUE(kernel.MkdirAll("/root/etc").ok());
  auto old_root = kernel.Open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(old_root.ok());
  ASSERT_TRUE(kernel.Chdir("/root").ok());
  ASSERT_TRUE(kernel.Mount(".", "/", "", MS_MOVE, "").ok());
  ASSERT_TRUE(kernel.Chroot(".").ok());
  EXPECT_EQ(kernel.root(), "/");
  EXPECT_THAT(Targets(kernel), ElementsAre("/ rootfs", "/ ext4"));
  EXPECT_THAT(*kernel.ListDir("/"), ElementsAre("etc"));
  // The old root stays reachable through the fd opened before.
  EXPECT_THAT(*kernel.ListDirFd(old_root->get()), ElementsAre("root"));
  EXPECT_EQ(kernel.StatFd(old_root->get())->fs_magic, RAMFS_MAGIC);
  EXPECT_EQ(kernel.Mounts()->at(1).options, "ro");
}

TEST(FakeKernelTest, ChrootNarrowsPathsAndMounts) {
  FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/jail/proc").ok());
  ASSERT_TRUE(kernel.Mount("proc", "/jail/proc", "proc", 0, "").ok());
  ASSERT_TRUE(kernel.WriteFile("/jail/f", "in jail").ok());
  ASSERT_TRUE(kernel.Chroot("/jail").ok());
  EXPECT_EQ(*kernel.ReadFile("/f"), "in jail");
  EXPECT_EQ(*kernel.ReadFile("/../../f"), "in jail");
  EXPECT_THAT(Targets(kernel), ElementsAre("/proc proc"));
}

TEST(FakeKernelTest, ErrorInjection) {
  FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/new").ok());
  kernel.FailNext("pivot_root", EINVAL);
  kernel.FailNextOn("mkdir_all", "/b", EROFS);
  absl::Status pivot = kernel.PivotRoot("/new", "/new");
  EXPECT_EQ(pivot.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(pivot.message(), HasSubstr("pivot_root /new /new"));
  EXPECT_TRUE(kernel.MkdirAll("/a").ok());  // not the injected path
  absl::Status mkdir = kernel.MkdirAll("/b");
  EXPECT_THAT(mkdir.message(), HasSubstr("Read-only file system"));
  EXPECT_TRUE(kernel.MkdirAll("/b").ok());  // used up
  kernel.FailNext("stat", EACCES);
  EXPECT_EQ(kernel.Stat("/a").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(kernel.Stat("/a").ok());
  kernel.FailNext("execve", ENOEXEC);
  EXPECT_FALSE(kernel.Execve("/sbin/init", {"/sbin/init"}, {}).ok());
  EXPECT_EQ(kernel.calls().back(), "execve /sbin/init -> ENOEXEC");
}

TEST(FakeKernelTest, ProcessesExitAndKill) {
  FakeKernel kernel;
  SpawnRequest req;
  req.argv = {"/bin/sh", "-c", "true"};
  auto first = kernel.Spawn(req);
  auto second = kernel.Spawn(req);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, 1000);
  EXPECT_EQ(*second, 1001);
  ASSERT_EQ(kernel.spawned().size(), 2u);
  EXPECT_THAT(kernel.spawned()[0].argv, ElementsAre("/bin/sh", "-c", "true"));

  EXPECT_FALSE(kernel.ReapOne()->has_value());
  kernel.Exit(1000, 3);
  auto reaped = kernel.ReapOne();
  ASSERT_TRUE(reaped.ok() && reaped->has_value());
  EXPECT_EQ((*reaped)->pid, 1000);
  EXPECT_EQ((*reaped)->exit_status, 3);
  EXPECT_EQ((*reaped)->signal, 0);

  ASSERT_TRUE(kernel.Kill(1001, SIGTERM).ok());
  EXPECT_FALSE(kernel.ReapOne()->has_value());  // kill does not terminate by default
  kernel.set_kill_terminates(true);
  ASSERT_TRUE(kernel.Kill(-1001, SIGKILL).ok());
  reaped = kernel.ReapOne();
  ASSERT_TRUE(reaped.ok() && reaped->has_value());
  EXPECT_EQ((*reaped)->pid, 1001);
  EXPECT_EQ((*reaped)->signal, SIGKILL);
  EXPECT_THAT(kernel.kills(), ElementsAre(std::make_pair(1001, SIGTERM),
                                          std::make_pair(-1001, SIGKILL)));
  EXPECT_EQ(kernel.Kill(1001, SIGTERM).code(), absl::StatusCode::kInternal);  // ESRCH

  kernel.FailExec("/bin/nosuch", ENOENT);
  req.argv = {"/bin/nosuch"};
  auto failed = kernel.Spawn(req);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.status().message(), HasSubstr("exec /bin/nosuch: No such file or directory"));
  EXPECT_EQ(kernel.calls().back(), "spawn /bin/nosuch -> ENOENT");
  EXPECT_EQ(kernel.spawned().size(), 2u);
}

TEST(FakeKernelTest, PipesMemfdsAndUevents) {
  FakeKernel kernel;
  auto pipe = kernel.Pipe();
  ASSERT_TRUE(pipe.ok());
  char buf[16];
  EXPECT_EQ(kernel.Read(pipe->first.get(), buf, sizeof(buf)).status().code(),
            absl::StatusCode::kUnavailable);
  ASSERT_TRUE(kernel.Write(pipe->second.get(), "ready", 5).ok());
  ASSERT_EQ(*kernel.Read(pipe->first.get(), buf, sizeof(buf)), 5u);
  EXPECT_EQ(std::string(buf, 5), "ready");
  kernel.CloseFd(pipe->second.get());
  EXPECT_EQ(*kernel.Read(pipe->first.get(), buf, sizeof(buf)), 0u);  // EOF

  auto memfd = kernel.MemfdCreate("handoff");
  ASSERT_TRUE(memfd.ok());
  ASSERT_TRUE(kernel.Write(memfd->get(), "state", 5).ok());
  ASSERT_TRUE(kernel.SealMemfd(memfd->get()).ok());
  EXPECT_EQ(kernel.Write(memfd->get(), "x", 1).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(kernel.StatFd(memfd->get())->size, 5u);
  char state[8];
  auto got_state = kernel.PRead(memfd->get(), state, sizeof(state), 1);
  ASSERT_TRUE(got_state.ok()) << got_state.status();
  EXPECT_EQ(std::string(state, *got_state), "tate");
  EXPECT_EQ(*kernel.PRead(memfd->get(), state, sizeof(state), 9), 0u);
  EXPECT_EQ(kernel.PRead(pipe->first.get(), state, 1, 0).status().code(),
            absl::StatusCode::kInternal);  // ESPIPE
  EXPECT_EQ(kernel.calls().back(), "seal_memfd handoff");
  EXPECT_TRUE(kernel.IsCloexec(memfd->get()));
  ASSERT_TRUE(kernel.SetCloexec(memfd->get(), false).ok());
  EXPECT_FALSE(kernel.IsCloexec(memfd->get()));

  auto kernel_events = kernel.UeventSocket(1);
  auto udev_events = kernel.UeventSocket(2);
  ASSERT_TRUE(kernel_events.ok() && udev_events.ok());
  kernel.InjectUevent("add@/devices/vda");
  auto got = kernel.RecvDatagram(kernel_events->get());
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, "add@/devices/vda");
  EXPECT_FALSE(kernel.RecvDatagram(kernel_events->get())->has_value());
  EXPECT_FALSE(kernel.RecvDatagram(udev_events->get())->has_value());
  kernel.InjectDatagram(udev_events->get(), "libudev");
  EXPECT_EQ(**kernel.RecvDatagram(udev_events->get()), "libudev");

  EXPECT_EQ(kernel.EpollCreate().status().code(), absl::StatusCode::kUnimplemented);
}

TEST(FakeKernelTest, CallLogFormat) {
  FakeKernel kernel;
  kernel.set_pid(1);
  EXPECT_EQ(kernel.GetPid(), 1);
  ASSERT_TRUE(kernel.SetChildSubreaper().ok());
  ASSERT_TRUE(kernel.MkdirAll("/proc").ok());
  ASSERT_TRUE(kernel.Mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "").ok());
  ASSERT_TRUE(kernel.Mknod("/console", S_IFCHR | 0600, makedev(5, 1)).ok());
  ASSERT_TRUE(kernel.Symlink("/proc/self/fd", "/fd").ok());
  ASSERT_TRUE(kernel.WriteFile("/a", "x").ok());
  ASSERT_TRUE(kernel.Rename("/a", "/b").ok());
  ASSERT_TRUE(kernel.Unlink("/b").ok());
  ASSERT_TRUE(kernel.Umount("/proc", 0).ok());
  ASSERT_TRUE(kernel.Reboot(RB_POWER_OFF).ok());
  EXPECT_THAT(kernel.calls(),
              ElementsAre("set_child_subreaper", "mkdir_all /proc",
                          "mount proc /proc -t proc MS_NOSUID|MS_NODEV|MS_NOEXEC",
                          "mknod /console 20600 5:1", "symlink /proc/self/fd /fd",
                          "write_file /a", "rename /a /b", "unlink /b", "umount /proc",
                          "reboot 0x4321fedc"));
  EXPECT_THAT(kernel.reboots(), ElementsAre(RB_POWER_OFF));
  EXPECT_TRUE(kernel.child_subreaper());
}

TEST(FakeKernelTest, PollReadableAndHeldTerminals) {
  FakeKernel kernel;
  kernel.AddTerminal("/dev/ttyS0", "");
  kernel.AddTerminal("/dev/ttyS1", "ab");
  kernel.HoldTerminal("/dev/ttyS0");
  kernel.HoldTerminal("/dev/ttyS1");
  auto a = kernel.Open("/dev/ttyS0", O_RDWR);
  auto b = kernel.Open("/dev/ttyS1", O_RDWR);
  ASSERT_TRUE(a.ok() && b.ok());
  auto ready = kernel.PollReadable({a->get(), b->get()}, absl::InfiniteDuration());
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_THAT(*ready, ElementsAre(b->get()));
  char buf[8];
  auto n = kernel.Read(b->get(), buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  // Held and used up: nothing to read, not end of file.
  EXPECT_FALSE(kernel.Read(b->get(), buf, sizeof(buf)).ok());
  ready = kernel.PollReadable({a->get(), b->get()}, absl::Milliseconds(10));
  ASSERT_TRUE(ready.ok());
  EXPECT_THAT(*ready, IsEmpty());
  auto never = kernel.PollReadable({a->get(), b->get()}, absl::InfiniteDuration());
  ASSERT_FALSE(never.ok());
  EXPECT_THAT(std::string(never.status().message()), HasSubstr("nothing would ever be readable"));
  // The hang-up: end of file, readable.
  kernel.HoldTerminal("/dev/ttyS0", false);
  ready = kernel.PollReadable({a->get(), b->get()}, absl::InfiniteDuration());
  ASSERT_TRUE(ready.ok());
  EXPECT_THAT(*ready, ElementsAre(a->get()));
  n = kernel.Read(a->get(), buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  EXPECT_FALSE(kernel.PollReadable({-1}, absl::ZeroDuration()).ok());
}

}  // namespace
}  // namespace baton::sys
