#include "tools/mkinitramfs/resume_auto.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::mkinitramfs {
namespace {

using ::testing::HasSubstr;

SwapFacts Swap(std::string path, std::string type, uint64_t kib, std::string uuid = "",
               std::string random_key = "") {
  SwapFacts s;
  s.area = {std::move(path), std::move(type), kib, -2};
  s.uuid = std::move(uuid);
  s.random_key = std::move(random_key);
  return s;
}

TEST(PickResumeDeviceTest, TheLargestPartitionByUuid) {
  ResumeAutoChoice c = PickResumeDevice({Swap("/dev/vda2", "partition", 1000, "aaaa"),
                                         Swap("/dev/dm-1", "partition", 4000, "bbbb"),
                                         Swap("/dev/vdb1", "partition", 4000, "cccc")});
  EXPECT_EQ(c.resume, "UUID=bbbb");  // the first of the two largest
  EXPECT_THAT(c.note, HasSubstr("auto: the largest active swap partition, /dev/dm-1, 4000 KiB"));
}

TEST(PickResumeDeviceTest, FilesZramAndRandomKeysAreLeftOutWithTheirReason) {
  ResumeAutoChoice c =
      PickResumeDevice({Swap("/swapfile", "file", 9000), Swap("/dev/zram0", "partition", 8000),
                        Swap("/dev/dm-0", "partition", 7000, "dddd", "/dev/urandom"),
                        Swap("/dev/vda3", "partition", 10, "eeee")});
  EXPECT_EQ(c.resume, "UUID=eeee");
  EXPECT_THAT(c.note, HasSubstr("/swapfile: a swap file (resume from a file needs resume_offset=)"));
  EXPECT_THAT(c.note, HasSubstr("/dev/zram0: zram"));
  EXPECT_THAT(c.note, HasSubstr("/dev/dm-0: encrypted with a key from /dev/urandom"));
}

TEST(PickResumeDeviceTest, NoneEligibleGivesNoDefault) {
  ResumeAutoChoice c = PickResumeDevice({Swap("/swapfile", "file", 9000)});
  EXPECT_EQ(c.resume, "");
  EXPECT_THAT(c.note, HasSubstr("resume: no default (RESUME=auto and no active swap partition"));
  EXPECT_EQ(PickResumeDevice({}).resume, "");
}

TEST(PickResumeDeviceTest, WithoutAUuidThePathAndAWarning) {
  ResumeAutoChoice c = PickResumeDevice({Swap("/dev/vda2", "partition", 1000)});
  EXPECT_EQ(c.resume, "/dev/vda2");
  EXPECT_THAT(c.note, HasSubstr("no UUID"));
}

// A host tree: proc/swaps, dev nodes as plain files, by-uuid links, dm names.
class HostSwapsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/resume_auto_testXXXXXX";
    const char* base = std::getenv("TEST_TMPDIR");
    std::string t = base != nullptr ? std::string(base) + "/hostXXXXXX" : std::string(tmpl);
    root_ = ::mkdtemp(t.data());
    for (const char* d : {"/proc", "/dev", "/dev/disk", "/dev/disk/by-uuid", "/sys",
                          "/sys/block", "/sys/block/dm-1", "/sys/block/dm-1/dm"}) {
      ASSERT_EQ(::mkdir((root_ + d).c_str(), 0755), 0) << d;
    }
  }
  void Write(const std::string& path, const std::string& text) {
    std::ofstream(root_ + path) << text;
  }
  std::string root_;
};

TEST_F(HostSwapsTest, UuidFromByUuidAndRandomKeyFromCrypttab) {
  Write("/proc/swaps",
        "Filename Type Size Used Priority\n"
        "/dev/vda2 partition 2048 0 -2\n"
        "/dev/dm-1 partition 4096 0 -3\n");
  Write("/dev/vda2", "");
  Write("/dev/dm-1", "");
  ASSERT_EQ(::symlink("../../vda2", (root_ + "/dev/disk/by-uuid/1111-aaaa").c_str()), 0);
  ASSERT_EQ(::symlink("../../dm-1", (root_ + "/dev/disk/by-uuid/2222-bbbb").c_str()), 0);
  Write("/sys/block/dm-1/dm/name", "cryptswap\n");

  std::vector<SwapFacts> plain = HostSwaps(root_, "");
  ASSERT_EQ(plain.size(), 2u);
  EXPECT_EQ(plain[0].uuid, "1111-aaaa");
  EXPECT_EQ(plain[1].uuid, "2222-bbbb");
  EXPECT_EQ(plain[1].random_key, "");
  EXPECT_EQ(PickResumeDevice(plain).resume, "UUID=2222-bbbb");

  std::vector<SwapFacts> crypt =
      HostSwaps(root_, "cryptswap /dev/vdb1 /dev/urandom swap,cipher=aes-xts-plain64\n");
  ASSERT_EQ(crypt.size(), 2u);
  EXPECT_EQ(crypt[1].random_key, "/dev/urandom");
  EXPECT_EQ(PickResumeDevice(crypt).resume, "UUID=1111-aaaa");
}

std::string SwapPage(const std::string& magic, unsigned char first_uuid_byte) {
  std::string page(4096, '\0');
  page[1036] = static_cast<char>(first_uuid_byte);
  page[1036 + 15] = 0x7f;
  page.replace(4096 - 10, magic.size(), magic);
  return page;
}

TEST_F(HostSwapsTest, WithoutByUuidTheSwapHeaderNamesIt) {
  Write("/proc/swaps", "Filename Type Size Used Priority\n/dev/vdc partition 2048 0 -2\n");
  Write("/dev/vdc", SwapPage("SWAPSPACE2", 0xab));
  std::vector<SwapFacts> swaps = HostSwaps(root_, "");
  ASSERT_EQ(swaps.size(), 1u);
  EXPECT_EQ(swaps[0].uuid, "ab000000-0000-0000-0000-00000000007f");
  // A hibernated swap keeps its UUID under the image's signature.
  Write("/dev/vdc", SwapPage(std::string("S1SUSPEND\0", 10), 0x01));
  EXPECT_EQ(SwapHeaderUuid(root_ + "/dev/vdc"), "01000000-0000-0000-0000-00000000007f");
  Write("/dev/vdc", SwapPage("NOTSWAP!!!", 0xab));
  EXPECT_EQ(SwapHeaderUuid(root_ + "/dev/vdc"), "");
  Write("/dev/vdc", "short");
  EXPECT_EQ(SwapHeaderUuid(root_ + "/dev/vdc"), "");
}

TEST_F(HostSwapsTest, NoSwapsFile) { EXPECT_TRUE(HostSwaps(root_, "").empty()); }

}  // namespace
}  // namespace baton::mkinitramfs
