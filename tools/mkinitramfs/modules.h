// Choosing kernel modules for the image through libkmod, and putting them,
// their firmware and their indexes into a FileSet.
//
// ModuleResolver opens a modules directory (/lib/modules/VER or an unpacked
// kernel package) with kmod_new(). When it has no modules.dep.bin (dpkg -x of
// a kernel package: depmod never ran), module_db.h writes the indexes from
// the modules' .modinfo into a scratch directory that mirrors the tree, and
// libkmod reads that instead.
//
// Compressed modules: Debian 6.1 ships plain .ko (CONFIG_MODULE_COMPRESS_NONE)
// and does not set CONFIG_MODULE_DECOMPRESS, so the kernel could not take a
// compressed module itself; libkmod 30 (Debian's is built with zstd and xz)
// decompresses in user space before init_module(2), and stage 1 links
// libkmod with those libraries anyway. So module files are copied as they
// are, compressed or not.
//
// Firmware named by a module's "firmware=" entries is copied from the
// firmware directory when present; a missing file is a warning, as in dracut
// (most firmware is optional or for hardware that is not there).
#ifndef BATON_TOOLS_MKINITRAMFS_MODULES_H_
#define BATON_TOOLS_MKINITRAMFS_MODULES_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/mkinitramfs/file_set.h"
#include "tools/mkinitramfs/module_db.h"

struct kmod_ctx;

namespace baton::mkinitramfs {

struct ModuleResolverOptions {
  // Where generated indexes go when the modules directory has none. Must be
  // set for such a directory; removed by the caller.
  std::string scratch_dir;
  // modprobe.d-style configuration directories libkmod reads (softdeps,
  // aliases). Empty: libkmod's defaults (/etc/modprobe.d, /lib/modprobe.d…).
  std::vector<std::string> config_paths;
};

class ModuleResolver {
 public:
  static absl::StatusOr<std::unique_ptr<ModuleResolver>> Open(
      const std::string& modules_dir, const ModuleResolverOptions& options);
  ~ModuleResolver();

  // Resolves NAME — a module name, an alias or a device MODALIAS — and
  // selects what it maps to, with dependencies and soft dependencies,
  // transitively. Returns how many modules NAME itself matched: 0 when it
  // is unknown or built into the kernel, which is not an error.
  absl::StatusOr<int> Add(const std::string& name);

  // Selects every module file under MODULES_DIR/SUBDIR (e.g.
  // "kernel/drivers/ata") except those whose path starts with one of
  // EXCLUDE; a missing SUBDIR adds nothing.
  absl::Status AddDirectory(const std::string& subdir,
                            const std::vector<std::string>& exclude = {});

  // True when the module file at RELPATH lies under one of DIRS.
  static bool PathUnder(const std::string& relpath,
                        const std::vector<std::string>& dirs);

  // The module RELPATH NAME resolves to first, or "" (unknown or built in).
  absl::StatusOr<std::string> PathOf(const std::string& name);

  // Selected modules: name -> path relative to the modules directory.
  const std::map<std::string, std::string>& selected() const { return selected_; }

  // Adds the selected modules under IMAGE_DIR (e.g. "/lib/modules/6.1.0"),
  // their firmware from FIRMWARE_DIR into /lib/firmware, index files built
  // for exactly these modules, modules.builtin and modules.builtin.modinfo
  // copied from the host, and modules.order (ImageModulesOrder). Missing
  // firmware is appended to WARNINGS.
  absl::Status AddToImage(const std::string& image_dir,
                          const std::string& firmware_dir, FileSet* files,
                          std::vector<std::string>* warnings) const;

  const std::string& modules_dir() const { return modules_dir_; }

  // HOST_ORDER (the kernel's modules.order) reduced to the selected
  // modules, in its order; selected modules it does not list come last,
  // sorted. What the image's modules.order holds.
  std::string ImageModulesOrder(absl::string_view host_order) const;

 private:
  ModuleResolver(std::string modules_dir, std::string kmod_dir, kmod_ctx* ctx)
      : modules_dir_(std::move(modules_dir)), kmod_dir_(std::move(kmod_dir)), ctx_(ctx) {}

  // PATH (from libkmod) relative to the directory libkmod reads.
  std::string Relative(const char* path) const;

  // Selects the module at RELPATH and everything it needs.
  absl::Status SelectPath(const std::string& relpath);

  std::string modules_dir_;  // the real tree
  std::string kmod_dir_;     // what libkmod reads: the tree or the scratch mirror
  kmod_ctx* ctx_;
  std::map<std::string, std::string> selected_;
  std::set<std::string> visited_names_;
};

// The MODALIAS of every device sysfs knows: SYSFS/bus/*/devices/*/modalias,
// sorted and without duplicates.
std::vector<std::string> DeviceModaliases(const std::string& sysfs = "/sys");

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_MODULES_H_
