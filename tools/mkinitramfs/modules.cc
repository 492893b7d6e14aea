#include "tools/mkinitramfs/host_file.h"
#include "tools/mkinitramfs/modules.h"

#include <glob.h>
#include <libkmod.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "sys/status_macros.h"

namespace baton::mkinitramfs {
namespace {

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}


absl::Status WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// Writes indexes for the whole of MODULES_DIR into SCRATCH and links every
// other entry of MODULES_DIR (kernel/, updates/, modules.builtin…) there.
absl::Status MakeScratchTree(const std::string& modules_dir,
                             const std::string& scratch) {
  ASSIGN_OR_RETURN(std::vector<ModuleInfo> all, ScanModuleDir(modules_dir));
  ASSIGN_OR_RETURN(
      auto files,
      BuildIndexFiles(all, ReadHostFileOrEmpty(modules_dir + "/modules.builtin"),
                      ReadHostFileOrEmpty(modules_dir + "/modules.builtin.modinfo")));
  std::error_code ec;
  std::filesystem::create_directories(scratch, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", scratch, ": ", ec.message()));
  for (const auto& [name, data] : files) {
    RETURN_IF_ERROR(WriteFile(absl::StrCat(scratch, "/", name), data));
  }
  glob_t g;
  std::string pattern = modules_dir + "/*";
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      std::string entry = g.gl_pathv[i];
      std::string base = entry.substr(entry.rfind('/') + 1);
      if (files.count(base)) continue;
      std::string link = absl::StrCat(scratch, "/", base);
      if (::symlink(entry.c_str(), link.c_str()) != 0 && errno != EEXIST) {
        ::globfree(&g);
        return ErrnoStatus(errno, absl::StrCat("symlink ", link));
      }
    }
  }
  ::globfree(&g);
  return absl::OkStatus();
}

