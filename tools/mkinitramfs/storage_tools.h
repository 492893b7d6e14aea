// --storage-tools auto: whether a host-only image needs the lvm and
// cryptsetup tools, or baton's native activation (supervisor/stage1/
// lvm_native.h, luks_open.h) covers the host's root stack.
//
// A tool is left out only when the stack can be shown to need nothing more
// than the native code handles; otherwise it is kept with one line saying
// why (BuildReport::notes).
//
// LVM, for each VG the root stack uses (the VG of a /dev/VG/LV or
// /dev/mapper/VG-LV root; every VG for a UUID=/LABEL= root):
//   * SYSROOT/etc/lvm/backup/VG (lvm rewrites it after every change), as
//     ReadHostStack parsed it with stage 1's metadata text parser
//     (HostStack::lvm_backups: the file is not read again here; one that did
//     not parse keeps the tool, its error naming the file and line);
//   * without a sysroot also the live metadata: the PVs under the host's
//     active LVM dm devices (SYSFS/block/dm-*/slaves, recursively), read with
//     lvm_native's ReadLvmPv (the copy with the highest seqno).
// Every segment of every LV (hidden ones too: the parts of thin pools, RAID
// and snapshots are hidden LVs) must be "striped" (lvm's name for linear and
// striped), and the VG neither EXPORTED nor bound to a system_id nor shared
// (lock_type): those are what ActivateLvmNative refuses. A VG with neither a
// backup nor live metadata keeps the tool (nothing shows what it holds).
//
// LUKS, for each crypttab line:
//   * options: stage 1 acts on luks, discard, readonly/read-only, noauto,
//     nofail, keyfile-size=, keyfile-offset=, tries=, header= the same with
//     or without cryptsetup; initramfs, noearly, timeout=, _netdev, keyslot=/
//     key-slot= and x-systemd.* do not change how the volume is opened. Any
//     other option (plain, tcrypt, bitlk, keyscript=, tpm2-device=,
//     fido2-device=, pkcs11-uri=, cipher=, …) keeps cryptsetup.
//   * without a sysroot: the header (the header= file, else the device:
//     UUID= → /dev/disk/by-uuid/…, PARTUUID=, LABEL=, PARTLABEL= likewise,
//     a path as written) is read and parsed with luks_header.h; anything it
//     refuses (integrity, reencryption, other ciphers, token-only slots) or
//     a device that cannot be read keeps cryptsetup.
//   * with a sysroot the devices are not this machine's: the header cannot
//     be checked, so cryptsetup is kept (--storage-tools native overrides).
#ifndef BATON_TOOLS_MKINITRAMFS_STORAGE_TOOLS_H_
#define BATON_TOOLS_MKINITRAMFS_STORAGE_TOOLS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "supervisor/stage1/crypttab.h"
#include "sys/kernel.h"
#include "tools/mkinitramfs/host_config.h"

namespace baton::mkinitramfs {

struct StorageToolChoice {
  bool cryptsetup = false;
  bool lvm = false;
  // One line per tool considered: why it is kept or left out.
  std::vector<std::string> notes;
};

// "" when the native activation handles the whole VG; else why not:
// "VG vg0 (/etc/lvm/backup/vg0): LV pool has segment type thin-pool".
std::string LvmNeedsTool(const LvmVgFacts& vg);

// "" when stage 1 opens the crypttab line natively as it would with
// cryptsetup; else why not: "crypttab line 2 (root): option keyscript=…".
std::string CrypttabNeedsCryptsetup(const stage1::CrypttabEntry& entry);

// Where the header of ENTRY is read on the running host: header= when
// given, else the device (UUID=… → /dev/disk/by-uuid/…).
std::string LuksHeaderPath(const stage1::CrypttabEntry& entry);

// Reads and parses the LUKS header at PATH with KERNEL; "" when the native
// unlock supports it, else why not (the parser's or the read's error).
std::string LuksHeaderNeedsCryptsetup(sys::Kernel& kernel, const std::string& path);

// The VGs of the host's active LVM devices, read from their PVs
// (SYSFS/block/dm-*/dm/uuid "LVM-…", slaves followed through other LVM
// devices; each PV read at /dev/NAME). Unreadable PVs go to ERRORS.
std::vector<LvmVgFacts> LiveLvmVgs(sys::Kernel& kernel, const std::string& sysfs,
                                   std::vector<std::string>* errors);

// The --storage-tools auto decision for a host-only image of STACK read
// from SYSROOT ("" = the running host, looked at through KERNEL and SYSFS:
// the live PVs and the LUKS headers; the LVM backups come from STACK).
StorageToolChoice ChooseStorageTools(sys::Kernel& kernel, const std::string& sysroot,
                                     const std::string& sysfs, const HostStack& stack);

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_STORAGE_TOOLS_H_
