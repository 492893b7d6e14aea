#include "tools/mkinitramfs/host_file.h"

#include <cerrno>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "sys/status_macros.h"

namespace baton::mkinitramfs {

absl::StatusOr<std::string> ReadHostFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoStatus(errno, absl::StrCat("open ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ReadHostFileOrEmpty(const std::string& path) {
  absl::StatusOr<std::string> s = ReadHostFile(path);
  return s.ok() ? *std::move(s) : std::string();
}

}  // namespace baton::mkinitramfs
