// FileSet: the files an image will hold, keyed by their absolute path in the
// image, before any byte is read. The resolvers (libraries, modules, tools)
// add to it; image.h turns it into cpio entries.
//
// Directory symlinks are followed inside the set, so a merged-/usr host
// (/sbin -> usr/sbin) gives one consistent tree: adding "/sbin/initctl" once
// "/sbin" is a symlink to "usr/sbin" stores "/usr/sbin/initctl", and adding
// the symlink later moves what was stored under "/sbin/" to the target.
#ifndef BATON_TOOLS_MKINITRAMFS_FILE_SET_H_
#define BATON_TOOLS_MKINITRAMFS_FILE_SET_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace baton::mkinitramfs {

struct FileSpec {
  enum class Kind { kHostFile, kData, kSymlink, kDirectory, kCharDevice };
  Kind kind = Kind::kHostFile;
  // kHostFile: the file to copy. Read when the image is written.
  std::string source;
  // kData: the contents. kSymlink: the link target.
  std::string data;
  // Permission bits; 0 for kHostFile means "as on the host".
  uint32_t mode = 0;
  uint32_t rdev_major = 0;  // kCharDevice
  uint32_t rdev_minor = 0;

  static FileSpec HostFile(std::string source, uint32_t mode = 0);
  static FileSpec Data(std::string contents, uint32_t mode = 0644);
  static FileSpec Symlink(std::string target);
  static FileSpec Directory(uint32_t mode = 0755);
  static FileSpec CharDevice(uint32_t major, uint32_t minor, uint32_t mode);

  bool operator==(const FileSpec& o) const;
};

class FileSet {
 public:
  // Adds PATH (absolute; "//" and trailing "/" are cleaned). Adding the same
  // spec twice is fine; a different spec at the same path is
  // AlreadyExistsError naming the path, unless REPLACE is set.
  absl::Status Add(absl::string_view path, FileSpec spec, bool replace = false);

  // PATH with directory components rewritten through symlinks in the set.
  std::string Canonical(absl::string_view path) const;

  bool Contains(absl::string_view path) const;
  const FileSpec* Find(absl::string_view path) const;

  const std::map<std::string, FileSpec>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }

 private:
  std::map<std::string, FileSpec> entries_;
};

// "/a//b/./c/" -> "/a/b/c"; ".." is resolved lexically, never above "/".
std::string CleanPath(absl::string_view path);

// Resolves TARGET, a symlink's target, against the directory of LINK_PATH.
std::string JoinLinkTarget(absl::string_view link_path, absl::string_view target);

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_FILE_SET_H_
