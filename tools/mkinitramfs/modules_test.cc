#include "tools/mkinitramfs/modules.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/mkinitramfs/fake_module.h"

namespace baton::mkinitramfs {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

class ModulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(tmp_);
    dir_ = tmp_ + "/lib/modules/6.1.0-test";
    WriteFakeModule(dir_ + "/kernel/fs/ext4/ext4.ko",
                    {"name=ext4", "depends=jbd2,mbcache", "alias=fs-ext4",
                     "softdep=pre: crc32c"});
    WriteFakeModule(dir_ + "/kernel/fs/jbd2/jbd2.ko", {"name=jbd2", "depends="});
    WriteFakeModule(dir_ + "/kernel/fs/mbcache.ko", {"name=mbcache", "depends="});
    WriteFakeModule(dir_ + "/kernel/crypto/crc32c_generic.ko",
                    {"name=crc32c_generic", "alias=crc32c", "depends="});
    WriteFakeModule(dir_ + "/kernel/drivers/block/virtio_blk.ko",
                    {"name=virtio_blk", "depends=virtio,virtio_ring",
                     "alias=virtio:d00000002v*", "firmware=vblk/fw.bin",
                     "firmware=vblk/missing.bin"});
    WriteFakeModule(dir_ + "/kernel/drivers/virtio/virtio.ko", {"name=virtio", "depends="});
    WriteFakeModule(dir_ + "/kernel/drivers/virtio/virtio_ring.ko",
                    {"name=virtio_ring", "depends=virtio"});
    WriteFakeModule(dir_ + "/kernel/sound/snd.ko", {"name=snd", "depends="});
    std::ofstream(dir_ + "/modules.builtin") << "kernel/fs/fat/vfat.ko\n";
    std::ofstream(dir_ + "/modules.order")
        << "kernel/sound/snd.ko\nkernel/drivers/virtio/virtio_ring.ko\nkernel/fs/ext4/ext4.ko\n"
           "kernel/drivers/virtio/virtio.ko\n";
    fs::create_directories(tmp_ + "/firmware/vblk");
    std::ofstream(tmp_ + "/firmware/vblk/fw.bin") << "FW";
    options_.scratch_dir = tmp_ + "/scratch";
    options_.config_paths = {tmp_ + "/no-modprobe.d"};
  }

  std::unique_ptr<ModuleResolver> Open() {
    auto r = ModuleResolver::Open(dir_, options_);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::move(*r) : nullptr;
  }

  std::string tmp_, dir_;
  ModuleResolverOptions options_;
};

TEST_F(ModulesTest, ModaliasPullsDependencies) {
  auto r = Open();
  ASSERT_NE(r, nullptr);
  // libkmod read the indexes generated from .modinfo.
  EXPECT_TRUE(fs::exists(options_.scratch_dir + "/modules.dep.bin"));
  absl::StatusOr<int> n = r->Add("virtio:d00000002v00001AF4");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  EXPECT_THAT(r->selected(),
              ElementsAre(Pair("virtio", "kernel/drivers/virtio/virtio.ko"),
                          Pair("virtio_blk", "kernel/drivers/block/virtio_blk.ko"),
                          Pair("virtio_ring", "kernel/drivers/virtio/virtio_ring.ko")));
}

TEST_F(ModulesTest, AliasAndSoftdep) {
  auto r = Open();
  ASSERT_NE(r, nullptr);
  absl::StatusOr<int> n = r->Add("fs-ext4");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(r->selected().count("ext4"), 1u);
  EXPECT_EQ(r->selected().count("jbd2"), 1u);
  EXPECT_EQ(r->selected().count("mbcache"), 1u);
  EXPECT_EQ(r->selected().count("crc32c_generic"), 1u);  // softdep pre: crc32c
  EXPECT_EQ(r->selected().count("snd"), 0u);
}

TEST_F(ModulesTest, UnknownAndBuiltinMatchNothing) {
  auto r = Open();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(*r->Add("pci:v00008086d0000FFFFsv*"), 0);
  EXPECT_EQ(*r->Add("vfat"), 0);  // built in
  EXPECT_TRUE(r->selected().empty());
}

