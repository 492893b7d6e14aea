#include "tools/mkinitramfs/cli.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::mkinitramfs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(CliTest, FullCommandLine) {
  absl::StatusOr<CommandLine> cl = ParseCommandLine(
      {"-o", "/tmp/i.img", "--kver", "6.1.0", "--modules-dir=/m", "--generic",
       "--with-udevd", "--compress", "xz", "--jobs", "/j1", "--jobs=/j2", "--include",
       "/a:/b", "--include", "/c", "--init", "/x/baton", "--initctl", "/x/initctl",
       "--sysroot", "/sr/", "--extra-module", "raid1", "--extra-module", "dm_crypt",
       "--storage-tools", "native", "--keymap", "fr-latin1"},
      "/nowhere", "1700000000");
  ASSERT_TRUE(cl.ok()) << cl.status();
  const ImageOptions& o = cl->image;
  EXPECT_EQ(o.output, "/tmp/i.img");
  EXPECT_EQ(o.kver, "6.1.0");
  EXPECT_EQ(o.modules_dir, "/m");
  EXPECT_TRUE(o.generic);
  EXPECT_TRUE(o.with_udevd);
  EXPECT_EQ(o.compression, Compression::kXz);
  EXPECT_THAT(o.job_dirs, ElementsAre("/j1", "/j2"));
  EXPECT_THAT(o.includes, ElementsAre(Pair("/a", "/b"), Pair("/c", "/c")));
  EXPECT_EQ(o.init_path, "/x/baton");
  EXPECT_EQ(o.initctl_path, "/x/initctl");
  EXPECT_EQ(o.sysroot, "/sr");
  EXPECT_THAT(o.extra_modules, ElementsAre("raid1", "dm_crypt"));
  EXPECT_EQ(o.mtime, 1700000000u);
  EXPECT_EQ(o.storage_tools, StorageTools::kNative);
  EXPECT_EQ(o.keymap, "fr-latin1");
}

TEST(CliTest, Defaults) {
  std::string dir = std::getenv("TEST_TMPDIR");
  std::ofstream(dir + "/baton") << "x";
  absl::StatusOr<CommandLine> cl = ParseCommandLine({"-o", "i"}, dir, nullptr);
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->image.init_path, dir + "/baton");
  EXPECT_EQ(cl->image.initctl_path, "");
  EXPECT_EQ(cl->image.compression, Compression::kZstd);
  EXPECT_EQ(cl->image.mtime, 0u);
  EXPECT_FALSE(cl->image.generic);
  EXPECT_EQ(cl->image.storage_tools, StorageTools::kAuto);
  EXPECT_EQ(cl->image.keymap, "");  // the host's
}

TEST(CliTest, Errors) {
  EXPECT_THAT(std::string(ParseCommandLine({"--init", "/x"}, "/", nullptr).status().message()),
              HasSubstr("-o IMAGE"));
  EXPECT_THAT(std::string(ParseCommandLine({"-o", "i"}, "/nowhere", nullptr).status().message()),
              HasSubstr("--init"));
  EXPECT_FALSE(ParseCommandLine({"-o", "i", "--init", "/x", "--compress", "bz2"}, "/", nullptr).ok());
  EXPECT_FALSE(ParseCommandLine({"-o", "i", "--init", "/x", "--bogus"}, "/", nullptr).ok());
  EXPECT_THAT(std::string(ParseCommandLine({"-o", "i", "--init", "/x", "--storage-tools",
                                            "some"}, "/", nullptr)
                              .status()
                              .message()),
              HasSubstr("auto|all|native"));
  EXPECT_FALSE(ParseCommandLine({"-o"}, "/", nullptr).ok());
  EXPECT_THAT(std::string(ParseCommandLine({"-o", "i", "--init", "/x", "--keymap="}, "/", nullptr)
                              .status()
                              .message()),
              HasSubstr("--keymap needs FILE, NAME or none"));
  EXPECT_FALSE(ParseCommandLine({"-o", "i", "--init", "/x"}, "/", "yesterday").ok());
  EXPECT_FALSE(ParseCommandLine({"-o", "i", "--init", "/x", "--include", "a:rel"}, "/", nullptr).ok());
}

TEST(CliTest, StorageToolsValues) {
  for (const auto& [word, want] : {std::pair<const char*, StorageTools>{"auto", StorageTools::kAuto},
                                   {"all", StorageTools::kAll},
                                   {"native", StorageTools::kNative}}) {
    absl::StatusOr<CommandLine> cl = ParseCommandLine(
        {"-o", "i", "--init", "/x", absl::StrCat("--storage-tools=", word)}, "/", nullptr);
    ASSERT_TRUE(cl.ok()) << cl.status();
    EXPECT_EQ(cl->image.storage_tools, want) << word;
  }
}

TEST(CliTest, List) {
  absl::StatusOr<CommandLine> cl = ParseCommandLine({"--list", "img"}, "/", nullptr);
  ASSERT_TRUE(cl.ok());
  EXPECT_EQ(cl->list, "img");
}

}  // namespace
}  // namespace baton::mkinitramfs
