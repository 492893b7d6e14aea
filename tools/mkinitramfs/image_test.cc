#include "tools/mkinitramfs/image.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/mkinitramfs/fake_module.h"

namespace baton::mkinitramfs {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

void Write(const std::string& path, const std::string& text, int mode = 0644) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

// A sysroot whose tools are shell scripts (not ELF: no libraries to find), a
// fake modules tree and a fake sysfs with one virtio disk and one sound card.
class ImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(tmp_);
    root_ = tmp_ + "/root";
    for (const char* t : {"/usr/bin/busybox", "/usr/sbin/blkid", "/usr/sbin/e2fsck",
                          "/usr/sbin/mdadm", "/usr/sbin/cryptsetup", "/usr/sbin/lvm"}) {
      Write(root_ + t, "#!/bin/sh\n", 0755);
    }
    fs::create_symlink("e2fsck", root_ + "/usr/sbin/fsck.ext4");
    // A busybox that lists its applets like Debian's (some collide with the
    // real tools and with links to /init).
    Write(root_ + "/usr/bin/busybox",
          "#!/bin/sh\n[ \"$1\" = --list-full ] || exit 1\n"
          "printf 'bin/sh\\nbin/ls\\nbin/mount\\nsbin/blkid\\nsbin/modprobe\\n"
          "sbin/e2fsck\\nsbin/init\\nusr/bin/xzcat\\n[\\n'\n",
          0755);
    Write(root_ + "/etc/fstab", "/dev/vda1 / ext4 defaults 0 1\n");
    std::string mods = tmp_ + "/modules/6.1.0-test";
    WriteFakeModule(mods + "/kernel/fs/ext4/ext4.ko",
                    {"name=ext4", "depends=jbd2", "alias=fs-ext4"});
    WriteFakeModule(mods + "/kernel/fs/jbd2/jbd2.ko", {"name=jbd2", "depends="});
    WriteFakeModule(mods + "/kernel/drivers/block/virtio_blk.ko",
                    {"name=virtio_blk", "depends=", "alias=virtio:d00000002v*"});
    WriteFakeModule(mods + "/kernel/sound/snd_hda.ko",
                    {"name=snd_hda", "depends=", "alias=pci:v00008086d00002668*"});
    WriteFakeModule(mods + "/kernel/drivers/md/raid1.ko", {"name=raid1", "depends=md_mod"});
    WriteFakeModule(mods + "/kernel/drivers/md/raid456.ko",
                    {"name=raid456", "depends=md_mod"});
    WriteFakeModule(mods + "/kernel/drivers/md/md_mod.ko", {"name=md_mod", "depends="});
    WriteFakeModule(mods + "/kernel/drivers/md/dm_mod.ko", {"name=dm_mod", "depends="});
    WriteFakeModule(mods + "/kernel/drivers/md/dm_crypt.ko", {"name=dm_crypt", "depends=dm_mod"});
    WriteFakeModule(mods + "/kernel/crypto/af_alg.ko", {"name=af_alg", "depends="});
    WriteFakeModule(mods + "/kernel/drivers/md/dm_thin_pool.ko",
                    {"name=dm_thin_pool", "depends=dm_mod"});
    Write(tmp_ + "/sys/bus/virtio/devices/virtio0/modalias", "virtio:d00000002v00001AF4\n");
    Write(tmp_ + "/sys/bus/pci/devices/0000:00:1b.0/modalias",
          "pci:v00008086d00002668sv0sd0bc04sc03i00\n");
    Write(tmp_ + "/jobs/root-only.conf", "start on startup\nexec /bin/true\n");
    Write(tmp_ + "/jobs/unlock.conf",
          "stage initramfs\nstart on block-device-added\nexec /bin/true\n");
    Write(tmp_ + "/jobs/both.conf", "stage both\nstart on startup\nexec /bin/true\n");
    Write(tmp_ + "/baton", "#!/bin/sh\n", 0755);
    Write(tmp_ + "/initctl", "#!/bin/sh\n", 0755);

