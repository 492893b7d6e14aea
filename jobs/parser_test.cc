#include "jobs/parser.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "jobs/expr.h"
#include "tests/runfiles.h"

namespace baton::jobs {
namespace {

std::unique_ptr<JobConfig> Good(absl::string_view text) {
  std::vector<Diagnostic> diags;
  auto job = ParseJob("j", "j.conf", text, &diags);
  EXPECT_TRUE(job.ok()) << job.status();
  EXPECT_TRUE(diags.empty());
  return job.ok() ? *std::move(job) : nullptr;
}

// Every diagnostic for TEXT, as "line:col: message", one per line.
std::string Bad(absl::string_view text) {
  std::vector<Diagnostic> diags;
  auto job = ParseJob("j", "j.conf", text, &diags);
  EXPECT_FALSE(job.ok()) << text;
  EXPECT_FALSE(diags.empty());
  std::string out;
  for (const Diagnostic& d : diags) {
    EXPECT_EQ(d.file, "j.conf");
    if (!out.empty()) out += "\n";
    out += d.ToString().substr(std::string("j.conf:").size());
  }
  return out;
}

TEST(ParseJobTest, EmptyFileIsADefaultJob) {
  auto job = Good("");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->name, "j");
  EXPECT_EQ(job->path, "j.conf");
  EXPECT_EQ(job->stage, Stage::kRoot);
  EXPECT_FALSE(job->task);
  EXPECT_EQ(job->start_on, nullptr);
  EXPECT_TRUE(job->exec.empty());
  EXPECT_EQ(job->console, ConsoleMode::kLog);
  EXPECT_EQ(job->kill_timeout, absl::Seconds(5));
}

TEST(ParseJobTest, EveryStanza) {
  auto job = Good(R"(# unlock LUKS devices
description "unlock LUKS devices listed in crypttab"
stage initramfs
start on block-device-added ID_FS_TYPE=crypto_LUKS
stop on stopping udev or (runlevel [016] and foo)
instance $ID_FS_UUID
task
env KEY=VALUE
env QUOTED="a b # not a comment"   # a comment
exec /sbin/cryptsetup open "$DEVNAME" luks-$ID_FS_UUID  # trailing comment
pre-start exec /bin/true
post-stop exec /bin/echo done
respawn
respawn limit 10 5
console output
seccomp deny mkdir
seccomp deny	mount  umount2
kill timeout 30
)");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->description, "unlock LUKS devices listed in crypttab");
  EXPECT_EQ(job->stage, Stage::kInitramfs);
  ASSERT_NE(job->start_on, nullptr);
  EXPECT_EQ(FormatEventExpr(*job->start_on),
            "block-device-added ID_FS_TYPE=crypto_LUKS");
  EXPECT_EQ(job->start_on->pos.line, 4);
  EXPECT_EQ(job->start_on->pos.col, 10);
  ASSERT_NE(job->stop_on, nullptr);
  EXPECT_EQ(FormatEventExpr(*job->stop_on),
            "stopping udev or runlevel [016] and foo");
  EXPECT_EQ(job->instance, "$ID_FS_UUID");
  EXPECT_TRUE(job->task);
  ASSERT_EQ(job->env.size(), 2u);
  EXPECT_EQ(job->env[0], (std::pair<std::string, std::string>{"KEY", "VALUE"}));
  EXPECT_EQ(job->env[1].second, "a b # not a comment");
  EXPECT_EQ(job->exec.kind, Command::Kind::kExec);
  EXPECT_EQ(job->exec.text,
            "/sbin/cryptsetup open \"$DEVNAME\" luks-$ID_FS_UUID");
  EXPECT_EQ(job->exec.pos.line, 10);
  EXPECT_EQ(job->pre_start.kind, Command::Kind::kExec);
  EXPECT_EQ(job->pre_start.text, "/bin/true");
  EXPECT_EQ(job->post_stop.text, "/bin/echo done");
  EXPECT_TRUE(job->respawn.enabled);
  EXPECT_EQ(job->respawn.limit_count, 10);
  EXPECT_EQ(job->respawn.limit_interval, absl::Seconds(5));
  EXPECT_FALSE(job->respawn.unlimited);
  EXPECT_EQ(job->console, ConsoleMode::kOutput);
  EXPECT_EQ(job->seccomp.mode, SeccompPolicy::Mode::kDeny);
  EXPECT_EQ(job->seccomp.syscalls,
            (std::vector<std::string>{"mkdir", "mount", "umount2"}));
  EXPECT_EQ(job->seccomp.pos.line, 16);
  EXPECT_EQ(job->kill_timeout, absl::Seconds(30));
}

TEST(ParseJobTest, StageAndConsoleChoices) {
  EXPECT_EQ(Good("stage both")->stage, Stage::kBoth);
  EXPECT_EQ(Good("stage root")->stage, Stage::kRoot);
  EXPECT_EQ(Good("console none")->console, ConsoleMode::kNone);
  EXPECT_EQ(Good("console log")->console, ConsoleMode::kLog);
  EXPECT_EQ(Good("seccomp allow read write")->seccomp.mode,
            SeccompPolicy::Mode::kAllow);
}

TEST(ParseJobTest, RespawnLimitForms) {
  auto job = Good("respawn limit unlimited");
  EXPECT_TRUE(job->respawn.unlimited);
  EXPECT_FALSE(job->respawn.enabled);  // the limit alone does not enable it
  job = Good("respawn limit 3 10\nrespawn");
  EXPECT_TRUE(job->respawn.enabled);
  EXPECT_EQ(job->respawn.limit_count, 3);
  EXPECT_EQ(job->respawn.limit_interval, absl::Seconds(10));
  EXPECT_TRUE(Good("respawn limit 0 5")->respawn.unlimited);
}

TEST(ParseJobTest, ScriptKeepsIndentationAndComments) {
  auto job = Good(
      "task\n"
      "script\n"
      "  # shell comment\n"
      "\tif true; then\n"
      "      echo \"x\"   # kept\n"
      "\n"
      "  fi\n"
      "  end scripts\n"
      "   end script   # done\n"
      "console none\n");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->exec.kind, Command::Kind::kScript);
  EXPECT_EQ(job->exec.text,
            "  # shell comment\n"
            "\tif true; then\n"
            "      echo \"x\"   # kept\n"
            "\n"
            "  fi\n"
            "  end scripts\n");
  EXPECT_EQ(job->exec.pos.line, 2);
  EXPECT_EQ(job->console, ConsoleMode::kNone);  // parsing resumed after it
}

