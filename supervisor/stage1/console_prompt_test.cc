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
using ::testing::Not;

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

// `console=tty0 console=ttyS0` and the like: /sys/class/tty/console/active
// names every console; /dev/console is only the last one's device. In the
// fake /dev/console is a terminal of its own where nobody types: a session
// that asked there alone would get no answer.
class ActiveConsolesTest : public ConsolePromptTest {
 protected:
  void SetActive(const std::string& names) {
    ASSERT_TRUE(kernel_.MkdirAll("/sys/class/tty/console").ok());
    ASSERT_TRUE(kernel_.WriteFile("/sys/class/tty/console/active", names + "\n").ok());
    kernel_.AddTerminal("/dev/console", "");
    kernel_.HoldTerminal("/dev/console");
  }
  // A console someone may type on later: no end of file when input runs out.
  void AddConsole(const std::string& path, const std::string& input) {
    kernel_.AddTerminal(path, input);
    kernel_.HoldTerminal(path);
  }
};

TEST_F(ActiveConsolesTest, AsksOnEveryConsoleAndTakesTheFirstLineFromAny) {
  SetActive("tty0 ttyS0");
  AddConsole("/dev/tty0", "abc");           // someone began typing at the screen
  AddConsole("/dev/ttyS0", "hunter2\r\n");  // and the serial line answered
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ((*session)->path(), "/dev/tty0, /dev/ttyS0");
  kernel_.ClearCalls();
  SecretBuffer secret;
  auto got = (*session)->ReadSecret("Passphrase: ", &secret);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got);
  EXPECT_EQ(std::string(secret.data(), secret.size()), "hunter2");
  // Echo off on both before the prompt, back on both after.
  EXPECT_THAT(kernel_.calls(),
              ElementsAre("set_echo /dev/tty0 off", "set_echo /dev/ttyS0 off",
                          "set_echo /dev/tty0 on", "set_echo /dev/ttyS0 on"));
  EXPECT_TRUE(kernel_.terminal_echo("/dev/tty0"));
  EXPECT_TRUE(kernel_.terminal_echo("/dev/ttyS0"));
  EXPECT_EQ(kernel_.terminal_output("/dev/ttyS0"), "Passphrase: \n");
  // The other console is told where the answer came from, never what it was.
  EXPECT_EQ(kernel_.terminal_output("/dev/tty0"), "Passphrase: \n(answered on ttyS0)\n");
  EXPECT_EQ(kernel_.terminal_output("/dev/console"), "");
  EXPECT_THAT(Log(), Not(HasSubstr("hunter2")));
  EXPECT_THAT(kernel_.terminal_output("/dev/tty0"), Not(HasSubstr("hunter2")));

  // The screen's half-typed "abc" was for the question answered: it is
  // dropped with the rest of its line, and the next line there answers.
  kernel_.AddTerminalInput("/dev/tty0", "def\nagain\n");
  got = (*session)->ReadSecret("Passphrase: ", &secret);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(std::string(secret.data(), secret.size()), "again");
  EXPECT_EQ(kernel_.terminal_output("/dev/ttyS0"),
            "Passphrase: \nPassphrase: \n(answered on tty0)\n");
  EXPECT_TRUE(kernel_.terminal_echo("/dev/tty0"));
  EXPECT_TRUE(kernel_.terminal_echo("/dev/ttyS0"));
}

TEST_F(ActiveConsolesTest, PartialLinesOnBothAreKeptApart) {
  SetActive("ttyS0 ttyS1");
  // Read byte by byte in turn: both lines are half read when one ends.
  AddConsole("/dev/ttyS0", "first-console-line");
  AddConsole("/dev/ttyS1", "second\n");
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok()) << session.status();
  std::string line;
  auto got = (*session)->ReadLine("? ", &line);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got);
  EXPECT_EQ(line, "second");
  // Finishing the first console's line later does not answer the next
  // question with its tail.
  kernel_.AddTerminalInput("/dev/ttyS0", "-ends\nyes\n");
  got = (*session)->ReadLine("? ", &line);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(line, "yes");
  EXPECT_EQ(kernel_.terminal_output("/dev/ttyS0"), "? \n(answered on ttyS1)\n? ");
  EXPECT_EQ(kernel_.terminal_output("/dev/ttyS1"), "? ? \n(answered on ttyS0)\n");
}

TEST_F(ActiveConsolesTest, EndOfFileOnOneLeavesTheOther) {
  SetActive("ttyS0 ttyS1");
  kernel_.AddTerminal("/dev/ttyS0", "");  // hung up: end of file at once
  AddConsole("/dev/ttyS1", "pw\n");
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok()) << session.status();
  SecretBuffer secret;
  auto got = (*session)->ReadSecret("P: ", &secret);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got);
  EXPECT_EQ(std::string(secret.data(), secret.size()), "pw");
  EXPECT_THAT(Log(), HasSubstr("not reading /dev/ttyS0 any more: end of file"));
  EXPECT_TRUE(kernel_.terminal_echo("/dev/ttyS0"));
  EXPECT_TRUE(kernel_.terminal_echo("/dev/ttyS1"));
  // Both gone: the end of input, echo restored on both.
  kernel_.HoldTerminal("/dev/ttyS1", false);
  got = (*session)->ReadSecret("P: ", &secret);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(*got);
  EXPECT_TRUE(secret.empty());
  EXPECT_TRUE(kernel_.terminal_echo("/dev/ttyS0"));
  EXPECT_TRUE(kernel_.terminal_echo("/dev/ttyS1"));
  EXPECT_EQ(kernel_.terminal_output("/dev/ttyS1"), "P: \nP: \n");
}