    o_.sysroot = root_;
    o_.modules_dir = mods;
    o_.sysfs = tmp_ + "/sys";
    o_.init_path = tmp_ + "/baton";
    o_.job_dirs = {tmp_ + "/jobs"};
    o_.output = tmp_ + "/out/initrd.img";
    o_.scratch_dir = tmp_ + "/scratch";
    fs::create_directories(tmp_ + "/out");
  }

  absl::Status Collect(FileSet* files) {
    warnings_.clear();
    return CollectFiles(o_, files, &warnings_);
  }

  std::string tmp_, root_;
  ImageOptions o_;
  std::vector<std::string> warnings_;
};

TEST_F(ImageTest, HostOnlyContents) {
  FileSet f;
  absl::Status st = Collect(&f);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(f.Find("/init")->source, tmp_ + "/baton");
  EXPECT_EQ(f.Find("/init")->mode, 0755u);
  ASSERT_NE(f.Find("/sbin/baton"), nullptr);
  EXPECT_EQ(f.Find("/sbin/baton")->kind, FileSpec::Kind::kSymlink);
  EXPECT_EQ(f.Find("/sbin/baton")->data, "/init");
  ASSERT_NE(f.Find("/sbin/modprobe"), nullptr);
  EXPECT_EQ(f.Find("/sbin/modprobe")->data, "/init");
  ASSERT_NE(f.Find("/etc/initrd-release"), nullptr);
  EXPECT_NE(f.Find("/etc/initrd-release")->data.find("ID=baton-initrd"), std::string::npos);
  // One multi-call binary: initctl is /init under another name.
  ASSERT_NE(f.Find("/sbin/initctl"), nullptr);
  EXPECT_EQ(f.Find("/sbin/initctl")->kind, FileSpec::Kind::kSymlink);
  EXPECT_EQ(f.Find("/sbin/initctl")->data, "/init");
  const FileSpec* console = f.Find("/dev/console");
  ASSERT_NE(console, nullptr);
  EXPECT_EQ(console->kind, FileSpec::Kind::kCharDevice);
  EXPECT_EQ(console->rdev_major, 5u);
  EXPECT_EQ(console->rdev_minor, 1u);
  EXPECT_EQ(f.Find("/dev/null")->rdev_minor, 3u);
  // Jobs: stage initramfs and both, not root.
  EXPECT_NE(f.Find("/etc/baton/jobs/unlock.conf"), nullptr);
  EXPECT_NE(f.Find("/etc/baton/jobs/both.conf"), nullptr);
  EXPECT_EQ(f.Find("/etc/baton/jobs/root-only.conf"), nullptr);
  // Tools for an ext4 root with no RAID, LUKS or LVM.
  EXPECT_NE(f.Find("/usr/bin/busybox"), nullptr);
  EXPECT_EQ(f.Find("/bin/sh")->data, "/usr/bin/busybox");
  // Every applet busybox --list-full names, where it says, except where the
  // image already has that name (real tools, links to /init) and init.
  EXPECT_EQ(f.Find("/bin/ls")->data, "/usr/bin/busybox");
  EXPECT_EQ(f.Find("/bin/[")->data, "/usr/bin/busybox");
  EXPECT_EQ(f.Find("/usr/bin/xzcat")->data, "/usr/bin/busybox");
  // Host-only: no blkid tool (stage 1 probes with libblkid), busybox's.
  EXPECT_EQ(f.Find("/usr/sbin/blkid"), nullptr);
  EXPECT_EQ(f.Find("/sbin/blkid")->data, "/usr/bin/busybox");
  EXPECT_EQ(f.Find("/sbin/e2fsck"), nullptr);
  EXPECT_EQ(f.Find("/sbin/modprobe")->data, "/init");
  EXPECT_EQ(f.Find("/sbin/init"), nullptr);
  EXPECT_TRUE(warnings_.empty()) << warnings_[0];
  EXPECT_NE(f.Find("/usr/sbin/e2fsck"), nullptr);
  EXPECT_EQ(f.Find("/usr/sbin/fsck.ext4")->kind, FileSpec::Kind::kSymlink);
  EXPECT_EQ(f.Find("/usr/sbin/mdadm"), nullptr);
  EXPECT_EQ(f.Find("/usr/sbin/cryptsetup"), nullptr);
  EXPECT_EQ(f.Find("/usr/sbin/lvm"), nullptr);
  EXPECT_EQ(f.Find("/etc/lvm/lvm.conf"), nullptr);
  EXPECT_NE(f.Find("/etc/fstab"), nullptr);
  // Modules: the disk's driver and the root filesystem, not the sound card.
  const std::string m = "/lib/modules/6.1.0-test/";
  EXPECT_NE(f.Find(m + "kernel/drivers/block/virtio_blk.ko"), nullptr);
  EXPECT_NE(f.Find(m + "kernel/fs/ext4/ext4.ko"), nullptr);
  EXPECT_NE(f.Find(m + "kernel/fs/jbd2/jbd2.ko"), nullptr);
  EXPECT_EQ(f.Find(m + "kernel/sound/snd_hda.ko"), nullptr);
  EXPECT_EQ(f.Find(m + "kernel/drivers/md/raid1.ko"), nullptr);
  EXPECT_NE(f.Find(m + "modules.alias.bin"), nullptr);
  // No udevd unless asked for.
  for (const auto& [path, spec] : f.entries()) {
    EXPECT_EQ(path.find("udev"), std::string::npos) << path;
  }
}

