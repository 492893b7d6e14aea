#include "supervisor/job_files.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"
#include "sys/linux_kernel.h"

namespace baton::supervisor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kJob[] = "exec /bin/true\n";

std::vector<std::string> Paths(const std::vector<JobSource>& sources) {
  std::vector<std::string> out;
  for (const JobSource& s : sources) out.push_back(s.first);
  return out;
}

TEST(ReadJobSourcesTest, ReadsConfFilesInNameOrderSkippingDirectories) {
  sys::FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/etc/baton/jobs/sub.conf").ok());
  ASSERT_TRUE(kernel.WriteFile("/etc/baton/jobs/b.conf", kJob).ok());
  ASSERT_TRUE(kernel.WriteFile("/etc/baton/jobs/a.conf", kJob).ok());
  ASSERT_TRUE(kernel.WriteFile("/etc/baton/jobs/notes.txt", "x").ok());
  std::vector<jobs::Diagnostic> diags;
  std::vector<JobSource> sources = ReadJobSources(kernel, {"/etc/baton/jobs"}, &diags);
  EXPECT_THAT(Paths(sources), ElementsAre("/etc/baton/jobs/a.conf", "/etc/baton/jobs/b.conf"));
  EXPECT_TRUE(diags.empty());
}

TEST(ReadJobSourcesTest, DeviceNodesAndHugeFilesAreDiagnosticsNotReads) {
  sys::FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/etc/baton/jobs").ok());
  ASSERT_TRUE(kernel.WriteFile("/etc/baton/jobs/good.conf", kJob).ok());
  ASSERT_TRUE(kernel.Mknod("/etc/baton/jobs/zero.conf", S_IFCHR | 0644, makedev(1, 5)).ok());
  ASSERT_TRUE(
      kernel.WriteFile("/etc/baton/jobs/huge.conf", std::string(kMaxJobFileBytes + 1, '#')).ok());
  std::vector<jobs::Diagnostic> diags;
  std::vector<JobSource> sources = ReadJobSources(kernel, {"/etc/baton/jobs"}, &diags);
  EXPECT_THAT(Paths(sources), ElementsAre("/etc/baton/jobs/good.conf"));
  ASSERT_THAT(diags, SizeIs(2));
  EXPECT_EQ(diags[0].file, "/etc/baton/jobs/huge.conf");
  EXPECT_THAT(diags[0].message, HasSubstr("larger than 1048576 bytes"));
  EXPECT_EQ(diags[1].file, "/etc/baton/jobs/zero.conf");
  EXPECT_THAT(diags[1].message, HasSubstr("not a regular file (a character device)"));
}

// On the real kernel: a fifo named like a job file would block PID 1 in
// open(2) for ever, and /dev/zero would fill its memory. Both are named and
// skipped at once; the good file is still read.
TEST(ReadJobSourcesTest, RealFifoAndDevZeroDoNotBlockOrExhaust) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/jobs-fifo";
  sys::LinuxKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll(dir).ok());
  ASSERT_TRUE(kernel.WriteFile(dir + "/good.conf", kJob).ok());
  ::unlink((dir + "/fifo.conf").c_str());
  ::unlink((dir + "/zero.conf").c_str());
  ASSERT_EQ(::mkfifo((dir + "/fifo.conf").c_str(), 0644), 0);
  ASSERT_EQ(::symlink("/dev/zero", (dir + "/zero.conf").c_str()), 0);
  std::vector<jobs::Diagnostic> diags;
  std::vector<JobSource> sources = ReadJobSources(kernel, {dir}, &diags);
  EXPECT_THAT(Paths(sources), ElementsAre(dir + "/good.conf"));
  ASSERT_THAT(diags, SizeIs(2));
  EXPECT_EQ(diags[0].file, dir + "/fifo.conf");
  EXPECT_THAT(diags[0].message, HasSubstr("not a regular file (a fifo)"));
  EXPECT_EQ(diags[1].file, dir + "/zero.conf");
  EXPECT_THAT(diags[1].message, HasSubstr("not a regular file (a character device)"));
}

}  // namespace
}  // namespace baton::supervisor
