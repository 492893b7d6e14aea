// Golden PV headers in testdata/lvm/, made on loop devices with Debian 12's
// LVM2 2.03.16 (activation disabled: `--config global{activation=0}`):
//
//   pvcreate loop0 loop1; vgcreate -s 1M vg0 loop0 loop1
//   lvcreate -n root -L 10M vg0 loop0; lvextend -L +3M vg0/root loop1
//   lvcreate -n str--ipe -i 2 -I 64k -L 8M vg0
//   lvcreate -pr -n ro -L 2M vg0; lvcreate -n hid -L 2M vg0
//   pvcreate --metadatacopies 0 loop3; vgextend vg0 loop3
//   lvcreate -n on-nometa -L 4M vg0 loop3
//   pvcreate --config 'devices{data_alignment=64}' --metadatasize 16k loop2
//   vgcreate -s 1M vgw loop2; lvcreate -n lv-a -L 3M; lvcreate -n lvb -L 2M
//   vgchange --addtag tN vgw, 66 times, until the text wraps around the end
//   of the 60 KiB metadata area
//
// Each file is the start of the device up to the end of its current
// metadata text (the whole area for the wrapped one). What lvm reported
// (`lvs --segments --units s -o seg_start,seg_size,stripes,stripe_size,
// seg_pe_ranges`, `pvs -o pe_start`), which the expected tables follow:
//   vg0 pe_start 2048S on every PV, extent 2048S
//   root      0S 20480S linear loop0:0-9;  20480S 6144S linear loop1:4-6
//   str--ipe  0S 16384S striped 2 × 128S loop0:10-13 loop1:0-3
//   ro (-ri)  0S 4096S linear loop0:14-15;   hid 0S 4096S linear loop0:16-17
//   on-nometa 0S 8192S linear loop3:0-3
//   vgw pe_start 128S: lv-a 0S 6144S loop2:0-2; lvb 0S 4096S loop2:3-4
#include "supervisor/stage1/lvm_native.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"
#include "tests/runfiles.h"