TEST_F(ImageTest, HostResumeSettingBecomesTheImagesDefault) {
  FileSet f;
  ASSERT_TRUE(Collect(&f).ok());
  EXPECT_EQ(f.Find("/conf/conf.d/resume"), nullptr);  // the host names none
  Write(root_ + "/etc/initramfs-tools/conf.d/resume",
        "RESUME=UUID=5c1d0e2a-7b7e-4f55-9d0c-2f7f1b1e9a01 resume_offset=34816\n");
  FileSet g;
  std::vector<std::string> notes;
  ASSERT_TRUE(CollectFiles(o_, &g, &warnings_, &notes).ok());
  ASSERT_NE(g.Find("/conf/conf.d/resume"), nullptr);
  EXPECT_EQ(g.Find("/conf/conf.d/resume")->data,
            "RESUME=UUID=5c1d0e2a-7b7e-4f55-9d0c-2f7f1b1e9a01\nresume_offset=34816\n");
  EXPECT_THAT(notes, ::testing::Contains(::testing::HasSubstr(
                         "resume: default RESUME=UUID=5c1d0e2a-7b7e-4f55-9d0c-2f7f1b1e9a01")));
  Write(root_ + "/etc/initramfs-tools/conf.d/resume", "RESUME=none\n");
  FileSet h;
  notes.clear();
  ASSERT_TRUE(CollectFiles(o_, &h, &warnings_, &notes).ok());
  EXPECT_EQ(h.Find("/conf/conf.d/resume"), nullptr);
  EXPECT_THAT(notes, ::testing::Contains(::testing::HasSubstr("resume: no default")));
  o_.generic = true;  // generic images carry no host setting
  FileSet k;
  Write(root_ + "/etc/initramfs-tools/conf.d/resume", "RESUME=/dev/vdb\n");
  ASSERT_TRUE(CollectFiles(o_, &k, &warnings_).ok());
  EXPECT_EQ(k.Find("/conf/conf.d/resume"), nullptr);
}

