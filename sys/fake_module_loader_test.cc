#include "sys/fake_module_loader.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::sys {
namespace {

using ::testing::ElementsAre;

TEST(FakeModuleLoaderTest, RecordsCallsAndAnswersSetResults) {
  FakeModuleLoader loader;
  loader.SetResult("bad", absl::InternalError("load failed"));
  EXPECT_TRUE(loader.LoadAlias("virtio:d00000002v00001AF4").ok());
  EXPECT_FALSE(loader.LoadAlias("bad").ok());
  EXPECT_THAT(loader.calls(), ElementsAre("virtio:d00000002v00001AF4", "bad"));
}

}  // namespace
}  // namespace baton::sys
