#include <sys/sysmacros.h>

#include <cerrno>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"

namespace baton::sys {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(FakeKernelDmTest, CreateLoadResumeMakesTableLive) {
  FakeKernel kernel;
  absl::StatusOr<dev_t> dev = kernel.DmCreate("vg-root", "LVM-abc");
  ASSERT_TRUE(dev.ok()) << dev.status();
  EXPECT_EQ(*dev, makedev(253, 0));
  ASSERT_TRUE(kernel
                  .DmLoadTable("vg-root",
                               {{0, 2048, "linear", "8:16 2048"},
                                {2048, 4096, "striped", "2 128 8:16 4096 8:32 2048"}},
                               true)
                  .ok());
  const auto& rec = kernel.dm_devices().at("vg-root");
  EXPECT_TRUE(rec.table.empty());
  EXPECT_TRUE(rec.has_inactive);
  absl::StatusOr<std::optional<DmInfo>> info = kernel.DmStatus("vg-root");
  ASSERT_TRUE(info.ok() && info->has_value());
  EXPECT_FALSE((*info)->active);
  EXPECT_TRUE((*info)->suspended);

  ASSERT_TRUE(kernel.DmResume("vg-root").ok());
  EXPECT_EQ(FakeKernel::DmTableText(kernel.dm_devices().at("vg-root").table),
            "0 2048 linear 8:16 2048\n2048 4096 striped 2 128 8:16 4096 8:32 2048\n");
  info = kernel.DmStatus("vg-root");
  ASSERT_TRUE(info.ok() && info->has_value());
  EXPECT_TRUE((*info)->active);
  EXPECT_FALSE((*info)->suspended);
  EXPECT_TRUE((*info)->read_only);
  EXPECT_EQ((*info)->uuid, "LVM-abc");
  EXPECT_EQ((*info)->dev, makedev(253, 0));
  EXPECT_THAT(kernel.calls(), ElementsAre("dm_create vg-root LVM-abc",
                                          "dm_load vg-root linear,striped ro",
                                          "dm_resume vg-root"));
}

TEST(FakeKernelDmTest, StatusOfMissingDeviceIsNullopt) {
  FakeKernel kernel;
  absl::StatusOr<std::optional<DmInfo>> info = kernel.DmStatus("nosuch");
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->has_value());
}

TEST(FakeKernelDmTest, DuplicateNameOrUuidIsBusy) {
  FakeKernel kernel;
  ASSERT_TRUE(kernel.DmCreate("a", "U1").ok());
  EXPECT_THAT(kernel.DmCreate("a", "U2").status().message(), HasSubstr("Device or resource busy"));
  EXPECT_FALSE(kernel.DmCreate("b", "U1").ok());
  EXPECT_TRUE(kernel.DmCreate("c", "").ok());
  EXPECT_TRUE(kernel.DmCreate("d", "").ok());  // empty uuids do not clash
}

TEST(FakeKernelDmTest, LoadRejectsGapsAndUnknownTypes) {
  FakeKernel kernel;
  ASSERT_TRUE(kernel.DmCreate("a", "").ok());
  EXPECT_FALSE(kernel.DmLoadTable("a", {}, false).ok());
  EXPECT_FALSE(kernel.DmLoadTable("a", {{8, 8, "linear", "8:0 0"}}, false).ok());
  EXPECT_FALSE(kernel.DmLoadTable("a", {{0, 8, "thin", "x"}}, false).ok());
  EXPECT_FALSE(kernel.DmLoadTable("nosuch", {{0, 8, "zero", ""}}, false).ok());
  EXPECT_TRUE(kernel.DmLoadTable("a", {{0, 8, "zero", ""}}, false).ok());
}

TEST(FakeKernelDmTest, RemoveAndOpenDevices) {
  FakeKernel kernel;
  kernel.AddDmDevice("old", "U", {{0, 8, "zero", ""}});
  kernel.SetDmOpen("old", true);
  EXPECT_FALSE(kernel.DmRemove("old").ok());
  kernel.SetDmOpen("old", false);
  EXPECT_TRUE(kernel.DmRemove("old").ok());
  EXPECT_FALSE(kernel.DmRemove("old").ok());
  EXPECT_THAT(kernel.calls(),
              ElementsAre("dm_remove old -> EBUSY", "dm_remove old", "dm_remove old -> ENXIO"));
}

TEST(FakeKernelDmTest, InjectedFailures) {
  FakeKernel kernel;
  kernel.FailNextOn("dm_create", "x", ENOENT);
  EXPECT_FALSE(kernel.DmCreate("x", "").ok());
  EXPECT_TRUE(kernel.DmCreate("x", "").ok());
  kernel.FailNext("dm_status", EACCES);
  EXPECT_FALSE(kernel.DmStatus("x").ok());
}

}  // namespace
}  // namespace baton::sys
