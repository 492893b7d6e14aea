#include "supervisor/stage1/run_tool.h"

#include <fcntl.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"

namespace baton::stage1 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RunToolTest, FindsToolOnPathAndWaitsForIt) {
  sys::FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/sbin").ok());
  ASSERT_TRUE(kernel.WriteFile("/sbin/mdadm", "").ok());
  kernel.set_spawn_hook([&](pid_t pid, const sys::SpawnRequest&) { kernel.Exit(pid, 3); });
  ToolContext ctx(kernel);
  auto exit = RunTool(ctx, {"mdadm", "--run", "/dev/md0"});
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_status, 3);
  EXPECT_EQ(DescribeExit(*exit), "exit status 3");
  ASSERT_EQ(kernel.spawned().size(), 1u);
  const sys::SpawnRequest& req = kernel.spawned()[0];
  EXPECT_THAT(req.argv, ElementsAre("/sbin/mdadm", "--run", "/dev/md0"));
  EXPECT_EQ(req.stdin_fd, -1);
  EXPECT_EQ(req.stdout_fd, 1);
  EXPECT_EQ(req.stderr_fd, 2);
  EXPECT_FALSE(req.new_session);
  EXPECT_EQ(req.env, ctx.env);
  // Reaped by Wait: nothing is left for ReapOne.
  auto reaped = kernel.ReapOne();
  ASSERT_TRUE(reaped.ok());
  EXPECT_FALSE(reaped->has_value());
}

TEST(RunToolTest, OutputIsCapturedAndStderrInherited) {
  sys::FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/sbin").ok());
  ASSERT_TRUE(kernel.WriteFile("/sbin/mdadm", "").ok());
  const std::string big(kMaxToolOutput + 100, 'x');
  kernel.set_spawn_hook([&](pid_t pid, const sys::SpawnRequest& req) {
    std::string text = req.argv.back() == "big" ? big : "MD_LEVEL=raid1\nMD_DEVICES=2\n";
    EXPECT_TRUE(kernel.Write(req.stdout_fd, text.data(), text.size()).ok());
    kernel.Exit(pid, 0);
  });
  ToolContext ctx(kernel);
  ctx.stderr_fd = 7;
  auto out = RunToolOutput(ctx, {"mdadm", "--examine", "--export", "/dev/vda"});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->exit.exit_status, 0);
  EXPECT_EQ(out->stdout_text, "MD_LEVEL=raid1\nMD_DEVICES=2\n");
  ASSERT_EQ(kernel.spawned().size(), 1u);
  EXPECT_NE(kernel.spawned()[0].stdout_fd, 1);
  EXPECT_EQ(kernel.spawned()[0].stderr_fd, 7);

  auto capped = RunToolOutput(ctx, {"mdadm", "big"});
  ASSERT_TRUE(capped.ok()) << capped.status();
  EXPECT_EQ(capped->stdout_text.size(), kMaxToolOutput);
}

TEST(RunToolTest, MissingToolIsNamed) {
  sys::FakeKernel kernel;
  ToolContext ctx(kernel);
  auto exit = RunTool(ctx, {"cryptsetup", "open"});
  ASSERT_FALSE(exit.ok());
  EXPECT_THAT(std::string(exit.status().message()), HasSubstr("cryptsetup not found in"));
  EXPECT_TRUE(kernel.spawned().empty());
}

TEST(RunToolTest, SignalIsDescribed) {
  sys::ChildExit exit;
  exit.signal = 9;
  EXPECT_EQ(DescribeExit(exit), "killed by signal 9");
}

TEST(RunToolTest, LogPrefixesTheCommand) {
  sys::FakeKernel kernel;
  auto log = kernel.Open("/log", O_WRONLY | O_CREAT, 0600);
  ASSERT_TRUE(log.ok());
  ToolContext ctx(kernel);
  ctx.command = "baton: md-add";
  ctx.log_fd = log->get();
  ctx.Log("hello");
  EXPECT_EQ(*kernel.ReadFile("/log"), "baton: md-add: hello\n");
}

TEST(RunToolTest, ReadConfigAndBootOptions) {
  sys::FakeKernel kernel;
  auto log = kernel.Open("/log", O_WRONLY | O_CREAT, 0600);
  ASSERT_TRUE(log.ok());
  ToolContext ctx(kernel);
  ctx.log_fd = log->get();
  bool exists = true;
  EXPECT_EQ(ReadConfig(ctx, "/etc/crypttab", &exists), "");
  EXPECT_FALSE(exists);
  ASSERT_TRUE(kernel.MkdirAll("/proc").ok());
  ASSERT_TRUE(kernel.WriteFile("/proc/cmdline", "root=/dev/vda rd.luks=0\n").ok());
  Stage1Files files;
  BootOptions options = ReadBootOptions(ctx, files);
  EXPECT_FALSE(options.luks);
  EXPECT_EQ(*kernel.ReadFile("/log"), "");  // a missing config file is not news
}

}  // namespace
}  // namespace baton::stage1
