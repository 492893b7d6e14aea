// Reading the parts of an ELF64 file that building an initramfs needs:
// the program interpreter (PT_INTERP), the shared libraries a binary asks
// for (DT_NEEDED) with its search paths (DT_RUNPATH / DT_RPATH), and the
// contents of a named section (a kernel module's ".modinfo").
//
// The headers are parsed here, with pread(2); nothing is executed (no ldd),
// so foreign or sysroot binaries are read safely. Only little-endian ELF64
// is accepted: the images are built for x86_64.
#ifndef BATON_TOOLS_MKINITRAMFS_ELF_H_
#define BATON_TOOLS_MKINITRAMFS_ELF_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace baton::mkinitramfs {

struct ElfInfo {
  // PT_INTERP, e.g. "/lib64/ld-linux-x86-64.so.2"; empty for a static binary.
  std::string interpreter;
  // DT_NEEDED sonames in file order; empty for a static binary.
  std::vector<std::string> needed;
  // DT_RUNPATH and DT_RPATH split on ':' (not yet $ORIGIN-expanded).
  std::vector<std::string> runpath;
  std::vector<std::string> rpath;
  // True when the file has a PT_DYNAMIC segment.
  bool dynamic = false;
};

// True when the first bytes of PATH are the ELF magic. Missing or short
// files are simply not ELF.
bool IsElf(const std::string& path);

// Reads PATH's program headers and dynamic section. InvalidArgument when the
// file is not little-endian ELF64 or its tables point outside the file;
// errno-based errors when it cannot be read.
absl::StatusOr<ElfInfo> ReadElf(const std::string& path);

// Returns the bytes of the section called NAME (e.g. ".modinfo"). NotFound
// when there is no such section.
absl::StatusOr<std::string> ReadElfSection(const std::string& path,
                                           absl::string_view name);

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_ELF_H_
