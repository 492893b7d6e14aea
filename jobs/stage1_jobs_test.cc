// The stock stage-1 jobs (jobs/stage1/*.conf) parse without diagnostics and
// say what the stage-1 design needs: both stages, tasks, one instance per
// device, the `baton` subcommand that carries the policy.
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "jobs/expr.h"
#include "jobs/load_dir.h"
#include "jobs/parser.h"
#include "tests/runfiles.h"

namespace baton::jobs {
namespace {

std::string Stage1Dir() { return baton::runfiles::RunfilePath("jobs/stage1"); }

TEST(Stage1JobsTest, ParseWithoutDiagnosticsAndSayWhatTheyDo) {
  LoadResult r = LoadJobDir(Stage1Dir());
  for (const Diagnostic& d : r.diagnostics) ADD_FAILURE() << d.ToString();
  std::map<std::string, const JobConfig*> jobs;
  for (const auto& job : r.jobs) jobs[job->name] = job.get();
  ASSERT_EQ(jobs.size(), 4u);

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

}  // namespace
}  // namespace baton::jobs
