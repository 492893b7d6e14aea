#include "supervisor/stage1/lvm_native.h"

#include <fcntl.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "supervisor/stage1/byte_order.h"
#include "sys/status_macros.h"

namespace baton::stage1 {
namespace {

constexpr size_t kSector = 512;
constexpr char kLabelId[] = "LABELONE";
constexpr char kLabelType[] = "LVM2 001";
constexpr char kMdaMagic[] = " LVM2 x[5A%r0N*>";
constexpr size_t kMdaHeaderSize = 512;
constexpr uint32_t kRawLocnIgnored = 0x1;
// lvm's own metadata areas are 1 MiB by default; a text far larger is damage
// (and would be read into memory whole).
constexpr uint64_t kMaxMetadataText = 16 << 20;

absl::Status Damaged(absl::string_view device, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(device, ": LVM ", what));
}

// One label sector at S of HEAD.
absl::StatusOr<LvmLabel> ParseLabelSector(absl::string_view sector, uint64_t index,
                                          absl::string_view device) {
  LvmLabel label;
  label.sector = index;
  if (LoadLe64(sector, 8) != index) return Damaged(device, "label: sector number does not match");
  if (LvmCrc(kLvmCrcInitial, sector.substr(20)) != LoadLe32(sector, 16)) {
    return Damaged(device, "label: checksum mismatch");
  }
  if (sector.substr(24, 8) != kLabelType) {
    return Damaged(device, absl::StrCat("label: type is not '", kLabelType, "'"));
  }
  size_t at = LoadLe32(sector, 20);
  if (at < 32 || at + 32 + 8 > kSector) return Damaged(device, "label: bad pv_header offset");
  label.pv_uuid = std::string(sector.substr(at, 32));
  for (char c : label.pv_uuid) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      return Damaged(device, "label: malformed PV uuid");
    }
  }
  label.device_size = LoadLe64(sector, at + 32);
  at += 40;
  for (std::vector<LvmDiskArea>* list : {&label.data_areas, &label.metadata_areas}) {
    while (true) {
      if (at + 16 > kSector) return Damaged(device, "label: area list runs off the sector");
      LvmDiskArea area{LoadLe64(sector, at), LoadLe64(sector, at + 8)};
      at += 16;
      if (area.offset == 0) break;
      list->push_back(area);
    }
  }
  return label;
}

// Reads exactly LEN bytes at OFFSET of FD (short only at end of file).
absl::StatusOr<std::string> PReadFully(sys::Kernel& kernel, int fd, uint64_t offset, size_t len,
                                       const std::string& device) {
  std::string out(len, '\0');
  size_t got = 0;
  while (got < len) {
    absl::StatusOr<size_t> n = kernel.PRead(fd, out.data() + got, len - got, offset + got);
    if (!n.ok()) {
      return absl::Status(n.status().code(),
                          absl::StrCat("read ", device, " at ", offset + got, ": ",
                                       n.status().message()));
    }
    if (*n == 0) break;
    got += *n;
  }
  out.resize(got);
  return out;
}

std::string Hyphenate(absl::string_view uuid32) {
  // LVM prints ids as 6-4-4-4-4-4-6.
  static constexpr int kGroups[] = {6, 4, 4, 4, 4, 4, 6};
  std::string out;
  size_t at = 0;
  for (int g : kGroups) {
    if (at >= uuid32.size()) break;
    if (!out.empty()) out.push_back('-');
    absl::StrAppend(&out, uuid32.substr(at, g));
    at += g;
  }
  return out;
}

std::string DoubleDashes(absl::string_view s) {
  std::string out;
  for (char c : s) {
    out.push_back(c);
    if (c == '-') out.push_back('-');
  }
  return out;
}

std::string DevString(dev_t dev) { return absl::StrCat(major(dev), ":", minor(dev)); }

}  // namespace

uint32_t LvmCrc(uint32_t crc, absl::string_view data) {
  static const auto* table = [] {
    auto* t = new uint32_t[256];
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? 0xEDB88320u : 0);
      t[i] = c;
    }
    return t;
  }();
  for (char ch : data) crc = table[(crc ^ static_cast<uint8_t>(ch)) & 0xff] ^ (crc >> 8);
  return crc;
}