TEST(ParseJobTest, PreStartAndPostStopScripts) {
  auto job = Good(
      "pre-start script\n  echo pre\nend script\n"
      "exec sleep 1\n"
      "post-stop script\n  echo post\nend script\n");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->pre_start.kind, Command::Kind::kScript);
  EXPECT_EQ(job->pre_start.text, "  echo pre\n");
  EXPECT_EQ(job->exec.text, "sleep 1");
  EXPECT_EQ(job->post_stop.kind, Command::Kind::kScript);
  EXPECT_EQ(job->post_stop.text, "  echo post\n");
  EXPECT_EQ(job->post_stop.pos.line, 5);
}

TEST(ParseJobTest, StartOnContinuesInsideParentheses) {
  // Once the parentheses are closed the stanza ends.
  EXPECT_EQ(Bad("start on (a\n  or b)\nand c\n"), "3:1: unknown stanza 'and'");

  auto job = Good(
      "start on (block-device-added ID_FS_TYPE=ext4   # a comment\n"
      "\n"
      "          or block-device-changed) and (\n"
      "    root-device-ready)\n"
      "task\n");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(FormatEventExpr(*job->start_on),
            "(block-device-added ID_FS_TYPE=ext4 or block-device-changed) and "
            "root-device-ready");
  EXPECT_EQ(job->start_on->pos.line, 3);  // the 'and'
  EXPECT_EQ(job->start_on->pos.col, 36);
  EXPECT_TRUE(job->task);
}

