// The curated module lists of baton-mkinitramfs.
//
// --generic images boot any common PC or VM: every module under
// kGenericModuleDirs plus the named kGenericModules (and what they depend
// on). Host-only images take a host device's module only when it lies under
// kHostDeviceDirs: the disks, their buses and the keyboard a passphrase is
// typed on — not the GPU, sound or network drivers the same sysfs walk finds.
#ifndef BATON_TOOLS_MKINITRAMFS_MODULE_LISTS_H_
#define BATON_TOOLS_MKINITRAMFS_MODULE_LISTS_H_

namespace baton::mkinitramfs {

// Relative to /lib/modules/VER. Whole directories: each is small (< 5 MB in
// Debian 6.1) and all of it is storage. drivers/scsi (22 MB, mostly
// fibre-channel HBAs with firmware) is not here; its common drivers are named
// below.
inline constexpr const char* kGenericModuleDirs[] = {
    "kernel/drivers/block",        // virtio_blk, loop, nbd, rbd…
    "kernel/drivers/ata",          // ahci, ata_piix, pata_*
    "kernel/drivers/nvme",         // nvme, nvme_core
    "kernel/drivers/md",           // md_mod, raid*, dm_*
    "kernel/drivers/virtio",       // virtio_pci, virtio_ring, virtio_mmio
    "kernel/drivers/mmc",          // sdhci, mmc_block
    "kernel/drivers/usb/storage",  // usb_storage, uas
    "kernel/drivers/usb/host",     // xhci_pci, ehci_pci, ohci_pci
    "kernel/fs/ext4",
    "kernel/fs/xfs",
    "kernel/fs/btrfs",
    "kernel/fs/fat",               // vfat for /boot/efi
    "kernel/fs/isofs",
};

// Parts of kGenericModuleDirs left out: cluster, network and test block
// devices that no local root needs (together ~8 MB in Debian 6.1), unless a
// module that is in needs them.
inline constexpr const char* kGenericExcludes[] = {
    "kernel/drivers/block/drbd",      "kernel/drivers/block/rnbd",
    "kernel/drivers/block/rbd.ko",    "kernel/drivers/block/null_blk",
    "kernel/drivers/block/nbd.ko",    "kernel/drivers/block/aoe",
    "kernel/drivers/nvme/target",     "kernel/drivers/nvme/host/nvme-rdma.ko",
    "kernel/drivers/nvme/host/nvme-fc.ko", "kernel/drivers/nvme/host/nvme-tcp.ko",
    "kernel/drivers/md/bcache",       "kernel/drivers/md/md-cluster.ko",
    "kernel/drivers/md/dm-log-userspace.ko",
};

// By name (libkmod resolves aliases too). Missing names are skipped: not
// every kernel builds every one as a module.
inline constexpr const char* kGenericModules[] = {
    // SCSI disks and the HBAs of common VMs and servers.
    "sd_mod", "sr_mod", "scsi_mod", "virtio_scsi", "vmw_pvscsi", "hv_storvsc",
    "megaraid_sas", "mpt3sas", "hpsa", "aacraid",
    // Keyboards, for the LUKS passphrase and the rescue shell.
    "atkbd", "i8042", "usbhid", "hid_generic", "hid",
    // Device mapper and md personalities.
    "dm_mod", "dm_crypt", "dm_snapshot", "dm_mirror", "dm_raid", "dm_integrity",
    "md_mod", "raid0", "raid1", "raid10", "raid456", "linear",
    // The ciphers and hashes LUKS1/LUKS2 and ext4/btrfs use by default.
    "xts", "ecb", "cbc", "essiv", "aes_generic", "aesni_intel", "sha256_generic",
    "sha256_ssse3", "sha512_generic", "sha512_ssse3", "crc32c_generic",
    "crc32c_intel", "crc32_pclmul", "algif_skcipher", "af_alg", "dm_bufio",
    "libcrc32c", "xxhash_generic", "blake2b_generic",
    // Filesystem helpers loaded by alias rather than dependency.
    "fs-ext4", "fs-vfat", "nls_cp437", "nls_iso8859_1", "nls_utf8",
};

// Host-only: a device's module is kept only under one of these.
inline constexpr const char* kHostDeviceDirs[] = {
    "kernel/drivers/block",       "kernel/drivers/ata",
    "kernel/drivers/scsi",        "kernel/drivers/nvme",
    "kernel/drivers/md",          "kernel/drivers/virtio",
    "kernel/drivers/mmc",         "kernel/drivers/usb/storage",
    "kernel/drivers/usb/host",    "kernel/drivers/hid",
    "kernel/drivers/input/keyboard", "kernel/drivers/input/serio",
    "kernel/drivers/pci/controller", "kernel/drivers/hv",
    "kernel/drivers/firmware",
};

// The root stack's needs (host-only; host_config.h decides which apply).
inline constexpr const char* kCryptModules[] = {
    "dm_crypt", "xts", "ecb", "cbc", "aes_generic", "aesni_intel",
    "sha256_generic", "sha256_ssse3",
};
// cryptsetup decrypts key slots through the kernel's crypto API (AF_ALG);
// baton's native unlock does it in software. Only with cryptsetup.
inline constexpr const char* kCryptsetupModules[] = {"algif_skcipher", "af_alg"};
// LVM with segment types unknown (no /etc/lvm/backup for the root's VG):
// every target an LV commonly uses.
inline constexpr const char* kLvmModules[] = {
    "dm_mod", "dm_snapshot", "dm_mirror", "dm_thin_pool", "dm_raid",
};
// LVM segment type (as in /etc/lvm/backup) -> the device-mapper target
// module activating it; "" for targets built into dm_mod (linear, striped).
// "raid*" types (raid1, raid5_ls, raid10_near…) are dm_raid. A type not
// listed means "unknown": kLvmModules.
struct LvmSegmentModule {
  const char* type;
  const char* module;
};
inline constexpr LvmSegmentModule kLvmSegmentModules[] = {
    {"striped", ""},           {"linear", ""},
    {"error", ""},             {"zero", ""},
    {"mirror", "dm_mirror"},   {"snapshot", "dm_snapshot"},
    {"thin", "dm_thin_pool"},  {"thin-pool", "dm_thin_pool"},
    {"cache", "dm_cache"},     {"cache-pool", "dm_cache"},
    {"writecache", "dm_writecache"}, {"integrity", "dm_integrity"},
};
// md with the arrays' levels unknown (no level= in mdadm.conf, no running
// array): every personality.
inline constexpr const char* kRaidModules[] = {
    "md_mod", "raid0", "raid1", "raid10", "raid456", "linear",
};

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_MODULE_LISTS_H_