absl::StatusOr<LvmLabel> ParseLvmLabel(absl::string_view head, absl::string_view device) {
  for (uint64_t i = 0; i < 4 && (i + 1) * kSector <= head.size(); ++i) {
    absl::string_view sector = head.substr(i * kSector, kSector);
    if (sector.substr(0, 8) == kLabelId) return ParseLabelSector(sector, i, device);
  }
  return absl::NotFoundError(absl::StrCat(device, ": no LVM label in its first 4 sectors"));
}

absl::StatusOr<std::optional<std::string>> ReadLvmMetadataText(const LvmReadAt& read,
                                                               const LvmDiskArea& area,
                                                               absl::string_view device) {
  const std::string where = absl::StrCat("metadata area at ", area.offset);
  ASSIGN_OR_RETURN(std::string header, read(area.offset, kMdaHeaderSize));
  if (header.size() < kMdaHeaderSize) return Damaged(device, where + ": short read");
  if (header.substr(4, 16) != kMdaMagic) return Damaged(device, where + ": bad magic");
  if (LvmCrc(kLvmCrcInitial, absl::string_view(header).substr(4)) != LoadLe32(header, 0)) {
    return Damaged(device, where + ": header checksum mismatch");
  }
  if (LoadLe32(header, 20) != 1) {
    return Damaged(device, absl::StrCat(where, ": version ", LoadLe32(header, 20), " (not 1)"));
  }
  const uint64_t start = LoadLe64(header, 24);
  const uint64_t size = LoadLe64(header, 32);
  if (start != area.offset) return Damaged(device, where + ": header names another start");
  if (size <= kMdaHeaderSize) return Damaged(device, where + ": too small");
  if (area.size != 0 && size != area.size) {
    return Damaged(device, absl::StrCat(where, ": header says ", size, " bytes, the label ",
                                        area.size));
  }
  const uint64_t offset = LoadLe64(header, 40);
  const uint64_t length = LoadLe64(header, 48);
  const uint32_t checksum = LoadLe32(header, 56);
  const uint32_t flags = LoadLe32(header, 60);
  if (offset == 0 || (flags & kRawLocnIgnored) != 0) return std::optional<std::string>();
  if (offset < kMdaHeaderSize || offset >= size || length == 0 ||
      length > size - kMdaHeaderSize) {
    return Damaged(device, absl::StrCat(where, ": metadata location ", offset, "+", length,
                                        " outside the area"));
  }
  if (length > kMaxMetadataText) {
    return Damaged(device, absl::StrCat(where, ": metadata text of ", length,
                                        " bytes (more than ", kMaxMetadataText, ")"));
  }
  // The circular buffer: what runs past the end continues after the header.
  const uint64_t first = std::min(length, size - offset);
  ASSIGN_OR_RETURN(std::string text, read(start + offset, first));
  if (first < length) {
    ASSIGN_OR_RETURN(std::string rest, read(start + kMdaHeaderSize, length - first));
    text += rest;
  }
  if (text.size() != length) return Damaged(device, where + ": metadata text cut short");
  if (LvmCrc(kLvmCrcInitial, text) != checksum) {
    return Damaged(device, where + ": metadata checksum mismatch");
  }
  return std::optional<std::string>(std::move(text));
}

absl::StatusOr<LvmPvRead> ReadLvmPv(sys::Kernel& kernel, const std::string& device) {
  LvmPvRead pv;
  pv.device = device;
  ASSIGN_OR_RETURN(sys::FileInfo info, kernel.Stat(device));
  pv.dev = static_cast<dev_t>(info.rdev);
  ASSIGN_OR_RETURN(sys::UniqueFd fd, kernel.Open(device, O_RDONLY));
  LvmReadAt read = [&](uint64_t offset, size_t len) {
    return PReadFully(kernel, fd.get(), offset, len, device);
  };
  ASSIGN_OR_RETURN(std::string head, read(0, kLvmLabelScanBytes));
  ASSIGN_OR_RETURN(pv.label, ParseLvmLabel(head, device));
  for (const LvmDiskArea& area : pv.label.metadata_areas) {
    ASSIGN_OR_RETURN(std::optional<std::string> text, ReadLvmMetadataText(read, area, device));
    if (!text) continue;
    ASSIGN_OR_RETURN(LvmVg vg, ParseLvmVg(*text, device));
    if (!pv.vg || vg.seqno > pv.vg->seqno) pv.vg = std::move(vg);
  }
  return pv;
}

