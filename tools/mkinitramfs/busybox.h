// Busybox's applets as links in the image.
//
// Debian ships two busyboxes: busybox-static (FEATURE_SH_STANDALONE and
// FEATURE_PREFER_APPLETS: its shell runs any applet by name, link or not)
// and busybox (dynamic, half the size compressed, neither feature: `sh -c ls`
// fails unless PATH has an `ls`). The image gets a link for every applet
// either way, like initramfs-tools' zz-busybox hook: the same image behaves
// the same with both, and a program that is not busybox's shell (a job's
// exec, another tool) finds applets through PATH too. About 270 links cost
// ~3 KB compressed.
//
// The list comes from running the sysroot's busybox with --list-full (what
// initramfs-tools does; it prints "bin/ls", "sbin/blkid", "usr/bin/xzcat").
// When that cannot run (a binary for another architecture or libc) the
// applet names are read from the binary itself: busybox keeps them as one
// run of NUL-terminated strings that starts "[\0[[\0" and ends with an empty
// string; those links go to /bin.
#ifndef BATON_TOOLS_MKINITRAMFS_BUSYBOX_H_
#define BATON_TOOLS_MKINITRAMFS_BUSYBOX_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/mkinitramfs/file_set.h"

namespace baton::mkinitramfs {

// Applets never linked: the kernel falls back to /sbin/init when /init
// cannot run, and that fallback should be a shell, not busybox's init
// without an inittab; linuxrc is the same for initrds.
inline constexpr const char* kBusyboxSkippedApplets[] = {"init", "linuxrc"};

// The directories an applet's name is looked for in before it is linked: a
// real tool of that name in any of them wins (PATH order would otherwise
// decide, and scripts that use a full path would get busybox's).
inline constexpr const char* kBinDirs[] = {"/usr/sbin", "/usr/bin", "/sbin", "/bin"};

// "bin/ls\nsbin/blkid\n…" (busybox --list-full) -> {"/bin/ls", "/sbin/blkid"}.
// Lines without a '/' go to /bin; blank lines are skipped; a line that is
// not a plain relative path (".." or an absolute path) is an error.
absl::StatusOr<std::vector<std::string>> ParseBusyboxList(absl::string_view text);

// The applet names stored in a busybox binary (see above), or empty when the
// table is not found.
std::vector<std::string> AppletNamesInBinary(absl::string_view binary);

// The image paths of BUSYBOX_HOST_PATH's applets: --list-full, else the
// binary's table (a warning says which fell back and why), else NotFound.
absl::StatusOr<std::vector<std::string>> BusyboxAppletPaths(
    const std::string& busybox_host_path, std::vector<std::string>* warnings);

// Adds a link to BUSYBOX (its image path) at each of APPLET_PATHS unless the
// applet is skipped or a file of that name is already in one of kBinDirs.
// Returns how many links were added.
absl::StatusOr<int> AddAppletLinks(const std::string& busybox,
                                   const std::vector<std::string>& applet_paths,
                                   FileSet* files);

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_BUSYBOX_H_