// The host's console keymap (console-setup's cache in the sysroot) is
// compiled into /etc/baton/keymap.bmap; --keymap none leaves it out; without
// loadkeys the host's is a warning and an explicit --keymap an error.
TEST_F(ImageTest, ConsoleKeymapFromTheHostOrTheOption) {
  FileSet none;
  ASSERT_TRUE(Collect(&none).ok());
  EXPECT_EQ(none.Find("/etc/baton/keymap.bmap"), nullptr);  // the host has none
  std::string bmap(7 + 256 + 256, '\0');
  bmap.replace(0, 7, "bkeymap");
  bmap[7] = 1;  // table 0 only
  Write(root_ + "/etc/console-setup/cached_UTF-8_del.kmap.gz", bmap);
  FileSet host;
  std::vector<std::string> notes;
  ASSERT_TRUE(CollectFiles(o_, &host, &warnings_, &notes).ok());
  ASSERT_NE(host.Find("/etc/baton/keymap.bmap"), nullptr);
  EXPECT_EQ(host.Find("/etc/baton/keymap.bmap")->data, bmap);
  EXPECT_THAT(notes, ::testing::Contains(
                         "keymap: the host's (/etc/console-setup/cached_UTF-8_del.kmap.gz) -> "
                         "/etc/baton/keymap.bmap"));
  o_.keymap = "none";
  FileSet off;
  ASSERT_TRUE(Collect(&off).ok());
  EXPECT_EQ(off.Find("/etc/baton/keymap.bmap"), nullptr);
  // A text keymap, no loadkeys: the host's is a warning, --keymap an error.
  Write(root_ + "/etc/console-setup/cached_UTF-8_del.kmap.gz", "keymaps 0\n");
  o_.keymap = "";
  o_.loadkeys = "/nonexistent/loadkeys";
  FileSet warned;
  ASSERT_TRUE(Collect(&warned).ok());
  EXPECT_EQ(warned.Find("/etc/baton/keymap.bmap"), nullptr);
  EXPECT_THAT(warnings_, ::testing::Contains(::testing::HasSubstr(
                             "console keymap of /etc/console-setup/cached_UTF-8_del.kmap.gz not "
                             "carried (keymap ")));
  o_.keymap = root_ + "/etc/console-setup/cached_UTF-8_del.kmap.gz";
  FileSet refused;
  absl::Status st = Collect(&refused);
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), ::testing::HasSubstr("/nonexistent/loadkeys -b"));
}

// A host with e2fsck-static: e2fsck.static goes in under e2fsck's name, with
// fsck.ext4 a link to it, and the dynamic e2fsck stays out.
TEST_F(ImageTest, StaticE2fsckPreferred) {
  Write(root_ + "/usr/sbin/e2fsck.static", "#!/bin/sh\n# static\n", 0755);
  FileSet f;
  absl::Status st = Collect(&f);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_NE(f.Find("/usr/sbin/e2fsck"), nullptr);
  EXPECT_EQ(f.Find("/usr/sbin/e2fsck")->source, root_ + "/usr/sbin/e2fsck.static");
  EXPECT_EQ(f.Find("/usr/sbin/e2fsck")->mode, 0755u);
  ASSERT_NE(f.Find("/usr/sbin/fsck.ext4"), nullptr);
  EXPECT_EQ(f.Find("/usr/sbin/fsck.ext4")->kind, FileSpec::Kind::kSymlink);
  EXPECT_EQ(f.Find("/usr/sbin/fsck.ext4")->data, "e2fsck");
  EXPECT_EQ(f.Find("/usr/sbin/e2fsck.static"), nullptr);
}

// Only e2fsck.static on the host (no e2fsck): it still goes in as e2fsck.
TEST_F(ImageTest, StaticE2fsckAlone) {
  fs::remove(root_ + "/usr/sbin/fsck.ext4");
  fs::remove(root_ + "/usr/sbin/e2fsck");
  Write(root_ + "/usr/sbin/e2fsck.static", "#!/bin/sh\n# static\n", 0755);
  FileSet f;
  absl::Status st = Collect(&f);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_NE(f.Find("/usr/sbin/e2fsck"), nullptr);
  EXPECT_EQ(f.Find("/usr/sbin/e2fsck")->source, root_ + "/usr/sbin/e2fsck.static");
  EXPECT_EQ(f.Find("/usr/sbin/fsck.ext4")->data, "e2fsck");
}
TEST_F(ImageTest, InitctlBinaryOnlyWhenNamed) {
  o_.initctl_path = tmp_ + "/initctl";
  FileSet f;
  absl::Status st = Collect(&f);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_NE(f.Find("/sbin/initctl"), nullptr);
  EXPECT_EQ(f.Find("/sbin/initctl")->kind, FileSpec::Kind::kHostFile);
  EXPECT_EQ(f.Find("/sbin/initctl")->source, tmp_ + "/initctl");
  o_.initctl_path = tmp_ + "/no-such-initctl";
  FileSet g;
  EXPECT_EQ(Collect(&g).code(), absl::StatusCode::kNotFound);
}

