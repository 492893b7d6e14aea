#include "supervisor/stage1/luks_open.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "supervisor/stage1/luks_keyslot.h"
#include "supervisor/stage1/luks_testdata.h"
#include "sys/fake_kernel.h"

namespace baton::stage1 {
namespace {

using ::testing::HasSubstr;

std::string Bytes(const luks::SecretBytes& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

class LuksOpenTest : public ::testing::Test {
 protected:
  void Disk(const std::string& img, uint64_t sectors = 8192) {
    std::string padded = img;
    padded.resize(sectors * 512, '\0');
    ASSERT_TRUE(kernel_.MkdirAll("/dev").ok());
    ASSERT_TRUE(kernel_.Mknod("/dev/sdb", S_IFBLK | 0600, makedev(8, 16)).ok());
    ASSERT_TRUE(kernel_.WriteFile("/dev/sdb", padded).ok());
    ASSERT_TRUE(kernel_.MkdirAll("/sys/dev/block/8:16").ok());
    ASSERT_TRUE(kernel_.WriteFile("/sys/dev/block/8:16/size", absl::StrCat(sectors, "\n")).ok());
  }
  LuksOpenRequest Request() {
    LuksOpenRequest r;
    r.device = "/dev/sdb";
    r.name = "data";
    return r;
  }
  sys::FakeKernel kernel_;
};

TEST_F(LuksOpenTest, ReadKeyFileWhole) {
  ASSERT_TRUE(kernel_.WriteFile("/key", "secret\n").ok());
  absl::StatusOr<luks::SecretBytes> key = ReadKeyFile(kernel_, "/key", std::nullopt, 0);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(Bytes(*key), "secret\n");  // the newline is part of the key
}

TEST_F(LuksOpenTest, ReadKeyFileSizeAndOffset) {
  std::string big(10000, 'x');
  big.replace(5000, 4, "KEY!");
  ASSERT_TRUE(kernel_.WriteFile("/key", big).ok());
  absl::StatusOr<luks::SecretBytes> key = ReadKeyFile(kernel_, "/key", 4, 5000);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(Bytes(*key), "KEY!");
  key = ReadKeyFile(kernel_, "/key", std::nullopt, 4000);  // to the end, past one 4 KiB read
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->size(), 6000u);
  key = ReadKeyFile(kernel_, "/key", 8000, 4000);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().message(),
            "key file /key: 8000 bytes wanted at byte 4000, only 6000 there");
}

TEST_F(LuksOpenTest, ReadKeyFileRefusals) {
  ASSERT_TRUE(kernel_.WriteFile("/empty", "").ok());
  absl::StatusOr<luks::SecretBytes> key = ReadKeyFile(kernel_, "/empty", std::nullopt, 0);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().message(), "key file /empty is empty");
  ASSERT_TRUE(kernel_.WriteFile("/huge", std::string((8 << 20) + 1, 'h')).ok());
  key = ReadKeyFile(kernel_, "/huge", std::nullopt, 0);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().message(), "key file /huge is over 8 MiB");
  EXPECT_FALSE(ReadKeyFile(kernel_, "/missing", std::nullopt, 0).ok());
}

TEST_F(LuksOpenTest, OpensWithTheRightKeyOnly) {
  Disk(luks::testing::TestData("luks2-argon2id.img"));
  LuksOpenRequest r = Request();
  r.read_only = true;
  absl::StatusOr<NativeLuks> luks = NativeLuks::Load(kernel_, r);
  ASSERT_TRUE(luks.ok()) << luks.status();
  absl::Status st = luks->Open("correct horsE", 13);
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(kernel_.dm_devices().empty());
  std::string slot;
  ASSERT_TRUE(luks->Open("correct horse", 13, &slot).ok());
  EXPECT_EQ(slot, "0");
  const auto& dev = kernel_.dm_devices().at("data");
  EXPECT_EQ(dev.uuid, "CRYPT-LUKS2-11111111222233334444666666666666-data");
  EXPECT_TRUE(dev.read_only);
  EXPECT_EQ(sys::FakeKernel::DmTableText(dev.table),
            absl::StrCat("0 6144 crypt aes-xts-plain64 ", luks::testing::kKey256Hex,
                         " 0 8:16 2048 1 sector_size:4096\n"));
  // The same name again: device-mapper says it is taken.
  st = luks->Open("correct horse", 13);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("data"));
  EXPECT_THAT(st.message(), ::testing::Not(HasSubstr(luks::testing::kKey256Hex)));
}

TEST_F(LuksOpenTest, DeviceSizeNotWholeSectorsOfTheSegment) {
  Disk(luks::testing::TestData("luks2-pbkdf2.img"), 8193);
  absl::StatusOr<NativeLuks> luks = NativeLuks::Load(kernel_, Request());
  ASSERT_TRUE(luks.ok());
  absl::Status st = luks->Open("correct horse", 13);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "/dev/sdb: the data size (3146240 bytes) is not whole 4096-byte sectors");
  EXPECT_TRUE(kernel_.dm_devices().empty());
}

TEST_F(LuksOpenTest, NotABlockDevice) {
  ASSERT_TRUE(kernel_.MkdirAll("/dev").ok());
  ASSERT_TRUE(kernel_.WriteFile("/dev/sdb", luks::testing::TestData("luks1-xts-sha1.img")).ok());
  absl::StatusOr<NativeLuks> luks = NativeLuks::Load(kernel_, Request());
  ASSERT_TRUE(luks.ok());
  absl::Status st = luks->Open("correct horse", 13);
  EXPECT_EQ(st.message(), "/dev/sdb is not a block device");
}

TEST_F(LuksOpenTest, HeaderCutShortOnTheDevice) {
  // A device that ends inside the key slot area: the read error is named.
  ASSERT_TRUE(kernel_.MkdirAll("/dev").ok());
  ASSERT_TRUE(kernel_.Mknod("/dev/sdb", S_IFBLK | 0600, makedev(8, 16)).ok());
  ASSERT_TRUE(
      kernel_.WriteFile("/dev/sdb", luks::testing::TestData("luks1-xts-sha1.img").substr(0, 9000))
          .ok());
  absl::StatusOr<NativeLuks> luks = NativeLuks::Load(kernel_, Request());
  ASSERT_TRUE(luks.ok());
  absl::Status st = luks->Open("correct horse", 13);
  EXPECT_EQ(st.message(), "key slot 0: /dev/sdb ends at byte 9000, inside a key slot area");
}

}  // namespace
}  // namespace baton::stage1
