/* config.h for the vendored libkmod (what kmod 30's configure finds on
 * Debian 12 / glibc, with --sysconfdir=/etc as Debian builds it). No
 * OpenSSL (signature details in kmod_module_get_info only), no xz, zstd or
 * zlib: plain .ko files only (README.md). */
#pragma once

#define _GNU_SOURCE 1
#define PACKAGE "kmod"
#define VERSION "30"
#define SYSCONFDIR "/etc"
#define KMOD_FEATURES "-XZ -ZSTD -ZLIB -LIBCRYPTO (vendored in baton)"

#define ENABLE_LOGGING 1

#define HAVE_SECURE_GETENV 1
#define HAVE_LINUX_MODULE_H 1
#define HAVE_STRUCT_STAT_ST_MTIM 1
#define HAVE_DECL_STRNDUPA 1
#define HAVE_DECL_BE32TOH 1
#define HAVE_STATIC_ASSERT 1
#define HAVE_NORETURN 1
#define HAVE___BUILTIN_CLZ 1
#define HAVE___BUILTIN_TYPES_COMPATIBLE_P 1
#define HAVE___BUILTIN_UADDL_OVERFLOW 1
#define HAVE___BUILTIN_UADDLL_OVERFLOW 1
