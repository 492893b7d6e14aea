#include "tools/mkinitramfs/resume_auto.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "supervisor/stage1/crypttab.h"
#include "supervisor/stage1/resume.h"

namespace baton::mkinitramfs {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) != nullptr ? std::string(buf) : std::string();
}

bool IsRandomKey(absl::string_view key) {
  return key == "/dev/urandom" || key == "/dev/random" || key == "/dev/hwrng";
}

// Why AREA cannot hold a hibernation image baton would resume from; "" when
// it can.
std::string Ineligible(const SwapFacts& s) {
  if (s.area.type != "partition") {
    return absl::StrCat("a swap ", s.area.type.empty() ? "area" : s.area.type,
                        " (resume from a file needs resume_offset=)");
  }
  if (!absl::StartsWith(s.area.path, "/dev/")) return "not a device node";
  if (absl::StartsWith(s.area.path, "/dev/zram")) return "zram (in RAM)";
  if (!s.random_key.empty()) {
    return absl::StrCat("encrypted with a key from ", s.random_key, " (gone after a reboot)");
  }
  return "";
}

}  // namespace

std::string SwapHeaderUuid(const std::string& device) {
  constexpr size_t kPage = 4096;       // x86-64's; the header sits in page 0
  constexpr size_t kUuidAt = 1024 + 12;  // bootbits, version, last_page, nr_badpages
  std::ifstream in(device, std::ios::binary);
  std::string page(kPage, '\0');
  if (!in.read(page.data(), page.size())) return "";
  if (absl::string_view(page).substr(kPage - 10) != "SWAPSPACE2" &&
      !stage1::HasHibernationSignature(page)) {
    return "";
  }
  const unsigned char* u = reinterpret_cast<const unsigned char*>(page.data() + kUuidAt);
  bool zero = true;
  std::string text;
  for (int i = 0; i < 16; ++i) {
    if (u[i] != 0) zero = false;
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    absl::StrAppend(&text, absl::Hex(u[i], absl::kZeroPad2));
  }
  return zero ? "" : text;
}

ResumeAutoChoice PickResumeDevice(const std::vector<SwapFacts>& swaps) {
  ResumeAutoChoice choice;
  const SwapFacts* best = nullptr;
  std::string skipped;
  for (const SwapFacts& s : swaps) {
    std::string why = Ineligible(s);
    if (!why.empty()) {
      absl::StrAppend(&skipped, skipped.empty() ? "" : "; ", s.area.path, ": ", why);
      continue;
    }
    if (best == nullptr || s.area.size_kib > best->area.size_kib) best = &s;
  }
  const std::string left_out = skipped.empty() ? "" : absl::StrCat(" (left out: ", skipped, ")");
  if (best == nullptr) {
    choice.note = absl::StrCat("resume: no default (RESUME=auto and no active swap partition",
                               left_out, "); resume= on the kernel command line still works");
    return choice;
  }
  choice.resume = best->uuid.empty() ? best->area.path : absl::StrCat("UUID=", best->uuid);
  choice.note = absl::StrCat("resume: default RESUME=", choice.resume,
                             " (auto: the largest active swap partition, ", best->area.path, ", ",
                             best->area.size_kib, " KiB", left_out, ")");
  if (best->uuid.empty()) {
    absl::StrAppend(&choice.note, "; it has no UUID, and a device name can change between boots");
  }
  absl::StrAppend(&choice.note,
                  "; set RESUME= in /etc/initramfs-tools/conf.d/resume to choose another");
  return choice;
}

std::vector<SwapFacts> HostSwaps(const std::string& root, const std::string& crypttab) {
  std::vector<SwapFacts> out;
  std::vector<stage1::CrypttabEntry> crypt =
      stage1::ParseCrypttab(crypttab, "/etc/crypttab").entries;
  // Each by-uuid link's target, resolved once.
  std::vector<std::pair<std::string, std::string>> by_uuid;  // real path, uuid
  const std::string dir = root + "/dev/disk/by-uuid";
  if (DIR* d = ::opendir(dir.c_str())) {
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      std::string real = RealPath(dir + "/" + name);
      if (!real.empty()) by_uuid.emplace_back(real, name);
    }
    ::closedir(d);
  }
  for (sys::SwapArea& area : sys::ParseProcSwaps(ReadText(root + "/proc/swaps"))) {
    SwapFacts facts;
    const std::string real = RealPath(root + area.path);
    for (const auto& [target, uuid] : by_uuid) {
      if (!real.empty() && target == real) facts.uuid = uuid;
    }
    // No udev on this host (or no link yet): the swap header's own UUID.
    if (facts.uuid.empty() && area.type == "partition") facts.uuid = SwapHeaderUuid(root + area.path);
    const std::string base = area.path.substr(area.path.rfind('/') + 1);
    if (absl::StartsWith(base, "dm-")) {
      std::string name(absl::StripAsciiWhitespace(
          ReadText(absl::StrCat(root, "/sys/block/", base, "/dm/name"))));
      for (const stage1::CrypttabEntry& entry : crypt) {
        if (!name.empty() && entry.name == name && IsRandomKey(entry.key_file)) {
          facts.random_key = entry.key_file;
        }
      }
    }
    facts.area = std::move(area);
    out.push_back(std::move(facts));
  }
  return out;
}

}  // namespace baton::mkinitramfs
