#include "tools/mkinitramfs/busybox.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::mkinitramfs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A string literal with its embedded NULs (not the terminating one).
template <size_t N>
std::string Bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

std::string TmpFile(const std::string& name, const std::string& text, int mode) {
  std::string p = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(p, std::ios::binary) << text;
  ::chmod(p.c_str(), mode);
  return p;
}

TEST(ParseBusyboxListTest, PathsAndBareNames) {
  auto l = ParseBusyboxList("bin/ls\nsbin/blkid\n\nusr/bin/xzcat\n[\n");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_THAT(*l, ElementsAre("/bin/ls", "/sbin/blkid", "/usr/bin/xzcat", "/bin/["));
}

TEST(ParseBusyboxListTest, RejectsPathsLeavingTheTree) {
  EXPECT_FALSE(ParseBusyboxList("bin/ls\n../etc/passwd\n").ok());
  EXPECT_FALSE(ParseBusyboxList("/bin/ls\n").ok());
  EXPECT_FALSE(ParseBusyboxList("bin//ls\n").ok());
}

TEST(AppletNamesInBinaryTest, ReadsTheTable) {
  std::string bin = Bytes("\x7f" "ELF junk\0more\0");
  bin += Bytes("[\0[[\0ash\0ls\0mount\0\0");
  bin += "trailing";
  EXPECT_THAT(AppletNamesInBinary(bin), ElementsAre("[", "[[", "ash", "ls", "mount"));
  EXPECT_TRUE(AppletNamesInBinary("no table here").empty());
  // Unterminated: not a table.
  EXPECT_TRUE(AppletNamesInBinary(Bytes("[\0[[\0ls")).empty());
}

TEST(BusyboxAppletPathsTest, RunsListFull) {
  std::string bb = TmpFile("bb-list",
                           "#!/bin/sh\n[ \"$1\" = --list-full ] || exit 1\n"
                           "printf 'bin/sh\\nbin/ls\\nsbin/blkid\\n'\n",
                           0755);
  std::vector<std::string> warnings;
  auto paths = BusyboxAppletPaths(bb, &warnings);
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_THAT(*paths, ElementsAre("/bin/sh", "/bin/ls", "/sbin/blkid"));
  EXPECT_TRUE(warnings.empty());
}

TEST(BusyboxAppletPathsTest, FallsBackToTheTableWithAWarning) {
  // Fails when run, but carries the table (a script is text: the shell stops
  // at "exit 3" before the bytes after it).
  std::string bb = TmpFile("bb-table",
                           Bytes("#!/bin/sh\nexit 3\n[\0[[\0ash\0cat\0\0"), 0755);
  std::vector<std::string> warnings;
  auto paths = BusyboxAppletPaths(bb, &warnings);
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_THAT(*paths, ElementsAre("/bin/[", "/bin/[[", "/bin/ash", "/bin/cat"));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("--list-full` failed"));
}

TEST(BusyboxAppletPathsTest, NeitherIsAnErrorNamingTheBinary) {
  std::string bb = TmpFile("bb-none", "#!/bin/sh\nexit 0\n", 0755);
  auto paths = BusyboxAppletPaths(bb, nullptr);
  ASSERT_FALSE(paths.ok());
  EXPECT_THAT(paths.status().message(), HasSubstr(bb));
  EXPECT_THAT(paths.status().message(), HasSubstr("printed no applets"));
}

TEST(AddAppletLinksTest, RealToolsAndLinksToInitWin) {
  FileSet f;
  ASSERT_TRUE(f.Add("/sbin", FileSpec::Symlink("usr/sbin")).ok());
  ASSERT_TRUE(f.Add("/usr/sbin/blkid", FileSpec::HostFile("/x/blkid")).ok());
  ASSERT_TRUE(f.Add("/usr/sbin/modprobe", FileSpec::Symlink("/init")).ok());
  ASSERT_TRUE(f.Add("/bin/e2fsck", FileSpec::HostFile("/x/e2fsck")).ok());
  auto n = AddAppletLinks("/usr/bin/busybox",
                          {"/bin/sh", "/sbin/blkid", "/sbin/modprobe", "/usr/sbin/e2fsck",
                           "/sbin/init", "/usr/bin/xzcat", "/bin/sh"},
                          &f);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 2);  // sh (once) and xzcat
  EXPECT_EQ(f.Find("/bin/sh")->data, "/usr/bin/busybox");
  EXPECT_EQ(f.Find("/usr/bin/xzcat")->data, "/usr/bin/busybox");
  EXPECT_EQ(f.Find("/usr/sbin/blkid")->kind, FileSpec::Kind::kHostFile);
  EXPECT_EQ(f.Find("/usr/sbin/modprobe")->data, "/init");
  EXPECT_EQ(f.Find("/usr/sbin/e2fsck"), nullptr);  // /bin/e2fsck is the real one
  EXPECT_EQ(f.Find("/sbin/init"), nullptr);        // never: the kernel's fallback
}

}  // namespace
}  // namespace baton::mkinitramfs