TEST_F(ModulesTest, HostIndexesAreUsedWhenPresent) {
  // A first resolver wrote indexes; copy them into the tree itself.
  { auto r = Open(); }
  for (const char* f : {"modules.dep.bin", "modules.alias.bin", "modules.symbols.bin",
                        "modules.builtin.bin", "modules.builtin.alias.bin"}) {
    fs::copy_file(options_.scratch_dir + "/" + f, dir_ + "/" + f);
  }
  options_.scratch_dir = "";
  auto r = Open();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(*r->Add("ext4"), 1);
  EXPECT_EQ(r->selected().at("jbd2"), "kernel/fs/jbd2/jbd2.ko");
}

TEST_F(ModulesTest, NoIndexesAndNoScratchIsAnError) {
  options_.scratch_dir = "";
  EXPECT_FALSE(ModuleResolver::Open(dir_, options_).ok());
  EXPECT_EQ(ModuleResolver::Open(tmp_ + "/nope", options_).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ModulesTest, DirectoryAndImage) {
  auto r = Open();
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(r->AddDirectory("kernel/drivers/block").ok());
  ASSERT_TRUE(r->AddDirectory("kernel/drivers/nonexistent").ok());
  ASSERT_TRUE(r->AddDirectory("kernel/fs", {"kernel/fs/ext4", "kernel/fs/jbd2"}).ok());
  EXPECT_EQ(r->selected().count("ext4"), 0u);
  EXPECT_EQ(r->selected().count("mbcache"), 1u);
  EXPECT_EQ(r->selected().size(), 4u);
  FileSet files;
  std::vector<std::string> warnings;
  ASSERT_TRUE(r->AddToImage("/lib/modules/6.1.0-test", tmp_ + "/firmware", &files,
                            &warnings)
                  .ok());
  EXPECT_NE(files.Find("/lib/modules/6.1.0-test/kernel/drivers/virtio/virtio.ko"), nullptr);
  EXPECT_NE(files.Find("/lib/firmware/vblk/fw.bin"), nullptr);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("vblk/missing.bin"));
  const FileSpec* dep = files.Find("/lib/modules/6.1.0-test/modules.dep");
  ASSERT_NE(dep, nullptr);
  EXPECT_THAT(dep->data, HasSubstr("virtio_blk.ko:"));
  EXPECT_THAT(dep->data, ::testing::Not(HasSubstr("ext4")));  // only what is in the image
  EXPECT_THAT(dep->data, HasSubstr("kernel/fs/mbcache.ko:"));
  EXPECT_NE(files.Find("/lib/modules/6.1.0-test/modules.alias.bin"), nullptr);
  EXPECT_NE(files.Find("/lib/modules/6.1.0-test/modules.builtin"), nullptr);
  // modules.order: only the image's modules, in the kernel's order, then the
  // ones it does not list (virtio_blk, mbcache here) sorted.
  const FileSpec* order = files.Find("/lib/modules/6.1.0-test/modules.order");
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->data,
            "kernel/drivers/virtio/virtio_ring.ko\nkernel/drivers/virtio/virtio.ko\n"
            "kernel/drivers/block/virtio_blk.ko\nkernel/fs/mbcache.ko\n");
}

TEST_F(ModulesTest, PathFilter) {
  EXPECT_TRUE(ModuleResolver::PathUnder("kernel/drivers/ata/ahci.ko", {"kernel/drivers/ata"}));
  EXPECT_FALSE(ModuleResolver::PathUnder("kernel/drivers/atax/a.ko", {"kernel/drivers/ata"}));
}

TEST(DeviceModaliasesTest, ReadsSysfsLayout) {
  std::string sys = std::string(std::getenv("TEST_TMPDIR")) + "/sys";
  fs::create_directories(sys + "/bus/virtio/devices/virtio0");
  fs::create_directories(sys + "/bus/pci/devices/0000:00:01.0");
  fs::create_directories(sys + "/bus/pci/devices/0000:00:02.0");
  std::ofstream(sys + "/bus/virtio/devices/virtio0/modalias") << "virtio:d00000002v00001AF4\n";
  std::ofstream(sys + "/bus/pci/devices/0000:00:01.0/modalias") << "pci:v1\n";
  std::ofstream(sys + "/bus/pci/devices/0000:00:02.0/modalias") << "pci:v1\n";
  EXPECT_THAT(DeviceModaliases(sys), ElementsAre("pci:v1", "virtio:d00000002v00001AF4"));
}

}  // namespace
}  // namespace baton::mkinitramfs
