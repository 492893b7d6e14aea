#include "supervisor/stage1/crypttab.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::stage1 {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(CrypttabTest, ParsesCommonForms) {
  ParseResult<CrypttabEntry> r = ParseCrypttab(
      "# <target name> <source device> <key file> <options>\n"
      "cryptroot UUID=aaaa-bbbb none luks,discard\n"
      "home PARTUUID=1234-02 /etc/keys/home.key:LABEL=usbkey "
      "luks,keyfile-size=4096,keyfile-offset=512,tries=0,header=/boot/h.img\n"
      "swap /dev/sdb2 /dev/urandom plain,cipher=aes-xts-plain64,size=256\n"
      "data /dev/disk/by-id/ata-X-part3\n"
      "old UUID=cccc - luks,keyscript=decrypt_keyctl,initramfs,noauto,nofail,readonly\n",
      "/etc/crypttab");
  ASSERT_TRUE(r.status().ok()) << r.status();
  ASSERT_EQ(r.entries.size(), 5u);

  const CrypttabEntry& root = r.entries[0];
  EXPECT_EQ(root.name, "cryptroot");
  EXPECT_EQ(root.device_spec.kind(), RootSpec::Kind::kUuid);
  EXPECT_EQ(root.key_file, "");
  EXPECT_TRUE(root.luks);
  EXPECT_TRUE(root.discard);
  EXPECT_FALSE(root.keyfile_size.has_value());
  EXPECT_EQ(root.line, 2);

  const CrypttabEntry& home = r.entries[1];
  EXPECT_EQ(home.key_file, "/etc/keys/home.key");
  EXPECT_EQ(home.key_device, "LABEL=usbkey");
  EXPECT_EQ(home.keyfile_size, 4096u);
  EXPECT_EQ(home.keyfile_offset, 512u);
  EXPECT_EQ(home.tries, 0);
  EXPECT_EQ(home.header, "/boot/h.img");
  EXPECT_EQ(home.device_spec.kind(), RootSpec::Kind::kPartUuid);

  const CrypttabEntry& swap = r.entries[2];
  EXPECT_TRUE(swap.plain);
  EXPECT_EQ(swap.key_file, "/dev/urandom");
  EXPECT_THAT(swap.other_options,
              ElementsAre(Pair("cipher", "aes-xts-plain64"), Pair("size", "256")));

  EXPECT_EQ(r.entries[3].key_file, "");
  EXPECT_FALSE(r.entries[3].luks);

  const CrypttabEntry& old = r.entries[4];
  EXPECT_TRUE(old.noauto);
  EXPECT_TRUE(old.nofail);
  EXPECT_TRUE(old.read_only);
  EXPECT_THAT(old.other_options,
              ElementsAre(Pair("keyscript", "decrypt_keyctl"), Pair("initramfs", "")));
}

TEST(CrypttabTest, BadLinesNameFileAndLine) {
  ParseResult<CrypttabEntry> r = ParseCrypttab(
      "lonely\n"
      "a UUID=1 none luks extra\n"
      "b UUID= none\n"
      "c UUID=2 none keyfile-size=big\n"
      "d/e UUID=3\n"
      "f PARTUUID=x/PARTNROFF=1\n"
      "g UUID=4 none tries=-1\n"
      "good UUID=5 none luks\n",
      "/etc/crypttab");
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].name, "good");
  EXPECT_EQ(r.entries[0].line, 8);
  ASSERT_EQ(r.errors.size(), 7u);
  EXPECT_EQ(r.errors[0].message(), "/etc/crypttab:1: missing device");
  EXPECT_EQ(r.errors[1].message(), "/etc/crypttab:2: too many fields (5, at most 4)");
  EXPECT_THAT(std::string(r.errors[2].message()),
              ::testing::StartsWith("/etc/crypttab:3: empty value"));
  EXPECT_EQ(r.errors[3].message(),
            "/etc/crypttab:4: option keyfile-size=\"big\" is not a number");
  EXPECT_EQ(r.errors[4].message(), "/etc/crypttab:5: name \"d/e\" contains '/'");
  EXPECT_THAT(std::string(r.errors[5].message()),
              ::testing::AllOf(::testing::StartsWith("/etc/crypttab:6: "),
                               ::testing::HasSubstr("not supported")));
  EXPECT_EQ(r.errors[6].message(), "/etc/crypttab:7: option tries=\"-1\" is not a number");
}

}  // namespace
}  // namespace baton::stage1
