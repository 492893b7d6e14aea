#include "tools/mkinitramfs/busybox.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sys/status_macros.h"
#include "tools/mkinitramfs/compress.h"

namespace baton::mkinitramfs {
namespace {

bool ValidName(absl::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseBusyboxList(absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    std::vector<absl::string_view> parts = absl::StrSplit(line, '/');
    bool ok = !absl::StartsWith(line, "/");
    for (absl::string_view p : parts) ok &= ValidName(p);
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("busybox --list-full: bad applet path \"", line, "\""));
    }
    out.push_back(parts.size() == 1 ? absl::StrCat("/bin/", line) : absl::StrCat("/", line));
  }
  return out;
}

std::vector<std::string> AppletNamesInBinary(absl::string_view binary) {
  static constexpr absl::string_view kStart("[\0[[\0", 5);
  size_t at = binary.find(kStart);
  std::vector<std::string> names;
  if (at == absl::string_view::npos) return names;
  while (at < binary.size()) {
    size_t end = binary.find('\0', at);
    if (end == absl::string_view::npos) return {};  // no terminator: not the table
    absl::string_view name = binary.substr(at, end - at);
    if (name.empty()) return names;  // the table's end
    if (!ValidName(name)) return {};
    names.emplace_back(name);
    at = end + 1;
  }
  return {};
}

absl::StatusOr<std::vector<std::string>> BusyboxAppletPaths(
    const std::string& busybox, std::vector<std::string>* warnings) {
  std::string why;
  absl::StatusOr<std::string> listed = RunFilter({busybox, "--list-full"}, "");
  if (listed.ok()) {
    absl::StatusOr<std::vector<std::string>> paths = ParseBusyboxList(*listed);
    if (paths.ok() && !paths->empty()) return paths;
    why = paths.ok() ? "it printed no applets" : std::string(paths.status().message());
  } else {
    why = std::string(absl::StripAsciiWhitespace(listed.status().message()));
  }
  std::ifstream in(busybox, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::vector<std::string> names = AppletNamesInBinary(ss.str());
  if (names.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "cannot list the applets of ", busybox, ": `", busybox, " --list-full`: ", why,
        "; and no applet name table in the binary"));
  }
  if (warnings != nullptr) {
    warnings->push_back(absl::StrCat("`", busybox, " --list-full` failed (", why,
                                     "); linked the ", names.size(),
                                     " applets named in the binary in /bin"));
  }
  std::vector<std::string> out;
  for (const std::string& n : names) out.push_back("/bin/" + n);
  return out;
}

absl::StatusOr<int> AddAppletLinks(const std::string& busybox,
                                   const std::vector<std::string>& applet_paths,
                                   FileSet* files) {
  int added = 0;
  for (const std::string& path : applet_paths) {
    std::string name = path.substr(path.rfind('/') + 1);
    bool skip = false;
    for (const char* s : kBusyboxSkippedApplets) skip |= name == s;
    for (const char* d : kBinDirs) skip |= files->Contains(absl::StrCat(d, "/", name));
    // The link's own path too, when it is outside kBinDirs.
    skip |= files->Contains(path);
    if (skip) continue;
    RETURN_IF_ERROR(files->Add(path, FileSpec::Symlink(busybox)));
    ++added;
  }
  return added;
}

}  // namespace baton::mkinitramfs
