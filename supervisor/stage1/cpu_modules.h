// Modules for CPU features this CPU lacks: told not to be tried.
//
// A module with an x86cpu device table (crc32c_intel needs SSE4.2,
// aesni_intel AES-NI, ghash_clmulni_intel PCLMULQDQ…) has "cpu:type:…"
// aliases in modules.alias, and its init fails with ENODEV on a CPU that
// none of them matches. It is tried all the same whenever another alias or
// a softdep names it: ext4's "softdep pre: crc32c" matches crc32c_generic
// and crc32c_intel, and libkmod, like modprobe, loads every match. Each
// failed load costs; under TCG (whose default CPU has no SSE4.2)
// crc32c_intel's took 36 ms of a 2.6 s plain boot, where crc32c_generic's
// took 5.
//
// Stage 1 matches the image's cpu aliases against
// /sys/devices/system/cpu/modalias (fnmatch, as libkmod matches aliases)
// and writes `install MODULE /bin/true` for each module none of whose cpu
// aliases matches into sys::kRuntimeConfigDir/cpu-features.conf. Only
// baton's loaders read that folder (sys/kmod_loader.h, which answers
// /bin/true without a process); the real root's modprobe does not.
#ifndef BATON_SUPERVISOR_STAGE1_CPU_MODULES_H_
#define BATON_SUPERVISOR_STAGE1_CPU_MODULES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sys/kernel.h"

namespace baton::stage1 {

// The file written, under sys::kRuntimeConfigDir.
inline constexpr char kCpuFeaturesConf[] = "cpu-features.conf";

// Pure: the modules (sorted, once each) that have "alias cpu:…" lines in
// MODULES_ALIAS (modules.alias text) none of which matches CPU_MODALIAS.
// An empty CPU_MODALIAS (no such file: not known) names none.
std::vector<std::string> ModulesForMissingCpuFeatures(absl::string_view modules_alias,
                                                      absl::string_view cpu_modalias);

// Reads MODULES_DIR/modules.alias and SYS_ROOT/devices/system/cpu/modalias,
// and writes CONFIG_DIR/kCpuFeaturesConf when a module is to be left out.
// Returns those modules (empty when either file is missing).
absl::StatusOr<std::vector<std::string>> WriteCpuFeatureConfig(sys::Kernel& kernel,
                                                               const std::string& modules_dir,
                                                               const std::string& sys_root,
                                                               const std::string& config_dir);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_CPU_MODULES_H_
