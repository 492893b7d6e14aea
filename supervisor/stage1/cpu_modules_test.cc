#include "supervisor/stage1/cpu_modules.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"

namespace baton::stage1 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Lines as depmod writes them (Debian 6.1).
constexpr char kAliases[] =
    "# Aliases extracted from modules themselves.\n"
    "alias crypto-crc32c crc32c_intel\n"
    "alias crc32c crc32c_intel\n"
    "alias cpu:type:x86,ven*fam*mod*:feature:*0094* crc32c_intel\n"
    "alias crc32c crc32c_generic\n"
    "alias cpu:type:x86,ven*fam*mod*:feature:*0099* aesni_intel\n"
    "alias cpu:type:x86,ven0000fam0006mod*:feature:*0016* acpi_cpufreq\n"
    "alias cpu:type:x86,ven*fam*mod*:feature:*00E8* acpi_cpufreq\n"
    "alias virtio:d00000002v* virtio_blk\n"
    "alias pci:v*d*sv*sd*bc01sc00i* xalias cpu:type:x86 not_a_line\n";

// QEMU's TCG CPU (qemu64): no SSE4.2 (0094), no AES (0099); ACPI (0016).
constexpr char kTcgCpu[] =
    "cpu:type:x86,ven0002fam000Fmod006B:feature:,0000,0002,0003,0004,0005,0006,0007,0008,"
    "0009,000B,000C,000D,000E,000F,0010,0011,0013,0016,0017,0018,0019,0034,0080,0081\n";

TEST(CpuModulesTest, ModulesWhoseCpuAliasesAllMissAreNamed) {
  EXPECT_THAT(ModulesForMissingCpuFeatures(kAliases, kTcgCpu),
              ElementsAre("acpi_cpufreq", "aesni_intel", "crc32c_intel"));
}

TEST(CpuModulesTest, OneMatchingCpuAliasKeepsTheModule) {
  // An Intel CPU with SSE4.2 and ACPI: only aesni_intel is left out.
  const std::string intel =
      "cpu:type:x86,ven0000fam0006mod00A7:feature:,0000,0016,0094,00E0\n";
  EXPECT_THAT(ModulesForMissingCpuFeatures(kAliases, intel), ElementsAre("aesni_intel"));
}

TEST(CpuModulesTest, UnknownCpuNamesNone) {
  EXPECT_THAT(ModulesForMissingCpuFeatures(kAliases, ""), IsEmpty());
  EXPECT_THAT(ModulesForMissingCpuFeatures(kAliases, " \n"), IsEmpty());
}

TEST(CpuModulesTest, WritesInstallTrueLines) {
  sys::FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/lib/modules/6.1").ok());
  ASSERT_TRUE(kernel.WriteFile("/lib/modules/6.1/modules.alias", kAliases).ok());
  ASSERT_TRUE(kernel.MkdirAll("/sys/devices/system/cpu").ok());
  ASSERT_TRUE(kernel.WriteFile("/sys/devices/system/cpu/modalias", kTcgCpu).ok());
  absl::StatusOr<std::vector<std::string>> left_out =
      WriteCpuFeatureConfig(kernel, "/lib/modules/6.1", "/sys", "/run/baton/modprobe.d");
  ASSERT_TRUE(left_out.ok()) << left_out.status();
  EXPECT_THAT(*left_out, ElementsAre("acpi_cpufreq", "aesni_intel", "crc32c_intel"));
  absl::StatusOr<std::string> conf = kernel.ReadFile("/run/baton/modprobe.d/cpu-features.conf");
  ASSERT_TRUE(conf.ok()) << conf.status();
  EXPECT_THAT(*conf, HasSubstr("\ninstall acpi_cpufreq /bin/true\ninstall aesni_intel /bin/true\n"
                               "install crc32c_intel /bin/true\n"));
}

TEST(CpuModulesTest, NothingWrittenWithoutTheFilesOrAMiss) {
  sys::FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/lib/modules/6.1").ok());
  ASSERT_TRUE(kernel.WriteFile("/lib/modules/6.1/modules.alias", kAliases).ok());
  // No /sys/devices/system/cpu/modalias.
  absl::StatusOr<std::vector<std::string>> left_out =
      WriteCpuFeatureConfig(kernel, "/lib/modules/6.1", "/sys", "/run/baton/modprobe.d");
  ASSERT_TRUE(left_out.ok());
  EXPECT_THAT(*left_out, IsEmpty());
  EXPECT_FALSE(kernel.ReadFile("/run/baton/modprobe.d/cpu-features.conf").ok());
  ASSERT_TRUE(kernel.MkdirAll("/sys/devices/system/cpu").ok());
  ASSERT_TRUE(kernel
                  .WriteFile("/sys/devices/system/cpu/modalias",
                             "cpu:type:x86,ven0000fam0006mod0001:feature:,0016,0094,0099,00E8\n")
                  .ok());
  left_out = WriteCpuFeatureConfig(kernel, "/lib/modules/6.1", "/sys", "/run/baton/modprobe.d");
  ASSERT_TRUE(left_out.ok());
  EXPECT_THAT(*left_out, IsEmpty());
  EXPECT_FALSE(kernel.ReadFile("/run/baton/modprobe.d/cpu-features.conf").ok());
}

}  // namespace
}  // namespace baton::stage1
