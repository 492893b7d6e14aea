#include "tools/mkinitramfs/keymap.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "supervisor/stage1/keymap.h"

namespace baton::mkinitramfs {
namespace {

namespace fs = std::filesystem;

constexpr char kAzerty[] = "tools/mkinitramfs/testdata/azerty-test.kmap";

class KeymapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    root_ = fs::path(tmp != nullptr ? tmp : "/tmp") /
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    fs::create_directories(root_ / "etc");
  }
  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel, std::ios::binary) << text;
  }
  std::string sysroot() const { return root_.string(); }
  fs::path root_;
};

TEST_F(KeymapTest, TheHostsConsoleSetupCacheComesFirst) {
  Write("etc/console-setup/cached_UTF-8_del.kmap.gz", "gz");
  Write("etc/vconsole.conf", "KEYMAP=de-latin1\n");
  KeymapChoice c = ChooseKeymap("", sysroot());
  EXPECT_EQ(c.source, sysroot() + "/etc/console-setup/cached_UTF-8_del.kmap.gz");
  EXPECT_EQ(c.from, "/etc/console-setup/cached_UTF-8_del.kmap.gz");
  EXPECT_FALSE(c.explicit_option);
}

TEST_F(KeymapTest, ThenVconsoleConfsKeymapName) {
  Write("etc/vconsole.conf", "FONT=eurlatgr\nKEYMAP=\"fr\"\n# KEYMAP=us\n");
  KeymapChoice c = ChooseKeymap("", sysroot());
  EXPECT_EQ(c.source, "fr");
  EXPECT_EQ(c.from, "/etc/vconsole.conf");
}

TEST_F(KeymapTest, NothingConfiguredNoKeymap) {
  Write("etc/vconsole.conf", "FONT=eurlatgr\n");
  EXPECT_EQ(ChooseKeymap("", sysroot()).source, "");
}

TEST_F(KeymapTest, TheOptionWinsAndNoneMeansNone) {
  Write("etc/console-setup/cached_UTF-8_del.kmap.gz", "gz");
  KeymapChoice none = ChooseKeymap("none", sysroot());
  EXPECT_EQ(none.source, "");
  EXPECT_TRUE(none.explicit_option);
  KeymapChoice file = ChooseKeymap("/x/fr.kmap", sysroot());
  EXPECT_EQ(file.source, "/x/fr.kmap");
  EXPECT_EQ(file.from, "--keymap");
}

// Needs kbd's loadkeys (tools/setup installs it).
TEST_F(KeymapTest, ATextKeymapIsCompiledByLoadkeys) {
  absl::StatusOr<std::string> bmap = CompileKeymap(kAzerty);
  ASSERT_TRUE(bmap.ok()) << bmap.status();
  absl::StatusOr<stage1::BinaryKeymap> parsed = stage1::ParseBinaryKeymap(*bmap, "x");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->tables, (std::vector<uint8_t>{0, 1}));
  // K(KT_LETTER, 'a') on the US 'q' key, 'q' on the 'a' key, '-' on '6'.
  EXPECT_EQ(parsed->values[0][16], 0x0b61);
  EXPECT_EQ(parsed->values[0][30], 0x0b71);
  EXPECT_EQ(parsed->values[0][7], 0x002d);
  EXPECT_EQ(parsed->values[1][16], 0x0b41);
}

TEST_F(KeymapTest, ABinaryKeymapGoesInAsItIs) {
  absl::StatusOr<std::string> bmap = CompileKeymap(kAzerty);
  ASSERT_TRUE(bmap.ok()) << bmap.status();
  Write("fr.bmap", *bmap);
  absl::StatusOr<std::string> again =
      CompileKeymap(sysroot() + "/fr.bmap", "/nonexistent/loadkeys");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *bmap);
}

TEST_F(KeymapTest, ErrorsNameTheKeymap) {
  Write("short.bmap", "bkeymap\x01");
  absl::Status damaged = CompileKeymap(sysroot() + "/short.bmap").status();
  EXPECT_EQ(damaged.message(), "keymap " + sysroot() +
                                   "/short.bmap: ends at byte 8 inside the table flags (7-262)");
  absl::Status missing = CompileKeymap(sysroot() + "/none.kmap").status();
  EXPECT_EQ(missing.message(), "keymap " + sysroot() + "/none.kmap: not found");
  absl::Status no_tool = CompileKeymap(kAzerty, "/nonexistent/loadkeys").status();
  EXPECT_FALSE(no_tool.ok());
  EXPECT_NE(no_tool.message().find(std::string("keymap ") + kAzerty +
                                   ": /nonexistent/loadkeys -b: "),
            std::string::npos)
      << no_tool;
  Write("bad.kmap", "keymaps 0\nkeycode 16 = no_such_keysym\n");
  absl::Status bad = CompileKeymap(sysroot() + "/bad.kmap").status();
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("no_such_keysym"), std::string::npos) << bad;
}

}  // namespace
}  // namespace baton::mkinitramfs
