#include "supervisor/reload.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"

namespace baton::supervisor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class Runner : public ProcessRunner {
 public:
  absl::StatusOr<pid_t> Start(const Spec& spec) override {
    started.push_back(spec.command != nullptr ? spec.command->text : "");
    return next_pid_++;
  }
  absl::Status Signal(pid_t pid, int sig) override { return absl::OkStatus(); }
  std::vector<std::string> started;

 private:
  pid_t next_pid_ = 100;
};

class Clock0 : public Clock {
 public:
  absl::Time Now() override { return absl::UnixEpoch() + absl::Seconds(5); }
};

constexpr char kDir[] = "/etc/baton/jobs";

class ReloadTest : public ::testing::Test {
 protected:
  ReloadTest() : engine_(runner_, clock_), reloader_(kDir, [](const jobs::JobConfig& job) {
    return job.RunsIn(jobs::Stage::kRoot);
  }) {
    EXPECT_TRUE(kernel_.MkdirAll(kDir).ok());
  }
  void Write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(kernel_.WriteFile(absl::StrCat(kDir, "/", name), text).ok());
  }
  void LoadFirst() {
    std::vector<jobs::Diagnostic> diags;
    std::vector<JobSource> sources = ReadJobSources(kernel_, {kDir}, &diags);
    size_t added = 0;
    EXPECT_THAT(reloader_.Load(std::move(sources), std::move(diags), engine_, &added), IsEmpty());
    loaded_ = added;
  }
  void Emit(const std::string& event) {
    engine_.Emit(event);
    engine_.RunQueue();
  }

  sys::FakeKernel kernel_;
  Runner runner_;
  Clock0 clock_;
  Engine engine_;
  JobReloader reloader_;
  size_t loaded_ = 0;
};

TEST_F(ReloadTest, AddsChangesRemovesAndLeavesTheRest) {
  Write("a.conf", "start on go\nexec /bin/a\n");
  Write("b.conf", "start on go\nexec /bin/b\n");
  Write("c.conf", "start on go\nexec /bin/c\n");
  LoadFirst();
  EXPECT_EQ(loaded_, 3u);

  Write("b.conf", "start on go\nexec /bin/b2\n");
  ASSERT_TRUE(kernel_.Unlink(absl::StrCat(kDir, "/c.conf")).ok());
  Write("d.conf", "start on go\nexec /bin/d\n");
  ReloadReport report = reloader_.Reload(kernel_, engine_);
  EXPECT_THAT(report.added, ElementsAre("d"));
  EXPECT_THAT(report.changed, ElementsAre("b"));
  EXPECT_THAT(report.removed, ElementsAre("c"));
  EXPECT_EQ(report.unchanged, 1);
  EXPECT_THAT(report.errors, IsEmpty());
  EXPECT_EQ(report.Summary(),
            "reloaded /etc/baton/jobs: 1 added (d), 1 changed (b), 1 removed (c), 1 unchanged");
  EXPECT_EQ(engine_.FindJob("c"), nullptr);

  Emit("go");
  EXPECT_THAT(runner_.started, ElementsAre("/bin/a", "/bin/b2", "/bin/d"));

  // Nothing changed: nothing to do.
  ReloadReport again = reloader_.Reload(kernel_, engine_);
  EXPECT_THAT(again.added, IsEmpty());
  EXPECT_THAT(again.changed, IsEmpty());
  EXPECT_THAT(again.removed, IsEmpty());
  EXPECT_EQ(again.unchanged, 3);
}

TEST_F(ReloadTest, UnchangedJobKeepsItsStartOnProgress) {
  Write("both.conf", "start on x and y\nexec /bin/both\n");
  Write("other.conf", "start on z\nexec /bin/other\n");
  LoadFirst();
  Emit("x");
  Write("other.conf", "start on z\nexec /bin/other2\n");
  ReloadReport report = reloader_.Reload(kernel_, engine_);
  EXPECT_THAT(report.changed, ElementsAre("other"));
  Emit("y");  // x was seen before the reload
  EXPECT_THAT(runner_.started, ElementsAre("/bin/both"));
}

TEST_F(ReloadTest, FileWithErrorsKeepsTheOldDefinition) {
  Write("a.conf", "start on go\nexec /bin/a\n");
  LoadFirst();
  Write("a.conf", "start on go\nexec /bin/a2\nrespawn limit x 5\n");
  Write("new.conf", "start on (go\n");
  ReloadReport report = reloader_.Reload(kernel_, engine_);
  EXPECT_THAT(report.changed, IsEmpty());
  EXPECT_THAT(report.added, IsEmpty());
  EXPECT_THAT(report.removed, IsEmpty());
  ASSERT_EQ(report.errors.size(), 2u);
  EXPECT_THAT(report.Summary(), HasSubstr("/etc/baton/jobs/a.conf:3:"));
  EXPECT_THAT(report.Summary(), HasSubstr("(old definition kept)"));
  Emit("go");
  EXPECT_THAT(runner_.started, ElementsAre("/bin/a"));
  // Mended, it is taken on the next reload.
  Write("a.conf", "start on go\nexec /bin/a3\n");
  ReloadReport mended = reloader_.Reload(kernel_, engine_);
  EXPECT_THAT(mended.changed, ElementsAre("a"));
}

TEST_F(ReloadTest, RemovedFileOfARunningJobLeavesItRunningUntilStopped) {
  Write("svc.conf", "start on go\nexec /bin/svc\n");
  LoadFirst();
  Emit("go");
  ASSERT_EQ(engine_.Find("svc")->state, State::kRunning);
  ASSERT_TRUE(kernel_.Unlink(absl::StrCat(kDir, "/svc.conf")).ok());
  ReloadReport report = reloader_.Reload(kernel_, engine_);
  EXPECT_THAT(report.removed, ElementsAre("svc"));
  EXPECT_EQ(engine_.Find("svc")->state, State::kRunning);
  EXPECT_EQ(engine_.Find("svc")->pid, 100);
}

TEST_F(ReloadTest, JobMovedToAnotherStageCountsAsRemoved) {
  Write("early.conf", "start on go\nexec /bin/early\n");
  LoadFirst();
  Write("early.conf", "stage initramfs\nstart on go\nexec /bin/early\n");
  ReloadReport report = reloader_.Reload(kernel_, engine_);
  EXPECT_THAT(report.removed, ElementsAre("early"));
  EXPECT_EQ(engine_.FindJob("early"), nullptr);
  // And back.
  Write("early.conf", "start on go\nexec /bin/early\n");
  EXPECT_THAT(reloader_.Reload(kernel_, engine_).added, ElementsAre("early"));
}

TEST_F(ReloadTest, JobsNotFromAFileAreLeftAlone) {
  LoadFirst();
  auto adopted = std::make_unique<jobs::JobConfig>();
  adopted->name = "from-stage1";
  engine_.AddJob(std::move(adopted));
  ReloadReport report = reloader_.Reload(kernel_, engine_);
  EXPECT_THAT(report.removed, IsEmpty());
  EXPECT_NE(engine_.FindJob("from-stage1"), nullptr);
}

}  // namespace
}  // namespace baton::supervisor