TEST_F(ImageTest, GenericTakesTheWholeStack) {
  o_.generic = true;
  FileSet f;
  absl::Status st = Collect(&f);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_NE(f.Find("/usr/sbin/mdadm"), nullptr);
  EXPECT_NE(f.Find("/usr/sbin/cryptsetup"), nullptr);
  EXPECT_NE(f.Find("/usr/sbin/lvm"), nullptr);
  // The real blkid, and busybox's applet does not shadow it.
  EXPECT_EQ(f.Find("/usr/sbin/blkid")->kind, FileSpec::Kind::kHostFile);
  EXPECT_EQ(f.Find("/sbin/blkid"), nullptr);
  EXPECT_THAT(f.Find("/etc/lvm/lvm.conf")->data, HasSubstr("udev_sync = 0"));
  // No host mdadm.conf: stage 1's own re-adds a returning member.
  ASSERT_NE(f.Find("/etc/mdadm/mdadm.conf"), nullptr);
  EXPECT_THAT(f.Find("/etc/mdadm/mdadm.conf")->data, HasSubstr("POLICY action=re-add"));
  EXPECT_NE(f.Find("/lib/modules/6.1.0-test/kernel/drivers/md/raid1.ko"), nullptr);
}

TEST_F(ImageTest, MissingBinaryIsNamed) {
  o_.generic = true;
  fs::remove(root_ + "/usr/sbin/mdadm");
  FileSet f;
  absl::Status st = Collect(&f);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(st.message()), HasSubstr("binary mdadm not found"));
}

TEST_F(ImageTest, HostOnlyNeedsMdadmOnlyForRaid) {
  fs::remove(root_ + "/usr/sbin/mdadm");
  FileSet f;
  EXPECT_TRUE(Collect(&f).ok());
  Write(root_ + "/etc/mdadm/mdadm.conf", "ARRAY /dev/md0 UUID=1\n");
  FileSet g;
  absl::Status st = Collect(&g);
  EXPECT_THAT(std::string(st.message()), HasSubstr("mdadm"));
}

TEST_F(ImageTest, StorageToolsNativeLeavesLvmAndCryptsetupOut) {
  Write(root_ + "/etc/fstab", "/dev/vg0/root / ext4 defaults 0 1\n");
  Write(root_ + "/etc/crypttab", "pv UUID=1 none luks\n");
  Write(root_ + "/etc/mdadm/mdadm.conf", "ARRAY /dev/md0 UUID=1\n");
  o_.storage_tools = StorageTools::kAll;
  FileSet all;
  ASSERT_TRUE(Collect(&all).ok());
  EXPECT_NE(all.Find("/usr/sbin/lvm"), nullptr);
  EXPECT_NE(all.Find("/usr/sbin/cryptsetup"), nullptr);
  EXPECT_NE(all.Find("/etc/lvm/lvm.conf"), nullptr);
  EXPECT_NE(all.Find("/lib/modules/6.1.0-test/kernel/crypto/af_alg.ko"), nullptr);
  o_.storage_tools = StorageTools::kNative;
  FileSet native;
  ASSERT_TRUE(Collect(&native).ok());
  EXPECT_EQ(native.Find("/usr/sbin/lvm"), nullptr);
  EXPECT_EQ(native.Find("/usr/sbin/cryptsetup"), nullptr);
  EXPECT_EQ(native.Find("/etc/lvm/lvm.conf"), nullptr);
  EXPECT_NE(native.Find("/usr/sbin/mdadm"), nullptr);
  EXPECT_NE(native.Find("/etc/crypttab"), nullptr);
  EXPECT_NE(native.Find("/lib/modules/6.1.0-test/kernel/drivers/md/dm_mod.ko"), nullptr);
  EXPECT_NE(native.Find("/lib/modules/6.1.0-test/kernel/drivers/md/dm_crypt.ko"), nullptr);
  // AF_ALG is cryptsetup's; the native unlock decrypts key slots itself.
  EXPECT_EQ(native.Find("/lib/modules/6.1.0-test/kernel/crypto/af_alg.ko"), nullptr);
  // --generic takes them anyway.
  o_.generic = true;
  FileSet generic;
  ASSERT_TRUE(Collect(&generic).ok());
  EXPECT_NE(generic.Find("/usr/sbin/lvm"), nullptr);
  EXPECT_NE(generic.Find("/usr/sbin/cryptsetup"), nullptr);
}