TEST_F(ActiveConsolesTest, ReadErrorOnOneLeavesTheOther) {
  SetActive("ttyS0 ttyS1");
  AddConsole("/dev/ttyS0", "x");
  AddConsole("/dev/ttyS1", "n\n");
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok()) << session.status();
  kernel_.FailNext("read", EIO);  // the first read is ttyS0's
  std::string line;
  auto got = (*session)->ReadLine("? ", &line);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(line, "n");
  EXPECT_THAT(Log(), HasSubstr("not reading /dev/ttyS0 any more"));
}

TEST_F(ActiveConsolesTest, ReadLineRestoresEchoOnEachAsItWas) {
  SetActive("tty0 ttyS0");
  AddConsole("/dev/tty0", "");
  AddConsole("/dev/ttyS0", "y\n");
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok()) << session.status();
  auto fd = kernel_.Open("/dev/tty0", O_RDWR);
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(kernel_.SetEcho(fd->get(), false).ok());
  kernel_.ClearCalls();
  std::string line;
  auto got = (*session)->ReadLine("Start? ", &line);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(line, "y");
  EXPECT_THAT(kernel_.calls(),
              ElementsAre("set_echo /dev/tty0 on", "set_echo /dev/ttyS0 on",
                          "set_echo /dev/tty0 off"));
  EXPECT_FALSE(kernel_.terminal_echo("/dev/tty0"));
  EXPECT_TRUE(kernel_.terminal_echo("/dev/ttyS0"));
}

TEST_F(ActiveConsolesTest, EchoRestoredOnEveryConsoleWhenTheReadFails) {
  SetActive("tty0 ttyS0");
  AddConsole("/dev/tty0", "");
  AddConsole("/dev/ttyS0", "");
  {
    auto session = ConsoleSession::Open(ctx_);
    ASSERT_TRUE(session.ok()) << session.status();
    kernel_.ClearCalls();
    SecretBuffer secret;
    // Nobody types, nothing hangs up: the fake's poll refuses to block.
    auto got = (*session)->ReadSecret("P: ", &secret);
    ASSERT_FALSE(got.ok());
    EXPECT_THAT(std::string(got.status().message()), HasSubstr("waiting for /dev/tty0, /dev/ttyS0"));
    EXPECT_TRUE(secret.empty());
  }
  EXPECT_THAT(kernel_.calls(),
              ElementsAre("set_echo /dev/tty0 off", "set_echo /dev/ttyS0 off",
                          "set_echo /dev/tty0 on", "set_echo /dev/ttyS0 on"));
  EXPECT_TRUE(kernel_.terminal_echo("/dev/tty0"));
  EXPECT_TRUE(kernel_.terminal_echo("/dev/ttyS0"));
}

TEST_F(ActiveConsolesTest, SayGoesToEveryConsole) {
  SetActive("tty0 ttyS0");
  AddConsole("/dev/tty0", "");
  AddConsole("/dev/ttyS0", "");
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok()) << session.status();
  ASSERT_TRUE((*session)->Say("Unlocked vda as root.").ok());
  EXPECT_EQ(kernel_.terminal_output("/dev/tty0"), "Unlocked vda as root.\n");
  EXPECT_EQ(kernel_.terminal_output("/dev/ttyS0"), "Unlocked vda as root.\n");
  // A console a write fails on is left out; the others still get the text.
  kernel_.FailNext("write", EIO);
  ASSERT_TRUE((*session)->Say("again").ok());
  EXPECT_EQ(kernel_.terminal_output("/dev/tty0"), "Unlocked vda as root.\n");
  EXPECT_EQ(kernel_.terminal_output("/dev/ttyS0"), "Unlocked vda as root.\nagain\n");
  EXPECT_THAT(Log(), HasSubstr("cannot write to /dev/tty0"));
}

TEST_F(ActiveConsolesTest, ConsolesThatDoNotOpenAreSkippedAndNoted) {
  SetActive("tty0 pts/0 netcon0 ttyS0 ttyS0");
  AddConsole("/dev/tty0", "");
  AddConsole("/dev/ttyS0", "pw\n");
  kernel_.FailNextOn("open", "/dev/tty0", ENXIO);
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ((*session)->path(), "/dev/ttyS0");
  EXPECT_THAT(Log(), HasSubstr("not asking on /dev/tty0"));
  EXPECT_THAT(Log(), HasSubstr("not asking on /dev/netcon0"));
  EXPECT_THAT(Log(), Not(HasSubstr("pts")));
}

TEST_F(ActiveConsolesTest, NoneOpensThenTheConsoleAsBefore) {
  SetActive("ttyS3");  // listed, but no such device node
  kernel_.AddTerminalInput("/dev/console", "pw\n");
  kernel_.HoldTerminal("/dev/console", false);
  auto session = ConsoleSession::Open(ctx_);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ((*session)->path(), "/dev/console");
  SecretBuffer secret;
  auto got = (*session)->ReadSecret("P: ", &secret);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(std::string(secret.data(), secret.size()), "pw");
  EXPECT_EQ(kernel_.terminal_output("/dev/console"), "P: \n");
}

}  // namespace
}  // namespace baton::stage1
