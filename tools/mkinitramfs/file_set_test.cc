#include "tools/mkinitramfs/file_set.h"

#include "gtest/gtest.h"

namespace baton::mkinitramfs {
namespace {

TEST(FileSetTest, CleanPath) {
  EXPECT_EQ(CleanPath("/a//b/./c/"), "/a/b/c");
  EXPECT_EQ(CleanPath("a/../../b"), "/b");
  EXPECT_EQ(CleanPath(""), "/");
  EXPECT_EQ(JoinLinkTarget("/lib64/ld.so", "../lib/x/ld.so"), "/lib/x/ld.so");
  EXPECT_EQ(JoinLinkTarget("/lib64", "usr/lib64"), "/usr/lib64");
  EXPECT_EQ(JoinLinkTarget("/lib64/ld.so", "/abs"), "/abs");
}

TEST(FileSetTest, SameSpecTwiceIsFineDifferentIsNot) {
  FileSet s;
  ASSERT_TRUE(s.Add("/bin/x", FileSpec::HostFile("/host/x")).ok());
  EXPECT_TRUE(s.Add("/bin//x", FileSpec::HostFile("/host/x")).ok());
  absl::Status st = s.Add("/bin/x", FileSpec::HostFile("/host/y"));
  EXPECT_EQ(st.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(st.message().find("/bin/x"), absl::string_view::npos);
  EXPECT_TRUE(s.Add("/bin/x", FileSpec::HostFile("/host/y"), true).ok());
  EXPECT_EQ(s.Find("/bin/x")->source, "/host/y");
  EXPECT_EQ(s.size(), 1u);
}

TEST(FileSetTest, DirectorySymlinksAreFollowed) {
  FileSet s;
  ASSERT_TRUE(s.Add("/sbin/initctl", FileSpec::HostFile("/h/initctl")).ok());
  // Adding the link later moves what was below it.
  ASSERT_TRUE(s.Add("/sbin", FileSpec::Symlink("usr/sbin")).ok());
  EXPECT_EQ(s.Find("/sbin")->kind, FileSpec::Kind::kSymlink);
  ASSERT_NE(s.entries().find("/usr/sbin/initctl"), s.entries().end());
  EXPECT_EQ(s.entries().count("/sbin/initctl"), 0u);
  // Adding through the link lands below the target.
  ASSERT_TRUE(s.Add("/sbin/mdadm", FileSpec::HostFile("/h/mdadm")).ok());
  EXPECT_EQ(s.entries().count("/usr/sbin/mdadm"), 1u);
  EXPECT_TRUE(s.Contains("/sbin/mdadm"));
  EXPECT_EQ(s.Canonical("/sbin/a/b"), "/usr/sbin/a/b");
}

TEST(FileSetTest, SymlinkLoopsStop) {
  FileSet s;
  ASSERT_TRUE(s.Add("/a", FileSpec::Symlink("/b")).ok());
  ASSERT_TRUE(s.Add("/b", FileSpec::Symlink("/a")).ok());
  EXPECT_FALSE(s.Canonical("/a/x").empty());  // terminates
}

}  // namespace
}  // namespace baton::mkinitramfs