TEST_F(ImageTest, StorageToolsAutoIsTheDefault) {
  EXPECT_EQ(ImageOptions().storage_tools, StorageTools::kAuto);
  Write(root_ + "/etc/fstab", "/dev/vg0/root / ext4 defaults 0 1\n");
  Write(root_ + "/etc/crypttab", "pv UUID=1 none luks\n");
  Write(root_ + "/etc/mdadm/mdadm.conf", "ARRAY /dev/md0 level=raid1 UUID=1\n");
  auto backup = [](const std::string& type) {
    return "vg0 {\n logical_volumes {\n  root {\n   status = [\"VISIBLE\"]\n"
           "   segment1 {\n    type = \"" + type + "\"\n   }\n  }\n }\n}\n";
  };
  Write(root_ + "/etc/lvm/backup/vg0", backup("striped"));
  FileSet f;
  std::vector<std::string> notes;
  absl::Status st = CollectFiles(o_, &f, &warnings_, &notes);
  ASSERT_TRUE(st.ok()) << st;
  // A linear LV: baton activates it. The LUKS header is on the guest's
  // disk, not readable for a sysroot: cryptsetup stays.
  EXPECT_EQ(f.Find("/usr/sbin/lvm"), nullptr);
  EXPECT_EQ(f.Find("/etc/lvm/lvm.conf"), nullptr);
  EXPECT_NE(f.Find("/usr/sbin/cryptsetup"), nullptr);
  EXPECT_NE(f.Find("/lib/modules/6.1.0-test/kernel/crypto/af_alg.ko"), nullptr);
  EXPECT_NE(f.Find("/usr/sbin/mdadm"), nullptr);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_THAT(notes[0], HasSubstr("lvm left out: VG vg0"));
  EXPECT_THAT(notes[1], HasSubstr("cryptsetup kept: crypttab line 1 (pv)"));
  // A thin LV needs the tool.
  Write(root_ + "/etc/lvm/backup/vg0", backup("thin"));
  FileSet thin;
  notes.clear();
  ASSERT_TRUE(CollectFiles(o_, &thin, &warnings_, &notes).ok());
  EXPECT_NE(thin.Find("/usr/sbin/lvm"), nullptr);
  EXPECT_NE(thin.Find("/etc/lvm/lvm.conf"), nullptr);
  EXPECT_THAT(notes[0], HasSubstr("lvm kept: VG vg0 (" + root_ +
                                  "/etc/lvm/backup/vg0): LV root has segment type thin"));
  // --storage-tools all / native print nothing and decide alone.
  o_.storage_tools = StorageTools::kNative;
  FileSet native;
  notes.clear();
  ASSERT_TRUE(CollectFiles(o_, &native, &warnings_, &notes).ok());
  EXPECT_EQ(native.Find("/usr/sbin/lvm"), nullptr);
  EXPECT_EQ(native.Find("/usr/sbin/cryptsetup"), nullptr);
  EXPECT_THAT(notes, ::testing::IsEmpty());
}

TEST_F(ImageTest, HostOnlyTakesTheStacksLevelsAndTargets) {
  const std::string m = "/lib/modules/6.1.0-test/kernel/drivers/md/";
  Write(root_ + "/etc/fstab", "/dev/vg0/root / ext4 defaults 0 1\n");
  Write(root_ + "/etc/mdadm/mdadm.conf", "ARRAY /dev/md0 UUID=1\n");
  // Unknown level and segment types: every personality and target.
  FileSet unknown;
  ASSERT_TRUE(Collect(&unknown).ok());
  EXPECT_NE(unknown.Find(m + "raid1.ko"), nullptr);
  EXPECT_NE(unknown.Find(m + "raid456.ko"), nullptr);
  EXPECT_NE(unknown.Find(m + "dm_thin_pool.ko"), nullptr);
  // level=raid1 and a linear LV: only what they use.
  Write(root_ + "/etc/mdadm/mdadm.conf", "ARRAY /dev/md0 level=raid1 UUID=1\n");
  Write(o_.modules_dir + "/modules.order",
        "kernel/drivers/md/raid456.ko\nkernel/drivers/md/raid1.ko\n");
  Write(root_ + "/etc/lvm/backup/vg0",
        "vg0 {\n logical_volumes {\n  root {\n   segment1 {\n    type = \"striped\"\n   }\n"
        "  }\n }\n}\n");
  FileSet known;
  ASSERT_TRUE(Collect(&known).ok());
  EXPECT_NE(known.Find(m + "raid1.ko"), nullptr);
  EXPECT_NE(known.Find(m + "md_mod.ko"), nullptr);
  EXPECT_NE(known.Find(m + "dm_mod.ko"), nullptr);
  EXPECT_EQ(known.Find(m + "raid456.ko"), nullptr);
  EXPECT_EQ(known.Find(m + "dm_thin_pool.ko"), nullptr);
  const FileSpec* order = known.Find("/lib/modules/6.1.0-test/modules.order");
  ASSERT_NE(order, nullptr);
  EXPECT_THAT(order->data, HasSubstr("kernel/drivers/md/raid1.ko\n"));
  EXPECT_THAT(order->data, ::testing::Not(HasSubstr("raid456")));
}

