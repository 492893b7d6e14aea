"""QEMU test infrastructure for baton (python3 stdlib only).

Modules:
  cache     cache dir and input hashing (${BATON_CACHE:-/var/cache/baton})
  kernel    Debian kernel fetched with apt-get download, unpacked in the cache
  modules   modules.dep / modules.softdep resolution for hand-made images
  cpio      reproducible newc cpio writer
  fixtures  fixture disk images made by a builder VM
  vm        QEMU runner (serial console buffer, wait_for, send, QMP hotplug)
  floor     the busybox "floor" initramfs (benchmark baseline)
"""
