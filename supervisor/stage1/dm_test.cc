#include "supervisor/stage1/dm.h"

#include <sys/sysmacros.h>

#include <cerrno>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"

namespace baton::stage1 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

DmDevice Spec() {
  DmDevice spec;
  spec.name = "vg-lv";
  spec.uuid = "LVM-x";
  spec.targets = {{0, 100, "linear", "8:1 2048"}};
  spec.read_only = true;
  return spec;
}

TEST(ActivateDmTest, CreatesLoadsAndResumes) {
  sys::FakeKernel kernel;
  absl::StatusOr<dev_t> dev = ActivateDm(kernel, Spec());
  ASSERT_TRUE(dev.ok()) << dev.status();
  EXPECT_EQ(*dev, makedev(253, 0));
  EXPECT_THAT(kernel.calls(),
              ElementsAre("dm_create vg-lv LVM-x", "dm_load vg-lv linear ro", "dm_resume vg-lv"));
  const auto& rec = kernel.dm_devices().at("vg-lv");
  EXPECT_EQ(sys::FakeKernel::DmTableText(rec.table), "0 100 linear 8:1 2048\n");
  EXPECT_TRUE(rec.read_only);
}

TEST(ActivateDmTest, FailedLoadRemovesTheDevice) {
  sys::FakeKernel kernel;
  kernel.FailNext("dm_load", EINVAL);
  absl::StatusOr<dev_t> dev = ActivateDm(kernel, Spec());
  ASSERT_FALSE(dev.ok());
  EXPECT_THAT(dev.status().message(), HasSubstr("vg-lv"));
  EXPECT_THAT(dev.status().message(), Not(HasSubstr("2048")));  // no params in errors
  EXPECT_TRUE(kernel.dm_devices().empty());
  EXPECT_THAT(kernel.calls(), ElementsAre("dm_create vg-lv LVM-x",
                                          "dm_load vg-lv linear ro -> EINVAL", "dm_remove vg-lv"));
}

TEST(ActivateDmTest, FailedResumeAndRemoveSaysBoth) {
  sys::FakeKernel kernel;
  kernel.FailNext("dm_resume", ENOMEM);
  kernel.FailNext("dm_remove", EBUSY);
  absl::StatusOr<dev_t> dev = ActivateDm(kernel, Spec());
  ASSERT_FALSE(dev.ok());
  EXPECT_THAT(dev.status().message(), HasSubstr("removing the half-made vg-lv failed"));
}

TEST(ActivateDmTest, ExistingNameIsAnErrorAndLeftAlone) {
  sys::FakeKernel kernel;
  kernel.AddDmDevice("vg-lv", "other", {{0, 8, "zero", ""}});
  absl::StatusOr<dev_t> dev = ActivateDm(kernel, Spec());
  ASSERT_FALSE(dev.ok());
  ASSERT_EQ(kernel.dm_devices().count("vg-lv"), 1u);
  EXPECT_EQ(kernel.dm_devices().at("vg-lv").uuid, "other");
}

}  // namespace
}  // namespace baton::stage1