TEST(LvmModulesTest, ByType) {
  EXPECT_THAT(LvmModules({"striped"}), ::testing::ElementsAre("dm_mod"));
  EXPECT_THAT(LvmModules({"striped", "thin", "thin-pool", "raid1"}),
              ::testing::ElementsAre("dm_mod", "dm_raid", "dm_thin_pool"));
  // Unknown or a type not in the table: every common target.
  EXPECT_THAT(LvmModules({}), ::testing::Contains("dm_snapshot"));
  EXPECT_THAT(LvmModules({"striped", "vdo"}), ::testing::Contains("dm_snapshot"));
}

TEST_F(ImageTest, BadJobFileGivesFileLineCol) {
  Write(tmp_ + "/jobs/bad.conf", "stage initramfs\nrespawn limit x 5\n");
  FileSet f;
  absl::Status st = Collect(&f);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()),
              MatchesRegex("(.|\n)*" + tmp_ + "/jobs/bad.conf:2:[0-9]+: (.|\n)*"));
}

TEST_F(ImageTest, CryptKeyFiles) {
  Write(root_ + "/etc/crypttab", "root UUID=1 none luks\ndata UUID=2 /etc/keys/d.key luks\n");
  FileSet f;
  absl::Status st = Collect(&f);
  EXPECT_THAT(std::string(st.message()), HasSubstr("/etc/keys/d.key"));
  Write(root_ + "/etc/keys/d.key", "secret");
  FileSet g;
  st = Collect(&g);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(g.Find("/etc/keys/d.key")->mode, 0600u);
  EXPECT_NE(g.Find("/usr/sbin/cryptsetup"), nullptr);
  EXPECT_NE(g.Find("/etc/crypttab"), nullptr);
}

TEST_F(ImageTest, WithUdevdNeedsSystemd) {
  o_.with_udevd = true;
  FileSet f;
  absl::Status st = Collect(&f);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(st.message()), HasSubstr("systemd"));
}

TEST_F(ImageTest, WithUdevdTakesRulesAndHelpers) {
  o_.with_udevd = true;
  Write(root_ + "/lib/systemd/systemd-udevd", "#!/bin/sh\n", 0755);
  Write(root_ + "/usr/bin/udevadm", "#!/bin/sh\n", 0755);
  Write(root_ + "/lib/udev/rules.d/60-persistent-storage.rules",
        "KERNEL==\"sd*\", IMPORT{program}=\"ata_id --export $devnode\"\n");
  Write(root_ + "/lib/udev/rules.d/70-unrelated.rules", "\n");
  Write(root_ + "/lib/udev/rules.d/64-md-raid-assembly.rules", "\n");
  Write(root_ + "/lib/udev/rules.d/69-lvm.rules", "\n");
  Write(root_ + "/lib/udev/rules.d/56-lvm.rules", "\n");
  Write(root_ + "/lib/udev/ata_id", "#!/bin/sh\n", 0755);
  FileSet f;
  absl::Status st = Collect(&f);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_NE(f.Find("/lib/systemd/systemd-udevd"), nullptr);
  EXPECT_NE(f.Find("/usr/bin/udevadm"), nullptr);
  EXPECT_NE(f.Find("/lib/udev/rules.d/60-persistent-storage.rules"), nullptr);
  EXPECT_EQ(f.Find("/lib/udev/rules.d/70-unrelated.rules"), nullptr);
  EXPECT_NE(f.Find("/lib/udev/ata_id"), nullptr);
  // Rules that describe come along; those that assemble do not: stage 1's
  // jobs assemble.
  EXPECT_NE(f.Find("/lib/udev/rules.d/56-lvm.rules"), nullptr);
  EXPECT_EQ(f.Find("/lib/udev/rules.d/64-md-raid-assembly.rules"), nullptr);
  EXPECT_EQ(f.Find("/lib/udev/rules.d/69-lvm.rules"), nullptr);
  EXPECT_THAT(warnings_, ::testing::IsEmpty());
}

