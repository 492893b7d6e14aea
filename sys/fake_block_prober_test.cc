#include "sys/fake_block_prober.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::sys {
namespace {

using ::testing::ElementsAre;

TEST(FakeBlockProberTest, AnswersFromMapAndRecords) {
  FakeBlockProber prober;
  prober.Set("/dev/vda1", {{"ID_FS_TYPE", "ext4"}});
  prober.SetError("/dev/vdb", absl::UnavailableError("gone"));
  auto a = prober.Probe("/dev/vda1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->at("ID_FS_TYPE"), "ext4");
  auto b = prober.Probe("/dev/vda");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->empty());
  EXPECT_EQ(prober.Probe("/dev/vdb").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(prober.probed(), ElementsAre("/dev/vda1", "/dev/vda", "/dev/vdb"));
}

}  // namespace
}  // namespace baton::sys
