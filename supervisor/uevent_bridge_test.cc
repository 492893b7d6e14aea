#include "supervisor/uevent_bridge.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "supervisor/uevent_testing.h"
#include "sys/fake_block_prober.h"
#include "sys/fake_kernel.h"
#include "sys/fake_module_loader.h"

namespace baton::supervisor {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

const std::string kPci = "/devices/pci0000:00/0000:00:03.0";
const std::string kVirtio = kPci + "/virtio0";
const std::string kVda = kVirtio + "/block/vda";
const std::string kVda1 = kVda + "/vda1";
const std::string kUuid = "0b1e7c4a-5d2f-4b8e-9a61-3c7d2e8f9a10";

std::string Z(std::initializer_list<std::string> parts) {
  std::string out;
  for (const auto& p : parts) {
    out += p;
    out.push_back('\0');
  }
  return out;
}

struct Emitted {
  std::string name;
  Env env;
};

std::optional<std::string> EnvGet(const Env& env, const std::string& key) {
  for (const auto& [k, v] : env) {
    if (k == key) return v;
  }
  return std::nullopt;
}

class UeventBridgeTest : public ::testing::Test {
 protected:
  UeventBridgeTest() {
    UeventBridge::Options options;
    options.log = [this](absl::string_view line) { log_.emplace_back(line); };
    bridge_ = std::make_unique<UeventBridge>(
        kernel_, modules_, prober_,
        [this](std::string name, Env env) {
          emitted_.push_back({std::move(name), std::move(env)});
          loads_at_emit_.push_back(modules_.calls().size());
        },
        options);
    EXPECT_TRUE(kernel_.MkdirAll("/dev").ok());
    EXPECT_TRUE(kernel_.MkdirAll("/sys/class/block").ok());
    EXPECT_TRUE(kernel_.MkdirAll("/sys/bus/pci").ok());
    EXPECT_TRUE(kernel_.MkdirAll("/sys/bus/virtio").ok());
  }

  // A sysfs device directory: its uevent file and `subsystem` link, and
  // its entry in SUBSYSTEM_DIR ("bus/pci" → /sys/bus/pci/devices/NAME,
  // "class/block" → /sys/class/block/NAME); links relative, like the
  // kernel's.
  void AddDevice(const std::string& devpath, const std::string& subsystem_dir,
                 const std::string& uevent) {
    const std::string dir = "/sys" + devpath;
    ASSERT_TRUE(kernel_.MkdirAll(dir).ok());
    ASSERT_TRUE(kernel_.WriteFile(dir + "/uevent", uevent).ok());
    std::string up;
    for (char c : devpath.substr(1)) {
      if (c == '/') up += "../";
    }
    ASSERT_TRUE(kernel_.Symlink(up + "../" + subsystem_dir, dir + "/subsystem").ok());
    ASSERT_TRUE(kernel_.MkdirAll(dir + "/power").ok());  // attribute groups too
    const bool bus = absl::StartsWith(subsystem_dir, "bus/");
    const std::string list = "/sys/" + subsystem_dir + (bus ? "/devices" : "");
    ASSERT_TRUE(kernel_.MkdirAll(list).ok());
    ASSERT_TRUE(kernel_
                    .Symlink((bus ? "../../.." : "../..") + devpath,
                             list + devpath.substr(devpath.rfind('/')))
                    .ok());
  }

  void AddVirtioDisk() {
    AddDevice(kPci, "bus/pci", "PCI_CLASS=10000\nMODALIAS=pci:v00001AF4d00001001sv00001AF4\n");
    AddDevice(kVirtio, "bus/virtio", "MODALIAS=virtio:d00000002v00001AF4\n");
    AddDevice(kVda, "class/block", "MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\nDISKSEQ=1\n");
    ASSERT_TRUE(kernel_.WriteFile("/sys" + kVda + "/serial", "disk0\n").ok());
    AddDevice(kVda1, "class/block",
              "MAJOR=254\nMINOR=1\nDEVNAME=vda1\nDEVTYPE=partition\nDISKSEQ=1\nPARTN=1\n");
    // devtmpfs made vda; vda1 is left for the bridge to make.
    ASSERT_TRUE(kernel_.Mknod("/dev/vda", S_IFBLK | 0600, makedev(254, 0)).ok());
    prober_.Set("/dev/vda", {{"ID_PART_TABLE_TYPE", "gpt"},
                             {"ID_PART_TABLE_UUID", "11111111-2222-3333-4444-555555555555"}});
    prober_.Set("/dev/vda1", {{"ID_FS_TYPE", "ext4"},
                              {"ID_FS_USAGE", "filesystem"},
                              {"ID_FS_UUID", kUuid},
                              {"ID_FS_UUID_ENC", kUuid},
                              {"ID_FS_LABEL", "my_root/x"},
                              {"ID_FS_LABEL_ENC", "my\\x20root\\x2fx"},
                              {"ID_PART_ENTRY_UUID", "aaaaaaaa-0000-0000-0000-000000000001"},
                              {"ID_PART_ENTRY_NAME", "root part"},
                              {"ID_PART_ENTRY_NUMBER", "1"}});
  }

  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& e : emitted_) names.push_back(e.name);
    return names;
  }

  std::optional<std::string> Link(const std::string& path) {
    absl::StatusOr<std::string> target = kernel_.ReadLink(path);
    if (!target.ok()) return std::nullopt;
    return *target;
  }

  std::string Datagram(const std::string& action, const std::string& devpath,
                       std::initializer_list<std::string> rest, int seqnum) {
    std::string d = Z({action + "@" + devpath, "ACTION=" + action, "DEVPATH=" + devpath});
    for (const auto& r : rest) d += Z({r});
    return d + Z({"SEQNUM=" + std::to_string(seqnum)});
  }

  sys::FakeKernel kernel_;
  sys::FakeModuleLoader modules_;
  sys::FakeBlockProber prober_;
  std::vector<Emitted> emitted_;
  std::vector<size_t> loads_at_emit_;
  std::vector<std::string> log_;
  std::unique_ptr<UeventBridge> bridge_;
};