TEST_F(ImageTest, ExtraModulesAndIncludes) {
  o_.extra_modules = {"raid1"};
  Write(tmp_ + "/extra/hello.txt", "hi");
  o_.includes = {{tmp_ + "/extra", "/opt/extra"}, {tmp_ + "/extra/hello.txt", "/hello"}};
  FileSet f;
  ASSERT_TRUE(Collect(&f).ok());
  EXPECT_NE(f.Find("/lib/modules/6.1.0-test/kernel/drivers/md/raid1.ko"), nullptr);
  EXPECT_NE(f.Find("/opt/extra/hello.txt"), nullptr);
  EXPECT_NE(f.Find("/hello"), nullptr);
  o_.extra_modules = {"no_such_module"};
  FileSet g;
  EXPECT_THAT(std::string(Collect(&g).message()), HasSubstr("no_such_module"));
}

TEST_F(ImageTest, MissingInitIsAnError) {
  o_.init_path = tmp_ + "/nope";
  FileSet f;
  EXPECT_THAT(std::string(Collect(&f).message()), HasSubstr("--init"));
}

TEST_F(ImageTest, BuildWritesAReproducible0600Image) {
  absl::StatusOr<BuildReport> r = BuildImage(o_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->files, 20u);
  EXPECT_GT(r->uncompressed_bytes, r->compressed_bytes);
  struct stat st;
  ASSERT_EQ(::stat(o_.output.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), r->compressed_bytes);
  std::ifstream a(o_.output, std::ios::binary);
  std::string first((std::istreambuf_iterator<char>(a)), {});
  // Only the image is left in the output directory.
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp_ + "/out"), {}), 1);

  ASSERT_TRUE(BuildImage(o_).ok());
  std::ifstream b(o_.output, std::ios::binary);
  std::string second((std::istreambuf_iterator<char>(b)), {});
  EXPECT_EQ(first, second);

  absl::StatusOr<std::string> listing = ListImage(o_.output);
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_THAT(*listing, HasSubstr("100755       10 /init\n"));
  EXPECT_THAT(*listing, HasSubstr("020600        0 /dev/console c 5,1\n"));
  EXPECT_THAT(*listing, HasSubstr(" /bin/sh -> /usr/bin/busybox\n"));
}

TEST_F(ImageTest, EveryCompression) {
  for (Compression c : {Compression::kGzip, Compression::kXz, Compression::kLz4,
                        Compression::kNone}) {
    o_.compression = c;
    absl::StatusOr<BuildReport> r = BuildImage(o_);
    ASSERT_TRUE(r.ok()) << CompressionName(c) << ": " << r.status();
    absl::StatusOr<std::string> listing = ListImage(o_.output);
    ASSERT_TRUE(listing.ok()) << CompressionName(c);
    EXPECT_THAT(*listing, HasSubstr(" /init\n"));
  }
}

TEST(WriteFileAtomicallyTest, ReplacesAndSetsMode) {
  std::string p = std::string(std::getenv("TEST_TMPDIR")) + "/atomic";
  std::ofstream(p) << "old";
  ::chmod(p.c_str(), 0644);
  ASSERT_TRUE(WriteFileAtomically(p, "new", 0600).ok());
  std::ifstream in(p);
  std::string s((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(s, "new");
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(WriteFileAtomically("/nonexistent-dir/x", "y", 0600).ok());
}

}  // namespace
}  // namespace baton::mkinitramfs