TEST(ParseJobTest, EnvLaterKeyReplacesAndKeepsOrder) {
  auto job = Good("env A=1\nenv B=\"two words\"\nenv A='x'\nenv C=");
  ASSERT_EQ(job->env.size(), 3u);
  EXPECT_EQ(job->env[0], (std::pair<std::string, std::string>{"A", "x"}));
  EXPECT_EQ(job->env[1].second, "two words");
  EXPECT_EQ(job->env[2], (std::pair<std::string, std::string>{"C", ""}));
}

TEST(ParseJobTest, CrlfAndTabs) {
  auto job = Good("task\r\n\tdescription\t\"x\"\r\nexec  a  b\r\n");
  EXPECT_EQ(job->description, "x");
  EXPECT_EQ(job->exec.text, "a  b");
}

TEST(ParseJobErrorTest, UnknownStanza) {
  EXPECT_EQ(Bad("task\n  bogus x y\n"), "2:3: unknown stanza 'bogus'");
}

TEST(ParseJobErrorTest, MissingArguments) {
  EXPECT_EQ(Bad("description"),
            "1:12: expected a description after 'description'");
  EXPECT_EQ(Bad("exec   # nothing"), "1:5: expected a command after 'exec'");
  EXPECT_EQ(Bad("start on"), "1:9: expected event name (in 'start on')");
  EXPECT_EQ(Bad("stop"), "1:5: expected 'on' after 'stop'");
  EXPECT_EQ(Bad("stage"), "1:6: expected initramfs|root|both after 'stage'");
  EXPECT_EQ(Bad("env"), "1:4: expected KEY=VALUE after 'env'");
  EXPECT_EQ(Bad("instance"), "1:9: expected an instance name after 'instance'");
  EXPECT_EQ(Bad("pre-start"), "1:10: expected exec|script after 'pre-start'");
  EXPECT_EQ(Bad("kill"), "1:5: expected 'timeout' after 'kill'");
  EXPECT_EQ(Bad("kill timeout"),
            "1:13: expected a number of seconds after 'timeout'");
  EXPECT_EQ(Bad("seccomp deny"), "1:13: expected a syscall name after 'deny'");
  EXPECT_EQ(Bad("respawn limit 3"),
            "1:16: expected COUNT SECONDS or 'unlimited' after 'limit'");
}

TEST(ParseJobErrorTest, ExtraArguments) {
  EXPECT_EQ(Bad("task now"), "1:6: unexpected 'now' after 'task'");
  EXPECT_EQ(Bad("description two words"),
            "1:17: unexpected 'words' after 'two'");
  EXPECT_EQ(Bad("stage root both"), "1:12: unexpected 'both' after 'root'");
  EXPECT_EQ(Bad("script x\nend script"), "1:8: unexpected 'x' after 'script'");
  EXPECT_EQ(Bad("env A=1 B=2"), "1:9: unexpected 'B=2' after 'A=1'");
  EXPECT_EQ(Bad("respawn limit unlimited 3"),
            "1:25: unexpected '3' after 'unlimited'");
}