namespace baton::stage1 {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::string TestData(const std::string& name) {
  std::string data = baton::runfiles::ReadRunfile("supervisor/stage1/testdata/lvm/" + name);
  EXPECT_FALSE(data.empty()) << name;
  return data;
}

uint64_t Le64(const std::string& b, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return v;
}

void PutLe32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void PutLe64(std::string& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

LvmReadAt ReaderOf(const std::string& bytes) {
  return [&bytes](uint64_t offset, size_t len) -> absl::StatusOr<std::string> {
    if (offset >= bytes.size()) return std::string();
    return bytes.substr(offset, len);
  };
}

// The PV image BASE (one metadata area at 4096, not wrapped) with its
// metadata text replaced by TEXT, checksums recomputed as lvm would.
std::string WithMetadata(std::string base, const std::string& text) {
  const size_t header = 4096;
  const uint64_t offset = Le64(base, header + 40);
  base.resize(header + offset);
  base += text;
  PutLe64(base, header + 48, text.size());
  PutLe32(base, header + 56, LvmCrc(kLvmCrcInitial, text));
  PutLe32(base, header, LvmCrc(kLvmCrcInitial, absl::string_view(base).substr(header + 4, 508)));
  return base;
}

std::string MetadataOf(const std::string& image) {
  absl::StatusOr<std::optional<std::string>> text =
      ReadLvmMetadataText(ReaderOf(image), {4096, Le64(image, 4096 + 32)}, "x");
  EXPECT_TRUE(text.ok() && text->has_value());
  return text.ok() && text->has_value() ? **text : "";
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// --- label and metadata area ------------------------------------------------------

TEST(LvmLabelTest, ParsesTheGoldenLabel) {
  const std::string pv0 = TestData("vg0_pv0.bin");
  absl::StatusOr<LvmLabel> label = ParseLvmLabel(pv0, "/dev/loop0");
  ASSERT_TRUE(label.ok()) << label.status();
  EXPECT_EQ(label->sector, 1u);
  EXPECT_EQ(label->pv_uuid, "dQu5CT2JFHGFUyL54dVZQ5QEfmGRA4Pq");
  EXPECT_EQ(label->device_size, 64u << 20);
  ASSERT_EQ(label->data_areas.size(), 1u);
  EXPECT_EQ(label->data_areas[0].offset, 1u << 20);
  ASSERT_EQ(label->metadata_areas.size(), 1u);
  EXPECT_EQ(label->metadata_areas[0].offset, 4096u);
  EXPECT_EQ(label->metadata_areas[0].size, 1044480u);

  absl::StatusOr<LvmLabel> nometa = ParseLvmLabel(TestData("vg0_pv2_nometa.bin"), "/dev/loop3");
  ASSERT_TRUE(nometa.ok()) << nometa.status();
  EXPECT_EQ(nometa->pv_uuid, "k7rdfMj8TGqYiBBmLkzoKWDUzoEyVIi0");
  EXPECT_THAT(nometa->metadata_areas, IsEmpty());
}

TEST(LvmLabelTest, DamageIsNamed) {
  std::string pv0 = TestData("vg0_pv0.bin");
  EXPECT_TRUE(absl::IsNotFound(ParseLvmLabel(std::string(2048, '\0'), "/dev/sdb").status()));
  std::string flipped = pv0;
  flipped[512 + 40] ^= 1;  // inside the PV uuid
  EXPECT_EQ(ParseLvmLabel(flipped, "/dev/sdb").status().message(),
            "/dev/sdb: LVM label: checksum mismatch");
  std::string moved = pv0;
  moved[512 + 8] = 2;  // sector_xl no longer 1
  EXPECT_THAT(ParseLvmLabel(moved, "/dev/sdb").status().message(),
              HasSubstr("sector number does not match"));
}

TEST(LvmCrcTest, IsLvmsCalcCrc) {
  EXPECT_EQ(LvmCrc(kLvmCrcInitial, ""), kLvmCrcInitial);
  // The label sector's stored crc_xl, as pvcreate wrote it.
  const std::string pv0 = TestData("vg0_pv0.bin");
  EXPECT_EQ(LvmCrc(kLvmCrcInitial, absl::string_view(pv0).substr(512 + 20, 492)), 0x3048cf7fu);
  // Chained: the crc of a text in two parts is the crc of the whole.
  EXPECT_EQ(LvmCrc(LvmCrc(kLvmCrcInitial, "abc"), "def"), LvmCrc(kLvmCrcInitial, "abcdef"));
}

TEST(LvmMetadataAreaTest, ReadsTheGoldenText) {
  const std::string pv0 = TestData("vg0_pv0.bin");
  absl::StatusOr<std::optional<std::string>> text =
      ReadLvmMetadataText(ReaderOf(pv0), {4096, 1044480}, "/dev/loop0");
  ASSERT_TRUE(text.ok()) << text.status();
  ASSERT_TRUE(text->has_value());
  EXPECT_THAT(**text, HasSubstr("vg0 {\nid = \"VcIyJE-v0uV-C3gz-2gFl-8BUV-vKT7-yPg1oH\""));
  absl::StatusOr<LvmVg> vg = ParseLvmVg(**text, "/dev/loop0");
  ASSERT_TRUE(vg.ok()) << vg.status();
  EXPECT_EQ(vg->seqno, 10u);
  EXPECT_EQ(vg->pvs.size(), 3u);
  EXPECT_EQ(vg->lvs.size(), 5u);
}

TEST(LvmMetadataAreaTest, ReadsTextThatWrapsAroundTheArea) {
  const std::string img = TestData("vgw_wrapped.bin");
  const uint64_t area = Le64(img, 4096 + 32), offset = Le64(img, 4096 + 40),
                 size = Le64(img, 4096 + 48);
  ASSERT_EQ(area, 61440u);
  ASSERT_GT(offset + size, area) << "the golden file must wrap";
  absl::StatusOr<std::optional<std::string>> text =
      ReadLvmMetadataText(ReaderOf(img), {4096, area}, "/dev/loop2");
  ASSERT_TRUE(text.ok()) << text.status();
  ASSERT_TRUE(text->has_value());
  EXPECT_EQ((*text)->size(), size);
  absl::StatusOr<LvmVg> vg = ParseLvmVg(**text, "/dev/loop2");
  ASSERT_TRUE(vg.ok()) << vg.status();
  EXPECT_EQ(vg->name, "vgw");
  ASSERT_EQ(vg->lvs.size(), 2u);
  EXPECT_EQ(vg->lvs[1].name, "lvb");

  // A flipped byte in the wrapped part (just after the area header).
  std::string damaged = img;
  damaged[4096 + 512 + 5] ^= 0x20;
  EXPECT_EQ(ReadLvmMetadataText(ReaderOf(damaged), {4096, area}, "/dev/loop2").status().message(),
            "/dev/loop2: LVM metadata area at 4096: metadata checksum mismatch");
}

TEST(LvmMetadataAreaTest, HeaderChecksAndIgnoredCopies) {
  const std::string pv0 = TestData("vg0_pv0.bin");
  std::string bad = pv0;
  bad[4096 + 30] ^= 1;
  EXPECT_THAT(ReadLvmMetadataText(ReaderOf(bad), {4096, 1044480}, "d").status().message(),
              HasSubstr("header checksum mismatch"));
  EXPECT_THAT(ReadLvmMetadataText(ReaderOf(pv0), {8192, 1044480}, "d").status().message(),
              HasSubstr("bad magic"));
  EXPECT_THAT(ReadLvmMetadataText(ReaderOf(pv0), {4096, 4096}, "d").status().message(),
              HasSubstr("header says 1044480 bytes, the label 4096"));
  // A location past the area, checksummed as if lvm had written it.
  std::string far = pv0;
  PutLe64(far, 4096 + 40, 1044480);
  PutLe32(far, 4096, LvmCrc(kLvmCrcInitial, absl::string_view(far).substr(4096 + 4, 508)));
  EXPECT_THAT(ReadLvmMetadataText(ReaderOf(far), {4096, 1044480}, "d").status().message(),
              HasSubstr("outside the area"));
  std::string ignored = pv0;
  PutLe32(ignored, 4096 + 60, 1);
  PutLe32(ignored, 4096,
          LvmCrc(kLvmCrcInitial, absl::string_view(ignored).substr(4096 + 4, 508)));
  absl::StatusOr<std::optional<std::string>> none =
      ReadLvmMetadataText(ReaderOf(ignored), {4096, 1044480}, "d");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
}

// Damaged text that still checksums (WithMetadata recomputes the crcs) reaches the
// parser and the planner: every mutation ends in a value or an error, never a crash
// (run under --config=asan too).
TEST(LvmMetadataAreaTest, MutatedTextNeverCrashes) {
  const std::string pv0 = TestData("vg0_pv0.bin");
  const std::string text = MetadataOf(pv0);
  std::mt19937 rng(42);
  const std::string alphabet = "{}[]=,\"#\n -0123456789azpv_";
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string t = text;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % t.size();
      switch (rng() % 3) {
        case 0: t[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: t.erase(at, 1 + rng() % 8); break;
        default: t.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
      }
      if (t.empty()) t = "x";
    }
    std::string image = WithMetadata(pv0, t);
    absl::StatusOr<std::optional<std::string>> read =
        ReadLvmMetadataText(ReaderOf(image), {4096, 1044480}, "d");
    ASSERT_TRUE(read.ok() && read->has_value()) << read.status();
    absl::StatusOr<LvmVg> vg = ParseLvmVg(**read, "d");
    if (!vg.ok()) {
      EXPECT_THAT(vg.status().message(), HasSubstr("d: LVM metadata"));
      continue;
    }
    ++parsed;
    for (const LvmLv& lv : vg->lvs) (void)PlanLvmLv(*vg, lv, {});
  }
  EXPECT_GT(parsed, 0);  // some edits (in comments, values) still parse
}

// --- tables ------------------------------------------------------------------------

std::map<std::string, dev_t> Vg0Devs() {
  return {{"dQu5CT2JFHGFUyL54dVZQ5QEfmGRA4Pq", makedev(8, 16)},
          {"m2JL8MQQQv6zjVkepuh2mXFRcvpjlDd5", makedev(8, 32)},
          {"k7rdfMj8TGqYiBBmLkzoKWDUzoEyVIi0", makedev(8, 48)}};
}

std::string Table(const LvmLvPlan& plan) { return sys::FakeKernel::DmTableText(plan.device.targets); }

TEST(LvmPlanTest, GoldenVgTables) {
  absl::StatusOr<LvmVg> vg = ParseLvmVg(MetadataOf(TestData("vg0_pv0.bin")), "/dev/loop0");
  ASSERT_TRUE(vg.ok()) << vg.status();
  std::map<std::string, LvmLvPlan> plans;
  for (const LvmLv& lv : vg->lvs) plans[lv.name] = PlanLvmLv(*vg, lv, Vg0Devs());

  const LvmLvPlan& root = plans["root"];
  ASSERT_EQ(root.outcome, LvmLvPlan::Outcome::kActivate);
  EXPECT_EQ(root.device.name, "vg0-root");
  EXPECT_EQ(root.device.uuid,
            "LVM-VcIyJEv0uVC3gz2gFl8BUVvKT7yPg1oHGCWRxLKTzzb8gyrqyIe5Y23sYaOATgdp");
  EXPECT_FALSE(root.device.read_only);
  EXPECT_EQ(Table(root), "0 20480 linear 8:16 2048\n20480 6144 linear 8:32 10240\n");

  const LvmLvPlan& striped = plans["str--ipe"];
  EXPECT_EQ(striped.device.name, "vg0-str----ipe");
  EXPECT_EQ(Table(striped), "0 16384 striped 2 128 8:16 22528 8:32 2048\n");

  EXPECT_EQ(Table(plans["ro"]), "0 4096 linear 8:16 30720\n");
  EXPECT_TRUE(plans["ro"].device.read_only);
  EXPECT_EQ(Table(plans["hid"]), "0 4096 linear 8:16 34816\n");
  EXPECT_EQ(plans["on-nometa"].device.name, "vg0-on--nometa");
  EXPECT_EQ(Table(plans["on-nometa"]), "0 8192 linear 8:48 2048\n");
}

TEST(LvmPlanTest, WrappedVgTables) {
  absl::StatusOr<LvmVg> vg = ParseLvmVg(
      **ReadLvmMetadataText(ReaderOf(TestData("vgw_wrapped.bin")), {4096, 61440}, "d"), "d");
  ASSERT_TRUE(vg.ok()) << vg.status();
  std::map<std::string, dev_t> devs = {{"zznyVAoP5MshdD12i7b3RmNTDaZT37M9", makedev(252, 5)}};
  EXPECT_EQ(Table(PlanLvmLv(*vg, vg->lvs[0], devs)), "0 6144 linear 252:5 128\n");
  EXPECT_EQ(PlanLvmLv(*vg, vg->lvs[0], devs).device.name, "vgw-lv--a");
  EXPECT_EQ(Table(PlanLvmLv(*vg, vg->lvs[1], devs)), "0 4096 linear 252:5 6272\n");
}

TEST(LvmPlanTest, MissingHiddenAndUnsupported) {
  const std::string text = MetadataOf(TestData("vg0_pv0.bin"));
  absl::StatusOr<LvmVg> vg = ParseLvmVg(text, "d");
  ASSERT_TRUE(vg.ok());
  std::map<std::string, dev_t> only_pv0 = {{"dQu5CT2JFHGFUyL54dVZQ5QEfmGRA4Pq", makedev(8, 16)}};
  LvmLvPlan root = PlanLvmLv(*vg, vg->lvs[0], only_pv0);
  EXPECT_EQ(root.outcome, LvmLvPlan::Outcome::kMissingPv);
  EXPECT_EQ(root.why, "m2JL8M-QQQv-6zjV-kepu-h2mX-FRcv-pjlDd5");
  EXPECT_THAT(root.device.targets, IsEmpty());

  absl::StatusOr<LvmVg> edited = ParseLvmVg(
      Replace(Replace(text, "status = [\"READ\", \"WRITE\", \"VISIBLE\"]",
                      "status = [\"READ\", \"WRITE\"]"),
              "type = \"striped\"\nstripe_count = 2", "type = \"raid0\"\nstripe_count = 2"),
      "d");
  ASSERT_TRUE(edited.ok()) << edited.status();
  EXPECT_EQ(PlanLvmLv(*edited, edited->lvs[0], Vg0Devs()).outcome, LvmLvPlan::Outcome::kHidden);
  LvmLvPlan raid = PlanLvmLv(*edited, edited->lvs[1], Vg0Devs());
  EXPECT_EQ(raid.outcome, LvmLvPlan::Outcome::kUnsupported);
  EXPECT_EQ(raid.why, "raid0");
}

TEST(LvmPlanTest, DmNames) {
  EXPECT_EQ(LvmDmName("vg-a", "lv-b"), "vg--a-lv--b");
  EXPECT_EQ(LvmDmName("vg0", "root"), "vg0-root");
}

// --- activation against FakeKernel ------------------------------------------------------

class LvmActivateTest : public ::testing::Test {
 protected:
  // A disk KNAME (8:MINOR) holding BYTES, listed in /sys/class/block.
  void AddDisk(const std::string& kname, unsigned minor, const std::string& bytes,
               uint64_t sectors = 131072) {
    const std::string dev = "/dev/" + kname;
    ASSERT_TRUE(kernel_.MkdirAll("/dev").ok());
    ASSERT_TRUE(kernel_.Mknod(dev, S_IFBLK | 0600, makedev(8, minor)).ok());
    ASSERT_TRUE(kernel_.WriteFile(dev, bytes).ok());
    const std::string sys = "/sys/class/block/" + kname;
    ASSERT_TRUE(kernel_.MkdirAll(sys + "/holders").ok());
    ASSERT_TRUE(kernel_.WriteFile(sys + "/size", absl::StrCat(sectors, "\n")).ok());
  }

  bool Run(const std::string& devname, LvmNativeRequest request = {}) {
    request.devname = devname;
    kernel_.ClearCalls();
    return ActivateLvmNative(
        kernel_, [this](const std::string& line) { log_.push_back(line); }, request);
  }

  std::map<std::string, std::string> Tables() const {
    std::map<std::string, std::string> out;
    for (const auto& [name, rec] : kernel_.dm_devices()) {
      out[name] = sys::FakeKernel::DmTableText(rec.table);
    }
    return out;
  }

  std::vector<std::string> Creates() const {
    std::vector<std::string> out;
    for (const std::string& c : kernel_.calls()) {
      if (absl::StartsWith(c, "dm_create ")) out.push_back(c.substr(10, c.find(' ', 10) - 10));
    }
    return out;
  }

  sys::FakeKernel kernel_;
  std::vector<std::string> log_;
};

TEST_F(LvmActivateTest, AllPvsPresentActivatesEveryLv) {
  AddDisk("sdb", 16, TestData("vg0_pv0.bin"));
  AddDisk("sdc", 32, TestData("vg0_pv1.bin"));
  AddDisk("sdd", 48, TestData("vg0_pv2_nometa.bin"));
  AddDisk("sda", 0, std::string(4096, 'x'));  // not a PV
  ASSERT_TRUE(Run("/dev/sdb")) << ::testing::PrintToString(log_);
  EXPECT_EQ(Tables(), (std::map<std::string, std::string>{
                          {"vg0-root", "0 20480 linear 8:16 2048\n20480 6144 linear 8:32 10240\n"},
                          {"vg0-str----ipe", "0 16384 striped 2 128 8:16 22528 8:32 2048\n"},
                          {"vg0-ro", "0 4096 linear 8:16 30720\n"},
                          {"vg0-hid", "0 4096 linear 8:16 34816\n"},
                          {"vg0-on--nometa", "0 8192 linear 8:48 2048\n"}}));
  EXPECT_TRUE(kernel_.dm_devices().at("vg0-ro").read_only);
  EXPECT_FALSE(kernel_.dm_devices().at("vg0-root").read_only);
  EXPECT_EQ(kernel_.dm_devices().at("vg0-root").uuid,
            "LVM-VcIyJEv0uVC3gz2gFl8BUVvKT7yPg1oHGCWRxLKTzzb8gyrqyIe5Y23sYaOATgdp");
  EXPECT_THAT(log_, Contains("activated vg0/root as /dev/mapper/vg0-root (253:0, linear+linear)"));
  EXPECT_THAT(log_, Contains("activated vg0/ro as /dev/mapper/vg0-ro (253:2, linear, read-only)"));

  // Idempotent: the next PV's run makes nothing again.
  ASSERT_TRUE(Run("/dev/sdc"));
  EXPECT_THAT(Creates(), IsEmpty());
  EXPECT_EQ(kernel_.dm_devices().size(), 5u);
}

TEST_F(LvmActivateTest, PvsArrivingOneByOne) {
  AddDisk("sdb", 16, TestData("vg0_pv0.bin"));
  ASSERT_TRUE(Run("/dev/sdb")) << ::testing::PrintToString(log_);
  EXPECT_THAT(Creates(), ElementsAre("vg0-ro", "vg0-hid"));
  EXPECT_THAT(log_, Contains("vg0/root waits for PV m2JL8M-QQQv-6zjV-kepu-h2mX-FRcv-pjlDd5"));

  AddDisk("sdd", 48, TestData("vg0_pv2_nometa.bin"));
  log_.clear();
  ASSERT_TRUE(Run("/dev/sdd")) << ::testing::PrintToString(log_);  // VG from sdb's metadata
  EXPECT_THAT(Creates(), ElementsAre("vg0-on--nometa"));

  AddDisk("sdc", 32, TestData("vg0_pv1.bin"));
  ASSERT_TRUE(Run("/dev/sdc"));
  EXPECT_THAT(Creates(), ElementsAre("vg0-root", "vg0-str----ipe"));
  EXPECT_EQ(kernel_.dm_devices().size(), 5u);
}

TEST_F(LvmActivateTest, PvWithoutMetadataAloneWaits) {
  AddDisk("sdd", 48, TestData("vg0_pv2_nometa.bin"));
  ASSERT_TRUE(Run("/dev/sdd"));
  EXPECT_TRUE(kernel_.dm_devices().empty());
  EXPECT_THAT(log_, ElementsAre(HasSubstr("holds no metadata and no other PV seen names it")));
}

TEST_F(LvmActivateTest, FiltersFromTheCommandLine) {
  AddDisk("sdb", 16, TestData("vg0_pv0.bin"));
  AddDisk("sdc", 32, TestData("vg0_pv1.bin"));
  LvmNativeRequest request;
  request.filtered = true;
  request.lvs = {"vg0/root", "vg1/root"};
  ASSERT_TRUE(Run("/dev/sdb", request));
  EXPECT_THAT(Creates(), ElementsAre("vg0-root"));
  request.lvs.clear();
  request.vgs = {"other"};
  ASSERT_TRUE(Run("/dev/sdb", request));
  EXPECT_THAT(Creates(), IsEmpty());
  EXPECT_THAT(log_, Contains("no logical volume of VG vg0 to activate"));
}

TEST_F(LvmActivateTest, RaidMembersAreNotTakenForPvs) {
  AddDisk("sdb", 16, TestData("vg0_pv0.bin"));
  // A RAID1 member (metadata 1.0, superblock at the end) whose array holds
  // pv1: the member shows pv1's label at its start too.
  const uint64_t sectors = 131072;
  std::string member = TestData("vg0_pv1.bin");
  member.resize(sectors * 512, '\0');
  const uint64_t sb = ((sectors - 16) & ~uint64_t{7}) * 512;
  PutLe32(member, sb, 0xa92b4efc);
  AddDisk("sdc", 32, member, sectors);
  // Another member, already claimed by md127: skipped by its holder.
  AddDisk("sde", 64, TestData("vg0_pv1.bin"));
  ASSERT_TRUE(kernel_.MkdirAll("/sys/class/block/sde/holders/md127").ok());
  ASSERT_TRUE(Run("/dev/sdb"));
  EXPECT_THAT(Creates(), ElementsAre("vg0-ro", "vg0-hid"));
  EXPECT_THAT(log_, Contains("ignoring the LVM label on /dev/sdc: an md RAID member"));
}

TEST_F(LvmActivateTest, UnsupportedSegmentsAndForeignNames) {
  const std::string pv0 = TestData("vg0_pv0.bin");
  std::string text = MetadataOf(pv0);
  text = Replace(text, "type = \"striped\"\nstripe_count = 2", "type = \"raid0\"\nstripe_count = 2");
  AddDisk("sdb", 16, WithMetadata(pv0, text));
  AddDisk("sdc", 32, TestData("vg0_pv1.bin"));  // an older seqno (10 vs 10): sdb's text is used
  kernel_.AddDmDevice("vg0-hid", "CRYPT-LUKS2-xyz-vg0-hid", {{0, 8, "zero", ""}});
  ASSERT_TRUE(Run("/dev/sdb")) << ::testing::PrintToString(log_);
  EXPECT_THAT(Creates(), UnorderedElementsAre("vg0-root", "vg0-ro"));
  EXPECT_THAT(log_, Contains("not activating vg0/str--ipe: segment type raid0 needs the lvm tool "
                             "(an image built with --storage-tools all)"));
  EXPECT_THAT(log_, Contains(HasSubstr("not activating vg0/hid: /dev/mapper/vg0-hid exists and "
                                       "belongs to another device")));
  EXPECT_EQ(kernel_.dm_devices().at("vg0-hid").uuid, "CRYPT-LUKS2-xyz-vg0-hid");
}

TEST_F(LvmActivateTest, NewestMetadataWins) {
  const std::string pv0 = TestData("vg0_pv0.bin");
  std::string text = MetadataOf(pv0);
  // A newer copy on sdc (seqno 11) in which root lost its second segment.
  std::string newer = Replace(Replace(text, "seqno = 10", "seqno = 11"),
                              "segment_count = 2", "segment_count = 1");
  newer = Replace(newer, "segment2 {\nstart_extent = 10\nextent_count = 3\n\ntype = \"striped\"\n"
                         "stripe_count = 1\n\nstripes = [\n\"pv1\", 4\n]\n}\n", "");
  AddDisk("sdb", 16, pv0);
  AddDisk("sdc", 32, WithMetadata(TestData("vg0_pv1.bin"), newer));
  ASSERT_TRUE(Run("/dev/sdb")) << ::testing::PrintToString(log_);
  EXPECT_EQ(Tables().at("vg0-root"), "0 20480 linear 8:16 2048\n");
}

TEST_F(LvmActivateTest, FailuresAreReportedAndCleanedUp) {
  AddDisk("sdb", 16, TestData("vg0_pv0.bin"));
  kernel_.FailNextOn("dm_load", "vg0-ro", EINVAL);
  EXPECT_FALSE(Run("/dev/sdb"));
  EXPECT_EQ(kernel_.dm_devices().count("vg0-ro"), 0u);
  EXPECT_EQ(kernel_.dm_devices().count("vg0-hid"), 1u);  // the others still made
  EXPECT_THAT(log_, Contains(HasSubstr("cannot activate vg0/ro: dm_load vg0-ro linear ro")));

  std::string damaged = TestData("vg0_pv0.bin");
  damaged[4096 + 19456 + 100] ^= 1;
  AddDisk("sdf", 80, damaged);
  log_.clear();
  EXPECT_FALSE(Run("/dev/sdf"));
  EXPECT_THAT(log_, ElementsAre("cannot read the LVM physical volume: /dev/sdf: LVM metadata "
                                "area at 4096: metadata checksum mismatch"));
  log_.clear();
  EXPECT_FALSE(Run("/dev/nosuch"));
  EXPECT_THAT(log_, ElementsAre(HasSubstr("/dev/nosuch")));
}

TEST_F(LvmActivateTest, ExportedVgIsLeftToLvm) {
  const std::string pv0 = TestData("vg0_pv0.bin");
  std::string text = Replace(MetadataOf(pv0), "status = [\"RESIZEABLE\", \"READ\", \"WRITE\"]",
                             "status = [\"RESIZEABLE\", \"READ\", \"WRITE\", \"EXPORTED\"]");
  AddDisk("sdb", 16, WithMetadata(pv0, text));
  ASSERT_TRUE(Run("/dev/sdb"));
  EXPECT_TRUE(kernel_.dm_devices().empty());
  EXPECT_THAT(log_, Contains("not activating VG vg0: it is exported; that needs the lvm tool"));
}

}  // namespace
}  // namespace baton::stage1
