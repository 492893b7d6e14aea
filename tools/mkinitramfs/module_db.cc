#include "tools/mkinitramfs/host_file.h"
#include "tools/mkinitramfs/module_db.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sys/status_macros.h"
#include "tools/mkinitramfs/compress.h"
#include "tools/mkinitramfs/elf.h"
#include "tools/mkinitramfs/kmod_index.h"

namespace baton::mkinitramfs {
namespace {

constexpr const char* kModuleSuffixes[] = {".ko", ".ko.xz", ".ko.zst", ".ko.gz"};

bool IsModuleFile(absl::string_view path) {
  for (const char* s : kModuleSuffixes) {
    if (absl::EndsWith(path, s)) return true;
  }
  return false;
}

}  // namespace

std::string ModuleNameFromPath(absl::string_view path) {
  size_t slash = path.rfind('/');
  if (slash != absl::string_view::npos) path.remove_prefix(slash + 1);
  size_t dot = path.find('.');
  if (dot != absl::string_view::npos) path = path.substr(0, dot);
  std::string name(path);
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

ModuleInfo ParseModinfo(absl::string_view blob) {
  ModuleInfo info;
  for (absl::string_view field : absl::StrSplit(blob, '\0', absl::SkipEmpty())) {
    size_t eq = field.find('=');
    if (eq == absl::string_view::npos) continue;
    absl::string_view key = field.substr(0, eq);
    std::string value(field.substr(eq + 1));
    if (key == "depends") {
      for (absl::string_view d : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        info.depends.push_back(ModuleNameFromPath(d));
      }
    } else if (key == "alias") {
      info.aliases.push_back(value);
    } else if (key == "firmware") {
      info.firmware.push_back(value);
    } else if (key == "softdep") {
      info.softdep = value;
    } else if (key == "name") {
      info.name = ModuleNameFromPath(value);
    }
  }
  return info;
}

absl::StatusOr<ModuleInfo> ReadModuleInfo(const std::string& modules_dir,
                                          const std::string& relpath) {
  std::string path = absl::StrCat(modules_dir, "/", relpath);
  absl::StatusOr<std::string> blob;
  if (absl::EndsWith(relpath, ".ko")) {
    blob = ReadElfSection(path, ".modinfo");
  } else {
    // Compressed: unpack into a temporary file to read its sections.
    ASSIGN_OR_RETURN(std::string packed, ReadHostFile(path));
    ASSIGN_OR_RETURN(std::string plain, Decompress(packed));
    const char* tmpdir = getenv("TMPDIR");
    std::string tmpl = absl::StrCat(tmpdir ? tmpdir : "/tmp", "/baton-ko-XXXXXX");
    int fd = ::mkstemp(tmpl.data());
    if (fd < 0) return ErrnoStatus(errno, "mkstemp");
    bool ok = ::write(fd, plain.data(), plain.size()) ==
              static_cast<ssize_t>(plain.size());
    ::close(fd);
    blob = ok ? ReadElfSection(tmpl, ".modinfo")
              : absl::Status(ErrnoStatus(errno, absl::StrCat("write ", tmpl)));
    ::unlink(tmpl.c_str());
  }
  if (!blob.ok()) return blob.status();
  ModuleInfo info = ParseModinfo(*blob);
  if (info.name.empty()) info.name = ModuleNameFromPath(relpath);
  info.path = relpath;
  return info;
}

absl::StatusOr<std::vector<ModuleInfo>> ScanModuleDir(const std::string& modules_dir) {
  static thread_local std::vector<std::string>* found;
  std::vector<std::string> paths;
  found = &paths;
  auto visit = [](const char* p, const struct stat*, int type, struct FTW*) {
    if (type == FTW_F && IsModuleFile(p)) found->push_back(p);
    return 0;
  };
  if (::nftw(modules_dir.c_str(), visit, 32, 0) != 0) {  // follows links
    return ErrnoStatus(errno, absl::StrCat("walk ", modules_dir));
  }
  std::sort(paths.begin(), paths.end());
  std::vector<ModuleInfo> out;
  out.reserve(paths.size());
  for (const std::string& p : paths) {
    std::string rel = p.substr(modules_dir.size() + 1);
    ASSIGN_OR_RETURN(ModuleInfo info, ReadModuleInfo(modules_dir, rel));
    out.push_back(std::move(info));
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> BuildIndexFiles(
    const std::vector<ModuleInfo>& modules, absl::string_view builtin,
    absl::string_view builtin_modinfo) {
  std::map<std::string, const ModuleInfo*> by_name;
  for (const ModuleInfo& m : modules) by_name.emplace(m.name, &m);

  KmodIndexWriter dep_bin, alias_bin, symbols_bin, builtin_bin, builtin_alias_bin;
  std::string dep, alias = "# Aliases extracted from modules themselves.\n";
  std::string softdep = "# Soft dependencies extracted from modules themselves.\n";
  for (size_t idx = 0; idx < modules.size(); ++idx) {
    const ModuleInfo& m = modules[idx];
    // Every dependency, transitively; each module after those that need it.
    std::vector<std::string> order;
    std::set<std::string> seen = {m.name};
    std::function<absl::Status(const ModuleInfo&)> visit =
        [&](const ModuleInfo& mod) -> absl::Status {
      for (const std::string& d : mod.depends) {
        auto it = by_name.find(d);
        if (it == by_name.end()) {
          return absl::FailedPreconditionError(
              absl::StrCat("module ", mod.name, " needs ", d, ", which is missing"));
        }
        if (!seen.insert(d).second) continue;
        RETURN_IF_ERROR(visit(*it->second));
        order.push_back(it->second->path);
      }
      return absl::OkStatus();
    };
    RETURN_IF_ERROR(visit(m));
    std::reverse(order.begin(), order.end());
    std::string line = absl::StrCat(m.path, ":");
    for (const std::string& p : order) absl::StrAppend(&line, " ", p);
    absl::StrAppend(&dep, line, "\n");
    RETURN_IF_ERROR(dep_bin.Insert(m.name, line, idx));
    for (const std::string& a : m.aliases) {
      absl::StatusOr<std::string> norm = NormalizeAlias(a);
      if (!norm.ok()) continue;  // depmod skips these too
      absl::StrAppend(&alias, "alias ", a, " ", m.name, "\n");
      RETURN_IF_ERROR(alias_bin.Insert(*norm, m.name, idx));
    }
    if (!m.softdep.empty()) absl::StrAppend(&softdep, "softdep ", m.name, " ", m.softdep, "\n");
  }
  for (absl::string_view line : absl::StrSplit(builtin, '\n', absl::SkipWhitespace())) {
    RETURN_IF_ERROR(builtin_bin.Insert(ModuleNameFromPath(line), ""));
  }
  // modules.builtin.modinfo: "modname.key=value\0…"
  for (absl::string_view f : absl::StrSplit(builtin_modinfo, '\0', absl::SkipEmpty())) {
    size_t dot = f.find('.');
    size_t eq = f.find('=');
    if (dot == absl::string_view::npos || eq == absl::string_view::npos || eq < dot) continue;
    if (f.substr(dot + 1, eq - dot - 1) != "alias") continue;
    absl::StatusOr<std::string> norm = NormalizeAlias(f.substr(eq + 1));
    if (!norm.ok()) continue;
    RETURN_IF_ERROR(builtin_alias_bin.Insert(*norm, std::string(f.substr(0, dot))));
  }
  std::map<std::string, std::string> files;
  files["modules.dep"] = dep;
  files["modules.dep.bin"] = dep_bin.Serialize();
  files["modules.alias"] = alias;
  files["modules.alias.bin"] = alias_bin.Serialize();
  files["modules.softdep"] = softdep;
  files["modules.symbols"] = "# Aliases for symbols, used by symbol_request().\n";
  files["modules.symbols.bin"] = symbols_bin.Serialize();
  files["modules.builtin.bin"] = builtin_bin.Serialize();
  files["modules.builtin.alias.bin"] = builtin_alias_bin.Serialize();
  return files;
}

}  // namespace baton::mkinitramfs
