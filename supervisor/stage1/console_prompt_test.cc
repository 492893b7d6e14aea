#include "supervisor/stage1/console_prompt.h"

#include <fcntl.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"

namespace baton::stage1 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ConsolePromptTest : public ::testing::Test {
 protected:
  ConsolePromptTest() : ctx_(kernel_) {
    auto log = kernel_.Open("/log", O_WRONLY | O_CREAT, 0600);
    log_ = std::move(*log);
    ctx_.log_fd = log_.get();
  }
  std::string Log() { return *kernel_.ReadFile("/log"); }

  sys::FakeKernel kernel_;
  sys::UniqueFd log_;
  ToolContext ctx_;
};

TEST_F(ConsolePromptTest, EchoOffBeforeThePromptThenRestored) {
  kernel_.AddTerminal("/dev/console", "hunter2\r\nnext\n");
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ((*session)->path(), "/dev/console");
  kernel_.ClearCalls();
  SecretBuffer secret;
  auto got = (*session)->ReadSecret("Passphrase: ", &secret);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got);
  EXPECT_EQ(std::string(secret.data(), secret.size()), "hunter2");
  EXPECT_THAT(kernel_.calls(),
              ElementsAre("set_echo /dev/console off", "set_echo /dev/console on"));
  EXPECT_EQ(kernel_.terminal_output("/dev/console"), "Passphrase: \n");
  EXPECT_TRUE(kernel_.terminal_echo("/dev/console"));
  secret.Wipe();
  EXPECT_TRUE(secret.empty());
  EXPECT_EQ(secret.data()[0], '\0');
}

TEST_F(ConsolePromptTest, TakesTheConsoleLock) {
  kernel_.AddTerminal("/dev/console", "");
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_THAT(kernel_.calls(), testing::Contains("flock /run/baton/console.lock LOCK_EX"));
  EXPECT_TRUE(kernel_.Stat("/run/baton/console.lock").ok());
}

TEST_F(ConsolePromptTest, LockFailureIsLoggedNotFatal) {
  kernel_.AddTerminal("/dev/console", "x\n");
  kernel_.FailNext("flock", ENOLCK);
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_THAT(Log(), HasSubstr("prompting without the console lock"));
}

TEST_F(ConsolePromptTest, FallsBackToTheTty) {
  kernel_.AddTerminal("/dev/tty", "pw\n");
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ((*session)->path(), "/dev/tty");
}

TEST_F(ConsolePromptTest, NoConsoleAtAll) {
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_FALSE(session.ok());
  EXPECT_THAT(std::string(session.status().message()), HasSubstr("no console to ask on"));
}

TEST_F(ConsolePromptTest, EndOfInputReturnsFalse) {
  kernel_.AddTerminal("/dev/console", "partial");
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok());
  SecretBuffer secret;
  auto got = (*session)->ReadSecret("P: ", &secret);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(*got);
  EXPECT_TRUE(secret.empty());
  EXPECT_TRUE(kernel_.terminal_echo("/dev/console"));
}

TEST_F(ConsolePromptTest, TooLongLineIsConsumedAndRefused) {
  kernel_.AddTerminal("/dev/console",
                      std::string(SecretBuffer::kCapacity + 5, 'a') + "\nshort\n");
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok());
  SecretBuffer secret;
  auto got = (*session)->ReadSecret("P: ", &secret);
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("passphrase too long"));
  EXPECT_TRUE(secret.empty());
  got = (*session)->ReadSecret("P: ", &secret);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(secret.data(), secret.size()), "short");
}

TEST_F(ConsolePromptTest, NotATtyIsLoggedAndReadAnyway) {
  ASSERT_TRUE(kernel_.MkdirAll("/dev").ok());
  ASSERT_TRUE(kernel_.WriteFile("/dev/console", "").ok());
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok());
  SecretBuffer secret;
  auto got = (*session)->ReadSecret("P: ", &secret);
  ASSERT_TRUE(got.ok());
  EXPECT_THAT(Log(), HasSubstr("cannot turn echo off on /dev/console"));
}

TEST_F(ConsolePromptTest, ReadLineLeavesEchoOnAndReadsOneLine) {
  kernel_.AddTerminal("/dev/console", "yes\r\nnext\n");
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok()) << session.status();
  kernel_.ClearCalls();
  std::string line = "old";
  auto got = (*session)->ReadLine("Start? [y/N] ", &line);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got);
  EXPECT_EQ(line, "yes");
  // Echo was on already: asked for and left alone; the terminal echoes the
  // typed newline, so none is written.
  EXPECT_THAT(kernel_.calls(), ElementsAre("set_echo /dev/console on"));
  EXPECT_EQ(kernel_.terminal_output("/dev/console"), "Start? [y/N] ");
  EXPECT_TRUE(kernel_.terminal_echo("/dev/console"));
  got = (*session)->ReadLine("again: ", &line);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(line, "next");
}

TEST_F(ConsolePromptTest, ReadLineTurnsEchoOnWhenOffThenBack) {
  kernel_.AddTerminal("/dev/console", "n\n");
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok());
  // Echo off as a passphrase prompt interrupted elsewhere might leave it.
  auto fd = kernel_.Open("/dev/console", O_RDWR);
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(kernel_.SetEcho(fd->get(), false).ok());
  kernel_.ClearCalls();
  std::string line;
  auto got = (*session)->ReadLine("? ", &line);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(line, "n");
  EXPECT_THAT(kernel_.calls(),
              ElementsAre("set_echo /dev/console on", "set_echo /dev/console off"));
  EXPECT_FALSE(kernel_.terminal_echo("/dev/console"));
}

TEST_F(ConsolePromptTest, ReadLineEndOfInput) {
  kernel_.AddTerminal("/dev/console", "partial");
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok());
  std::string line;
  auto got = (*session)->ReadLine("? ", &line);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(*got);
  EXPECT_TRUE(line.empty());
  EXPECT_EQ(kernel_.terminal_output("/dev/console"), "? \n");
}

TEST_F(ConsolePromptTest, ReadLineTooLongIsConsumedAndRefused) {
  kernel_.AddTerminal("/dev/console", std::string(ConsoleSession::kMaxLine + 1, 'y') + "\nn\n");
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok());
  std::string line;
  auto got = (*session)->ReadLine("? ", &line);
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("answer too long"));
  EXPECT_TRUE(line.empty());
  got = (*session)->ReadLine("? ", &line);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(line, "n");
}

TEST_F(ConsolePromptTest, ReadLineNotATtyReadsAnyway) {
  ASSERT_TRUE(kernel_.MkdirAll("/dev").ok());
  ASSERT_TRUE(kernel_.WriteFile("/dev/console", "").ok());
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok());
  std::string line;
  auto got = (*session)->ReadLine("? ", &line);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(*got);
}

}  // namespace
}  // namespace baton::stage1
