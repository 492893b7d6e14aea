#include "tools/mkinitramfs/elf.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::mkinitramfs {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;

TEST(ElfTest, DynamicBinaryNeedsLibc) {
  absl::StatusOr<ElfInfo> info = ReadElf("/bin/ls");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->dynamic);
  EXPECT_THAT(info->needed, Contains("libc.so.6"));
  EXPECT_EQ(info->interpreter, "/lib64/ld-linux-x86-64.so.2");
}

TEST(ElfTest, StaticBinaryNeedsNothing) {
  // busybox-static is a build dependency of the project (the rescue shell).
  absl::StatusOr<ElfInfo> info = ReadElf("/bin/busybox");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_THAT(info->needed, IsEmpty());
  EXPECT_EQ(info->interpreter, "");
}

TEST(ElfTest, SharedLibraryHasNoInterpreter) {
  absl::StatusOr<ElfInfo> info = ReadElf("/lib/x86_64-linux-gnu/libkmod.so.2");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->interpreter, "");
  EXPECT_THAT(info->needed, Contains("libc.so.6"));
}

TEST(ElfTest, NotElfIsAnError) {
  std::string path = std::string(getenv("TEST_TMPDIR")) + "/script";
  std::ofstream(path) << "#!/bin/sh\necho hi\n";
  EXPECT_FALSE(IsElf(path));
  absl::StatusOr<ElfInfo> info = ReadElf(path);
  EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(IsElf("/nonexistent/file"));
  EXPECT_EQ(ReadElf("/nonexistent/file").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ElfTest, TruncatedElfIsAnError) {
  std::string path = std::string(getenv("TEST_TMPDIR")) + "/trunc";
  std::ifstream in("/bin/ls", std::ios::binary);
  std::string head(100, '\0');
  in.read(head.data(), head.size());
  std::ofstream(path, std::ios::binary) << head;
  EXPECT_TRUE(IsElf(path));
  EXPECT_FALSE(ReadElf(path).ok());
}

TEST(ElfTest, ReadsSections) {
  absl::StatusOr<std::string> interp = ReadElfSection("/bin/ls", ".interp");
  ASSERT_TRUE(interp.ok()) << interp.status();
  EXPECT_EQ(*interp, std::string("/lib64/ld-linux-x86-64.so.2") + '\0');
  EXPECT_EQ(ReadElfSection("/bin/ls", ".no-such").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace baton::mkinitramfs