bool HasMdSuperblockAtEnd(const LvmReadAt& read, uint64_t size) {
  constexpr uint32_t kMdMagic = 0xa92b4efc;
  std::vector<uint64_t> offsets;
  if (size >= 128 * 1024) offsets.push_back((size & ~uint64_t{65535}) - 65536);  // 0.90
  if (size >= 16 * 1024) offsets.push_back(((size / kSector - 16) & ~uint64_t{7}) * kSector);  // 1.0
  for (uint64_t off : offsets) {
    absl::StatusOr<std::string> b = read(off, 4);
    if (b.ok() && b->size() == 4 && LoadLe32(*b, 0) == kMdMagic) return true;
  }
  return false;
}

std::string LvmDmName(absl::string_view vg, absl::string_view lv) {
  return absl::StrCat(DoubleDashes(vg), "-", DoubleDashes(lv));
}

std::string LvmDmUuid(const LvmVg& vg, const LvmLv& lv) {
  return absl::StrCat("LVM-", LvmUuidWithoutDashes(vg.id), LvmUuidWithoutDashes(lv.id));
}

LvmLvPlan PlanLvmLv(const LvmVg& vg, const LvmLv& lv,
                    const std::map<std::string, dev_t>& pv_devs) {
  LvmLvPlan plan;
  if (!lv.visible) {
    plan.outcome = LvmLvPlan::Outcome::kHidden;
    return plan;
  }
  for (const LvmSegment& seg : lv.segments) {
    if (seg.type != "striped") {
      plan.outcome = LvmLvPlan::Outcome::kUnsupported;
      plan.why = seg.type;
      return plan;
    }
  }
  if (lv.segments.empty()) {
    plan.outcome = LvmLvPlan::Outcome::kUnsupported;
    plan.why = "(no segments)";
    return plan;
  }
  plan.device.name = LvmDmName(vg.name, lv.name);
  plan.device.uuid = LvmDmUuid(vg, lv);
  plan.device.read_only = !lv.writable || !vg.writable;
  const uint64_t e = vg.extent_size;
  for (const LvmSegment& seg : lv.segments) {
    std::vector<std::string> areas;
    for (const LvmStripe& stripe : seg.stripes) {
      const LvmPv* pv = vg.FindPv(stripe.pv);  // ParseLvmVg checked it exists
      auto dev = pv_devs.find(LvmUuidWithoutDashes(pv->id));
      if (pv->missing || dev == pv_devs.end()) {
        plan.outcome = LvmLvPlan::Outcome::kMissingPv;
        plan.why = pv->id;
        plan.device = DmDevice();
        return plan;
      }
      areas.push_back(absl::StrCat(DevString(dev->second), " ", pv->pe_start + stripe.start_extent * e));
    }
    sys::DmTarget t;
    t.start = seg.start_extent * e;
    t.length = seg.extent_count * e;
    if (areas.size() == 1) {
      t.type = "linear";
      t.params = areas[0];
    } else {
      t.type = "striped";
      t.params = absl::StrCat(areas.size(), " ", seg.stripe_size, " ", absl::StrJoin(areas, " "));
    }
    plan.device.targets.push_back(std::move(t));
  }
  return plan;
}

// --- activation ---------------------------------------------------------------

namespace {

class NativeActivation {
 public:
  NativeActivation(sys::Kernel& kernel, const std::function<void(const std::string&)>& log,
                   const LvmNativeRequest& request)
      : kernel_(kernel), log_(log), request_(request) {}

  bool Run();

