// The console keymap the image carries (stage 1 loads it before any prompt:
// supervisor/stage1/keymap.h).
//
//   --keymap FILE   a loadkeys keymap (text, .gz) or a binary keymap
//                   ("bkeymap", e.g. from `loadkeys -b`), on the build host
//   --keymap NAME   a keymap name the build host's loadkeys resolves
//                   (de-latin1, fr…; kbd or console-data keymaps)
//   --keymap none   no keymap
//   default         the host's, as initramfs-tools' KEYMAP=y takes it:
//                   SYSROOT/etc/console-setup/cached_*.kmap.gz (Debian's
//                   console-setup compiles the XKB layout of
//                   /etc/default/keyboard there), else KEYMAP= of
//                   SYSROOT/etc/vconsole.conf (systemd's; a name), else none.
//
// A text keymap is compiled with the build host's `loadkeys -b` (kbd), so
// the image needs no loadkeys and stage 1 parses nothing but the binary
// form. Without loadkeys an explicit --keymap is an error and the host's
// default a warning (the image is built, US layout). The compiled keymap is
// checked with stage 1's own parser before it goes in.
#ifndef BATON_TOOLS_MKINITRAMFS_KEYMAP_H_
#define BATON_TOOLS_MKINITRAMFS_KEYMAP_H_

#include <string>

#include "absl/status/statusor.h"

namespace baton::mkinitramfs {

struct KeymapChoice {
  std::string source;  // a host path or a name for loadkeys; empty: none
  std::string from;    // why: "--keymap", "/etc/console-setup/…", "/etc/vconsole.conf"
  bool explicit_option = false;
};

// OPTION is --keymap's value (empty: not given).
KeymapChoice ChooseKeymap(const std::string& option, const std::string& sysroot);

// SOURCE's binary keymap: read as is when it is one, else `LOADKEYS -b
// SOURCE`'s output. Errors name SOURCE.
absl::StatusOr<std::string> CompileKeymap(const std::string& source,
                                          const std::string& loadkeys = "loadkeys");

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_KEYMAP_H_