// The names in a "pre: a b post: c" softdep value.
std::vector<std::string> SoftdepNames(const std::string& softdep) {
  std::vector<std::string> names;
  for (absl::string_view w : absl::StrSplit(softdep, ' ', absl::SkipWhitespace())) {
    if (w == "pre:" || w == "post:") continue;
    names.emplace_back(w);
  }
  return names;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ModuleResolver>> ModuleResolver::Open(
    const std::string& modules_dir, const ModuleResolverOptions& options) {
  struct stat st;
  if (::stat(modules_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(absl::StrCat("modules directory ", modules_dir,
                                            " not found (use --kver or --modules-dir)"));
  }
  std::string kmod_dir = modules_dir;
  if (!FileExists(modules_dir + "/modules.dep.bin")) {
    if (options.scratch_dir.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(modules_dir, " has no modules.dep.bin and no scratch dir was given"));
    }
    RETURN_IF_ERROR(MakeScratchTree(modules_dir, options.scratch_dir));
    kmod_dir = options.scratch_dir;
  }
  std::vector<const char*> config;
  for (const std::string& c : options.config_paths) config.push_back(c.c_str());
  config.push_back(nullptr);
  kmod_ctx* ctx =
      kmod_new(kmod_dir.c_str(), options.config_paths.empty() ? nullptr : config.data());
  if (ctx == nullptr) {
    return absl::InternalError(absl::StrCat("kmod_new(", kmod_dir, ") failed"));
  }
  return std::unique_ptr<ModuleResolver>(new ModuleResolver(modules_dir, kmod_dir, ctx));
}

ModuleResolver::~ModuleResolver() { kmod_unref(ctx_); }

bool ModuleResolver::PathUnder(const std::string& relpath,
                               const std::vector<std::string>& dirs) {
  for (const std::string& d : dirs) {
    if (absl::StartsWith(relpath, d + "/")) return true;
  }
  return false;
}

namespace {

// Owns a kmod_list of modules.
struct ModuleList {
  kmod_list* list = nullptr;
  ~ModuleList() { kmod_module_unref_list(list); }
};

}  // namespace

std::string ModuleResolver::Relative(const char* path) const {
  absl::string_view p(path);
  absl::ConsumePrefix(&p, kmod_dir_ + "/");
  return std::string(p);
}

absl::StatusOr<std::string> ModuleResolver::PathOf(const std::string& name) {
  ModuleList l;
  int err = kmod_module_new_from_lookup(ctx_, name.c_str(), &l.list);
  if (err < 0) return ErrnoStatus(-err, absl::StrCat("kmod lookup ", name));
  kmod_list* it;
  kmod_list_foreach(it, l.list) {
    kmod_module* mod = kmod_module_get_module(it);
    const char* path = kmod_module_get_path(mod);
    std::string rel;
    if (path != nullptr) {
      rel = Relative(path);
    }
    kmod_module_unref(mod);
    if (!rel.empty()) return rel;
  }
  return std::string();
}

absl::StatusOr<int> ModuleResolver::Add(const std::string& name) {
  ModuleList l;
  int err = kmod_module_new_from_lookup(ctx_, name.c_str(), &l.list);
  if (err < 0) return ErrnoStatus(-err, absl::StrCat("kmod lookup ", name));
  std::vector<std::string> paths;
  kmod_list* it;
  kmod_list_foreach(it, l.list) {
    kmod_module* mod = kmod_module_get_module(it);
    const char* path = kmod_module_get_path(mod);
    if (path != nullptr) {
      paths.push_back(Relative(path));
    }
    kmod_module_unref(mod);
  }
  for (const std::string& p : paths) RETURN_IF_ERROR(SelectPath(p));
  return static_cast<int>(paths.size());
}

absl::Status ModuleResolver::SelectPath(const std::string& relpath) {
  std::string full = absl::StrCat(kmod_dir_, "/", relpath);
  kmod_module* mod = nullptr;
  int err = kmod_module_new_from_path(ctx_, full.c_str(), &mod);
  if (err < 0) return ErrnoStatus(-err, absl::StrCat("kmod module ", full));
  std::string name = kmod_module_get_name(mod);
  if (!visited_names_.insert(name).second) {
    kmod_module_unref(mod);
    return absl::OkStatus();
  }
  selected_[name] = relpath;
  // Dependencies come from modules.dep through a lookup by name (a module
  // made from a path carries none).
  std::vector<std::string> more;
  ModuleList byname;
  if (kmod_module_new_from_lookup(ctx_, name.c_str(), &byname.list) >= 0) {
    kmod_list* it;
    kmod_list_foreach(it, byname.list) {
      kmod_module* m = kmod_module_get_module(it);
      ModuleList deps;
      deps.list = kmod_module_get_dependencies(m);
      kmod_list* d;
      kmod_list_foreach(d, deps.list) {
        kmod_module* dm = kmod_module_get_module(d);
        if (const char* p = kmod_module_get_path(dm)) {
          more.push_back(Relative(p));
        }
        kmod_module_unref(dm);
      }
      ModuleList pre, post;
      if (kmod_module_get_softdeps(m, &pre.list, &post.list) >= 0) {
        for (kmod_list* l : {pre.list, post.list}) {
          kmod_list_foreach(d, l) {
            kmod_module* sm = kmod_module_get_module(d);
            more.push_back(std::string("name:") + kmod_module_get_name(sm));
            kmod_module_unref(sm);
          }
        }
      }
      kmod_module_unref(m);
    }
  }
  kmod_module_unref(mod);
  // Soft dependencies the module declares itself, in case libkmod's
  // configuration did not include modules.softdep.
  absl::StatusOr<ModuleInfo> info = ReadModuleInfo(modules_dir_, relpath);
  if (info.ok()) {
    for (const std::string& s : SoftdepNames(info->softdep)) more.push_back("name:" + s);
  }
  for (const std::string& m : more) {
    if (absl::StartsWith(m, "name:")) {
      RETURN_IF_ERROR(Add(m.substr(5)).status());
    } else {
      RETURN_IF_ERROR(SelectPath(m));
    }
  }
  return absl::OkStatus();
}

absl::Status ModuleResolver::AddDirectory(const std::string& subdir,
                                          const std::vector<std::string>& exclude) {
  std::string dir = absl::StrCat(modules_dir_, "/", subdir);
  if (!FileExists(dir)) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<ModuleInfo> mods, ScanModuleDir(dir));
  for (const ModuleInfo& m : mods) {
    std::string rel = absl::StrCat(subdir, "/", m.path);
    bool skip = false;
    for (const std::string& e : exclude) skip |= absl::StartsWith(rel, e);
    if (!skip) RETURN_IF_ERROR(SelectPath(rel));
  }
  return absl::OkStatus();
}

