#include "handoff/memfd.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"
#include "sys/linux_kernel.h"

namespace baton::handoff {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string BigPayload() {
  std::string s;
  for (int i = 0; i < 200000; ++i) s.push_back(static_cast<char>(i * 7));
  return s;
}

TEST(MemfdTest, LinuxWriteSealedThenReadFromStart) {
  sys::LinuxKernel kernel;
  std::string payload = BigPayload();
  absl::StatusOr<sys::UniqueFd> fd = WriteSealedMemfd(kernel, payload);
  ASSERT_TRUE(fd.ok()) << fd.status();
  // Sealed: neither writes nor growth are possible any more.
  EXPECT_FALSE(kernel.Write(fd->get(), "x", 1).ok());
  EXPECT_LT(::ftruncate(fd->get(), 1), 0);
  // Read twice: pread leaves the offset alone.
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::string> back = ReadHandoffFd(kernel, fd->get());
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, payload);
  }
}

TEST(MemfdTest, ReadRefusesMoreThanLimit) {
  sys::LinuxKernel kernel;
  absl::StatusOr<sys::UniqueFd> fd = WriteSealedMemfd(kernel, BigPayload());
  ASSERT_TRUE(fd.ok());
  absl::StatusOr<std::string> back = ReadHandoffFd(kernel, fd->get(), 1000);
  EXPECT_EQ(back.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(MemfdTest, FakeKernelSealsAfterWriting) {
  sys::FakeKernel kernel;
  absl::StatusOr<sys::UniqueFd> fd = WriteSealedMemfd(kernel, "state");
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_THAT(kernel.calls(), ElementsAre("seal_memfd baton-handoff"));
  EXPECT_FALSE(kernel.Write(fd->get(), "x", 1).ok());
  EXPECT_TRUE(kernel.IsCloexec(fd->get()));  // cleared only right before execve
}

TEST(MemfdTest, WriteFailureIsReturned) {
  sys::FakeKernel kernel;
  kernel.FailNext("write", ENOSPC);
  absl::StatusOr<sys::UniqueFd> fd = WriteSealedMemfd(kernel, "state");
  EXPECT_FALSE(fd.ok());
  EXPECT_THAT(fd.status().message(), HasSubstr("write"));
  EXPECT_THAT(kernel.calls(), IsEmpty());  // never sealed
}

TEST(MemfdTest, FdListRoundTrip) {
  EXPECT_EQ(FormatFdList({}), "");
  EXPECT_EQ(FormatFdList({3, 4, 10}), "3,4,10");
  EXPECT_THAT(*ParseFdList("3,4,10"), ElementsAre(3, 4, 10));
  EXPECT_THAT(*ParseFdList(""), IsEmpty());
  for (const char* bad : {"3,,4", "-1", "x", "3,", " 3", "+3", "99999999999"}) {
    EXPECT_FALSE(ParseFdList(bad).ok()) << bad;
  }
}

TEST(MemfdTest, CheckFdsAgainstRealFds) {
  sys::LinuxKernel kernel;
  auto pipe = kernel.Pipe();
  ASSERT_TRUE(pipe.ok());
  auto file = kernel.Open("/proc/self/exe", O_RDONLY);
  ASSERT_TRUE(file.ok());
  auto dir = kernel.Open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(dir.ok());

  Handoff h;
  std::vector<int> fds = {pipe->first.get(), file->get(), dir->get()};
  *h.add_fds() = *DescribeFd(kernel, fds[0], 0, "log-pipe:mdmon");
  *h.add_fds() = *DescribeFd(kernel, fds[1], 1, "exe");
  EXPECT_EQ(h.fds(1).type(), FD_TYPE_REGULAR);
  EXPECT_NE(h.fds(1).ino(), 0u);
  // Recorded as a regular file, but index 2 will be a directory.
  FdEntry* wrong_type = h.add_fds();
  *wrong_type = h.fds(1);
  wrong_type->set_index(2);
  wrong_type->set_role("wrong-type");
  // Same type, other inode: the fd was swapped for another file.
  FdEntry* wrong_ino = h.add_fds();
  *wrong_ino = h.fds(1);
  wrong_ino->set_role("wrong-inode");
  wrong_ino->set_ino(h.fds(1).ino() + 1);
  FdEntry* missing = h.add_fds();
  missing->set_index(7);
  missing->set_role("control-socket");

  std::vector<FdCheck> checks = CheckFds(kernel, h, fds);
  ASSERT_EQ(checks.size(), 5u);
  EXPECT_TRUE(checks[0].ok) << checks[0].warning;
  EXPECT_EQ(checks[0].fd, fds[0]);
  EXPECT_TRUE(checks[1].ok) << checks[1].warning;
  EXPECT_FALSE(checks[2].ok);
  EXPECT_THAT(checks[2].warning, HasSubstr("is FD_TYPE_DIRECTORY, expected FD_TYPE_REGULAR"));
  EXPECT_FALSE(checks[3].ok);
  EXPECT_THAT(checks[3].warning, HasSubstr("fd #1 (wrong-inode)"));
  EXPECT_THAT(checks[3].warning, HasSubstr("inode"));
  EXPECT_FALSE(checks[4].ok);
  EXPECT_EQ(checks[4].fd, -1);
  EXPECT_EQ(checks[4].warning, "fd #7 (control-socket): missing, only 3 fds were passed");
}

TEST(MemfdTest, CheckFdsReportsClosedFd) {
  sys::FakeKernel kernel;
  Handoff h;
  FdEntry* e = h.add_fds();
  e->set_index(0);
  e->set_role("uevent-socket");
  std::vector<FdCheck> checks = CheckFds(kernel, h, {sys::kFakeFdBase + 500});
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_FALSE(checks[0].ok);
  EXPECT_THAT(checks[0].warning, HasSubstr("fd #0 (uevent-socket): fstat"));
}

}  // namespace
}  // namespace baton::handoff
