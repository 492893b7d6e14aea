#include "tools/mkinitramfs/module_db.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/mkinitramfs/fake_module.h"

namespace baton::mkinitramfs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string FakeTree() {
  std::string d = std::string(std::getenv("TEST_TMPDIR")) + "/db";
  std::filesystem::remove_all(d);
  WriteFakeModule(d + "/kernel/fs/ext4/ext4.ko",
                  {"name=ext4", "depends=jbd2,mbcache", "alias=fs-ext4",
                   "softdep=pre: crc32c"});
  WriteFakeModule(d + "/kernel/fs/jbd2/jbd2.ko", {"name=jbd2", "depends="});
  WriteFakeModule(d + "/kernel/fs/mbcache.ko", {"name=mbcache", "depends="});
  WriteFakeModule(d + "/kernel/drivers/block/virtio_blk.ko",
                  {"name=virtio_blk", "depends=virtio,virtio_ring",
                   "alias=virtio:d00000002v*", "firmware=none/here.bin"});
  WriteFakeModule(d + "/kernel/drivers/virtio/virtio.ko", {"name=virtio", "depends="});
  WriteFakeModule(d + "/kernel/drivers/virtio/virtio_ring.ko",
                  {"name=virtio_ring", "depends=virtio"});
  WriteFakeModule(d + "/kernel/drivers/md/dm-crypt.ko", {"depends="});
  return d;
}

TEST(ModuleDbTest, Names) {
  EXPECT_EQ(ModuleNameFromPath("kernel/drivers/md/dm-crypt.ko"), "dm_crypt");
  EXPECT_EQ(ModuleNameFromPath("x/aesni-intel.ko.zst"), "aesni_intel");
}

TEST(ModuleDbTest, ScansModinfo) {
  std::string d = FakeTree();
  absl::StatusOr<std::vector<ModuleInfo>> all = ScanModuleDir(d);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 7u);
  const ModuleInfo& blk = (*all)[0];
  EXPECT_EQ(blk.path, "kernel/drivers/block/virtio_blk.ko");
  EXPECT_EQ(blk.name, "virtio_blk");
  EXPECT_THAT(blk.depends, ElementsAre("virtio", "virtio_ring"));
  EXPECT_THAT(blk.aliases, ElementsAre("virtio:d00000002v*"));
  EXPECT_THAT(blk.firmware, ElementsAre("none/here.bin"));
  EXPECT_EQ((*all)[1].name, "dm_crypt");  // from the file name
}

TEST(ModuleDbTest, IndexFiles) {
  std::string d = FakeTree();
  absl::StatusOr<std::vector<ModuleInfo>> all = ScanModuleDir(d);
  ASSERT_TRUE(all.ok());
  auto files = BuildIndexFiles(*all, "kernel/fs/fat/vfat.ko\n",
                               std::string("vfat.alias=fs-vfat\0", 19));
  ASSERT_TRUE(files.ok()) << files.status();
  const std::string& dep = files->at("modules.dep");
  EXPECT_THAT(dep, HasSubstr("kernel/fs/ext4/ext4.ko: kernel/fs/mbcache.ko "
                             "kernel/fs/jbd2/jbd2.ko\n"));
  // Transitive: virtio_blk -> virtio_ring -> virtio, each after what needs it.
  EXPECT_THAT(dep, HasSubstr("kernel/drivers/block/virtio_blk.ko: "
                             "kernel/drivers/virtio/virtio_ring.ko "
                             "kernel/drivers/virtio/virtio.ko\n"));
  EXPECT_THAT(files->at("modules.alias"), HasSubstr("alias fs-ext4 ext4\n"));
  EXPECT_THAT(files->at("modules.softdep"), HasSubstr("softdep ext4 pre: crc32c\n"));
  for (const char* bin : {"modules.dep.bin", "modules.alias.bin", "modules.symbols.bin",
                          "modules.builtin.bin", "modules.builtin.alias.bin"}) {
    ASSERT_TRUE(files->count(bin)) << bin;
    EXPECT_EQ(files->at(bin).substr(0, 4), "\xB0\x07\xF4\x57") << bin;
  }
  // The dash in the alias is normalized in the binary index.
  EXPECT_THAT(files->at("modules.alias.bin"), HasSubstr("s_ext4"));
  EXPECT_THAT(files->at("modules.alias.bin"), ::testing::Not(HasSubstr("s-ext4")));
  EXPECT_THAT(files->at("modules.builtin.alias.bin"), HasSubstr("fs_vfat"));
}

TEST(ModuleDbTest, MissingDependencyIsNamed) {
  std::vector<ModuleInfo> mods(1);
  mods[0].name = "ext4";
  mods[0].path = "kernel/fs/ext4/ext4.ko";
  mods[0].depends = {"jbd2"};
  auto files = BuildIndexFiles(mods, "", "");
  EXPECT_EQ(files.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(files.status().message()), HasSubstr("jbd2"));
}

TEST(ModuleDbTest, NotAModule) {
  std::string d = std::string(std::getenv("TEST_TMPDIR")) + "/bad";
  std::filesystem::create_directories(d + "/kernel");
  { std::ofstream(d + "/kernel/x.ko") << "not elf"; }
  EXPECT_FALSE(ScanModuleDir(d).ok());
}

}  // namespace
}  // namespace baton::mkinitramfs
