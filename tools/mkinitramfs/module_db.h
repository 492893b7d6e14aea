// What depmod would compute, from the modules' own .modinfo sections:
// names, dependencies, aliases, soft dependencies and firmware, and the
// index files (text and libkmod's .bin) for a set of modules.
//
// Used twice: (1) when a modules directory has no modules.dep.bin (an
// unpacked Debian kernel package: its postinst runs depmod, dpkg -x does
// not), to give libkmod indexes of the whole tree to resolve against; and
// (2) for the image, whose indexes describe exactly the modules it holds,
// as dracut's depmod run on the image does.
#ifndef BATON_TOOLS_MKINITRAMFS_MODULE_DB_H_
#define BATON_TOOLS_MKINITRAMFS_MODULE_DB_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace baton::mkinitramfs {

struct ModuleInfo {
  std::string name;  // "dm_crypt": '-' written as '_', as libkmod does
  std::string path;  // relative to the modules directory
  std::vector<std::string> depends;   // module names, from "depends="
  std::vector<std::string> aliases;   // "alias=" values, as written
  std::vector<std::string> firmware;  // "firmware=" values
  std::string softdep;                // "softdep=" value: "pre: a b post: c"
};

// "dm-crypt" -> "dm_crypt"; "kernel/x/dm-crypt.ko.xz" -> "dm_crypt".
std::string ModuleNameFromPath(absl::string_view path);

// Parses a .modinfo blob ("key=value\0…"); NAME/PATH are set by the caller.
ModuleInfo ParseModinfo(absl::string_view blob);

// Reads MODULES_DIR/RELPATH's .modinfo. Compressed modules (.ko.xz, .ko.zst,
// .ko.gz) are decompressed through the host tool first.
absl::StatusOr<ModuleInfo> ReadModuleInfo(const std::string& modules_dir,
                                          const std::string& relpath);

// Every module file under MODULES_DIR, in path order.
absl::StatusOr<std::vector<ModuleInfo>> ScanModuleDir(const std::string& modules_dir);

// The index files describing MODULES, file name -> contents: modules.dep,
// modules.alias, modules.softdep and modules.symbols with their .bin forms,
// plus modules.builtin.bin and modules.builtin.alias.bin from BUILTIN (the
// text modules.builtin) and BUILTIN_MODINFO (modules.builtin.modinfo).
// A dependency outside MODULES is FailedPrecondition naming both.
absl::StatusOr<std::map<std::string, std::string>> BuildIndexFiles(
    const std::vector<ModuleInfo>& modules, absl::string_view builtin,
    absl::string_view builtin_modinfo);

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_MODULE_DB_H_
