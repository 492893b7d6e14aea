// The stock stage-1 jobs (jobs/stage1/*.conf) parse without diagnostics and
// say what the stage-1 design needs: both stages, tasks, one instance per
// device, the `baton` subcommand that carries the policy. md-degraded-ask
// (stage 1 only) starts on PID 1's question and turns the answer of
// `baton md-ask-degraded` into md-degraded-answer.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jobs/expr.h"
#include "jobs/load_dir.h"
#include "jobs/parser.h"
#include "supervisor/engine.h"
#include "tests/runfiles.h"

namespace baton::jobs {
namespace {

std::string Stage1Dir() { return baton::runfiles::RunfilePath("jobs/stage1"); }

TEST(Stage1JobsTest, ParseWithoutDiagnosticsAndSayWhatTheyDo) {
  LoadResult r = LoadJobDir(Stage1Dir());
  for (const Diagnostic& d : r.diagnostics) ADD_FAILURE() << d.ToString();
  std::map<std::string, const JobConfig*> jobs;
  for (const auto& job : r.jobs) jobs[job->name] = job.get();
  ASSERT_EQ(jobs.size(), 5u);

  struct Want {
    const char* name;
    const char* start_on;
    const char* instance;
    const char* exec;
    ConsoleMode console;
  };
  const Want wants[] = {
      {"md-incremental",
       "block-device-added ID_FS_TYPE=linux_raid_member or "
       "block-device-changed ID_FS_TYPE=linux_raid_member",
       "$DEVNAME", "baton md-add $DEVNAME", ConsoleMode::kLog},
      {"luks-unlock",
       "block-device-added ID_FS_TYPE=crypto_LUKS or "
       "block-device-changed ID_FS_TYPE=crypto_LUKS", "$ID_FS_UUID",
       "baton luks-unlock $DEVNAME $ID_FS_UUID", ConsoleMode::kOutput},
      {"lvm-activate",
       "block-device-added ID_FS_TYPE=LVM2_member or "
       "block-device-changed ID_FS_TYPE=LVM2_member", "$DEVNAME",
       "baton lvm-activate $DEVNAME", ConsoleMode::kLog},
      {"md-degraded", "md-start-degraded", "$MD_DEVNAME", "baton md-run-degraded $MD_DEVNAME",
       ConsoleMode::kLog},
  };
  const JobConfig* ask = jobs["md-degraded-ask"];
  ASSERT_NE(ask, nullptr);
  EXPECT_EQ(ask->stage, Stage::kInitramfs);  // only stage 1's PID 1 asks
  EXPECT_TRUE(ask->task);
  ASSERT_NE(ask->start_on, nullptr);
  EXPECT_EQ(FormatEventExpr(*ask->start_on), "md-degraded-ask");
  EXPECT_EQ(ask->exec.kind, Command::Kind::kScript);
  EXPECT_EQ(ask->console, ConsoleMode::kLog);  // the tool opens the console itself
  for (const Want& want : wants) {
    SCOPED_TRACE(want.name);
    auto it = jobs.find(want.name);
    ASSERT_NE(it, jobs.end());
    const JobConfig& job = *it->second;
    EXPECT_EQ(job.stage, Stage::kBoth);
    EXPECT_TRUE(job.RunsIn(Stage::kInitramfs));
    EXPECT_TRUE(job.task);
    EXPECT_FALSE(job.respawn.enabled);
    ASSERT_NE(job.start_on, nullptr);
    EXPECT_EQ(FormatEventExpr(*job.start_on), want.start_on);
    EXPECT_EQ(job.instance, want.instance);
    EXPECT_EQ(job.exec.kind, Command::Kind::kExec);
    EXPECT_EQ(job.exec.text, want.exec);
    EXPECT_EQ(job.console, want.console);
    EXPECT_FALSE(job.description.empty());
    // Parsing the canonical form gives the same job back.
    std::vector<Diagnostic> diags;
    auto again = ParseJob(job.name, job.path, FormatJob(job), &diags);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(FormatJob(**again), FormatJob(job));
  }
}

// --- md-degraded-ask: started by PID 1's question, answers it ---------------

class RecordingRunner : public supervisor::ProcessRunner {
 public:
  absl::StatusOr<pid_t> Start(const Spec& spec) override {
    started.push_back(spec);
    return next_pid++;
  }
  absl::Status Signal(pid_t, int) override { return absl::OkStatus(); }
  std::vector<Spec> started;
  pid_t next_pid = 100;
};

class FixedClock : public supervisor::Clock {
 public:
  absl::Time Now() override { return absl::FromUnixSeconds(1000); }
};

const JobConfig* AskJob(const LoadResult& r) {
  for (const auto& job : r.jobs) {
    if (job->name == "md-degraded-ask") return job.get();
  }
  return nullptr;
}

TEST(Stage1JobsTest, MdDegradedAskStartsOnPid1sQuestionWithItsDevices) {
  LoadResult r = LoadJobDir(Stage1Dir());
  RecordingRunner runner;
  FixedClock clock;
  supervisor::Engine engine(runner, clock);
  for (auto& job : r.jobs) engine.AddJob(std::move(job));
  // The other md event starts md-degraded only.
  engine.Emit("md-start-degraded", {{"MD_DEVNAME", "/dev/md125"}});
  engine.RunQueue();
  ASSERT_EQ(runner.started.size(), 1u);
  EXPECT_EQ(runner.started[0].job->name, "md-degraded");
  engine.Emit("md-degraded-ask", {{"MD_DEVNAMES", "/dev/md127 /dev/md126"}});
  engine.RunQueue();
  ASSERT_EQ(runner.started.size(), 2u);
  const supervisor::ProcessRunner::Spec& spec = runner.started[1];
  EXPECT_EQ(spec.job->name, "md-degraded-ask");
  EXPECT_THAT(spec.env, testing::Contains(testing::Pair("MD_DEVNAMES", "/dev/md127 /dev/md126")));
}

// The job's script, run by /bin/sh -e as the spawner runs it (BuildArgv:
// kScript), with a `baton` that records its arguments and exits with
// BATON_EXIT and an `initctl` that records what it would emit.
std::string RunAskScript(const std::string& script, int baton_exit) {
  char dir_template[] = "/tmp/stage1-ask-XXXXXX";
  const char* dir_c = mkdtemp(dir_template);
  EXPECT_NE(dir_c, nullptr);
  const std::string dir = dir_c;
  auto write_tool = [&dir](const std::string& name, const std::string& body) {
    std::ofstream f(dir + "/" + name);
    f << "#!/bin/sh\n" << body;
    f.close();
    chmod((dir + "/" + name).c_str(), 0755);
  };
  write_tool("baton", "echo \"baton $*\" >>\"$RECORD\"\nexit $BATON_EXIT\n");
  write_tool("initctl", "echo \"initctl $*\" >>\"$RECORD\"\n");
  pid_t pid = fork();
  if (pid == 0) {
    const std::string path = "PATH=" + dir + ":/usr/bin:/bin";
    const std::string record = "RECORD=" + dir + "/record";
    const std::string exit_env = "BATON_EXIT=" + std::to_string(baton_exit);
    const char* env[] = {path.c_str(), record.c_str(), exit_env.c_str(),
                         "MD_DEVNAMES=/dev/md127 /dev/md126", nullptr};
    execle("/bin/sh", "/bin/sh", "-e", "-c", script.c_str(), static_cast<char*>(nullptr), env);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  std::ifstream in(dir + "/record");
  std::stringstream text;
  text << in.rdbuf();
  std::string cmd = "rm -rf " + dir;
  (void)!system(cmd.c_str());
  return text.str();
}

TEST(Stage1JobsTest, MdDegradedAskAnswersFromTheToolsExitStatus) {
  LoadResult r = LoadJobDir(Stage1Dir());
  const JobConfig* ask = AskJob(r);
  ASSERT_NE(ask, nullptr);
  EXPECT_EQ(RunAskScript(ask->exec.text, 0),
            "baton md-ask-degraded /dev/md127 /dev/md126\n"
            "initctl emit md-degraded-answer ANSWER=yes\n");
  // No, end of input, no console (1) and usage (2): the answer is no, and
  // sh -e does not end the script before it is given.
  for (int code : {1, 2}) {
    SCOPED_TRACE(code);
    EXPECT_EQ(RunAskScript(ask->exec.text, code),
              "baton md-ask-degraded /dev/md127 /dev/md126\n"
              "initctl emit md-degraded-answer ANSWER=no\n");
  }
}

}  // namespace
}  // namespace baton::jobs
