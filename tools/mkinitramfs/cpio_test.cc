#include "tools/mkinitramfs/cpio.h"

#include "gtest/gtest.h"

namespace baton::mkinitramfs {
namespace {

CpioEntry File(std::string path, std::string data, uint32_t perm = 0644) {
  CpioEntry e;
  e.path = std::move(path);
  e.mode = S_IFREG | perm;
  e.data = std::move(data);
  return e;
}

std::vector<CpioEntry> Sample() {
  CpioEntry link;
  link.path = "/bin/sh";
  link.mode = S_IFLNK | 0777;
  link.data = "busybox";
  CpioEntry console;
  console.path = "/dev/console";
  console.mode = S_IFCHR | 0600;
  console.rdev_major = 5;
  console.rdev_minor = 1;
  return {File("/init", "ELF...", 0755), link, File("/bin/busybox", "bb", 0755),
          console, File("/etc/baton/jobs/a.conf", "exec /bin/true\n")};
}

TEST(CpioTest, RoundTripSortedWithParents) {
  absl::StatusOr<std::string> data = WriteCpio(Sample(), 1234);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->size() % 512, 0u);
  absl::StatusOr<std::vector<CpioEntry>> back = ReadCpio(*data);
  ASSERT_TRUE(back.ok()) << back.status();
  std::vector<std::string> paths;
  for (const CpioEntry& e : *back) paths.push_back(e.path);
  EXPECT_EQ(paths, (std::vector<std::string>{
                       "/bin", "/bin/busybox", "/bin/sh", "/dev", "/dev/console",
                       "/etc", "/etc/baton", "/etc/baton/jobs",
                       "/etc/baton/jobs/a.conf", "/init"}));
  uint32_t ino = 0;
  for (const CpioEntry& e : *back) {
    EXPECT_EQ(e.uid, 0u);
    EXPECT_EQ(e.gid, 0u);
    EXPECT_EQ(e.mtime, 1234u);
    EXPECT_EQ(e.ino, ++ino);
  }
  EXPECT_EQ((*back)[0].mode, static_cast<uint32_t>(S_IFDIR | 0755));
  EXPECT_EQ((*back)[2].data, "busybox");
  EXPECT_TRUE(S_ISLNK((*back)[2].mode));
  EXPECT_EQ((*back)[4].rdev_major, 5u);
  EXPECT_EQ((*back)[4].rdev_minor, 1u);
  EXPECT_EQ((*back)[9].data, "ELF...");
  EXPECT_EQ((*back)[9].mode, static_cast<uint32_t>(S_IFREG | 0755));
}

TEST(CpioTest, ByteIdenticalWhateverTheInputOrder) {
  std::vector<CpioEntry> a = Sample();
  std::vector<CpioEntry> b(a.rbegin(), a.rend());
  absl::StatusOr<std::string> da = WriteCpio(a, 0);
  absl::StatusOr<std::string> db = WriteCpio(b, 0);
  ASSERT_TRUE(da.ok() && db.ok());
  EXPECT_EQ(*da, *db);
  absl::StatusOr<std::string> dc = WriteCpio(Sample(), 1);
  EXPECT_NE(*da, *dc);  // the mtime is really written
}

TEST(CpioTest, Errors) {
  std::vector<CpioEntry> dup = {File("/a", "1"), File("/a", "2")};
  EXPECT_FALSE(WriteCpio(dup, 0).ok());
  std::vector<CpioEntry> rel = {File("a", "1")};
  EXPECT_FALSE(WriteCpio(rel, 0).ok());
  std::vector<CpioEntry> file_as_dir = {File("/a", "1"), File("/a/b", "2")};
  EXPECT_FALSE(WriteCpio(file_as_dir, 0).ok());
  CpioEntry notype;
  notype.path = "/x";
  notype.mode = 0644;
  EXPECT_FALSE(WriteCpio({notype}, 0).ok());

  absl::StatusOr<std::string> data = WriteCpio(Sample(), 0);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(ReadCpio("garbage that is long enough to hold a header ........"
                     "..........................................................")
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  EXPECT_FALSE(ReadCpio(data->substr(0, 200)).ok());
}

TEST(CpioTest, ConcatenatedArchives) {
  absl::StatusOr<std::string> a = WriteCpio({File("/kernel/x86/microcode/a.bin", "u")}, 0);
  absl::StatusOr<std::string> b = WriteCpio({File("/init", "i")}, 0);
  absl::StatusOr<std::vector<CpioEntry>> back = ReadCpio(*a + *b);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->back().path, "/init");
  EXPECT_EQ(back->size(), 5u);
}

TEST(CpioTest, Listing) {
  absl::StatusOr<std::string> data = WriteCpio(Sample(), 0);
  absl::StatusOr<std::vector<CpioEntry>> back = ReadCpio(*data);
  std::string listing = FormatListing(*back);
  EXPECT_NE(listing.find("120777        7 /bin/sh -> busybox\n"), std::string::npos)
      << listing;
  EXPECT_NE(listing.find("020600        0 /dev/console c 5,1\n"), std::string::npos)
      << listing;
  EXPECT_NE(listing.find("100755        6 /init\n"), std::string::npos) << listing;
}

}  // namespace
}  // namespace baton::mkinitramfs
