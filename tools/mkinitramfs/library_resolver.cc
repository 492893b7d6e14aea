#include "tools/mkinitramfs/library_resolver.h"

#include <sys/stat.h>
#include <unistd.h>

#include <deque>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "sys/status_macros.h"
#include "tools/mkinitramfs/elf.h"

namespace baton::mkinitramfs {

LibraryResolver::LibraryResolver(std::string sysroot)
    : sysroot_(sysroot == "/" ? "" : std::move(sysroot)) {
  while (!sysroot_.empty() && sysroot_.back() == '/') sysroot_.pop_back();
}

std::string LibraryResolver::HostPath(absl::string_view path) const {
  return absl::StrCat(sysroot_, CleanPath(path));
}

bool LibraryResolver::Exists(absl::string_view path) const {
  struct stat st;
  return ::stat(HostPath(path).c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
}

absl::StatusOr<std::string> LibraryResolver::ResolveSymlinks(
    absl::string_view path, FileSet* files) const {
  std::string p = CleanPath(path);
  int hops = 0;
  // Walks the components left to right; a symlink restarts the walk with
  // the link's target spliced in.
  size_t pos = 0;
  while (pos < p.size()) {
    size_t next = p.find('/', pos + 1);
    if (next == std::string::npos) next = p.size();
    std::string prefix = p.substr(0, next);
    std::string host = HostPath(prefix);
    struct stat st;
    if (::lstat(host.c_str(), &st) != 0) {
      return ErrnoStatus(errno, absl::StrCat("stat ", host));
    }
    if (!S_ISLNK(st.st_mode)) {
      pos = next;
      continue;
    }
    if (++hops > 40) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": too many symlinks"));
    }
    char buf[4096];
    ssize_t n = ::readlink(host.c_str(), buf, sizeof(buf));
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("readlink ", host));
    std::string target(buf, n);
    if (files != nullptr) {
      RETURN_IF_ERROR(files->Add(prefix, FileSpec::Symlink(target)));
    }
    p = CleanPath(absl::StrCat(JoinLinkTarget(prefix, target), "/", p.substr(next)));
    pos = 0;
  }
  return p;
}

absl::StatusOr<std::string> LibraryResolver::FindLibrary(
    absl::string_view soname, absl::string_view object_path,
    const std::vector<std::string>& rpath,
    const std::vector<std::string>& runpath) const {
  std::string origin = CleanPath(object_path);
  origin.resize(origin.rfind('/'));
  if (origin.empty()) origin = "/";
  std::vector<std::string> dirs;
  auto add = [&](const std::vector<std::string>& list) {
    for (const std::string& d : list) {
      std::string e = absl::StrReplaceAll(d, {{"${ORIGIN}", origin}, {"$ORIGIN", origin}});
      if (absl::StartsWith(e, "/")) dirs.push_back(e);
    }
  };
  if (runpath.empty()) add(rpath);
  add(runpath);
  for (const char* d : kDefaultLibraryDirs) dirs.push_back(d);
  for (const std::string& d : dirs) {
    if (Exists(absl::StrCat(d, "/", soname))) return CleanPath(d);
  }
  return absl::NotFoundError(absl::StrCat("library ", soname, " needed by ",
                                          object_path, " not found"));
}

absl::Status LibraryResolver::AddWithDependencies(absl::string_view path,
                                                  FileSet* files, uint32_t mode) {
  ASSIGN_OR_RETURN(std::string first, ResolveSymlinks(path, files));
  RETURN_IF_ERROR(files->Add(first, FileSpec::HostFile(HostPath(first), mode)));
  return Expand(HostPath(first), first, files);
}

absl::Status LibraryResolver::AddDependencies(const std::string& host_path,
                                              const std::string& image_path,
                                              FileSet* files) {
  return Expand(host_path, image_path, files);
}

absl::Status LibraryResolver::Expand(std::string host, std::string obj,
                                     FileSet* files) {
  // (host path, image path) of objects still to read.
  std::deque<std::pair<std::string, std::string>> queue;
  queue.emplace_back(std::move(host), std::move(obj));
  while (!queue.empty()) {
    auto [host_path, obj_path] = std::move(queue.front());
    queue.pop_front();
    if (!done_.insert(host_path).second) continue;
    if (!IsElf(host_path)) continue;  // scripts, data
    ASSIGN_OR_RETURN(ElfInfo info, ReadElf(host_path));
    std::vector<std::string> wanted;
    if (!info.interpreter.empty()) wanted.push_back(info.interpreter);
    for (const std::string& soname : info.needed) {
      if (absl::StrContains(soname, '/')) {
        wanted.push_back(soname);
        continue;
      }
      ASSIGN_OR_RETURN(std::string dir,
                       FindLibrary(soname, obj_path, info.rpath, info.runpath));
      wanted.push_back(absl::StrCat(dir, "/", soname));
    }
    for (const std::string& w : wanted) {
      absl::StatusOr<std::string> real = ResolveSymlinks(w, files);
      if (!real.ok()) {
        return absl::NotFoundError(
            absl::StrCat(w, " needed by ", obj_path, ": ", real.status().message()));
      }
      RETURN_IF_ERROR(files->Add(*real, FileSpec::HostFile(HostPath(*real))));
      queue.emplace_back(HostPath(*real), *real);
    }
  }
  return absl::OkStatus();
}

}  // namespace baton::mkinitramfs
