// Assembling and writing an initramfs image: what goes in (CollectFiles),
// how it becomes a cpio archive (ToCpioEntries), and the whole build with
// compression and an atomic write (BuildImage).
//
// Contents:
//   /init                 the supervisor (--init), with its libraries
//   /sbin/initctl         a link to /init (baton's initctl personality), or
//                         the --initctl binary
//   /etc/baton/jobs/*.conf  job files with stage initramfs|both from --jobs
//                         dirs; any diagnostic aborts the build
//   busybox               the rescue shell
//   mdadm, cryptsetup, lvm, blkid, e2fsck, fsck.ext4: in --generic all are
//                         required; host-only takes what the host's stack
//                         needs (host_config.h) (blkid: busybox's); lvm and
//                         cryptsetup not with --storage-tools native, and
//                         with auto (the default) only when the stack needs
//                         them (storage_tools.h)
//   links for every busybox applet (busybox.h), unless the name is taken
//   /etc/fstab, crypttab, mdadm/mdadm.conf, crypttab key files (mode 0600)
//   /etc/lvm/lvm.conf     a stage-1 one with udev off when lvm is in and
//                         there is no udevd; the host's with --with-udevd
//   /lib/modules/VER/…    modules.h: host devices (kHostDeviceDirs) and the
//                         root stack, or the --generic lists; --extra-module
//   systemd-udevd, udevadm, boot rules and their helpers: --with-udevd only
//   /dev/console (c 5 1), /dev/null (c 1 3), /proc, /sys, /run, /root, /tmp
//   --include HOST[:IMAGE] files or directories
// Host files are read under --sysroot (except --include, --init, --initctl
// and --jobs paths, which are the caller's own).
#ifndef BATON_TOOLS_MKINITRAMFS_IMAGE_H_
#define BATON_TOOLS_MKINITRAMFS_IMAGE_H_

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/mkinitramfs/compress.h"
#include "tools/mkinitramfs/cpio.h"
#include "tools/mkinitramfs/file_set.h"
#include "sys/kernel.h"

namespace baton::mkinitramfs {

// Which storage tools a host-only image carries (--storage-tools).
enum class StorageTools {
  kAuto,    // lvm / cryptsetup only when the stack needs more than baton's
            // native activation handles (storage_tools.h)
  kAll,     // mdadm, cryptsetup, lvm as the root stack needs them
  kNative,  // no lvm, no cryptsetup: baton activates LVs and unlocks LUKS
            // itself; mdadm stays
};

absl::StatusOr<StorageTools> ParseStorageTools(absl::string_view name);

struct ImageOptions {
  std::string output;
  std::string kver;         // default: basename of modules_dir, else uname -r
  std::string modules_dir;  // default: SYSROOT/lib/modules/KVER
  bool generic = false;
  bool with_udevd = false;
  StorageTools storage_tools = StorageTools::kAuto;  // --generic: always all
  Compression compression = Compression::kZstd;
  std::vector<std::string> job_dirs;
  std::vector<std::pair<std::string, std::string>> includes;  // host, image
  std::string init_path;     // required
  std::string initctl_path;  // empty: /sbin/initctl -> /init
  std::string sysroot;
  std::vector<std::string> extra_modules;
  // --keymap FILE|NAME|none; empty: the host's (tools/mkinitramfs/keymap.h).
  std::string keymap;
  std::string loadkeys = "loadkeys";  // the build host's, to compile a text keymap
  // Where tools are looked for, inside the sysroot.
  std::vector<std::string> tool_dirs = {"/usr/sbin", "/usr/bin", "/sbin", "/bin"};
  std::string firmware_dir = "/lib/firmware";  // inside the sysroot
  std::string sysfs = "/sys";                  // host-only device walk
  // --storage-tools auto reads crypttab, LVM backups, LUKS headers and PVs
  // through it; null: the real system (tests pass a FakeKernel).
  sys::Kernel* kernel = nullptr;
  // Scratch space for generated module indexes; default: a temp dir.
  std::string scratch_dir;
  uint32_t mtime = 0;  // SOURCE_DATE_EPOCH
};

struct BuildReport {
  size_t files = 0;
  uint64_t uncompressed_bytes = 0;
  uint64_t compressed_bytes = 0;
  double seconds = 0;
  // Where the seconds went, in order: collect (ELF resolution, module
  // selection, configs), read (host files into memory), cpio, compress
  // (named after the compressor), write.
  std::vector<std::pair<std::string, double>> phases;
  std::vector<std::string> warnings;
  // --storage-tools auto: one line per storage tool, kept or left out and why.
  std::vector<std::string> notes;
};

// "binary NAME not found in /usr/sbin:/usr/bin:…" unless found.
absl::StatusOr<std::string> FindTool(const ImageOptions& options,
                                     const std::string& name);

// Everything the image holds. Errors name what is missing (a binary, a key
// file, a module) or carry the job diagnostics, one "file:line:col: message"
// per line. Non-fatal problems (missing firmware) go to WARNINGS.
// NOTES (may be null) gets BuildReport::notes.
absl::Status CollectFiles(const ImageOptions& options, FileSet* files,
                          std::vector<std::string>* warnings,
                          std::vector<std::string>* notes = nullptr);

// The device-mapper modules for LVs of SEGMENT_TYPES (module_lists.h):
// dm_mod plus each type's target; every common target when SEGMENT_TYPES is
// empty or has a type not in kLvmSegmentModules.
std::vector<std::string> LvmModules(const std::set<std::string>& segment_types);

// Reads the host files of FILES into cpio entries.
absl::StatusOr<std::vector<CpioEntry>> ToCpioEntries(const FileSet& files);

// Writes DATA to PATH through a temporary file in the same directory and a
// rename, with MODE.
absl::Status WriteFileAtomically(const std::string& path, const std::string& data,
                                 uint32_t mode);

// CollectFiles, cpio, compression, atomic write (mode 0600).
absl::StatusOr<BuildReport> BuildImage(const ImageOptions& options);

// The lines `baton-mkinitramfs --list IMAGE` prints.
absl::StatusOr<std::string> ListImage(const std::string& path);

// The stage-1 lvm.conf: no udev, device list from a scan.
extern const char kStage1LvmConf[];
// The mdadm.conf of an image whose host has none: POLICY action=re-add.
extern const char kStage1MdadmConf[];

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_IMAGE_H_
