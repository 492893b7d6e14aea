// initctl reexec's preflight: the new binary is shown the real handoff
// before PID 1 execs it (reexec.h step 3). The whole round trip of a
// re-exec is in restore_test.cc.
#include "supervisor/stage2/reexec.h"

#include <signal.h>

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handoff/codec.h"
#include "handoff/memfd.h"
#include "supervisor/engine.h"
#include "supervisor/log_ring.h"
#include "supervisor/spawner.h"
#include "sys/fake_kernel.h"

namespace baton::stage2 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

class StillClock : public supervisor::Clock {
 public:
  absl::Time Now() override { return absl::FromUnixSeconds(1000); }
};

class ReexecPreflightTest : public ::testing::Test {
 protected:
  ReexecPreflightTest()
      : ring_(kernel_, clock_, clock_.Now(), {}),
        spawner_(kernel_, ring_, nullptr, {}),
        engine_(spawner_, clock_) {
    EXPECT_TRUE(kernel_.MkdirAll("/usr/sbin").ok());
    EXPECT_TRUE(kernel_.WriteFile("/usr/sbin/baton", "a binary", 0755).ok());
    auto pipe = kernel_.Pipe();  // stands in for the listening control socket
    EXPECT_TRUE(pipe.ok());
    control_ = pipe->first.release();
    engine_.Emit("startup");
    engine_.RunQueue();
  }

  ReexecInput Input() {
    ReexecInput in;
    in.engine = &engine_;
    in.ring = &ring_;
    in.timeline = &timeline_;
    in.control_socket = control_;
    in.self_path = "/usr/sbin/baton";
    in.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    return in;
  }

  // The next preflight child writes OUTPUT and exits with STATUS, or is
  // killed by SIGNAL.
  void Child(std::string output, int status, int signal = 0) {
    kernel_.set_spawn_hook([this, output, status, signal](pid_t pid, const sys::SpawnRequest& r) {
      preflight_ = r;
      ASSERT_TRUE(kernel_.FinishChild(pid, r, output, status, signal).ok());
    });
  }

  absl::Status Run() {
    return Reexec(kernel_, Input(), [this](absl::string_view l) { log_.emplace_back(l); });
  }

  bool Logged(absl::string_view text) const {
    for (const std::string& line : log_) {
      if (absl::string_view(line).find(text) != absl::string_view::npos) return true;
    }
    return false;
  }

  sys::FakeKernel kernel_;
  StillClock clock_;
  supervisor::LogRing ring_;
  supervisor::Spawner spawner_;
  supervisor::Engine engine_;
  handoff::BootTimeline timeline_;
  int control_ = -1;
  sys::SpawnRequest preflight_;
  std::vector<std::string> log_;
};

TEST_F(ReexecPreflightTest, NewBinaryDecodesTheRealHandoffThenIsExecuted) {
  std::string decoded;
  kernel_.set_spawn_hook([&](pid_t pid, const sys::SpawnRequest& r) {
    preflight_ = r;
    // The child reads the very memfd the exec will carry.
    int fd = -1;
    ASSERT_EQ(r.argv.size(), 3u);
    ASSERT_TRUE(absl::SimpleAtoi(r.argv[2].substr(13), &fd)) << r.argv[2];
    auto bytes = handoff::ReadHandoffFd(kernel_, fd);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    handoff::DecodeResult result = handoff::Decode(*bytes);
    ASSERT_TRUE(result.ok()) << result.stateless_reason;
    decoded = absl::StrCat("ok (format ", result.handoff->format_version(), ")");
    std::string line = absl::StrCat(
        "baton preflight ok build=baton-0.1.0 handoff-reader=1-5 jobs=0 job-errors=0 handoff=",
        decoded, "\n");
    ASSERT_TRUE(kernel_.Write(r.stdout_fd, line.data(), line.size()).ok());
    kernel_.CloseFd(r.stdout_fd);
    kernel_.Exit(pid, 0);
  });
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(preflight_.argv[0], "/usr/sbin/baton");
  EXPECT_EQ(preflight_.argv[1], "--preflight");
  EXPECT_TRUE(preflight_.root.empty());  // already on the real root
  ASSERT_EQ(kernel_.execs().size(), 1u);
  EXPECT_EQ(kernel_.execs()[0].argv[1], preflight_.argv[2]);  // the same --handoff-fd=N
  EXPECT_TRUE(Logged("/usr/sbin/baton preflight: baton preflight ok "));
  EXPECT_TRUE(Logged("handoff=" + decoded));
}