TEST_F(UeventBridgeTest, ColdplugLoadsModulesFirstThenEmitsDisksBeforePartitions) {
  AddVirtioDisk();
  kernel_.ClearCalls();
  ASSERT_TRUE(bridge_->Coldplug().ok());

  EXPECT_THAT(modules_.calls(), ElementsAre("pci:v00001AF4d00001001sv00001AF4",
                                            "virtio:d00000002v00001AF4"));
  ASSERT_THAT(Names(), ElementsAre("pci-device-added", "virtio-device-added",
                                   "block-device-added", "block-device-added"));
  EXPECT_EQ(loads_at_emit_.front(), 2u);  // every alias loaded before any event
  EXPECT_TRUE(bridge_->Quiet());
  EXPECT_EQ(bridge_->handled(), 4u);

  const Env& vda = emitted_[2].env;
  EXPECT_EQ(EnvGet(vda, "DEVNAME"), "/dev/vda");
  EXPECT_EQ(EnvGet(vda, "ID_PART_TABLE_TYPE"), "gpt");
  EXPECT_EQ(EnvGet(vda, "DEVLINKS"), "/dev/disk/by-id/virtio-disk0");

  const Env& vda1 = emitted_[3].env;
  // The kernel's keys first, in udev's order, then the rest of the uevent
  // file, then the derived properties sorted.
  std::vector<std::string> keys;
  for (const auto& kv : vda1) keys.push_back(kv.first);
  EXPECT_THAT(keys, ElementsAre("ACTION", "DEVPATH", "SUBSYSTEM", "DEVTYPE", "DEVNAME", "MAJOR",
                                "MINOR", "DISKSEQ", "PARTN", "DEVLINKS", "ID_FS_LABEL",
                                "ID_FS_LABEL_ENC", "ID_FS_TYPE", "ID_FS_USAGE", "ID_FS_UUID",
                                "ID_FS_UUID_ENC", "ID_PART_ENTRY_NAME", "ID_PART_ENTRY_NUMBER",
                                "ID_PART_ENTRY_UUID"));
  EXPECT_EQ(EnvGet(vda1, "ACTION"), "add");
  EXPECT_EQ(EnvGet(vda1, "DEVPATH"), kVda1);
  EXPECT_EQ(EnvGet(vda1, "SUBSYSTEM"), "block");
  EXPECT_EQ(EnvGet(vda1, "DEVNAME"), "/dev/vda1");
  EXPECT_EQ(EnvGet(vda1, "ID_FS_TYPE"), "ext4");

  // Block devices are known for the root finder.
  ASSERT_EQ(bridge_->BlockDevices().size(), 2u);
  EXPECT_EQ(EnvGet(bridge_->BlockDevices().at("/dev/vda1"), "ID_FS_UUID"), kUuid);

  // The missing node was made from MAJOR/MINOR; the existing one left alone.
  EXPECT_THAT(kernel_.calls(), Contains("mknod /dev/vda1 60600 254:1"));
  EXPECT_THAT(kernel_.calls(), Not(Contains(HasSubstr("mknod /dev/vda "))));
  // Coldplug only reads sysfs: it writes no `uevent` file.
  EXPECT_THAT(kernel_.calls(), Not(Contains(HasSubstr("/sys/"))));;
}

TEST_F(UeventBridgeTest, ColdplugOrdersDisksThenPartitionsThenVirtualDevices) {
  AddVirtioDisk();
  // Walked after vda1 ("platform" > "pci0000:00"), handled before it.
  AddDevice("/devices/platform/host0/block/sda", "class/block",
            "MAJOR=8\nMINOR=0\nDEVNAME=sda\nDEVTYPE=disk\n");
  AddDevice("/devices/virtual/block/dm-0", "class/block",
            "MAJOR=253\nMINOR=0\nDEVNAME=dm-0\nDEVTYPE=disk\n");
  AddDevice("/devices/virtual/tty/tty0", "class/tty", "MAJOR=4\nMINOR=0\nDEVNAME=tty0\n");
  ASSERT_TRUE(bridge_->Coldplug().ok());
  std::vector<std::string> order;
  for (const auto& e : emitted_) order.push_back(e.name + " " + *EnvGet(e.env, "DEVPATH"));
  EXPECT_THAT(order, ElementsAre("pci-device-added " + kPci, "virtio-device-added " + kVirtio,
                                 "tty-device-added /devices/virtual/tty/tty0",
                                 "block-device-added " + kVda,
                                 "block-device-added /devices/platform/host0/block/sda",
                                 "block-device-added " + kVda1,
                                 "block-device-added /devices/virtual/block/dm-0"));
  // A char device keeps its full DEVNAME too, and is not probed.
  EXPECT_EQ(EnvGet(emitted_[2].env, "DEVNAME"), "/dev/tty0");
  EXPECT_THAT(prober_.probed(), Not(Contains("/dev/tty0")));
}

TEST_F(UeventBridgeTest, ColdplugHandlesEachDeviceOnceWhateverLinksToIt) {
  AddVirtioDisk();
  AddDevice("/devices/virtual/block/dm-0", "class/block",
            "MAJOR=253\nMINOR=0\nDEVNAME=dm-0\nDEVTYPE=disk\n");
  // Cross-references as sysfs has them, pointing at device directories
  // found elsewhere, and the same device listed a second time.
  ASSERT_TRUE(kernel_.Symlink("../../../pci0000:00/0000:00:03.0",
                              "/sys/devices/virtual/block/dm-0/port").ok());
  ASSERT_TRUE(kernel_.Symlink("../../virtual/block/dm-0", "/sys" + kVda + "/peer").ok());
  ASSERT_TRUE(kernel_.Symlink("block/vda", "/sys" + kVirtio + "/vda-link").ok());
  ASSERT_TRUE(kernel_.Symlink("../../devices/virtual/block/dm-0", "/sys/class/block/dm-0-again")
                  .ok());
  ASSERT_TRUE(bridge_->Coldplug().ok());
  std::vector<std::string> paths;
  for (const auto& e : emitted_) paths.push_back(*EnvGet(e.env, "DEVPATH"));
  EXPECT_THAT(paths, ElementsAre(kPci, kVirtio, kVda, kVda1, "/devices/virtual/block/dm-0"));
  EXPECT_THAT(modules_.calls(), ElementsAre("pci:v00001AF4d00001001sv00001AF4",
                                            "virtio:d00000002v00001AF4"));
  EXPECT_THAT(log_, Contains("coldplug: 5 devices, 3 block"));
}

