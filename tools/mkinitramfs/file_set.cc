#include "tools/mkinitramfs/file_set.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace baton::mkinitramfs {

FileSpec FileSpec::HostFile(std::string source, uint32_t mode) {
  FileSpec s;
  s.kind = Kind::kHostFile;
  s.source = std::move(source);
  s.mode = mode;
  return s;
}

FileSpec FileSpec::Data(std::string contents, uint32_t mode) {
  FileSpec s;
  s.kind = Kind::kData;
  s.data = std::move(contents);
  s.mode = mode;
  return s;
}

FileSpec FileSpec::Symlink(std::string target) {
  FileSpec s;
  s.kind = Kind::kSymlink;
  s.data = std::move(target);
  s.mode = 0777;
  return s;
}

FileSpec FileSpec::Directory(uint32_t mode) {
  FileSpec s;
  s.kind = Kind::kDirectory;
  s.mode = mode;
  return s;
}

FileSpec FileSpec::CharDevice(uint32_t major, uint32_t minor, uint32_t mode) {
  FileSpec s;
  s.kind = Kind::kCharDevice;
  s.rdev_major = major;
  s.rdev_minor = minor;
  s.mode = mode;
  return s;
}

bool FileSpec::operator==(const FileSpec& o) const {
  return kind == o.kind && source == o.source && data == o.data &&
         mode == o.mode && rdev_major == o.rdev_major && rdev_minor == o.rdev_minor;
}

std::string CleanPath(absl::string_view path) {
  std::vector<absl::string_view> out;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(part);
  }
  return absl::StrCat("/", absl::StrJoin(out, "/"));
}

std::string JoinLinkTarget(absl::string_view link_path, absl::string_view target) {
  if (absl::StartsWith(target, "/")) return CleanPath(target);
  std::string dir = CleanPath(link_path);
  dir.resize(dir.rfind('/') + 1);
  return CleanPath(absl::StrCat(dir, target));
}

std::string FileSet::Canonical(absl::string_view path) const {
  std::string p = CleanPath(path);
  // Rewrites the longest proper prefix that is a symlink, then starts over;
  // the hop limit stops loops.
  for (int hops = 0; hops < 40; ++hops) {
    bool changed = false;
    for (size_t slash = p.find('/', 1); slash != std::string::npos;
         slash = p.find('/', slash + 1)) {
      std::string prefix = p.substr(0, slash);
      auto it = entries_.find(prefix);
      if (it == entries_.end() || it->second.kind != FileSpec::Kind::kSymlink) {
        continue;
      }
      p = CleanPath(absl::StrCat(JoinLinkTarget(prefix, it->second.data), "/",
                                 p.substr(slash + 1)));
      changed = true;
      break;
    }
    if (!changed) break;
  }
  return p;
}

absl::Status FileSet::Add(absl::string_view path, FileSpec spec, bool replace) {
  std::string p = Canonical(path);
  if (p == "/") return absl::InvalidArgumentError("cannot add \"/\" to the image");
  auto it = entries_.find(p);
  if (it != entries_.end()) {
    if (it->second == spec) return absl::OkStatus();
    if (!replace) {
      return absl::AlreadyExistsError(
          absl::StrCat(p, ": added twice with different contents"));
    }
  }
  if (spec.kind == FileSpec::Kind::kSymlink) {
    // Moves whatever is stored below P to below the link's target.
    std::string under = p + "/";
    std::vector<std::pair<std::string, FileSpec>> moved;
    for (auto e = entries_.lower_bound(under);
         e != entries_.end() && absl::StartsWith(e->first, under);) {
      moved.emplace_back(e->first.substr(under.size()), std::move(e->second));
      e = entries_.erase(e);
    }
    std::string target = JoinLinkTarget(p, spec.data);
    entries_[p] = std::move(spec);
    for (auto& [rest, s] : moved) {
      absl::Status st = Add(absl::StrCat(target, "/", rest), std::move(s), replace);
      if (!st.ok()) return st;
    }
    return absl::OkStatus();
  }
  entries_[p] = std::move(spec);
  return absl::OkStatus();
}

bool FileSet::Contains(absl::string_view path) const {
  return entries_.count(Canonical(path)) > 0;
}

const FileSpec* FileSet::Find(absl::string_view path) const {
  auto it = entries_.find(Canonical(path));
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace baton::mkinitramfs
