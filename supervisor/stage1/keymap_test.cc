#include "supervisor/stage1/keymap.h"

#include <string>

#include "gtest/gtest.h"
#include "sys/fake_kernel.h"

// After sys/wait.h (through fake_kernel.h): linux/keyboard.h pulls in
// linux/wait.h, whose P_ALL/P_PID macros break glibc's idtype_t.
#include <linux/keyboard.h>

namespace baton::stage1 {
namespace {

// A binary keymap with TABLES present, KEYS keys each; key k of table t
// holds VALUE(t, k).
template <typename Value>
std::string Bkeymap(const std::vector<int>& tables, int keys, Value value) {
  std::string data = "bkeymap";
  std::string flags(256, '\0');
  for (int t : tables) flags[t] = 1;
  data += flags;
  for (int t : tables) {
    for (int k = 0; k < keys; ++k) {
      uint16_t v = value(t, k);
      data.push_back(static_cast<char>(v & 0xff));
      data.push_back(static_cast<char>(v >> 8));
    }
  }
  return data;
}

// An AZERTY-like map: the key of US 'q' (16) types 'a', that of 'a' (30)
// types 'q'; everything else K(KT_LATIN, k) for the test's eye.
uint16_t Azerty(int table, int key) {
  if (key == 16) return table == 0 ? K(KT_LETTER, 'a') : K(KT_LETTER, 'A');
  if (key == 30) return table == 0 ? K(KT_LETTER, 'q') : K(KT_LETTER, 'Q');
  return K(KT_LATIN, key);
}

TEST(ParseBinaryKeymapTest, ReadsTablesAndKeys) {
  absl::StatusOr<BinaryKeymap> map = ParseBinaryKeymap(Bkeymap({0, 1, 4}, 128, Azerty), "x");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->keys, 128);
  EXPECT_EQ(map->tables, (std::vector<uint8_t>{0, 1, 4}));
  ASSERT_EQ(map->values.size(), 3u);
  EXPECT_EQ(map->values[0][16], K(KT_LETTER, 'a'));
  EXPECT_EQ(map->values[1][30], K(KT_LETTER, 'Q'));
  EXPECT_EQ(map->values[2][127], K(KT_LATIN, 127));
}

TEST(ParseBinaryKeymapTest, TheSizeSaysTheKeysPerTable) {
  absl::StatusOr<BinaryKeymap> map = ParseBinaryKeymap(Bkeymap({0, 2}, 256, Azerty), "x");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->keys, 256);
  EXPECT_EQ(map->values[1][255], K(KT_LATIN, 255));
}

TEST(ParseBinaryKeymapTest, DamageIsNamed) {
  const std::string good = Bkeymap({0, 1}, 128, Azerty);
  EXPECT_EQ(ParseBinaryKeymap("keymap 0-1\n", "/etc/k").status().message(),
            "/etc/k: not a binary keymap (no \"bkeymap\" at byte 0)");
  EXPECT_EQ(ParseBinaryKeymap(good.substr(0, 100), "/etc/k").status().message(),
            "/etc/k: ends at byte 100 inside the table flags (7-262)");
  std::string flag = good;
  flag[7 + 3] = 2;
  EXPECT_EQ(ParseBinaryKeymap(flag, "/etc/k").status().message(),
            "/etc/k: table flag 2 at byte 10 (want 0 or 1)");
  EXPECT_EQ(ParseBinaryKeymap(good.substr(0, good.size() - 1), "/etc/k").status().message(),
            "/etc/k: 511 bytes of keys for 2 tables, want 128 or 256 two-byte keys each "
            "(512 or 1024)");
  EXPECT_EQ(ParseBinaryKeymap(Bkeymap({}, 128, Azerty), "/etc/k").status().message(),
            "/etc/k: no key table in it");
}

TEST(KeymapEntriesTest, EveryKeyOfEachTableThenAbsentTablesFreed) {
  absl::StatusOr<BinaryKeymap> map = ParseBinaryKeymap(Bkeymap({0, 1}, 128, Azerty), "x");
  ASSERT_TRUE(map.ok());
  std::vector<sys::Kernel::KeyboardEntry> entries = KeymapEntries(*map);
  ASSERT_EQ(entries.size(), 2u * 128 + 254);  // tables 2..255 freed
  EXPECT_EQ(entries[16].table, 0);
  EXPECT_EQ(entries[16].index, 16);
  EXPECT_EQ(entries[16].value, K(KT_LETTER, 'a'));
  EXPECT_EQ(entries[128 + 30].table, 1);
  EXPECT_EQ(entries[128 + 30].value, K(KT_LETTER, 'Q'));
  EXPECT_EQ(entries[256].table, 2);
  EXPECT_EQ(entries[256].index, 0);
  EXPECT_EQ(entries[256].value, K_NOSUCHMAP);
  EXPECT_EQ(entries.back().table, 255);
}

class LoadImageKeymapTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(kernel_.MkdirAll("/etc/baton", 0755).ok()); }
  sys::FakeKernel kernel_;
};

TEST_F(LoadImageKeymapTest, NoFileNoLine) {
  kernel_.AddVirtualTerminal(kKeymapTty, "");
  EXPECT_EQ(LoadImageKeymap(kernel_), "");
  EXPECT_FALSE(kernel_.keyboard_entry(0, 16).has_value());
}

TEST_F(LoadImageKeymapTest, LoadsEveryKeyAndFreesTheKernelsOtherTables) {
  kernel_.AddVirtualTerminal(kKeymapTty, "");
  // The kernel's built-in map has table 12 (ctrl+alt); the file does not.
  ASSERT_TRUE(kernel_.WriteFile(kImageKeymap, Bkeymap({0, 1}, 128, Azerty), 0644).ok());
  {
    absl::StatusOr<sys::UniqueFd> fd = kernel_.Open(kKeymapTty, 0);
    ASSERT_TRUE(fd.ok());
    ASSERT_TRUE(kernel_.SetKeyboardEntries(fd->get(), {{12, 16, K(KT_LATIN, 'x')}}).ok());
  }
  EXPECT_EQ(LoadImageKeymap(kernel_),
            "console keymap loaded from /etc/baton/keymap.bmap (2 tables of 128 keys)");
  EXPECT_EQ(kernel_.keyboard_entry(0, 16), K(KT_LETTER, 'a'));
  EXPECT_EQ(kernel_.keyboard_entry(0, 30), K(KT_LETTER, 'q'));
  EXPECT_EQ(kernel_.keyboard_entry(1, 16), K(KT_LETTER, 'A'));
  EXPECT_EQ(kernel_.keyboard_entry(1, 127), K(KT_LATIN, 127));
  EXPECT_FALSE(kernel_.keyboard_entry(12, 16).has_value());
}

TEST_F(LoadImageKeymapTest, RefusedValuesAreCountedTheRestLoaded) {
  kernel_.AddVirtualTerminal(kKeymapTty, "");
  kernel_.set_unicode_keyboard(false);
  // U+20AC (euro) on AltGr+e: a Unicode value, refused outside Unicode mode.
  auto euro = [](int t, int k) -> uint16_t {
    if (t == 2 && k == 18) return 0x20ac ^ 0xf000;
    return Azerty(t, k);
  };
  ASSERT_TRUE(kernel_.WriteFile(kImageKeymap, Bkeymap({0, 1, 2}, 128, euro), 0644).ok());
  EXPECT_EQ(LoadImageKeymap(kernel_),
            "console keymap loaded from /etc/baton/keymap.bmap (3 tables of 128 keys); the "
            "kernel refused 1 of its values");
  EXPECT_FALSE(kernel_.keyboard_entry(2, 18).has_value());
  EXPECT_EQ(kernel_.keyboard_entry(0, 16), K(KT_LETTER, 'a'));
}

TEST_F(LoadImageKeymapTest, NoVirtualTerminalIsSaidNotFatal) {
  ASSERT_TRUE(kernel_.WriteFile(kImageKeymap, Bkeymap({0}, 128, Azerty), 0644).ok());
  const std::string line = LoadImageKeymap(kernel_);
  EXPECT_EQ(line.rfind("console keymap not loaded: no virtual terminal (/dev/tty0: ", 0), 0u)
      << line;
}

TEST_F(LoadImageKeymapTest, ASerialLineIsNotAVirtualTerminal) {
  kernel_.AddTerminal(kKeymapTty, "");  // a tty, but KDSKBENT says ENOTTY
  ASSERT_TRUE(kernel_.WriteFile(kImageKeymap, Bkeymap({0}, 128, Azerty), 0644).ok());
  const std::string line = LoadImageKeymap(kernel_);
  EXPECT_NE(line.find("console keymap not loaded: set_keyboard_entries /dev/tty0 383"),
            std::string::npos)
      << line;
  EXPECT_FALSE(kernel_.keyboard_entry(0, 16).has_value());
}

TEST_F(LoadImageKeymapTest, ADamagedFileIsNamed) {
  kernel_.AddVirtualTerminal(kKeymapTty, "");
  ASSERT_TRUE(kernel_.WriteFile(kImageKeymap, "bkeymap", 0644).ok());
  EXPECT_EQ(LoadImageKeymap(kernel_),
            "console keymap not loaded: /etc/baton/keymap.bmap: ends at byte 7 inside the table "
            "flags (7-262)");
}

}  // namespace
}  // namespace baton::stage1
