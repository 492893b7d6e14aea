// `modprobe` for the initramfs: the kernel's request_module() runs
// /sbin/modprobe (-q -- NAME) when md, device-mapper, crypto or a filesystem
// asks for a module (md_mod for /dev/md*, dm_mod for cryptsetup and lvm,
// "crypto-xts(aes)"…). The image has no kmod binary: /sbin/modprobe is a
// link to baton, which answers through libkmod (sys/kmod_loader.h) with
// dependencies, softdeps and blacklists, as kmod's modprobe does.
//
//   modprobe [-q] [-b] [-v] [--] NAME [PARAM=VALUE…]
//
// Module parameters are not passed on (stage 1 needs none; a warning says
// so). Unknown options are ignored, as the kernel only ever passes these.
// Exit status: 0 loaded or nothing to load, 1 failed, 2 usage.
#ifndef BATON_SUPERVISOR_STAGE1_MODPROBE_H_
#define BATON_SUPERVISOR_STAGE1_MODPROBE_H_

#include <functional>
#include <string>
#include <vector>

#include "sys/modules.h"

namespace baton::stage1 {

// ARGS: the arguments after argv[0]. ERR gets messages (without newline).
int ModprobeMain(const std::vector<std::string>& args, sys::ModuleLoader& loader,
                 const std::function<void(const std::string&)>& err);

// main()'s entry: makes a KmodLoader for the running kernel.
int RunModprobe(int argc, char** argv);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_MODPROBE_H_