TEST(ParseJobErrorTest, BadKeywordsAndNumbers) {
  EXPECT_EQ(Bad("stage early"),
            "1:7: expected initramfs|root|both after 'stage', got 'early'");
  EXPECT_EQ(Bad("console owner"),
            "1:9: expected log|output|none after 'console', got 'owner'");
  EXPECT_EQ(Bad("respawn forever"),
            "1:9: expected 'limit' after 'respawn', got 'forever'");
  EXPECT_EQ(Bad("respawn limit x 5"), "1:15: expected a count, got 'x'");
  EXPECT_EQ(Bad("respawn limit -1 y"),
            "1:15: expected a count, got '-1'\n"
            "1:18: expected a number of seconds, got 'y'");
  EXPECT_EQ(Bad("kill timeout 1.5"),
            "1:14: expected a number of seconds, got '1.5'");
  EXPECT_EQ(Bad("kill timeout 99999999"),
            "1:14: number too large: 99999999 (at most 86400)");
  EXPECT_EQ(Bad("kill signal TERM"),
            "1:6: expected 'timeout' after 'kill', got 'signal'");
  EXPECT_EQ(Bad("env 1A=x"), "1:5: expected KEY=VALUE after 'env', got '1A=x'");
  EXPECT_EQ(Bad("env NOVALUE"),
            "1:5: expected KEY=VALUE after 'env', got 'NOVALUE'");
  EXPECT_EQ(Bad("seccomp deny mk-dir ok \"x\""),
            "1:14: expected a syscall name, got 'mk-dir'\n"
            "1:24: expected a syscall name, got '\"x\"'");
  EXPECT_EQ(Bad("seccomp block mkdir"),
            "1:9: expected allow|deny after 'seccomp', got 'block'");
}

TEST(ParseJobErrorTest, Duplicates) {
  EXPECT_EQ(Bad("exec a\nexec b"), "2:1: duplicate 'exec' (first at line 1)");
  EXPECT_EQ(Bad("exec a\nscript\nend script"),
            "2:1: both 'exec' (line 1) and 'script' given; use one");
  EXPECT_EQ(Bad("script\nend script\n  exec a"),
            "3:3: both 'script' (line 1) and 'exec' given; use one");
  EXPECT_EQ(Bad("pre-start exec a\npre-start script\nend script"),
            "2:1: duplicate 'pre-start' (first at line 1)");
  EXPECT_EQ(Bad("description a\ndescription b"),
            "2:1: duplicate 'description' (first at line 1)");
  EXPECT_EQ(Bad("start on a\nstart on (b\n or c)\ntask x"),
            "2:1: duplicate 'start on' (first at line 1)\n"
            "4:6: unexpected 'x' after 'task'");
  EXPECT_EQ(Bad("kill timeout 1\nkill timeout 2"),
            "2:1: duplicate 'kill timeout' (first at line 1)");
  EXPECT_EQ(Bad("seccomp deny a\nseccomp allow b"),
            "2:9: 'seccomp allow' after 'seccomp deny' (line 1); a job has one "
            "mode");
}

TEST(ParseJobErrorTest, ScriptWithoutEndReportsWhereItBegan) {
  EXPECT_EQ(Bad("task\n  post-stop script\n  echo\nend\n"),
            "2:13: 'script' without 'end script' (the block runs to the end "
            "of the file)");
  EXPECT_EQ(Bad("end script"), "1:1: 'end' without 'script'");
}

TEST(ParseJobErrorTest, ExpressionErrorsHaveFilePositions) {
  EXPECT_EQ(Bad("task\nstart on a and\n"),
            "2:15: expected event name after 'and' (in 'start on')");
  EXPECT_EQ(Bad("stop on (a or\n  b\n"),
            "1:9: unbalanced '(': expected ')' (in 'stop on')");
  EXPECT_EQ(Bad("start on (a or\n   b))"),
            "2:6: unbalanced ')' (in 'start on')");
}

TEST(ParseJobErrorTest, QuotingErrors) {
  EXPECT_EQ(Bad("env A=\"abc\ntask"), "1:7: unterminated '\"' quote");
  EXPECT_EQ(Bad("exec echo 'abc"), "1:11: unterminated quote in command");
  EXPECT_EQ(Bad("start on a K=\"x"), "1:14: unterminated '\"' quote");
}

