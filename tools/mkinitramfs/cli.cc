#include "tools/mkinitramfs/cli.h"

#include <sys/stat.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sys/status_macros.h"

namespace baton::mkinitramfs {

const char kUsage[] =
    "usage: baton-mkinitramfs -o IMAGE [--kver VER] [--modules-dir DIR] [--generic]\n"
    "           [--with-udevd] [--compress zstd|gzip|xz|lz4|none] [--jobs DIR]...\n"
    "           [--include HOSTPATH[:IMAGEPATH]]... [--init PATH] [--initctl PATH]\n"
    "           [--sysroot DIR] [--extra-module NAME]... [--storage-tools auto|all|native]\n"
    "           [--keymap FILE|NAME|none]\n"
    "       baton-mkinitramfs --list IMAGE\n";

namespace {

bool IsFile(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args,
                                             const std::string& self_dir,
                                             const char* source_date_epoch) {
  CommandLine cl;
  ImageOptions& o = cl.image;
  bool have_init = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string opt = args[i], value;
    bool inline_value = false;
    if (opt.rfind("--", 0) == 0 && opt.find('=') != std::string::npos) {
      value = opt.substr(opt.find('=') + 1);
      opt = opt.substr(0, opt.find('='));
      inline_value = true;
    }
    auto next = [&]() -> absl::StatusOr<std::string> {
      if (inline_value) return value;
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat(opt, " needs a value"));
      }
      return args[++i];
    };
    if (opt == "-h" || opt == "--help") {
      cl.help = true;
    } else if (opt == "-o" || opt == "--output") {
      ASSIGN_OR_RETURN(o.output, next());
    } else if (opt == "--list") {
      ASSIGN_OR_RETURN(cl.list, next());
    } else if (opt == "--kver") {
      ASSIGN_OR_RETURN(o.kver, next());
    } else if (opt == "--modules-dir") {
      ASSIGN_OR_RETURN(o.modules_dir, next());
    } else if (opt == "--generic") {
      o.generic = true;
    } else if (opt == "--with-udevd") {
      o.with_udevd = true;
    } else if (opt == "--compress") {
      ASSIGN_OR_RETURN(std::string c, next());
      ASSIGN_OR_RETURN(o.compression, ParseCompression(c));
    } else if (opt == "--storage-tools") {
      ASSIGN_OR_RETURN(std::string t, next());
      ASSIGN_OR_RETURN(o.storage_tools, ParseStorageTools(t));
    } else if (opt == "--jobs") {
      ASSIGN_OR_RETURN(std::string d, next());
      o.job_dirs.push_back(d);
    } else if (opt == "--include") {
      ASSIGN_OR_RETURN(std::string inc, next());
      size_t colon = inc.find(':');
      std::string host = inc.substr(0, colon);
      std::string image = colon == std::string::npos ? host : inc.substr(colon + 1);
      if (host.empty() || image.empty() || image[0] != '/') {
        return absl::InvalidArgumentError(
            absl::StrCat("--include ", inc, ": want HOSTPATH[:/IMAGEPATH]"));
      }
      o.includes.emplace_back(host, image);
    } else if (opt == "--init") {
      ASSIGN_OR_RETURN(o.init_path, next());
      have_init = true;
    } else if (opt == "--initctl") {
      ASSIGN_OR_RETURN(o.initctl_path, next());
    } else if (opt == "--sysroot") {
      ASSIGN_OR_RETURN(o.sysroot, next());
      while (o.sysroot.size() > 1 && o.sysroot.back() == '/') o.sysroot.pop_back();
      if (o.sysroot == "/") o.sysroot.clear();
    } else if (opt == "--keymap") {
      ASSIGN_OR_RETURN(o.keymap, next());
      if (o.keymap.empty()) {
        return absl::InvalidArgumentError("--keymap needs FILE, NAME or none");
      }
    } else if (opt == "--extra-module") {
      ASSIGN_OR_RETURN(std::string m, next());
      o.extra_modules.push_back(m);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown option ", args[i], "\n", kUsage));
    }
  }
  if (cl.help || !cl.list.empty()) return cl;
  if (o.output.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("-o IMAGE is required\n", kUsage));
  }
  if (!have_init) {
    o.init_path = self_dir + "/baton";
    if (!IsFile(o.init_path)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "no supervisor binary at ", o.init_path, "; pass --init PATH"));
    }
  }
  if (source_date_epoch != nullptr && *source_date_epoch != '\0' &&
      !absl::SimpleAtoi(source_date_epoch, &o.mtime)) {
    return absl::InvalidArgumentError(
        absl::StrCat("SOURCE_DATE_EPOCH=", source_date_epoch, " is not a number"));
  }
  return cl;
}

}  // namespace baton::mkinitramfs