absl::Status ModuleResolver::AddToImage(const std::string& image_dir,
                                        const std::string& firmware_dir,
                                        FileSet* files,
                                        std::vector<std::string>* warnings) const {
  std::vector<ModuleInfo> infos;
  for (const auto& [name, rel] : selected_) {
    ASSIGN_OR_RETURN(ModuleInfo info, ReadModuleInfo(modules_dir_, rel));
    info.name = name;
    RETURN_IF_ERROR(files->Add(absl::StrCat(image_dir, "/", rel),
                               FileSpec::HostFile(absl::StrCat(modules_dir_, "/", rel))));
    for (const std::string& fw : info.firmware) {
      bool found = false;
      for (const char* ext : {"", ".xz", ".zst"}) {
        std::string host = absl::StrCat(firmware_dir, "/", fw, ext);
        if (!FileExists(host)) continue;
        RETURN_IF_ERROR(files->Add(absl::StrCat("/lib/firmware/", fw, ext),
                                   FileSpec::HostFile(host)));
        found = true;
      }
      if (!found && warnings != nullptr) {
        warnings->push_back(absl::StrCat("firmware ", fw, " for module ", name,
                                         " not found in ", firmware_dir));
      }
    }
    infos.push_back(std::move(info));
  }
  ASSIGN_OR_RETURN(
      auto indexes,
      BuildIndexFiles(infos, ReadHostFileOrEmpty(modules_dir_ + "/modules.builtin"),
                      ReadHostFileOrEmpty(modules_dir_ + "/modules.builtin.modinfo")));
  for (auto& [name, data] : indexes) {
    RETURN_IF_ERROR(files->Add(absl::StrCat(image_dir, "/", name),
                               FileSpec::Data(std::move(data))));
  }
  for (const char* f : {"modules.builtin", "modules.builtin.modinfo"}) {
    std::string host = absl::StrCat(modules_dir_, "/", f);
    if (FileExists(host)) {
      RETURN_IF_ERROR(files->Add(absl::StrCat(image_dir, "/", f), FileSpec::HostFile(host)));
    }
  }
  std::string order_path = modules_dir_ + "/modules.order";
  if (FileExists(order_path)) {
    RETURN_IF_ERROR(files->Add(absl::StrCat(image_dir, "/modules.order"),
                               FileSpec::Data(ImageModulesOrder(ReadHostFileOrEmpty(order_path)))));
  }
  return absl::OkStatus();
}

std::string ModuleResolver::ImageModulesOrder(absl::string_view host_order) const {
  std::set<std::string> want;
  for (const auto& [name, rel] : selected_) want.insert(rel);
  std::string out;
  for (absl::string_view line : absl::StrSplit(host_order, '\n')) {
    std::string rel(absl::StripAsciiWhitespace(line));
    // Kernels list "kernel/fs/ext4/ext4.ko"; the file may be compressed.
    for (const char* ext : {"", ".xz", ".zst", ".gz"}) {
      auto it = want.find(rel + ext);
      if (it == want.end()) continue;
      absl::StrAppend(&out, *it, "\n");
      want.erase(it);
      break;
    }
  }
  // Modules the host's list does not name (out-of-tree, updates/) last.
  for (const std::string& rel : want) absl::StrAppend(&out, rel, "\n");
  return out;
}

std::vector<std::string> DeviceModaliases(const std::string& sysfs) {
  std::set<std::string> out;
  glob_t g;
  std::string pattern = sysfs + "/bus/*/devices/*/modalias";
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      std::string a(absl::StripAsciiWhitespace(ReadHostFileOrEmpty(g.gl_pathv[i])));
      if (!a.empty()) out.insert(a);
    }
  }
  ::globfree(&g);
  return {out.begin(), out.end()};
}

}  // namespace baton::mkinitramfs