TEST(ParseJobErrorTest, CollectsSeveralAndSaysSoInTheStatus) {
  std::vector<Diagnostic> diags;
  auto job = ParseJob("j", "/etc/j.conf", "bogus\ntask\nstage x\n", &diags);
  ASSERT_FALSE(job.ok());
  ASSERT_EQ(diags.size(), 2u);
  EXPECT_EQ(diags[0].line, 1);
  EXPECT_EQ(diags[1].line, 3);
  EXPECT_EQ(diags[1].col, 7);
  EXPECT_EQ(job.status().message(),
            "/etc/j.conf:1:1: unknown stanza 'bogus'\n"
            "/etc/j.conf:3:7: expected initramfs|root|both after 'stage', "
            "got 'x'");
  // Also without a diagnostics vector.
  EXPECT_FALSE(ParseJob("j", "j.conf", "bogus", nullptr).ok());
}

TEST(ParseJobErrorTest, StopsAfterTooManyErrors) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "bogus\n";
  std::vector<Diagnostic> diags;
  EXPECT_FALSE(ParseJob("j", "j.conf", text, &diags).ok());
  ASSERT_EQ(diags.size(), static_cast<size_t>(kMaxDiagnostics) + 1);
  EXPECT_NE(diags.back().message.find("too many errors"), std::string::npos);
}

TEST(DiagnosticTest, ToString) {
  EXPECT_EQ((Diagnostic{"a.conf", 3, 7, "oops"}).ToString(),
            "a.conf:3:7: oops");
  EXPECT_EQ((Diagnostic{"a.conf", 0, 0, "oops"}).ToString(), "a.conf: oops");
}

TEST(JobNameFromPathTest, Basename) {
  EXPECT_EQ(JobNameFromPath("/etc/baton/jobs/udev.conf"), "udev");
  EXPECT_EQ(JobNameFromPath("x.conf.conf"), "x.conf");
  EXPECT_EQ(JobNameFromPath("plain"), "plain");
  EXPECT_EQ(JobNameFromPath("/d/.conf"), "");
}

TEST(LoadJobFilesTest, KeepsGoodFilesWhenOneIsBad) {
  LoadResult r = LoadJobFiles({
      {"/j/a.conf", "task\nexec true\n"},
      {"/j/bad.conf", "task\nstart on (x\n"},
      {"/j/c.conf", "start on started a\nexec sleep 1\n"},
  });
  ASSERT_EQ(r.jobs.size(), 2u);
  EXPECT_EQ(r.jobs[0]->name, "a");
  EXPECT_EQ(r.jobs[1]->name, "c");
  EXPECT_EQ(r.jobs[1]->path, "/j/c.conf");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].ToString(),
            "/j/bad.conf:2:10: unbalanced '(': expected ')' (in 'start on')");
}

TEST(LoadJobFilesTest, DuplicateNamesAreADiagnostic) {
  LoadResult r = LoadJobFiles({
      {"/etc/baton/jobs/a.conf", "task"},
      {"/run/jobs/a.conf", "respawn"},
      {"/x/.conf", ""},
  });
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_TRUE(r.jobs[0]->task);
  ASSERT_EQ(r.diagnostics.size(), 2u);
  EXPECT_EQ(r.diagnostics[0].ToString(),
            "/run/jobs/a.conf: duplicate job 'a' (already loaded from "
            "/etc/baton/jobs/a.conf); skipped");
  EXPECT_EQ(r.diagnostics[1].file, "/x/.conf");
}

TEST(FormatJobTest, RoundTrips) {
  auto job = Good(R"(description "say \"hi\""
stage both
start on a K="x y" or (b and c)
stop on d
instance $N
task
env A="1 2"
pre-start exec true
script
  echo "$A"
end script
post-stop script
end script
respawn
respawn limit 3 10
console none
seccomp allow read write
kill timeout 9
)");
  ASSERT_NE(job, nullptr);
  const std::string text = FormatJob(*job);
  auto again = Good(text);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(FormatJob(*again), text);
  EXPECT_EQ(again->description, "say \"hi\"");
  EXPECT_EQ(again->exec.text, "  echo \"$A\"\n");
  EXPECT_EQ(again->post_stop.kind, Command::Kind::kScript);
  EXPECT_EQ(again->post_stop.text, "");
}