TEST_F(ReexecPreflightTest, HandoffTheNewBinaryCannotReadRefusesTheReexec) {
  Child("baton preflight ok build=baton-9 handoff-reader=1-2 jobs=0 job-errors=0 "
        "handoff=unreadable: handoff needs reader version 3, this reader is 2\n",
        0);
  absl::Status status = Run();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "/usr/sbin/baton cannot read this handoff: handoff needs reader version 3, this "
            "reader is 2");
  EXPECT_THAT(kernel_.execs(), IsEmpty());
  EXPECT_TRUE(kernel_.IsCloexec(control_));  // ours again
  EXPECT_EQ(timeline_.marks().back().name(), "reexec-failed");
  EXPECT_TRUE(Logged("still running the old binary: /usr/sbin/baton cannot read this handoff"));
}

TEST_F(ReexecPreflightTest, BinaryDyingBeforeMainRefusesTheReexec) {
  Child("", 0, SIGSEGV);
  absl::StatusOr<ReexecPlan> plan =
      PrepareReexec(kernel_, Input(), [this](absl::string_view l) { log_.emplace_back(l); });
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(std::string(plan.status().message()),
              StartsWith("the new binary failed its preflight: /usr/sbin/baton preflight: killed "
                         "by SIGSEGV before answering ("));
  EXPECT_THAT(kernel_.execs(), IsEmpty());
  EXPECT_TRUE(kernel_.IsCloexec(control_));
}

TEST_F(ReexecPreflightTest, ExitStatusOneRefusesTheReexec) {
  Child("/usr/sbin/baton: applet not found\n", 1);
  absl::Status status = Run();
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("preflight: exited with status 1: \"/usr/sbin/baton: applet not found\""));
  EXPECT_THAT(kernel_.execs(), IsEmpty());
}

TEST_F(ReexecPreflightTest, OlderBatonWithoutPreflightIsExecutedWithoutADryRun) {
  Child("baton: unknown argument '--preflight'\nusage: baton --user --jobs DIR\n", 2);
  ASSERT_TRUE(Run().ok());
  ASSERT_EQ(kernel_.execs().size(), 1u);
  EXPECT_TRUE(Logged("preflight: accepted without a dry run"));
}

TEST_F(ReexecPreflightTest, PrepareThenExecIsWhatInitctlsAnswerSplits) {
  Child("baton preflight ok build=b handoff-reader=1-5 jobs=0 job-errors=0 handoff=ok (x)\n", 0);
  auto log = [this](absl::string_view l) { log_.emplace_back(l); };
  absl::StatusOr<ReexecPlan> plan = PrepareReexec(kernel_, Input(), log);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->preflight, StartsWith("/usr/sbin/baton preflight: baton preflight ok"));
  EXPECT_THAT(kernel_.execs(), IsEmpty());  // nothing executed before the answer
  EXPECT_FALSE(kernel_.IsCloexec(control_));
  kernel_.FailExec("/usr/sbin/baton", ENOENT);
  absl::Status ran = ExecReexec(kernel_, Input(), *std::move(plan), log);
  EXPECT_FALSE(ran.ok());
  EXPECT_TRUE(kernel_.IsCloexec(control_));
  EXPECT_EQ(kernel_.spawned().size(), 1u);  // preflighted once, in the prepare
}

}  // namespace
}  // namespace baton::stage2
