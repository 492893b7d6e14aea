#include "supervisor/stage1/modprobe.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "sys/fake_module_loader.h"

namespace baton::stage1 {
namespace {

struct Outcome {
  int status;
  std::vector<std::string> messages;
};

Outcome Modprobe(sys::FakeModuleLoader& loader, std::vector<std::string> args) {
  Outcome r;
  r.status = ModprobeMain(args, loader, [&](const std::string& m) { r.messages.push_back(m); });
  return r;
}

TEST(ModprobeTest, KernelRequestLoadsTheNameAfterDashDash) {
  sys::FakeModuleLoader loader;
  Outcome r = Modprobe(loader, {"-q", "--", "md-level-1"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(loader.calls(), std::vector<std::string>({"md-level-1"}));
  EXPECT_TRUE(r.messages.empty());
}

TEST(ModprobeTest, FailureIsExitOneAndSilentWhenQuiet) {
  sys::FakeModuleLoader loader;
  loader.SetResult("dm_mod", absl::InternalError("insert dm_mod: Exec format error"));
  Outcome quiet = Modprobe(loader, {"-q", "--", "dm_mod"});
  EXPECT_EQ(quiet.status, 1);
  EXPECT_TRUE(quiet.messages.empty());
  Outcome loud = Modprobe(loader, {"dm_mod"});
  EXPECT_EQ(loud.status, 1);
  ASSERT_EQ(loud.messages.size(), 1u);
  EXPECT_NE(loud.messages[0].find("dm_mod: insert dm_mod"), std::string::npos);
}

TEST(ModprobeTest, NoNameIsUsage) {
  sys::FakeModuleLoader loader;
  EXPECT_EQ(Modprobe(loader, {"-q", "--"}).status, 2);
  EXPECT_TRUE(loader.calls().empty());
}

TEST(ModprobeTest, ParametersAreNamedAsIgnored) {
  sys::FakeModuleLoader loader;
  Outcome r = Modprobe(loader, {"raid1", "foo=1"});
  EXPECT_EQ(r.status, 0);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_NE(r.messages[0].find("parameters for raid1 ignored"), std::string::npos);
}

}  // namespace
}  // namespace baton::stage1
