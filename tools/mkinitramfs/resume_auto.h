// RESUME=auto for a host-only image, as initramfs-tools' resume hook does it
// when /etc/initramfs-tools/conf.d/resume is missing or says RESUME=auto:
// the largest swap partition the running host has active, named by UUID.
// Left out, each with its reason in the note: swap files (resuming from one
// needs resume_offset=, which only the user can know is wanted), zram (RAM),
// and a dm-crypt swap whose crypttab line takes its key from /dev/urandom
// (or /dev/random, /dev/hwrng): its contents, and any image, are gone after
// a reboot. Only for the running host: a --sysroot's /proc/swaps would be
// this machine's.
#ifndef BATON_TOOLS_MKINITRAMFS_RESUME_AUTO_H_
#define BATON_TOOLS_MKINITRAMFS_RESUME_AUTO_H_

#include <string>
#include <vector>

#include "sys/proc_swaps.h"

namespace baton::mkinitramfs {

// What the host tells about one active swap area.
struct SwapFacts {
  sys::SwapArea area;
  std::string uuid;          // its filesystem UUID (/dev/disk/by-uuid); "" unknown
  std::string random_key;    // the crypttab key file when it is random; "" otherwise
};

struct ResumeAutoChoice {
  std::string resume;  // "UUID=…" or the device path; "" = no default
  std::string note;    // for the build's output, either way
};

// The largest eligible area (the first of equal ones); its UUID when known,
// else its path (the note says a path may not name the same device next
// boot).
ResumeAutoChoice PickResumeDevice(const std::vector<SwapFacts>& swaps);

// The UUID in the swap header of DEVICE (page 0: offset 1036, 16 bytes;
// "SWAPSPACE2" or a hibernation signature in its last 10 bytes), as
// "xxxxxxxx-xxxx-…"; "" when unreadable, not swap, or all zero.
std::string SwapHeaderUuid(const std::string& device);

// Gathers SwapFacts for the areas in ROOT/proc/swaps: the UUID from the
// ROOT/dev/disk/by-uuid link that resolves to the same path, the dm name
// from ROOT/sys/block/dm-N/dm/name and its key from CRYPTTAB's text. ROOT is
// "" on a real host (a test tree otherwise).
std::vector<SwapFacts> HostSwaps(const std::string& root, const std::string& crypttab);

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_RESUME_AUTO_H_
