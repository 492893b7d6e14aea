#include "tools/mkinitramfs/cpio.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace baton::mkinitramfs {
namespace {

constexpr absl::string_view kMagic = "070701";
constexpr absl::string_view kCrcMagic = "070702";
constexpr absl::string_view kTrailer = "TRAILER!!!";
constexpr size_t kHeaderSize = 110;

void Pad4(std::string* out) {
  while (out->size() % 4 != 0) out->push_back('\0');
}

void AppendHeader(std::string* out, const CpioEntry& e, uint32_t nlink,
                  absl::string_view name, uint32_t mtime) {
  absl::StrAppendFormat(out, "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
                        kMagic, e.ino, e.mode, 0, 0, nlink, mtime,
                        static_cast<uint32_t>(e.data.size()), 0, 0, e.rdev_major,
                        e.rdev_minor, static_cast<uint32_t>(name.size() + 1), 0);
  out->append(name.data(), name.size());
  out->push_back('\0');
  Pad4(out);
}

}  // namespace

absl::StatusOr<std::string> WriteCpio(std::vector<CpioEntry> entries,
                                      uint32_t mtime) {
  std::map<std::string, CpioEntry> by_path;
  for (CpioEntry& e : entries) {
    if (!absl::StartsWith(e.path, "/") || e.path == "/") {
      return absl::InvalidArgumentError(absl::StrCat("bad cpio path \"", e.path, "\""));
    }
    if ((e.mode & S_IFMT) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(e.path, ": mode has no file type"));
    }
    std::string path = e.path;
    if (!by_path.emplace(path, std::move(e)).second) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": duplicate cpio entry"));
    }
  }
  // Implicit parents.
  std::vector<std::string> parents;
  for (const auto& [path, e] : by_path) {
    for (size_t slash = path.find('/', 1); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      parents.push_back(path.substr(0, slash));
    }
  }
  for (const std::string& p : parents) {
    auto it = by_path.find(p);
    if (it == by_path.end()) {
      CpioEntry dir;
      dir.path = p;
      dir.mode = S_IFDIR | 0755;
      by_path.emplace(p, std::move(dir));
    } else if (!S_ISDIR(it->second.mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat(p, ": used as a directory but is not one"));
    }
  }
  std::string out;
  uint32_t ino = 0;
  for (auto& [path, e] : by_path) {
    e.ino = ++ino;
    AppendHeader(&out, e, S_ISDIR(e.mode) ? 2 : 1,
                 absl::string_view(path).substr(1), mtime);
    out.append(e.data);
    Pad4(&out);
  }
  CpioEntry trailer;
  AppendHeader(&out, trailer, 1, kTrailer, 0);
  // Some unpackers read in 512-byte blocks.
  while (out.size() % 512 != 0) out.push_back('\0');
  return out;
}

absl::StatusOr<std::vector<CpioEntry>> ReadCpio(absl::string_view data) {
  std::vector<CpioEntry> out;
  size_t pos = 0;
  auto field = [&](size_t i, uint32_t* v) {
    return absl::SimpleHexAtoi(data.substr(pos + 6 + 8 * i, 8), v);
  };
  while (pos < data.size()) {
    if (data[pos] == '\0') {  // padding between or after archives
      ++pos;
      continue;
    }
    if (data.size() - pos < kHeaderSize) {
      return absl::DataLossError(absl::StrCat("cpio: truncated header at ", pos));
    }
    absl::string_view magic = data.substr(pos, 6);
    if (magic != kMagic && magic != kCrcMagic) {
      return absl::DataLossError(absl::StrCat("cpio: bad magic at offset ", pos));
    }
    uint32_t f[13];
    for (size_t i = 0; i < 13; ++i) {
      if (!field(i, &f[i])) {
        return absl::DataLossError(absl::StrCat("cpio: bad header at ", pos));
      }
    }
    CpioEntry e;
    e.ino = f[0];
    e.mode = f[1];
    e.uid = f[2];
    e.gid = f[3];
    e.mtime = f[5];
    uint32_t filesize = f[6];
    e.rdev_major = f[9];
    e.rdev_minor = f[10];
    uint32_t namesize = f[11];
    size_t name_start = pos + kHeaderSize;
    size_t data_start = (name_start + namesize + 3) & ~size_t{3};
    if (namesize == 0 || data_start > data.size() ||
        filesize > data.size() - data_start) {
      return absl::DataLossError(absl::StrCat("cpio: truncated entry at ", pos));
    }
    std::string name(data.substr(name_start, namesize - 1));
    pos = (data_start + filesize + 3) & ~size_t{3};
    if (name == kTrailer) continue;
    e.path = absl::StartsWith(name, "/") ? name : absl::StrCat("/", name);
    if (e.path == "/.") e.path = "/";
    e.data = std::string(data.substr(data_start, filesize));
    out.push_back(std::move(e));
  }
  return out;
}

std::string FormatListing(const std::vector<CpioEntry>& entries) {
  std::string out;
  for (const CpioEntry& e : entries) {
    absl::StrAppendFormat(&out, "%06o %8d %s", e.mode, e.data.size(), e.path);
    if (S_ISLNK(e.mode)) absl::StrAppend(&out, " -> ", e.data);
    if (S_ISCHR(e.mode) || S_ISBLK(e.mode)) {
      absl::StrAppend(&out, S_ISCHR(e.mode) ? " c " : " b ", e.rdev_major, ",",
                      e.rdev_minor);
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace baton::mkinitramfs
