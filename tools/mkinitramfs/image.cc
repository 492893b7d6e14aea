#include "tools/mkinitramfs/host_file.h"
#include "tools/mkinitramfs/image.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "jobs/load_dir.h"
#include "supervisor/stage1/keymap.h"
#include "supervisor/stage1/resume.h"
#include "sys/linux_kernel.h"
#include "sys/status_macros.h"
#include "tools/mkinitramfs/busybox.h"
#include "tools/mkinitramfs/host_config.h"
#include "tools/mkinitramfs/keymap.h"
#include "tools/mkinitramfs/resume_auto.h"
#include "tools/mkinitramfs/library_resolver.h"
#include "tools/mkinitramfs/module_lists.h"
#include "tools/mkinitramfs/modules.h"
#include "tools/mkinitramfs/storage_tools.h"

namespace baton::mkinitramfs {

const char kStage1LvmConf[] =
    "# Written by baton-mkinitramfs: stage 1 runs no udevd.\n"
    "devices {\n"
    "    obtain_device_list_from_udev = 0\n"
    "    external_device_info_source = \"none\"\n"
    "}\n"
    "activation {\n"
    "    udev_sync = 0\n"
    "    udev_rules = 0\n"
    "    monitoring = 0\n"
    "}\n"
    "global {\n"
    "    use_lvmetad = 0\n"
    "    locking_dir = \"/run/lock/lvm\"\n"
    "}\n";

const char kStage1MdadmConf[] =
    "# Written by baton-mkinitramfs (the host has no mdadm.conf).\n"
    "# Every array is assembled as its members appear; a member that comes\n"
    "# back to an array already running degraded is re-added to it.\n"
    "POLICY action=re-add\n";

namespace {

namespace fs = std::filesystem;

// udev rules a boot needs, when present: those that load drivers and
// describe devices (properties, links, dm's cookie handshake). Not those
// that assemble (64-md-raid-assembly's mdadm --incremental, 69-lvm's
// pvscan/vgchange autoactivation): stage 1's job files do that, with or
// without udevd, and both at once would race on the same members.
constexpr const char* kUdevRules[] = {
    "50-udev-default.rules", "60-block.rules", "60-persistent-storage.rules",
    "60-persistent-storage-dm.rules", "63-md-raid-arrays.rules", "10-dm.rules",
    "13-dm-disk.rules", "55-dm.rules", "56-dm-parts.rules", "56-lvm.rules",
    "60-cryptsetup.rules", "95-dm-notify.rules", "80-drivers.rules", "99-systemd.rules",
};

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string DefaultKver() {
  struct utsname u;
  return ::uname(&u) == 0 ? u.release : "";
}

absl::Status AddBase(FileSet* files) {
  for (const char* d : {"/dev", "/proc", "/sys", "/run", "/root", "/tmp", "/etc",
                        "/etc/baton/jobs"}) {
    RETURN_IF_ERROR(files->Add(d, FileSpec::Directory(std::string(d) == "/tmp" ? 01777 : 0755)));
  }
  // The kernel opens /dev/console for PID 1 before devtmpfs is mounted.
  RETURN_IF_ERROR(files->Add("/dev/console", FileSpec::CharDevice(5, 1, 0600)));
  RETURN_IF_ERROR(files->Add("/dev/null", FileSpec::CharDevice(1, 3, 0666)));
  // What tells the supervisor it is stage 1 (and systemd-style tools that
  // this is an initrd).
  RETURN_IF_ERROR(files->Add("/etc/initrd-release",
                             FileSpec::Data("NAME=baton\nID=baton-initrd\n")));
  return absl::OkStatus();
}

absl::Status AddJobs(const ImageOptions& o, FileSet* files) {
  std::vector<std::string> errors;
  for (const std::string& dir : o.job_dirs) {
    jobs::LoadResult r = jobs::LoadJobDir(dir);
    for (const jobs::Diagnostic& d : r.diagnostics) errors.push_back(d.ToString());
    for (const auto& job : r.jobs) {
      if (!job->RunsIn(jobs::Stage::kInitramfs)) continue;
      std::string base = fs::path(job->path).filename();
      RETURN_IF_ERROR(files->Add(absl::StrCat("/etc/baton/jobs/", base),
                                 FileSpec::HostFile(job->path, 0644)));
    }
  }
  if (!errors.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad job files:\n", absl::StrJoin(errors, "\n")));
  }
  return absl::OkStatus();
}

// Which of lvm and cryptsetup go in: all of them for --generic; host-only as
// --storage-tools says (auto: storage_tools.h).
StorageToolChoice ChooseTools(const ImageOptions& o, const HostStack& stack) {
  StorageToolChoice c;
  if (o.generic) {
    c.cryptsetup = c.lvm = true;
    return c;
  }
  switch (o.storage_tools) {
    case StorageTools::kAll:
      c.cryptsetup = stack.crypt;
      c.lvm = stack.lvm;
      return c;
    case StorageTools::kNative:
      return c;
    case StorageTools::kAuto:
      break;
  }
  sys::LinuxKernel linux_kernel;
  return ChooseStorageTools(o.kernel != nullptr ? *o.kernel : linux_kernel, o.sysroot, o.sysfs,
                            stack);
}

// Adds the tool NAME (and what it needs) at the path it has on the host.
absl::Status AddTool(const ImageOptions& o, LibraryResolver* libs,
                     const std::string& name, FileSet* files) {
  ASSIGN_OR_RETURN(std::string path, FindTool(o, name));
  return libs->AddWithDependencies(path, files);
}

// e2fsck and fsck.ext4 for an ext2/3/4 root or /usr. When the host has
// e2fsck-static's e2fsck.static, that goes in under e2fsck's name: one
// static file instead of e2fsck, libext2fs, libe2p, libblkid, libuuid,
// libcom_err (and ld.so and libc when nothing else needs them), and no
// dynamic loading at each check (tools/mkinitramfs/README.md "Size").
absl::Status AddE2fsck(const ImageOptions& o, LibraryResolver* libs, FileSet* files) {
  absl::StatusOr<std::string> static_path = FindTool(o, "e2fsck.static");
  if (!static_path.ok()) {
    RETURN_IF_ERROR(AddTool(o, libs, "e2fsck", files));
    return AddTool(o, libs, "fsck.ext4", files);
  }
  absl::StatusOr<std::string> dynamic_path = FindTool(o, "e2fsck");
  std::string at = dynamic_path.ok()
                       ? *dynamic_path
                       : std::filesystem::path(*static_path).parent_path().string() + "/e2fsck";
  std::string host = o.sysroot + *static_path;
  RETURN_IF_ERROR(files->Add(at, FileSpec::HostFile(host, 0755)));
  RETURN_IF_ERROR(libs->AddDependencies(host, at, files));
  return files->Add(std::filesystem::path(at).parent_path().string() + "/fsck.ext4",
                    FileSpec::Symlink("e2fsck"));
}

absl::Status AddTools(const ImageOptions& o, const HostStack& stack,
                      const StorageToolChoice& choice, LibraryResolver* libs, FileSet* files) {
  // Stage 1 probes with libblkid itself; the blkid tool is for a rescue
  // shell on an unknown machine (--generic). Host-only images get busybox's
  // blkid applet instead.
  std::vector<std::string> tools = {"busybox"};
  if (o.generic) tools.push_back("blkid");
  bool ext = o.generic;
  for (const std::string& t : stack.root_fs_types) ext |= absl::StartsWith(t, "ext");
  if (o.generic || stack.raid) tools.push_back("mdadm");
  if (choice.cryptsetup) tools.push_back("cryptsetup");
  if (choice.lvm) tools.push_back("lvm");
  for (const std::string& t : tools) RETURN_IF_ERROR(AddTool(o, libs, t, files));
  return ext ? AddE2fsck(o, libs, files) : absl::OkStatus();
}

// Links for busybox's applets (busybox.h), last: whatever else the image
// holds under a name an applet has wins.
absl::Status AddBusyboxLinks(const ImageOptions& o, FileSet* files,
                             std::vector<std::string>* warnings) {
  ASSIGN_OR_RETURN(std::string busybox, FindTool(o, "busybox"));
  ASSIGN_OR_RETURN(std::vector<std::string> applets,
                   BusyboxAppletPaths(o.sysroot + busybox, warnings));
  return AddAppletLinks(busybox, applets, files).status();
}

absl::Status AddConfigs(const ImageOptions& o, const HostStack& stack,
                        const StorageToolChoice& choice, FileSet* files) {
  for (const char* f : {"/etc/fstab", "/etc/crypttab", "/etc/mdadm/mdadm.conf"}) {
    std::string host = o.sysroot + f;
    if (Exists(host)) RETURN_IF_ERROR(files->Add(f, FileSpec::HostFile(host, 0644)));
  }
  if (!files->Contains("/etc/mdadm/mdadm.conf") && (o.generic || stack.raid)) {
    RETURN_IF_ERROR(files->Add("/etc/mdadm/mdadm.conf", FileSpec::Data(kStage1MdadmConf)));
  }
  for (const std::string& key : stack.key_files) {
    std::string host = o.sysroot + key;
    if (!Exists(host)) {
      return absl::NotFoundError(absl::StrCat("key file ", key, " named in ",
                                              o.sysroot, "/etc/crypttab not found"));
    }
    RETURN_IF_ERROR(files->Add(key, FileSpec::HostFile(host, 0600)));
  }
  if (choice.lvm) {
    std::string host = o.sysroot + "/etc/lvm/lvm.conf";
    // Without udevd the host's lvm.conf would wait for udev; stage 1 gets
    // its own unless udevd comes along.
    if (o.with_udevd && Exists(host)) {
      RETURN_IF_ERROR(files->Add("/etc/lvm/lvm.conf", FileSpec::HostFile(host, 0644)));
    } else {
      RETURN_IF_ERROR(files->Add("/etc/lvm/lvm.conf", FileSpec::Data(kStage1LvmConf)));
    }
  }
  return absl::OkStatus();
}

// Host-only: the host's initramfs-tools resume setting becomes the image's
// default for stage 1 (supervisor/stage1/resume.h, kImageResumeConf). The
// device's modules and tools are those of the host's storage stack already
// (its disks' drivers, every crypttab line, the whole VG of an LVM root).
// RESUME=auto, or no file at all, picks the running host's largest swap
// partition as initramfs-tools does (resume_auto.h); for a --sysroot that
// is not done (a note says so when the file asked for it).
// The console keymap (keymap.h): the host's unless --keymap says otherwise.
absl::Status AddKeymap(const ImageOptions& o, FileSet* files, std::vector<std::string>* warnings,
                       std::vector<std::string>* notes) {
  KeymapChoice choice = ChooseKeymap(o.keymap, o.sysroot);
  if (choice.source.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> compiled = CompileKeymap(choice.source, o.loadkeys);
  if (!compiled.ok()) {
    if (choice.explicit_option) return compiled.status();
    warnings->push_back(absl::StrCat("console keymap of ", choice.from, " not carried (",
                                     compiled.status().message(),
                                     "); stage 1 keeps the kernel's US layout"));
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(files->Add(stage1::kImageKeymap, FileSpec::Data(*std::move(compiled))));
  if (notes != nullptr) {
    notes->push_back(absl::StrCat(
        "keymap: ", choice.explicit_option ? choice.source : absl::StrCat("the host's (", choice.from, ")"),
        " -> ", stage1::kImageKeymap));
  }
  return absl::OkStatus();
}

absl::Status AddResumeDefault(const ImageOptions& o, FileSet* files,
                              std::vector<std::string>* notes) {
  if (o.generic) return absl::OkStatus();
  const std::string conf_path = "/etc/initramfs-tools/conf.d/resume";
  std::string host = o.sysroot + conf_path;
  const bool have_conf = Exists(host);
  stage1::ResumeConf conf;
  if (have_conf) conf = stage1::ParseResumeConf(ReadHostFileOrEmpty(host));
  std::string note;
  if (conf.resume == "none") {
    note = absl::StrCat("resume: no default (", conf_path,
                        " has RESUME=none); resume= on the kernel command line still works");
  } else if (conf.resume.empty() || conf.resume == "auto") {
    if (!o.sysroot.empty()) {
      if (have_conf) {
        note = absl::StrCat("resume: no default (", conf_path, " has RESUME=",
                            conf.resume.empty() ? "\"\"" : conf.resume,
                            ", and auto is not resolved for a --sysroot); resume= on the kernel "
                            "command line still works");
      }
    } else {
      std::vector<SwapFacts> swaps = HostSwaps("", ReadHostFileOrEmpty("/etc/crypttab"));
      ResumeAutoChoice choice = PickResumeDevice(swaps);
      if (!choice.resume.empty()) {
        RETURN_IF_ERROR(files->Add(stage1::kImageResumeConf,
                                   FileSpec::Data(absl::StrCat("RESUME=", choice.resume, "\n"))));
      }
      if (have_conf || !swaps.empty()) note = choice.note;
    }
  } else {
    std::string text = absl::StrCat("RESUME=", conf.resume, "\n");
    if (!conf.offset.empty()) absl::StrAppend(&text, "resume_offset=", conf.offset, "\n");
    RETURN_IF_ERROR(files->Add(stage1::kImageResumeConf, FileSpec::Data(text)));
    note = absl::StrCat("resume: default RESUME=", conf.resume,
                        conf.offset.empty() ? "" : absl::StrCat(" resume_offset=", conf.offset),
                        " from ", conf_path, " (in ", stage1::kImageResumeConf,
                        "; resume= on the command line wins)");
  }
  if (notes != nullptr && !note.empty()) notes->push_back(note);
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> LvmModules(const std::set<std::string>& segment_types) {
  std::vector<std::string> out = {"dm_mod"};
  bool unknown = segment_types.empty();
  for (const std::string& t : segment_types) {
    if (absl::StartsWith(t, "raid")) {
      out.push_back("dm_raid");
      continue;
    }
    bool found = false;
    for (const LvmSegmentModule& m : kLvmSegmentModules) {
      if (t != m.type) continue;
      found = true;
      if (*m.module != '\0') out.push_back(m.module);
    }
    unknown |= !found;
  }
  if (unknown) out.assign(std::begin(kLvmModules), std::end(kLvmModules));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {

absl::Status AddModules(const ImageOptions& o, const HostStack& stack,
                        const StorageToolChoice& choice, FileSet* files,
                        std::vector<std::string>* warnings) {
  std::string kver = o.kver;
  if (kver.empty() && !o.modules_dir.empty()) {
    kver = fs::path(CleanPath(o.modules_dir)).filename();
  }
  if (kver.empty()) kver = DefaultKver();
  std::string dir = o.modules_dir.empty() ? absl::StrCat(o.sysroot, "/lib/modules/", kver)
                                          : o.modules_dir;
  ModuleResolverOptions mo;
  std::string scratch = o.scratch_dir;
  bool own_scratch = scratch.empty();
  if (own_scratch) {
    const char* t = getenv("TMPDIR");
    std::string tmpl = absl::StrCat(t ? t : "/tmp", "/baton-mkinitramfs-XXXXXX");
    if (::mkdtemp(tmpl.data()) == nullptr) return ErrnoStatus(errno, "mkdtemp");
    scratch = tmpl;
  }
  mo.scratch_dir = scratch + "/modules";
  absl::Status st = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto r, ModuleResolver::Open(dir, mo));
    std::vector<std::string> names;
    if (o.generic) {
      std::vector<std::string> excl(std::begin(kGenericExcludes), std::end(kGenericExcludes));
      for (const char* d : kGenericModuleDirs) RETURN_IF_ERROR(r->AddDirectory(d, excl));
      for (const char* n : kGenericModules) names.push_back(n);
    } else {
      std::vector<std::string> keep(std::begin(kHostDeviceDirs), std::end(kHostDeviceDirs));
      for (const std::string& alias : DeviceModaliases(o.sysfs)) {
        ASSIGN_OR_RETURN(std::string path, r->PathOf(alias));
        if (!path.empty() && ModuleResolver::PathUnder(path, keep)) names.push_back(alias);
      }
      for (const std::string& t : stack.root_fs_types) names.push_back("fs-" + t);
      if (stack.crypt) names.insert(names.end(), std::begin(kCryptModules), std::end(kCryptModules));
      if (choice.cryptsetup) {
        names.insert(names.end(), std::begin(kCryptsetupModules), std::end(kCryptsetupModules));
      }
      if (stack.lvm) {
        std::vector<std::string> lvm = LvmModules(LvmSegmentTypes(stack));
        names.insert(names.end(), lvm.begin(), lvm.end());
      }
      if (stack.raid && stack.raid_levels.empty()) {
        names.insert(names.end(), std::begin(kRaidModules), std::end(kRaidModules));
      } else if (stack.raid) {
        names.push_back("md_mod");
        names.insert(names.end(), stack.raid_levels.begin(), stack.raid_levels.end());
      }
    }
    for (const std::string& n : names) RETURN_IF_ERROR(r->Add(n).status());
    for (const std::string& n : o.extra_modules) {
      ASSIGN_OR_RETURN(int matched, r->Add(n));
      if (matched == 0) {
        return absl::NotFoundError(absl::StrCat("module ", n, " not found in ", dir,
                                                " (or built into the kernel)"));
      }
    }
    return r->AddToImage(absl::StrCat("/lib/modules/", kver), o.sysroot + o.firmware_dir,
                         files, warnings);
  }();
  if (own_scratch) fs::remove_all(scratch);
  return st;
}

// Helpers a rule runs: IMPORT{program}="x …", PROGRAM="x …", RUN+="x …".
std::set<std::string> RuleHelpers(const std::string& rules) {
  static const std::regex re(R"re((?:IMPORT\{program\}|PROGRAM|RUN\+?)="([^" ]+))re");
  std::set<std::string> out;
  for (std::sregex_iterator it(rules.begin(), rules.end(), re), end; it != end; ++it) {
    out.insert((*it)[1]);
  }
  return out;
}

absl::Status AddUdevd(const ImageOptions& o, LibraryResolver* libs, FileSet* files) {
  std::string udevd;
  for (const char* p : {"/lib/systemd/systemd-udevd", "/usr/lib/systemd/systemd-udevd"}) {
    if (Exists(o.sysroot + p)) {
      udevd = p;
      break;
    }
  }
  if (udevd.empty()) {
    return absl::NotFoundError(
        "--with-udevd: systemd-udevd not found (install the systemd package)");
  }
  RETURN_IF_ERROR(libs->AddWithDependencies(udevd, files));
  RETURN_IF_ERROR(AddTool(o, libs, "udevadm", files));
  std::string rules_dir, udev_dir;
  for (const char* d : {"/lib/udev", "/usr/lib/udev"}) {
    if (Exists(absl::StrCat(o.sysroot, d, "/rules.d"))) {
      udev_dir = d;
      break;
    }
  }
  if (udev_dir.empty()) return absl::NotFoundError("--with-udevd: no udev rules directory");
  for (const char* rule : kUdevRules) {
    std::string path = absl::StrCat(udev_dir, "/rules.d/", rule);
    if (!Exists(o.sysroot + path)) continue;
    RETURN_IF_ERROR(files->Add(path, FileSpec::HostFile(o.sysroot + path, 0644)));
    for (const std::string& h : RuleHelpers(ReadHostFileOrEmpty(o.sysroot + path))) {
      std::string helper = absl::StartsWith(h, "/") ? h : absl::StrCat(udev_dir, "/", h);
      if (absl::StrContains(helper, '$') || !Exists(o.sysroot + helper)) continue;
      RETURN_IF_ERROR(libs->AddWithDependencies(helper, files));
    }
  }
  if (Exists(o.sysroot + "/etc/udev/udev.conf")) {
    RETURN_IF_ERROR(files->Add("/etc/udev/udev.conf",
                               FileSpec::HostFile(o.sysroot + "/etc/udev/udev.conf", 0644)));
  }
  return absl::OkStatus();
}

absl::Status AddInclude(const std::string& host, const std::string& image, FileSet* files) {
  struct stat st;
  if (::lstat(host.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("--include ", host, ": not found"));
  }
  if (S_ISLNK(st.st_mode)) {
    return files->Add(image, FileSpec::Symlink(fs::read_symlink(host)), true);
  }
  if (!S_ISDIR(st.st_mode)) return files->Add(image, FileSpec::HostFile(host), true);
  RETURN_IF_ERROR(files->Add(image, FileSpec::Directory(st.st_mode & 07777), true));
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(host, ec)) {
    RETURN_IF_ERROR(AddInclude(e.path(), absl::StrCat(image, "/", e.path().filename().string()),
                               files));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StorageTools> ParseStorageTools(absl::string_view name) {
  if (name == "all") return StorageTools::kAll;
  if (name == "native") return StorageTools::kNative;
  if (name == "auto") return StorageTools::kAuto;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown --storage-tools \"", name, "\" (auto|all|native)"));
}

absl::StatusOr<std::string> FindTool(const ImageOptions& o, const std::string& name) {
  for (const std::string& d : o.tool_dirs) {
    std::string p = absl::StrCat(d, "/", name);
    struct stat st;
    if (::stat((o.sysroot + p).c_str(), &st) == 0 && S_ISREG(st.st_mode)) return p;
  }
  return absl::NotFoundError(absl::StrCat("binary ", name, " not found in ",
                                          o.sysroot, absl::StrJoin(o.tool_dirs, ":")));
}

absl::Status CollectFiles(const ImageOptions& o, FileSet* files,
                          std::vector<std::string>* warnings, std::vector<std::string>* notes) {
  if (o.init_path.empty() || !Exists(o.init_path)) {
    return absl::NotFoundError(absl::StrCat("supervisor binary \"", o.init_path,
                                            "\" not found (--init PATH)"));
  }
  RETURN_IF_ERROR(AddBase(files));
  // Jobs first: a bad job file should fail fast.
  RETURN_IF_ERROR(AddJobs(o, files));
  ASSIGN_OR_RETURN(HostStack stack, ReadHostStack(o.sysroot, o.sysfs));
  LibraryResolver libs(o.sysroot);
  // The supervisor is built for the target: its libraries come from the
  // sysroot like everyone else's.
  RETURN_IF_ERROR(files->Add("/init", FileSpec::HostFile(o.init_path, 0755)));
  RETURN_IF_ERROR(libs.AddDependencies(o.init_path, "/init", files));
  // Job files call `baton luks-unlock …` etc. through PATH.
  RETURN_IF_ERROR(files->Add("/sbin/baton", FileSpec::Symlink("/init")));
  // The kernel's request_module() runs /sbin/modprobe (md_mod, dm_mod,
  // crypto templates…); baton answers it through libkmod.
  RETURN_IF_ERROR(files->Add("/sbin/modprobe", FileSpec::Symlink("/init")));
  // initctl is a personality of the supervisor (supervisor/personality.h):
  // a link, not a second binary, unless --initctl names one.
  if (o.initctl_path.empty()) {
    RETURN_IF_ERROR(files->Add("/sbin/initctl", FileSpec::Symlink("/init")));
  } else {
    if (!Exists(o.initctl_path)) {
      return absl::NotFoundError(absl::StrCat("initctl binary \"", o.initctl_path,
                                              "\" not found (--initctl PATH)"));
    }
    RETURN_IF_ERROR(files->Add("/sbin/initctl", FileSpec::HostFile(o.initctl_path, 0755)));
    RETURN_IF_ERROR(libs.AddDependencies(o.initctl_path, "/sbin/initctl", files));
  }
  StorageToolChoice choice = ChooseTools(o, stack);
  if (notes != nullptr) notes->insert(notes->end(), choice.notes.begin(), choice.notes.end());
  RETURN_IF_ERROR(AddTools(o, stack, choice, &libs, files));
  RETURN_IF_ERROR(AddConfigs(o, stack, choice, files));
  RETURN_IF_ERROR(AddResumeDefault(o, files, notes));
  RETURN_IF_ERROR(AddKeymap(o, files, warnings, notes));
  RETURN_IF_ERROR(AddModules(o, stack, choice, files, warnings));
  if (o.with_udevd) {
    RETURN_IF_ERROR(AddUdevd(o, &libs, files));
  }
  for (const auto& [host, image] : o.includes) {
    RETURN_IF_ERROR(AddInclude(host, image, files));
  }
  RETURN_IF_ERROR(AddBusyboxLinks(o, files, warnings));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<CpioEntry>> ToCpioEntries(const FileSet& files) {
  std::vector<CpioEntry> out;
  out.reserve(files.size());
  for (const auto& [path, spec] : files.entries()) {
    CpioEntry e;
    e.path = path;
    switch (spec.kind) {
      case FileSpec::Kind::kHostFile: {
        struct stat st;
        if (::stat(spec.source.c_str(), &st) != 0) {
          return ErrnoStatus(errno, absl::StrCat("stat ", spec.source));
        }
        if (!S_ISREG(st.st_mode)) {
          return absl::InvalidArgumentError(
              absl::StrCat(spec.source, ": not a regular file (for ", path, ")"));
        }
        std::ifstream in(spec.source, std::ios::binary);
        if (!in) return ErrnoStatus(errno, absl::StrCat("open ", spec.source));
        std::ostringstream ss;
        ss << in.rdbuf();
        e.data = ss.str();
        e.mode = S_IFREG | (spec.mode != 0 ? spec.mode : (st.st_mode & 07777));
        break;
      }
      case FileSpec::Kind::kData:
        e.mode = S_IFREG | spec.mode;
        e.data = spec.data;
        break;
      case FileSpec::Kind::kSymlink:
        e.mode = S_IFLNK | 0777;
        e.data = spec.data;
        break;
      case FileSpec::Kind::kDirectory:
        e.mode = S_IFDIR | spec.mode;
        break;
      case FileSpec::Kind::kCharDevice:
        e.mode = S_IFCHR | spec.mode;
        e.rdev_major = spec.rdev_major;
        e.rdev_minor = spec.rdev_minor;
        break;
    }
    out.push_back(std::move(e));
  }
  return out;
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& data,
                                 uint32_t mode) {
  std::string tmp = path + ".tmp-XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", tmp));
  auto fail = [&](const char* what) {
    absl::Status s = ErrnoStatus(errno, absl::StrCat(what, " ", tmp));
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  };
  if (::fchmod(fd, mode) != 0) return fail("chmod");
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    done += n;
  }
  if (::fsync(fd) != 0) return fail("fsync");
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    absl::Status s = ErrnoStatus(errno, absl::StrCat("rename to ", path));
    ::unlink(tmp.c_str());
    return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<BuildReport> BuildImage(const ImageOptions& o) {
  auto start = std::chrono::steady_clock::now();
  auto last = start;
  BuildReport report;
  auto phase = [&](const char* name) {
    auto now = std::chrono::steady_clock::now();
    report.phases.emplace_back(name, std::chrono::duration<double>(now - last).count());
    last = now;
  };
  FileSet files;
  RETURN_IF_ERROR(CollectFiles(o, &files, &report.warnings, &report.notes));
  phase("collect");
  ASSIGN_OR_RETURN(std::vector<CpioEntry> entries, ToCpioEntries(files));
  phase("read");
  ASSIGN_OR_RETURN(std::string cpio, WriteCpio(std::move(entries), o.mtime));
  phase("cpio");
  report.uncompressed_bytes = cpio.size();
  ASSIGN_OR_RETURN(std::string packed, Compress(cpio, o.compression));
  phase(CompressionName(o.compression));
  report.compressed_bytes = packed.size();
  RETURN_IF_ERROR(WriteFileAtomically(o.output, packed, 0600));
  phase("write");
  report.files = files.size();
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

absl::StatusOr<std::string> ListImage(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoStatus(errno, absl::StrCat("open ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  ASSIGN_OR_RETURN(std::string plain, Decompress(ss.str()));
  ASSIGN_OR_RETURN(std::vector<CpioEntry> entries, ReadCpio(plain));
  return FormatListing(entries);
}

}  // namespace baton::mkinitramfs
