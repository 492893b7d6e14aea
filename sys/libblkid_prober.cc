#include "sys/libblkid_prober.h"

#include <blkid/blkid.h>
#include <sys/stat.h>

#include <cerrno>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sys/status_macros.h"

namespace baton::sys {
namespace {

std::string Encoded(const std::string& value) {
  std::vector<char> out(4 * value.size() + 1);
  if (blkid_encode_string(value.c_str(), out.data(), out.size()) != 0) return value;
  return out.data();
}

std::string Safe(const std::string& value) {
  std::vector<char> out(value.size() + 1);
  if (blkid_safe_string(value.c_str(), out.data(), out.size()) != 0) return value;
  return out.data();
}

// One libblkid result in udev's names (udev's builtin-blkid print_property).
void AddProperty(const std::string& name, const std::string& value, BlockProperties& props) {
  if (name == "TYPE") {
    props["ID_FS_TYPE"] = value;
  } else if (name == "USAGE") {
    props["ID_FS_USAGE"] = value;
  } else if (name == "VERSION") {
    props["ID_FS_VERSION"] = value;
  } else if (name == "UUID") {
    props["ID_FS_UUID"] = Safe(value);
    props["ID_FS_UUID_ENC"] = Encoded(value);
  } else if (name == "UUID_SUB") {
    props["ID_FS_UUID_SUB"] = Safe(value);
    props["ID_FS_UUID_SUB_ENC"] = Encoded(value);
  } else if (name == "LABEL") {
    props["ID_FS_LABEL"] = Safe(value);
    props["ID_FS_LABEL_ENC"] = Encoded(value);
  } else if (name == "PTTYPE") {
    props["ID_PART_TABLE_TYPE"] = value;
  } else if (name == "PTUUID") {
    props["ID_PART_TABLE_UUID"] = value;
  } else if (name == "PART_ENTRY_NAME" || name == "PART_ENTRY_TYPE") {
    props["ID_" + name] = Encoded(value);
  } else if (absl::StartsWith(name, "PART_ENTRY_")) {
    props["ID_" + name] = value;
  } else if (name == "SYSTEM_ID" || name == "PUBLISHER_ID" || name == "APPLICATION_ID" ||
             name == "BOOT_SYSTEM_ID") {
    props["ID_FS_" + name] = Encoded(value);
  }
}

}  // namespace

std::string MdadmUuid(const std::string& uuid) {
  std::string hex;
  for (char c : uuid) {
    if (c == '-' || c == ':') continue;
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return "";
    hex.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 32) return "";
  return absl::StrCat(hex.substr(0, 8), ":", hex.substr(8, 8), ":", hex.substr(16, 8), ":",
                      hex.substr(24, 8));
}

absl::StatusOr<BlockProperties> LibblkidProber::Probe(const std::string& devnode) {
  errno = 0;
  blkid_probe pr = blkid_new_probe_from_filename(devnode.c_str());
  if (pr == nullptr) {
    return ErrnoStatus(errno != 0 ? errno : EIO, absl::StrCat("blkid probe ", devnode));
  }
  absl::Cleanup free_probe = [pr] { blkid_free_probe(pr); };

  blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
                                            BLKID_SUBLKS_TYPE | BLKID_SUBLKS_SECTYPE |
                                            BLKID_SUBLKS_USAGE | BLKID_SUBLKS_VERSION);
  blkid_probe_enable_partitions(pr, 1);

  // A small partitioned whole disk (a floppy image) is not a filesystem.
  bool done = false;
  struct stat st;
  if (fstat(blkid_probe_get_fd(pr), &st) == 0 && !S_ISCHR(st.st_mode) &&
      blkid_probe_get_size(pr) <= 1024 * 1440 && blkid_probe_is_wholedisk(pr)) {
    blkid_probe_enable_superblocks(pr, 0);
    int rc = blkid_do_fullprobe(pr);
    if (rc < 0) return ErrnoStatus(EIO, absl::StrCat("blkid probe ", devnode));
    done = blkid_probe_lookup_value(pr, "PTTYPE", nullptr, nullptr) == 0;
  }
  if (!done) {
    blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
    blkid_probe_enable_superblocks(pr, 1);
    int rc = blkid_do_safeprobe(pr);
    // 1: nothing found; -2: ambiguous (several signatures). Neither is an
    // I/O error; udev too reports no properties then.
    if (rc == -1) return ErrnoStatus(errno != 0 ? errno : EIO, absl::StrCat("blkid probe ", devnode));
  }

  BlockProperties props;
  int n = blkid_probe_numof_values(pr);
  for (int i = 0; i < n; ++i) {
    const char* name = nullptr;
    const char* data = nullptr;
    size_t len = 0;
    if (blkid_probe_get_value(pr, i, &name, &data, &len) != 0 || name == nullptr) continue;
    AddProperty(name, data != nullptr ? std::string(data) : std::string(), props);
  }
  if (auto t = props.find("ID_FS_TYPE");
      t != props.end() && t->second == "linux_raid_member") {
    if (std::string md = MdadmUuid(props["ID_FS_UUID"]); !md.empty()) props["MD_UUID"] = md;
  }
  return props;
}

}  // namespace baton::sys
