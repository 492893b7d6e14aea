// Finds what a dynamically linked binary needs at run time, the way Debian's
// ld.so would: its interpreter and its DT_NEEDED libraries, transitively,
// with every symlink on the way (/lib64 -> usr/lib64,
// /lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/…) recorded as a
// symlink so the image has the same paths as the host.
//
// Search order for a soname without '/': the object's DT_RPATH (only when it
// has no DT_RUNPATH), its DT_RUNPATH ($ORIGIN expanded), then the Debian
// multiarch defaults kDefaultLibraryDirs. ld.so.cache and LD_LIBRARY_PATH are
// not consulted: an initramfs has neither.
//
// With a sysroot every path (including absolute symlink targets) is resolved
// inside it; image paths never carry the sysroot prefix.
#ifndef BATON_TOOLS_MKINITRAMFS_LIBRARY_RESOLVER_H_
#define BATON_TOOLS_MKINITRAMFS_LIBRARY_RESOLVER_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/mkinitramfs/file_set.h"

namespace baton::mkinitramfs {

inline constexpr const char* kDefaultLibraryDirs[] = {
    "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
    "/lib",                  "/usr/lib",
    "/lib64",                "/usr/lib64",
};

class LibraryResolver {
 public:
  // SYSROOT: "" or "/" for the host, else a directory holding a root tree.
  explicit LibraryResolver(std::string sysroot = "");

  // Adds PATH (an absolute path as seen inside the sysroot), the symlinks
  // leading to it, and — when it is a dynamic ELF file — its interpreter and
  // libraries, transitively, to FILES. NotFound naming the soname and the
  // object that needs it when a library cannot be found. MODE (0: as on the
  // host) applies to PATH's own file only.
  absl::Status AddWithDependencies(absl::string_view path, FileSet* files,
                                   uint32_t mode = 0);

  // Adds only what the ELF file at HOST_PATH (a path on the build host, not
  // in the sysroot, e.g. the supervisor placed at /init) needs, found in the
  // sysroot. $ORIGIN expands to the directory of IMAGE_PATH.
  absl::Status AddDependencies(const std::string& host_path,
                               const std::string& image_path, FileSet* files);

  // Follows every symlink in PATH inside the sysroot, adding each link met to
  // FILES; returns the final path (no sysroot prefix). NotFound when it does
  // not exist; a loop is an error.
  absl::StatusOr<std::string> ResolveSymlinks(absl::string_view path,
                                              FileSet* files) const;

  // Where an image path lives on the host: SYSROOT + PATH.
  std::string HostPath(absl::string_view path) const;

  // The directory holding SONAME for an object at OBJECT_PATH with the given
  // search paths, or NotFound.
  absl::StatusOr<std::string> FindLibrary(
      absl::string_view soname, absl::string_view object_path,
      const std::vector<std::string>& rpath,
      const std::vector<std::string>& runpath) const;

 private:
  bool Exists(absl::string_view path) const;
  // Expands the ELF file at HOST (seen in the image at OBJ) and everything
  // queued after it.
  absl::Status Expand(std::string host, std::string obj, FileSet* files);

  std::string sysroot_;
  std::set<std::string> done_;  // canonical paths already expanded
};

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_LIBRARY_RESOLVER_H_