TEST(ParseJobRobustnessTest, EveryPrefixAndByteFlipParsesOrFails) {
  const std::string full =
      "description \"d\"\nstart on (a K=\"v w\" or\n b) and c\n"
      "env X='y'\nscript\n  echo \"#\" ( )\nend script\n"
      "respawn limit 3 10\nseccomp deny mkdir\nkill timeout 2\n";
  ASSERT_NE(Good(full), nullptr);
  int failures = 0;
  for (size_t n = 0; n <= full.size(); ++n) {
    std::vector<Diagnostic> diags;
    auto job = ParseJob("j", "j.conf", full.substr(0, n), &diags);
    if (!job.ok()) {
      ++failures;
      ASSERT_FALSE(diags.empty()) << n;
      for (const Diagnostic& d : diags) EXPECT_GE(d.line, 1);
    }
  }
  EXPECT_GT(failures, 10);
  for (size_t i = 0; i < full.size(); ++i) {
    for (char c : {'(', ')', '"', '\'', '#', '\n', '\\', ' '}) {
      std::string text = full;
      text[i] = c;
      std::vector<Diagnostic> diags;
      auto job = ParseJob("j", "j.conf", text, &diags);
      EXPECT_EQ(job.ok(), diags.empty());
    }
  }
}

// The sample jobs under jobs/examples, found through the test's runfiles.
std::string ExamplesDir() { return baton::runfiles::RunfilePath("jobs/examples"); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  EXPECT_TRUE(in.good()) << path;
  return s.str();
}

TEST(ExamplesTest, AllParseWithoutDiagnostics) {
  const std::string dir = ExamplesDir();
  std::vector<std::pair<std::string, std::string>> files;
  for (const char* name :
       {"hello", "ticker", "crasher", "greeter", "sandboxed", "prestart"}) {
    const std::string path = dir + "/" + name + ".conf";
    files.emplace_back(path, ReadFile(path));
  }
  LoadResult r = LoadJobFiles(files);
  for (const Diagnostic& d : r.diagnostics) ADD_FAILURE() << d.ToString();
  ASSERT_EQ(r.jobs.size(), 6u);

  const JobConfig& hello = *r.jobs[0];
  EXPECT_TRUE(hello.task);
  EXPECT_EQ(FormatEventExpr(*hello.start_on), "startup");
  EXPECT_NE(hello.exec.text.find("$BATON_DEMO_DIR/hello.out"),
            std::string::npos);

  const JobConfig& ticker = *r.jobs[1];
  EXPECT_FALSE(ticker.task);
  EXPECT_EQ(FormatEventExpr(*ticker.start_on), "started hello");

  const JobConfig& crasher = *r.jobs[2];
  EXPECT_TRUE(crasher.respawn.enabled);
  EXPECT_EQ(crasher.respawn.limit_count, 3);
  EXPECT_EQ(crasher.respawn.limit_interval, absl::Seconds(10));

  const JobConfig& greeter = *r.jobs[3];
  EXPECT_EQ(greeter.instance, "$NAME");
  EXPECT_EQ(FormatEventExpr(*greeter.start_on), "greet NAME=*");

  const JobConfig& sandboxed = *r.jobs[4];
  EXPECT_EQ(sandboxed.start_on, nullptr);
  EXPECT_EQ(sandboxed.seccomp.mode, SeccompPolicy::Mode::kDeny);
  EXPECT_EQ(sandboxed.seccomp.syscalls[0], "mkdir");

  const JobConfig& prestart = *r.jobs[5];
  EXPECT_EQ(prestart.pre_start.kind, Command::Kind::kScript);
  EXPECT_EQ(prestart.exec.kind, Command::Kind::kExec);
  EXPECT_EQ(prestart.post_stop.kind, Command::Kind::kScript);
}

}  // namespace
}  // namespace baton::jobs