 private:
  std::string SysAttr(const std::string& name, const std::string& attr) {
    absl::StatusOr<std::string> v =
        kernel_.ReadFile(absl::StrCat(request_.sys_class_block, "/", name, "/", attr));
    return v.ok() ? std::string(absl::StripAsciiWhitespace(*v)) : "";
  }
  // The other PVs among the system's block devices.
  void Scan(const std::string& skip_dev);
  bool Wanted(const LvmVg& vg, const LvmLv& lv) const;
  bool ActivateLv(const LvmVg& vg, const LvmLv& lv, const std::map<std::string, dev_t>& devs);

  sys::Kernel& kernel_;
  const std::function<void(const std::string&)>& log_;
  const LvmNativeRequest& request_;
  std::vector<LvmPvRead> others_;
};

void NativeActivation::Scan(const std::string& skip_dev) {
  absl::StatusOr<std::vector<std::string>> names = kernel_.ListDir(request_.sys_class_block);
  if (!names.ok()) {
    log_(absl::StrCat("cannot list block devices: ", names.status().message()));
    return;
  }
  for (const std::string& name : *names) {
    const std::string device = absl::StrCat(request_.dev_dir, "/", name);
    if (device == skip_dev) continue;
    uint64_t sectors = 0;
    if (!absl::SimpleAtoi(SysAttr(name, "size"), &sectors) || sectors == 0) continue;
    if (absl::StartsWith(name, "dm-") && SysAttr(name, "dm/suspended") == "1") continue;
    if (absl::StartsWith(name, "md")) {
      std::string state = SysAttr(name, "md/array_state");
      if (state.empty() || state == "inactive" || state == "clear") continue;
    }
    absl::StatusOr<std::vector<std::string>> holders =
        kernel_.ListDir(absl::StrCat(request_.sys_class_block, "/", name, "/holders"));
    if (holders.ok() && std::any_of(holders->begin(), holders->end(), [](const std::string& h) {
          return absl::StartsWith(h, "md");
        })) {
      continue;  // a RAID member
    }
    absl::StatusOr<sys::FileInfo> st = kernel_.Stat(device);
    if (!st.ok() || st->type != sys::FileInfo::Type::kBlockDevice) continue;
    absl::StatusOr<LvmPvRead> pv = ReadLvmPv(kernel_, device);
    if (!pv.ok()) {
      if (!absl::IsNotFound(pv.status())) log_(std::string(pv.status().message()));
      continue;
    }
    absl::StatusOr<sys::UniqueFd> fd = kernel_.Open(device, O_RDONLY);
    if (fd.ok()) {
      LvmReadAt read = [&](uint64_t offset, size_t len) {
        return PReadFully(kernel_, fd->get(), offset, len, device);
      };
      if (HasMdSuperblockAtEnd(read, sectors * kSector)) {
        log_(absl::StrCat("ignoring the LVM label on ", device, ": an md RAID member"));
        continue;
      }
    }
    others_.push_back(std::move(*pv));
  }
}

bool NativeActivation::Wanted(const LvmVg& vg, const LvmLv& lv) const {
  if (!request_.filtered) return true;
  if (std::find(request_.vgs.begin(), request_.vgs.end(), vg.name) != request_.vgs.end()) {
    return true;
  }
  const std::string full = absl::StrCat(vg.name, "/", lv.name);
  return std::find(request_.lvs.begin(), request_.lvs.end(), full) != request_.lvs.end();
}

bool NativeActivation::ActivateLv(const LvmVg& vg, const LvmLv& lv,
                                  const std::map<std::string, dev_t>& devs) {
  const std::string full = absl::StrCat(vg.name, "/", lv.name);
  LvmLvPlan plan = PlanLvmLv(vg, lv, devs);
  switch (plan.outcome) {
    case LvmLvPlan::Outcome::kHidden:
      return true;
    case LvmLvPlan::Outcome::kUnsupported:
      log_(absl::StrCat("not activating ", full, ": segment type ", plan.why,
                        " needs the lvm tool (an image built with --storage-tools all)"));
      return true;
    case LvmLvPlan::Outcome::kMissingPv:
      log_(absl::StrCat(full, " waits for PV ", plan.why));
      return true;
    case LvmLvPlan::Outcome::kActivate:
      break;
  }
  const std::string& name = plan.device.name;
  absl::StatusOr<std::optional<sys::DmInfo>> existing = kernel_.DmStatus(name);
  if (!existing.ok()) {
    log_(absl::StrCat("cannot activate ", full, ": ", existing.status().message()));
    return false;
  }
  if (existing->has_value()) {
    if ((*existing)->uuid != plan.device.uuid) {
      log_(absl::StrCat("not activating ", full, ": /dev/mapper/", name,
                        " exists and belongs to another device (uuid ", (*existing)->uuid, ")"));
    }
    return true;  // already active, or being made by the run of another PV
  }
  absl::StatusOr<dev_t> dev = ActivateDm(kernel_, plan.device);
  if (!dev.ok()) {
    // Another PV's run may have made it in between.
    absl::StatusOr<std::optional<sys::DmInfo>> now = kernel_.DmStatus(name);
    if (now.ok() && now->has_value() && (*now)->uuid == plan.device.uuid) return true;
    log_(absl::StrCat("cannot activate ", full, ": ", dev.status().message()));
    return false;
  }
  std::vector<std::string> types;
  for (const sys::DmTarget& t : plan.device.targets) types.push_back(t.type);
  log_(absl::StrCat("activated ", full, " as /dev/mapper/", name, " (", DevString(*dev), ", ",
                    absl::StrJoin(types, "+"), plan.device.read_only ? ", read-only" : "", ")"));
  return true;
}

bool NativeActivation::Run() {
  absl::StatusOr<LvmPvRead> self = ReadLvmPv(kernel_, request_.devname);
  if (!self.ok()) {
    log_(absl::StrCat("cannot read the LVM physical volume: ", self.status().message()));
    return false;
  }
  const std::string uuid = self->label.pv_uuid;
  // The VG: this PV's metadata, else (no metadata areas) another PV's that
  // lists it. Other PVs are read only when needed.
  std::optional<LvmVg> vg = self->vg;
  bool scanned = false;
  auto lists = [&](const LvmVg& v, const std::string& pv_uuid) {
    return std::any_of(v.pvs.begin(), v.pvs.end(), [&](const LvmPv& p) {
      return LvmUuidWithoutDashes(p.id) == pv_uuid;
    });
  };
  if (!vg || vg->pvs.size() > 1) {
    Scan(request_.devname);
    scanned = true;
  }
  for (const LvmPvRead& other : others_) {
    if (!other.vg) continue;
    if (vg ? other.vg->id == vg->id && other.vg->seqno > vg->seqno : lists(*other.vg, uuid)) {
      vg = other.vg;
    }
  }
  if (!vg) {
    log_(absl::StrCat("PV ", Hyphenate(uuid), " on ", request_.devname,
                      " holds no metadata and no other PV seen names it; waiting",
                      scanned ? "" : " (not scanned)"));
    return true;
  }
  if (!lists(*vg, uuid)) {
    log_(absl::StrCat(request_.devname, ": PV ", Hyphenate(uuid), " is not in VG ", vg->name,
                      " as its metadata says"));
    return false;
  }
  if (vg->exported || !vg->system_id.empty() || !vg->lock_type.empty()) {
    log_(absl::StrCat("not activating VG ", vg->name, ": it is ",
                      vg->exported ? "exported"
                                   : (!vg->lock_type.empty() ? "shared (lock_type)"
                                                             : "bound to a system_id"),
                      "; that needs the lvm tool"));
    return true;
  }
  std::map<std::string, dev_t> devs;
  for (const LvmPvRead& other : others_) {
    if (lists(*vg, other.label.pv_uuid)) devs.emplace(other.label.pv_uuid, other.dev);
  }
  devs[uuid] = self->dev;
  bool ok = true;
  size_t wanted = 0;
  for (const LvmLv& lv : vg->lvs) {
    if (!Wanted(*vg, lv)) continue;
    ++wanted;
    ok = ActivateLv(*vg, lv, devs) && ok;
  }
  if (wanted == 0) log_(absl::StrCat("no logical volume of VG ", vg->name, " to activate"));
  return ok;
}

}  // namespace

bool ActivateLvmNative(sys::Kernel& kernel, const std::function<void(const std::string&)>& log,
                       const LvmNativeRequest& request) {
  return NativeActivation(kernel, log, request).Run();
}

}  // namespace baton::stage1