TEST_F(UeventBridgeTest, ColdplugEmitsParentsBeforeChildrenAcrossSubsystems) {
  // The class device under the platform device, and a sibling whose name
  // sorts between them byte-wise ('-' < '/').
  AddDevice("/devices/platform/serial8250", "bus/platform", "DRIVER=serial8250\n");
  AddDevice("/devices/platform/serial8250/tty/ttyS1", "class/tty",
            "MAJOR=4\nMINOR=65\nDEVNAME=ttyS1\n");
  AddDevice("/devices/platform/serial8250-x", "bus/platform", "\n");
  AddDevice("/devices/LNXSYSTM:00", "bus/acpi", "MODALIAS=acpi:LNXSYSTM:\n");
  ASSERT_TRUE(bridge_->Coldplug().ok());
  std::vector<std::string> order;
  for (const auto& e : emitted_) order.push_back(*EnvGet(e.env, "SUBSYSTEM") + " " +
                                                 *EnvGet(e.env, "DEVPATH"));
  EXPECT_THAT(order, ElementsAre("acpi /devices/LNXSYSTM:00",
                                 "platform /devices/platform/serial8250",
                                 "tty /devices/platform/serial8250/tty/ttyS1",
                                 "platform /devices/platform/serial8250-x"));
}

TEST_F(UeventBridgeTest, ColdplugSkipsControlFilesAndLinksOutsideDevices) {
  AddDevice("/devices/virtual/tty/tty0", "class/tty", "MAJOR=4\nMINOR=0\nDEVNAME=tty0\n");
  ASSERT_TRUE(kernel_.MkdirAll("/sys/class/gpio").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys/class/gpio/export", "").ok());
  ASSERT_TRUE(kernel_.Symlink("../../module/loop", "/sys/class/tty/odd").ok());
  // A class that vanished between the two listings.
  kernel_.FailNextOn("list_dir_entries", "/sys/class/block", ENOENT);
  ASSERT_TRUE(bridge_->Coldplug().ok());
  EXPECT_THAT(Names(), ElementsAre("tty-device-added"));
  EXPECT_THAT(log_, Contains(HasSubstr("coldplug: skipped /sys/class/tty/odd -> "
                                       "../../module/loop: not a device under /sys/devices")));
  EXPECT_THAT(log_, Contains(HasSubstr("coldplug: cannot list /sys/class/block")));
}

TEST_F(UeventBridgeTest, ColdplugListsEachSubsystemOnceAndStatsNothing) {
  // No block device: handling those stats /dev nodes, which is not coldplug.
  AddDevice(kPci, "bus/pci", "PCI_CLASS=10000\nMODALIAS=pci:v00001AF4d00001001sv00001AF4\n");
  AddDevice(kVirtio, "bus/virtio", "MODALIAS=virtio:d00000002v00001AF4\n");
  AddDevice("/devices/virtual/tty/tty0", "class/tty", "MAJOR=4\nMINOR=0\nDEVNAME=tty0\n");
  ASSERT_TRUE(kernel_.MkdirAll("/sys" + kPci + "/msi_irqs").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys" + kPci + "/vendor", "0x1af4\n").ok());
  ASSERT_TRUE(kernel_.Symlink("../../../bus/pci/drivers/virtio-pci", "/sys" + kPci + "/driver")
                  .ok());
  ASSERT_TRUE(kernel_.MkdirAll("/sys/bus/pci/drivers/virtio-pci").ok());
  kernel_.ClearCallCounts();
  ASSERT_TRUE(bridge_->Coldplug().ok());
  ASSERT_THAT(Names(), ElementsAre("pci-device-added", "virtio-device-added", "tty-device-added"));
  // One typed listing each of /sys/bus, /sys/bus/pci/devices,
  // /sys/bus/virtio/devices, /sys/class, /sys/class/block, /sys/class/tty:
  // no device directory is listed, and no entry stat'ed to learn its type.
  EXPECT_EQ(kernel_.call_count("list_dir_entries"), 6u);
  EXPECT_EQ(kernel_.call_count("stat"), 0u);
  EXPECT_EQ(kernel_.call_count("list_dir"), 0u);
  // Per device: its link in the bus or class, and its `uevent` file.
  EXPECT_EQ(kernel_.call_count("readlink"), 3u);
  EXPECT_EQ(kernel_.call_count("read_file"), 3u);
}

TEST(ResolveSysfsLinkTest, ResolvesRelativeLinksIntoDevices) {
  EXPECT_EQ(ResolveSysfsLink("/bus/pci/devices", "../../../devices/pci0000:00/0000:00:03.0"),
            "/devices/pci0000:00/0000:00:03.0");
  EXPECT_EQ(ResolveSysfsLink("/class/block", "../../devices/virtual/block/dm-0"),
            "/devices/virtual/block/dm-0");
  EXPECT_EQ(ResolveSysfsLink("/class/block", "./../../devices/./x"), "/devices/x");
  EXPECT_EQ(ResolveSysfsLink("/class/block", "/sys/devices/x"), std::nullopt);
  EXPECT_EQ(ResolveSysfsLink("/class/block", "../../../devices/x"), std::nullopt);
  EXPECT_EQ(ResolveSysfsLink("/class/block", "../../module/loop"), std::nullopt);
  EXPECT_EQ(ResolveSysfsLink("/class/block", "../../devices"), std::nullopt);
}

TEST_F(UeventBridgeTest, ColdplugMakesUdevLinksWithUdevEscaping) {
  AddVirtioDisk();
  ASSERT_TRUE(bridge_->Coldplug().ok());
  EXPECT_EQ(Link("/dev/disk/by-uuid/" + kUuid), "../../vda1");
  EXPECT_EQ(Link("/dev/disk/by-label/my\\x20root\\x2fx"), "../../vda1");
  EXPECT_EQ(Link("/dev/disk/by-partuuid/aaaaaaaa-0000-0000-0000-000000000001"), "../../vda1");
  EXPECT_EQ(Link("/dev/disk/by-partlabel/root\\x20part"), "../../vda1");
  EXPECT_EQ(Link("/dev/disk/by-id/virtio-disk0"), "../../vda");
  EXPECT_EQ(Link("/dev/disk/by-id/virtio-disk0-part1"), "../../vda1");
  EXPECT_EQ(EnvGet(emitted_[3].env, "DEVLINKS"),
            "/dev/disk/by-uuid/" + kUuid +
                " /dev/disk/by-label/my\\x20root\\x2fx"
                " /dev/disk/by-partuuid/aaaaaaaa-0000-0000-0000-000000000001"
                " /dev/disk/by-partlabel/root\\x20part /dev/disk/by-id/virtio-disk0-part1");
}

TEST_F(UeventBridgeTest, ColdplugFailsWithoutSysfs) {
  sys::FakeKernel empty;
  UeventBridge bridge(empty, modules_, prober_, [](std::string, Env) {});
  EXPECT_FALSE(bridge.Coldplug().ok());
  EXPECT_FALSE(bridge.Quiet());
}

TEST_F(UeventBridgeTest, NetlinkDatagramBecomesEventAndRemoveUndoesLinks) {
  AddVirtioDisk();
  absl::StatusOr<int> fd = bridge_->Start();
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_EQ(bridge_->fd(), *fd);

  kernel_.InjectUevent(Datagram("add", kVda1,
                                {"SUBSYSTEM=block", "MAJOR=254", "MINOR=1", "DEVNAME=vda1",
                                 "DEVTYPE=partition", "PARTN=1"},
                                900));
  bridge_->OnReadable();
  ASSERT_THAT(Names(), ElementsAre("block-device-added"));
  EXPECT_EQ(EnvGet(emitted_[0].env, "SEQNUM"), "900");
  EXPECT_EQ(EnvGet(emitted_[0].env, "ID_FS_UUID"), kUuid);
  EXPECT_EQ(Link("/dev/disk/by-uuid/" + kUuid), "../../vda1");
  EXPECT_THAT(prober_.probed(), ElementsAre("/dev/vda1"));

  kernel_.InjectUevent(Datagram("remove", kVda1,
                                {"SUBSYSTEM=block", "MAJOR=254", "MINOR=1", "DEVNAME=vda1",
                                 "DEVTYPE=partition", "PARTN=1"},
                                901));
  bridge_->OnReadable();
  ASSERT_THAT(Names(), ElementsAre("block-device-added", "block-device-removed"));
  // A remove carries what the device was, and is not probed again.
  EXPECT_EQ(EnvGet(emitted_[1].env, "ID_FS_UUID"), kUuid);
  EXPECT_THAT(prober_.probed(), ElementsAre("/dev/vda1"));
  EXPECT_EQ(Link("/dev/disk/by-uuid/" + kUuid), std::nullopt);
  EXPECT_EQ(Link("/dev/disk/by-label/my\\x20root\\x2fx"), std::nullopt);
  EXPECT_EQ(Link("/dev/disk/by-id/virtio-disk0-part1"), std::nullopt);
  EXPECT_THAT(bridge_->BlockDevices(), IsEmpty());
  // The node the bridge made goes too.
  EXPECT_THAT(kernel_.calls(), Contains("unlink /dev/vda1"));
}

TEST_F(UeventBridgeTest, RemoveKeepsLinkThatNowPointsElsewhere) {
  ASSERT_TRUE(kernel_.Mknod("/dev/vdb", S_IFBLK | 0600, makedev(254, 16)).ok());
  ASSERT_TRUE(kernel_.Mknod("/dev/vdc", S_IFBLK | 0600, makedev(254, 32)).ok());
  sys::BlockProperties same = {
      {"ID_FS_TYPE", "ext4"}, {"ID_FS_USAGE", "filesystem"}, {"ID_FS_LABEL", "data"}};
  prober_.Set("/dev/vdb", same);
  prober_.Set("/dev/vdc", same);
  bridge_->OnDatagram(Datagram("add", "/devices/x/block/vdb",
                               {"SUBSYSTEM=block", "DEVNAME=vdb", "DEVTYPE=disk"}, 1));
  EXPECT_EQ(Link("/dev/disk/by-label/data"), "../../vdb");
  bridge_->OnDatagram(Datagram("add", "/devices/y/block/vdc",
                               {"SUBSYSTEM=block", "DEVNAME=vdc", "DEVTYPE=disk"}, 2));
  EXPECT_EQ(Link("/dev/disk/by-label/data"), "../../vdc");
  bridge_->OnDatagram(Datagram("remove", "/devices/x/block/vdb",
                               {"SUBSYSTEM=block", "DEVNAME=vdb", "DEVTYPE=disk"}, 3));
  EXPECT_EQ(Link("/dev/disk/by-label/data"), "../../vdc");
}

TEST_F(UeventBridgeTest, ChangeDropsLinksThatNoLongerApply) {
  ASSERT_TRUE(kernel_.Mknod("/dev/vdb", S_IFBLK | 0600, makedev(254, 16)).ok());
  prober_.Set("/dev/vdb", {{"ID_FS_TYPE", "ext4"}, {"ID_FS_USAGE", "filesystem"},
                           {"ID_FS_LABEL", "old"}});
  const std::string path = "/devices/x/block/vdb";
  bridge_->OnDatagram(Datagram("add", path, {"SUBSYSTEM=block", "DEVNAME=vdb"}, 1));
  prober_.Set("/dev/vdb", {{"ID_FS_TYPE", "ext4"}, {"ID_FS_USAGE", "filesystem"},
                           {"ID_FS_LABEL", "new"}});
  bridge_->OnDatagram(Datagram("change", path, {"SUBSYSTEM=block", "DEVNAME=vdb"}, 2));
  EXPECT_EQ(Link("/dev/disk/by-label/old"), std::nullopt);
  EXPECT_EQ(Link("/dev/disk/by-label/new"), "../../vdb");
  EXPECT_THAT(Names(), ElementsAre("block-device-added", "block-device-changed"));
}

TEST_F(UeventBridgeTest, RaidMembersGetNoByUuidLink) {
  prober_.Set("/dev/vdb", {{"ID_FS_TYPE", "linux_raid_member"},
                           {"ID_FS_USAGE", "raid"},
                           {"ID_FS_UUID", kUuid},
                           {"MD_UUID", "0b1e7c4a:5d2f4b8e:9a613c7d:2e8f9a10"}});
  bridge_->OnDatagram(Datagram("add", "/devices/x/block/vdb",
                               {"SUBSYSTEM=block", "DEVNAME=vdb", "DEVTYPE=disk"}, 1));
  EXPECT_EQ(Link("/dev/disk/by-uuid/" + kUuid), std::nullopt);
  EXPECT_EQ(EnvGet(emitted_[0].env, "MD_UUID"), "0b1e7c4a:5d2f4b8e:9a613c7d:2e8f9a10");
}

TEST_F(UeventBridgeTest, ModaliasIsLoadedOncePerAliasAndOnlyOnAdd) {
  auto dev = [&](const std::string& action, const std::string& path, int seq) {
    return Datagram(action, path, {"SUBSYSTEM=cpu", "MODALIAS=cpu:type:x86,ven0000fam0006"},
                    seq);
  };
  bridge_->OnDatagram(dev("add", "/devices/system/cpu/cpu0", 1));
  bridge_->OnDatagram(dev("add", "/devices/system/cpu/cpu1", 2));
  bridge_->OnDatagram(dev("change", "/devices/system/cpu/cpu2", 3));
  bridge_->OnDatagram(Datagram("remove", "/devices/x", {"SUBSYSTEM=pci", "MODALIAS=pci:v1"}, 4));
  EXPECT_THAT(modules_.calls(), ElementsAre("cpu:type:x86,ven0000fam0006"));
  EXPECT_THAT(Names(), ElementsAre("cpu-device-added", "cpu-device-added", "cpu-device-changed",
                                   "pci-device-removed"));
}

TEST_F(UeventBridgeTest, ModuleLoadFailureIsLoggedAndEventStillEmitted) {
  modules_.SetResult("pci:bad", absl::InternalError("load module x: Exec format error"));
  bridge_->OnDatagram(Datagram("add", "/devices/x", {"SUBSYSTEM=pci", "MODALIAS=pci:bad"}, 1));
  EXPECT_THAT(Names(), ElementsAre("pci-device-added"));
  EXPECT_THAT(log_, Contains(HasSubstr("pci:bad")));
}

TEST_F(UeventBridgeTest, PauseQueuesRawDatagramsInOrder) {
  ASSERT_TRUE(bridge_->Start().ok());
  AddVirtioDisk();
  ASSERT_TRUE(bridge_->Coldplug().ok());
  emitted_.clear();
  bridge_->Pause();
  const std::string a = Datagram("add", "/devices/a", {"SUBSYSTEM=pci"}, 10);
  const std::string b = std::string("garbage\0\xff", 9);
  const std::string c = Datagram("add", "/devices/c", {"SUBSYSTEM=pci"}, 11);
  kernel_.InjectUevent(a);
  kernel_.InjectUevent(b);
  kernel_.InjectUevent(c);
  bridge_->OnReadable();
  EXPECT_THAT(emitted_, IsEmpty());
  EXPECT_EQ(bridge_->queued(), 3u);
  EXPECT_FALSE(bridge_->Quiet());
  EXPECT_THAT(bridge_->TakeQueued(), ElementsAre(a, b, c));
  EXPECT_EQ(bridge_->queued(), 0u);
  EXPECT_TRUE(bridge_->Quiet());
  EXPECT_TRUE(bridge_->paused());
}

TEST_F(UeventBridgeTest, ResumeHandlesWhatWasQueued) {
  bridge_->Pause();
  bridge_->OnDatagram(Datagram("add", "/devices/a", {"SUBSYSTEM=pci"}, 10));
  bridge_->OnDatagram(Datagram("add", "/devices/b", {"SUBSYSTEM=usb"}, 11));
  EXPECT_THAT(emitted_, IsEmpty());
  bridge_->Resume();
  EXPECT_THAT(Names(), ElementsAre("pci-device-added", "usb-device-added"));
  EXPECT_EQ(bridge_->queued(), 0u);
}

TEST_F(UeventBridgeTest, MalformedDatagramsAreIgnoredWithAWarning) {
  ASSERT_TRUE(bridge_->Start().ok());
  kernel_.InjectUevent("add@/devices/x");  // no properties
  kernel_.InjectUevent(std::string("\0\0\0", 3));
  kernel_.InjectUevent(Datagram("add", "/devices/ok", {"SUBSYSTEM=pci"}, 5));
  bridge_->OnReadable();
  EXPECT_THAT(Names(), ElementsAre("pci-device-added"));
  EXPECT_EQ(bridge_->malformed(), 2u);
  EXPECT_THAT(log_, Contains(HasSubstr("malformed")));
}

TEST_F(UeventBridgeTest, DeviceMapperNamesAndLinks) {
  const std::string dm = "/devices/virtual/block/dm-0";
  ASSERT_TRUE(kernel_.MkdirAll("/sys" + dm + "/dm").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys" + dm + "/dm/name", "cryptroot\n").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys" + dm + "/dm/uuid", "CRYPT-LUKS2-abc-cryptroot\n").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys" + dm + "/dm/suspended", "0\n").ok());
  ASSERT_TRUE(kernel_.Mknod("/dev/dm-0", S_IFBLK | 0600, makedev(253, 0)).ok());
  prober_.Set("/dev/dm-0", {{"ID_FS_TYPE", "ext4"}, {"ID_FS_USAGE", "filesystem"}});
  bridge_->OnDatagram(Datagram(
      "add", dm, {"SUBSYSTEM=block", "MAJOR=253", "MINOR=0", "DEVNAME=dm-0", "DEVTYPE=disk"}, 1));
  ASSERT_EQ(emitted_.size(), 1u);
  EXPECT_EQ(EnvGet(emitted_[0].env, "DM_NAME"), "cryptroot");
  EXPECT_EQ(EnvGet(emitted_[0].env, "DM_UUID"), "CRYPT-LUKS2-abc-cryptroot");
  EXPECT_EQ(Link("/dev/disk/by-id/dm-name-cryptroot"), "../../dm-0");
  EXPECT_EQ(Link("/dev/disk/by-id/dm-uuid-CRYPT-LUKS2-abc-cryptroot"), "../../dm-0");
  EXPECT_EQ(Link("/dev/mapper/cryptroot"), "../dm-0");
}

// An LVM volume gets lvm's /dev/VG/LV too (dashes in names doubled in the dm
// name); a sub-volume (uuid suffix, or a reserved name) does not.
TEST_F(UeventBridgeTest, LvmVolumesGetVgLvLinks) {
  const std::string uuid64 = "LVM-" + std::string(32, 'a') + std::string(32, 'b');
  struct Case {
    std::string name, uuid, link;
  };
  const std::vector<Case> cases = {
      {"vg0-root", uuid64, "/dev/vg0/root"},
      {"my--vg-str----ipe", uuid64, "/dev/my-vg/str--ipe"},
      {"vg0-pool_tdata", uuid64, ""},
      {"vg0-snap-cow", uuid64 + "-cow", ""},
      {"vg0-a-b", uuid64, ""},
      {"cryptroot", "CRYPT-LUKS2-abc-cryptroot", ""},
  };
  int minor = 10;
  for (const Case& c : cases) {
    const std::string kname = absl::StrCat("dm-", minor);
    const std::string dm = "/devices/virtual/block/" + kname;
    ASSERT_TRUE(kernel_.MkdirAll("/sys" + dm + "/dm").ok());
    ASSERT_TRUE(kernel_.WriteFile("/sys" + dm + "/dm/name", c.name + "\n").ok());
    ASSERT_TRUE(kernel_.WriteFile("/sys" + dm + "/dm/uuid", c.uuid + "\n").ok());
    ASSERT_TRUE(kernel_.Mknod("/dev/" + kname, S_IFBLK | 0600, makedev(253, minor)).ok());
    bridge_->OnDatagram(Datagram("add", dm,
                                 {"SUBSYSTEM=block", "MAJOR=253", absl::StrCat("MINOR=", minor),
                                  "DEVNAME=" + kname, "DEVTYPE=disk"},
                                 minor));
    if (!c.link.empty()) {
      EXPECT_EQ(Link(c.link), "../" + kname) << c.name;
    }
    ++minor;
  }
  absl::StatusOr<std::vector<std::string>> vg0 = kernel_.ListDir("/dev/vg0");
  ASSERT_TRUE(vg0.ok());
  EXPECT_THAT(*vg0, ElementsAre("root"));
  EXPECT_FALSE(kernel_.Stat("/dev/cryptroot").ok());
}

// cryptsetup and lvm (libdevmapper) may have made /dev/mapper/NAME a node of
// the device already: it stays, quietly; a node of another device is named.
TEST_F(UeventBridgeTest, DeviceMapperNodeMadeByLibdevmapperStays) {
  const std::string dm = "/devices/virtual/block/dm-0";
  ASSERT_TRUE(kernel_.MkdirAll("/sys" + dm + "/dm").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys" + dm + "/dm/name", "cryptroot\n").ok());
  ASSERT_TRUE(kernel_.Mknod("/dev/dm-0", S_IFBLK | 0600, makedev(253, 0)).ok());
  ASSERT_TRUE(kernel_.MkdirAll("/dev/mapper").ok());
  ASSERT_TRUE(kernel_.Mknod("/dev/mapper/cryptroot", S_IFBLK | 0600, makedev(253, 0)).ok());
  bridge_->OnDatagram(Datagram(
      "add", dm, {"SUBSYSTEM=block", "MAJOR=253", "MINOR=0", "DEVNAME=dm-0", "DEVTYPE=disk"}, 1));
  EXPECT_THAT(log_, Not(Contains(HasSubstr("not replacing"))));
  EXPECT_EQ(Link("/dev/disk/by-id/dm-name-cryptroot"), "../../dm-0");

  ASSERT_TRUE(kernel_.Unlink("/dev/mapper/cryptroot").ok());
  ASSERT_TRUE(kernel_.Mknod("/dev/mapper/cryptroot", S_IFBLK | 0600, makedev(253, 7)).ok());
  bridge_->OnDatagram(Datagram(
      "change", dm, {"SUBSYSTEM=block", "MAJOR=253", "MINOR=0", "DEVNAME=dm-0", "DEVTYPE=disk"},
      2));
  EXPECT_THAT(log_, Contains(HasSubstr("not replacing /dev/mapper/cryptroot: not a symlink")));
}

TEST_F(UeventBridgeTest, SuspendedDeviceMapperIsNotProbed) {
  const std::string dm = "/devices/virtual/block/dm-1";
  ASSERT_TRUE(kernel_.MkdirAll("/sys" + dm + "/dm").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys" + dm + "/dm/name", "vg-root\n").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys" + dm + "/dm/suspended", "1\n").ok());
  bridge_->OnDatagram(Datagram("add", dm, {"SUBSYSTEM=block", "DEVNAME=dm-1"}, 1));
  EXPECT_THAT(prober_.probed(), IsEmpty());
  EXPECT_EQ(EnvGet(emitted_[0].env, "DM_SUSPENDED"), "1");
}

TEST_F(UeventBridgeTest, MdArrayTakesUuidFromItsMembersAndSkipsInactive) {
  const std::string md = "/devices/virtual/block/md0";
  prober_.Set("/dev/vdb1", {{"ID_FS_TYPE", "linux_raid_member"},
                            {"ID_FS_USAGE", "raid"},
                            {"MD_UUID", "aaaaaaaa:bbbbbbbb:cccccccc:dddddddd"}});
  bridge_->OnDatagram(Datagram("add", "/devices/x/block/vdb/vdb1",
                               {"SUBSYSTEM=block", "DEVNAME=vdb1", "DEVTYPE=partition"}, 1));

  ASSERT_TRUE(kernel_.MkdirAll("/sys" + md + "/md/dev-vdb1").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys" + md + "/md/array_state", "inactive\n").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys" + md + "/md/level", "raid1\n").ok());
  bridge_->OnDatagram(Datagram("add", md, {"SUBSYSTEM=block", "DEVNAME=md0", "DEVTYPE=disk"}, 2));
  EXPECT_THAT(prober_.probed(), ElementsAre("/dev/vdb1"));  // md0 inactive: not probed

  ASSERT_TRUE(kernel_.WriteFile("/sys" + md + "/md/array_state", "clean\n").ok());
  prober_.Set("/dev/md0", {{"ID_FS_TYPE", "ext4"}, {"ID_FS_USAGE", "filesystem"}});
  bridge_->OnDatagram(
      Datagram("change", md, {"SUBSYSTEM=block", "DEVNAME=md0", "DEVTYPE=disk"}, 3));
  EXPECT_THAT(prober_.probed(), ElementsAre("/dev/vdb1", "/dev/md0"));
  const Env& env = emitted_.back().env;
  EXPECT_EQ(EnvGet(env, "MD_LEVEL"), "raid1");
  EXPECT_EQ(EnvGet(env, "MD_UUID"), "aaaaaaaa:bbbbbbbb:cccccccc:dddddddd");
  EXPECT_EQ(EnvGet(env, "ID_FS_TYPE"), "ext4");
  EXPECT_EQ(Link("/dev/disk/by-id/md-uuid-aaaaaaaa:bbbbbbbb:cccccccc:dddddddd"), "../../md0");
}

// Following udevd: this fixture's kernel answers a write into a uevent
// file with an event on group 1, as the real one does, and udevd() sends
// back the processed copies of the kernel events so far.
class FollowingUdevdTest : public UeventBridgeTest {
 protected:
  FollowingUdevdTest() {
    UeventBridge::Options options;
    options.group = 2;
    options.log = [this](absl::string_view line) { log_.emplace_back(line); };
    bridge_ = std::make_unique<UeventBridge>(
        kernel_, modules_, prober_,
        [this](std::string name, Env env) { emitted_.push_back({std::move(name), std::move(env)}); },
        options);
    kernel_.set_write_file_hook([this](const std::string& path, absl::string_view contents) {
      // An action, not the test setting up a device's uevent file.
      if (!absl::EndsWith(path, "/uevent") || absl::StrContains(contents, "=")) return;
      std::string devpath = path.substr(4, path.size() - 4 - 7);
      Kernel(std::string(contents), devpath);
    });
  }

  // The kernel sends ACTION for DEVPATH; udevd (and the bridge) get it.
  void Kernel(const std::string& action, const std::string& devpath,
              std::initializer_list<std::string> rest = {"SUBSYSTEM=block"}) {
    std::string d = Datagram(action, devpath, rest, ++seqnum_);
    sent_.push_back({seqnum_, action + " " + devpath});
    kernel_.InjectUevent(d, 1);
  }
  // udevd sends back the processed copy of the kernel's event SEQNUM.
  void Processed(int seqnum) {
    for (const auto& [n, what] : sent_) {
      if (n != seqnum) continue;
      std::string action = what.substr(0, what.find(' '));
      std::string devpath = what.substr(what.find(' ') + 1);
      kernel_.InjectUevent(
          LibudevDatagram({"ACTION=" + action, "DEVPATH=" + devpath, "SUBSYSTEM=block",
                           "DEVNAME=/dev/" + devpath.substr(devpath.rfind('/') + 1),
                           "ID_FS_TYPE=ext4", "SEQNUM=" + std::to_string(seqnum)}),
          2);
    }
  }

  int seqnum_ = 0;
  std::vector<std::pair<int, std::string>> sent_;
};

TEST_F(FollowingUdevdTest, OnlyEmitsUdevdsEvents) {
  ASSERT_TRUE(bridge_->Start().ok());
  EXPECT_NE(bridge_->kernel_fd(), bridge_->fd());
  Kernel("add", kVda1);
  Processed(1);
  bridge_->OnReadable();
  ASSERT_EQ(emitted_.size(), 1u);
  EXPECT_EQ(emitted_[0].name, "block-device-added");
  EXPECT_EQ(EnvGet(emitted_[0].env, "DEVNAME"), "/dev/vda1");
  EXPECT_EQ(EnvGet(emitted_[0].env, "ID_FS_TYPE"), "ext4");
  EXPECT_THAT(modules_.calls(), IsEmpty());
  EXPECT_THAT(prober_.probed(), IsEmpty());
  EXPECT_EQ(bridge_->BlockDevices().size(), 1u);
  EXPECT_EQ(bridge_->AwaitingUdevd(), 0u);
}

TEST_F(FollowingUdevdTest, ColdplugTriggersAndIsQuietWhenUdevdSentEverythingBack) {
  AddVirtioDisk();
  ASSERT_TRUE(bridge_->Start().ok());
  ASSERT_TRUE(bridge_->Coldplug().ok());
  // Written "add" into each device's uevent file, parents first; nothing
  // synthesized, nothing loaded or probed.
  ASSERT_EQ(sent_.size(), 4u);
  EXPECT_EQ(sent_[0].second, "add " + kPci);
  EXPECT_EQ(sent_[1].second, "add " + kVirtio);
  EXPECT_EQ(sent_[2].second, "add " + kVda);
  EXPECT_EQ(sent_[3].second, "add " + kVda1);
  EXPECT_THAT(emitted_, IsEmpty());
  EXPECT_THAT(modules_.calls(), IsEmpty());
  EXPECT_EQ(bridge_->AwaitingUdevd(), 4u);
  EXPECT_FALSE(bridge_->Quiet());
  // udevd finishes out of order; quiet only with the last one back.
  for (int n : {2, 4, 1}) Processed(n);
  bridge_->OnReadable();
  EXPECT_EQ(emitted_.size(), 3u);
  EXPECT_EQ(bridge_->AwaitingUdevd(), 1u);
  EXPECT_FALSE(bridge_->Quiet());
  Processed(3);
  bridge_->OnReadable();
  EXPECT_EQ(bridge_->AwaitingUdevd(), 0u);
  EXPECT_TRUE(bridge_->Quiet());
}

TEST_F(FollowingUdevdTest, UdevdsCopyReadBeforeTheKernelsIsStillMatched) {
  ASSERT_TRUE(bridge_->Start().ok());
  bridge_->OnKernelReadable();
  Kernel("add", kVda);
  Processed(1);
  // As if the kernel's copy came while udevd's socket was being read.
  std::optional<std::string> copy = *kernel_.RecvDatagram(bridge_->fd());
  ASSERT_TRUE(copy.has_value());
  bridge_->OnDatagram(*copy);
  EXPECT_EQ(bridge_->AwaitingUdevd(), 0u);
  bridge_->OnKernelReadable();
  EXPECT_EQ(bridge_->AwaitingUdevd(), 0u);
}

TEST_F(FollowingUdevdTest, PauseQueuesWhatUdevdHasNotFinishedAndWhatComesAfter) {
  ASSERT_TRUE(bridge_->Start().ok());
  Kernel("add", kVda);
  Kernel("add", kVda1);
  Processed(1);
  bridge_->OnReadable();
  ASSERT_EQ(emitted_.size(), 1u);
  bridge_->Pause();
  Kernel("change", kVda);
  bridge_->OnReadable();
  EXPECT_EQ(bridge_->AwaitingUdevd(), 2u);
  // udevd goes on; its events are counted off, not emitted.
  Processed(2);
  Processed(3);
  bridge_->OnReadable();
  EXPECT_EQ(emitted_.size(), 1u);
  EXPECT_EQ(bridge_->AwaitingUdevd(), 0u);
  std::vector<std::string> queued = bridge_->TakeQueued();
  ASSERT_EQ(queued.size(), 2u);
  EXPECT_EQ(ParseUevent(queued[0])->devpath, kVda1);
  EXPECT_EQ(ParseUevent(queued[1])->action, "change");
  EXPECT_FALSE(ParseUevent(queued[1])->from_udevd);
}

TEST_F(FollowingUdevdTest, ResumeLeavesTheEventsToUdevd) {
  ASSERT_TRUE(bridge_->Start().ok());
  bridge_->Pause();  // stage 1 before coldplug
  Kernel("add", kVda);
  bridge_->OnReadable();
  EXPECT_EQ(bridge_->queued(), 1u);
  bridge_->Resume();
  EXPECT_EQ(bridge_->queued(), 0u);
  EXPECT_EQ(bridge_->AwaitingUdevd(), 1u);
  Processed(1);
  bridge_->OnReadable();
  ASSERT_EQ(emitted_.size(), 1u);
  EXPECT_TRUE(bridge_->Settled());
}

TEST_F(FollowingUdevdTest, RetriggerWritesEachAwaitedDevicesLastAction) {
  ASSERT_TRUE(kernel_.MkdirAll("/sys" + kVda1).ok());
  ASSERT_TRUE(kernel_.MkdirAll("/sys" + kVda).ok());
  ASSERT_TRUE(bridge_->Start().ok());
  Kernel("add", kVda);
  Kernel("add", kVda1);
  Kernel("change", kVda);
  bridge_->OnReadable();
  EXPECT_EQ(bridge_->AwaitingUdevd(), 3u);
  // udevd died with the three read: the kernel sends them again, anew.
  EXPECT_EQ(bridge_->Retrigger(), 2u);
  ASSERT_EQ(sent_.size(), 5u);
  EXPECT_EQ(sent_[3].second, "change " + kVda);
  EXPECT_EQ(sent_[4].second, "add " + kVda1);
  EXPECT_EQ(bridge_->AwaitingUdevd(), 2u);
  Processed(4);
  Processed(5);
  bridge_->OnReadable();
  EXPECT_TRUE(bridge_->Settled());
}

TEST_F(FollowingUdevdTest, StopFollowingHandlesWhatUdevdLeftAndGoesNative) {
  AddVirtioDisk();
  ASSERT_TRUE(bridge_->Start().ok());
  const int udevd_fd = bridge_->fd();
  Kernel("add", kVda1,
         {"SUBSYSTEM=block", "DEVNAME=vda1", "DEVTYPE=partition", "MAJOR=254", "MINOR=1"});
  bridge_->OnReadable();
  EXPECT_EQ(bridge_->AwaitingUdevd(), 1u);
  bridge_->StopFollowingUdevd();
  EXPECT_FALSE(bridge_->following_udevd());
  EXPECT_EQ(bridge_->AwaitingUdevd(), 0u);
  EXPECT_EQ(bridge_->fd(), bridge_->kernel_fd());
  // vda1's event handled natively: probed, its node made, emitted.
  EXPECT_THAT(prober_.probed(), ElementsAre("/dev/vda1"));
  ASSERT_EQ(emitted_.size(), 1u);
  EXPECT_EQ(EnvGet(emitted_[0].env, "ID_FS_TYPE"), "ext4");
  // Coldplug synthesizes now, loading modules itself.
  ASSERT_TRUE(bridge_->Coldplug().ok());
  EXPECT_THAT(modules_.calls(), Not(IsEmpty()));
  EXPECT_TRUE(bridge_->Quiet());
  // Whatever still reaches udevd's socket is dropped, not left to wake the loop.
  kernel_.InjectUevent(LibudevDatagram({"ACTION=add", "DEVPATH=" + kVda, "SUBSYSTEM=block",
                                        "SEQNUM=9"}),
                       2);
  const size_t emitted = emitted_.size();
  bridge_->OnReadable();
  EXPECT_EQ(emitted_.size(), emitted);
  EXPECT_FALSE(kernel_.RecvDatagram(udevd_fd)->has_value());
}

TEST(EncodeDevnodeNameTest, EscapesLikeUdev) {
  EXPECT_EQ(EncodeDevnodeName("my root/x"), "my\\x20root\\x2fx");
  EXPECT_EQ(EncodeDevnodeName("a\\b"), "a\\x5cb");
  EXPECT_EQ(EncodeDevnodeName("Ok-1.2_x:y=z@#+"), "Ok-1.2_x:y=z@#+");
  EXPECT_EQ(EncodeDevnodeName("caf\xc3\xa9"), "caf\xc3\xa9");  // valid UTF-8 kept
  EXPECT_EQ(EncodeDevnodeName("bad\xc3"), "bad\\xc3");        // truncated sequence
}

}  // namespace
}  // namespace baton::supervisor
