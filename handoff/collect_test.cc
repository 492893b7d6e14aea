#include "handoff/collect.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handoff/codec.h"
#include "handoff/env_pack.h"
#include "handoff/log_pack.h"
#include "handoff/memfd.h"
#include "handoff/version.h"
#include "jobs/job.h"
#include "supervisor/engine.h"
#include "supervisor/log_ring.h"
#include "sys/fake_kernel.h"

namespace baton::handoff {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> Texts(const LogRing& ring) {
  std::vector<std::string> texts;
  ForEachLogLine(ring, [&](int64_t, absl::string_view text) { texts.emplace_back(text); });
  return texts;
}

class FakeClock : public supervisor::Clock {
 public:
  absl::Time Now() override { return now_; }
  absl::Time now_ = absl::UnixEpoch() + absl::Seconds(7);
};

class Runner : public supervisor::ProcessRunner {
 public:
  absl::StatusOr<pid_t> Start(const Spec&) override { return next_++; }
  absl::Status Signal(pid_t, int) override { return absl::OkStatus(); }
  pid_t next_ = 300;
};

class CollectTest : public ::testing::Test {
 protected:
  CollectTest() : ring_(kernel_, clock_, clock_.Now(), supervisor::LogRing::Options()) {
    auto job = std::make_unique<jobs::JobConfig>();
    job->name = "unlock";
    job->instance = "$UUID";
    job->exec.kind = jobs::Command::Kind::kExec;
    job->exec.text = "/bin/unlock";
    job->env = {{"KEYFILE", "/etc/key"}, {"KEYMAP", "de"}};
    engine_.AddJob(std::move(job));
    EXPECT_TRUE(engine_.Start("unlock", {{"UUID", "u1"}, {"PASSPHRASE", "hunter2"}}).ok());
    engine_.Emit("block-device-added", {{"DEVNAME", "/dev/vda"}, {"API_TOKEN", "t0k"}});
    engine_.RunQueue();
    ring_.Append("unlock", "u1", "first\nhalf a li");
    ring_.AddSupervisorLine("baton here");
  }
  CollectInput Input() {
    CollectInput in;
    in.engine = &engine_;
    in.ring = &ring_;
    in.timeline = &timeline_;
    in.cmdline_raw = "root=/dev/vda ro";
    in.cmdline_params = {{"root", "/dev/vda"}, {"ro", ""}};
    in.uevents = {"add@/devices/x\0"};
    in.warnings = {"something odd"};
    return in;
  }

  sys::FakeKernel kernel_;
  FakeClock clock_;
  Runner runner_;
  supervisor::Engine engine_{runner_, clock_};
  supervisor::LogRing ring_;
  int64_t t_ = 0;
  BootTimeline timeline_{[this] { return BootTimeline::Reading{t_ += 5, 99}; }};
};

TEST_F(CollectTest, CollectsEverything) {
  timeline_.Mark("stage1-start");
  Handoff h = CollectHandoff(Input());
  EXPECT_EQ(h.format_version(), kFormatVersion);
  EXPECT_EQ(h.producer_build(), kProducerBuild);
  EXPECT_EQ(h.kind(), HANDOFF_KIND_SWITCH);
  ASSERT_EQ(h.timestamps_size(), 1);
  EXPECT_EQ(h.cmdline().raw(), "root=/dev/vda ro");
  ASSERT_EQ(h.cmdline().params_size(), 2);
  ASSERT_EQ(h.instances_size(), 1);
  const JobInstance& in = h.instances(0);
  EXPECT_EQ(in.job(), "unlock");
  EXPECT_EQ(in.instance(), "u1");
  EXPECT_EQ(in.pid(), 300);
  EXPECT_EQ(in.state(), JOB_STATE_RUNNING);
  EXPECT_EQ(in.goal(), JOB_GOAL_START);
  EXPECT_EQ(in.runs(), 1);
  EXPECT_GE(h.events_size(), 3);  // block-device-added, starting, started
  ASSERT_EQ(h.logs_size(), 1);
  // Format 2: packed lines only.
  EXPECT_EQ(h.logs(0).lines_size(), 0);
  EXPECT_THAT(Texts(h.logs(0)), ElementsAre("first", "half a li"));  // and the unfinished line
  EXPECT_THAT(Texts(h.supervisor_log()), ElementsAre("baton here"));
  ASSERT_EQ(h.uevents_size(), 1);
  EXPECT_EQ(h.uevents(0).group(), 1u);
  EXPECT_EQ(h.warnings(0), "something odd");
}

TEST_F(CollectTest, CollectingOntoAnArenaGivesTheSameHandoff) {
  timeline_.Mark("stage1-start");
  t_ = 0;
  const std::string on_heap = CollectHandoff(Input()).SerializeAsString();
  t_ = 0;  // the same clock readings again (the uevents' time)
  google::protobuf::Arena arena;
  Handoff* h = google::protobuf::Arena::CreateMessage<Handoff>(&arena);
  CollectHandoffInto(Input(), h);
  EXPECT_EQ(h->GetArena(), &arena);
  EXPECT_GE(h->events_size(), 3);
  EXPECT_EQ(h->SerializeAsString(), on_heap);
}

TEST_F(CollectTest, SecretsNeverEnter) {
  Handoff h = CollectHandoff(Input());
  std::string bytes = h.SerializeAsString();
  EXPECT_THAT(bytes, Not(HasSubstr("hunter2")));
  EXPECT_THAT(bytes, Not(HasSubstr("t0k")));
  EXPECT_THAT(bytes, Not(HasSubstr("/etc/key")));
  EXPECT_THAT(bytes, HasSubstr("KEYMAP"));
  // Format 3: packed environments only.
  bool keymap = false;
  for (const JobInstance& inst : h.instances()) {
    EXPECT_EQ(inst.env_size(), 0);
    ForEachEnv(inst, [&](absl::string_view key, absl::string_view value) {
      if (key == "KEYMAP" && value == "de") keymap = true;
    });
  }
  EXPECT_TRUE(keymap);
  bool named = false;
  for (const std::string& w : h.warnings()) {
    if (absl::StrContains(w, "unlock/u1") && absl::StrContains(w, "PASSPHRASE")) named = true;
    EXPECT_THAT(w, Not(HasSubstr("hunter2")));
  }
  EXPECT_TRUE(named);
}

TEST_F(CollectTest, PrepareClearsCloexecAndWritesTheMemfd) {
  auto pipe = kernel_.Pipe();
  ASSERT_TRUE(pipe.ok());
  int read_end = pipe->first.get();
  CollectInput in = Input();
  in.fds = {{LogPipeRole("unlock", "u1"), read_end}, {"broken", 999}};
  absl::StatusOr<PreparedHandoff> p = PrepareHandoff(kernel_, in);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->fds, std::vector<int>{read_end});  // the bad fd is left out
  ASSERT_EQ(p->warnings.size(), 1u);
  EXPECT_THAT(p->warnings[0], HasSubstr("fd 999 (broken) not carried"));
  EXPECT_FALSE(kernel_.IsCloexec(read_end));
  EXPECT_FALSE(kernel_.IsCloexec(p->handoff_fd));

  absl::StatusOr<std::string> bytes = ReadHandoffFd(kernel_, p->handoff_fd);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->size(), p->bytes);
  DecodeResult d = Decode(*bytes);
  ASSERT_TRUE(d.ok()) << d.stateless_reason;
  ASSERT_EQ(d.handoff->fds_size(), 1);
  EXPECT_EQ(d.handoff->fds(0).role(), "log-pipe:unlock/u1");
  EXPECT_EQ(d.handoff->fds(0).index(), 0u);
  ASSERT_GE(d.handoff->timestamps_size(), 1);
  EXPECT_EQ(d.handoff->timestamps(d.handoff->timestamps_size() - 1).name(), "exec");
}

TEST_F(CollectTest, HandoffFileForAForeignInit) {
  ASSERT_TRUE(WriteHandoffFile(kernel_, Input(), "/run/baton/handoff.pb").ok());
  absl::StatusOr<std::string> bytes = kernel_.ReadFile("/run/baton/handoff.pb");
  ASSERT_TRUE(bytes.ok());
  DecodeResult d = Decode(*bytes);
  ASSERT_TRUE(d.ok()) << d.stateless_reason;
  EXPECT_EQ(d.handoff->instances_size(), 1);
  EXPECT_EQ(kernel_.Stat("/run/baton/handoff.pb")->mode & 0777, 0600u);
  // The "exec" mark last, as in the memfd for baton.
  ASSERT_GE(d.handoff->timestamps_size(), 1);
  EXPECT_EQ(d.handoff->timestamps(d.handoff->timestamps_size() - 1).name(), "exec");
}

TEST(ListenRoleTest, RoundTrip) {
  EXPECT_EQ(ListenRole("udevd"), "listen:udevd");
  std::string job;
  ASSERT_TRUE(ParseListenRole("listen:udevd", &job));
  EXPECT_EQ(job, "udevd");
  EXPECT_FALSE(ParseListenRole("listen:", &job));
  EXPECT_FALSE(ParseListenRole("log-pipe:udevd", &job));
}

TEST(LogPipeRoleTest, RoundTrip) {
  EXPECT_EQ(LogPipeRole("svc", ""), "log-pipe:svc");
  EXPECT_EQ(LogPipeRole("luks", "a/b"), "log-pipe:luks/a/b");
  std::string job, instance;
  ASSERT_TRUE(ParseLogPipeRole("log-pipe:luks/a/b", &job, &instance));
  EXPECT_EQ(job, "luks");
  EXPECT_EQ(instance, "a/b");
  ASSERT_TRUE(ParseLogPipeRole("log-pipe:svc", &job, &instance));
  EXPECT_EQ(instance, "");
  EXPECT_FALSE(ParseLogPipeRole("uevent-socket", &job, &instance));
  EXPECT_FALSE(ParseLogPipeRole("log-pipe:", &job, &instance));
}

// The producer kind survives encode and decode; an old handoff has none.
TEST_F(CollectTest, KindRoundTrips) {
  CollectInput in = Input();
  in.kind = HANDOFF_KIND_REEXEC;
  absl::StatusOr<std::string> bytes = Encode(CollectHandoff(in));
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  DecodeResult decoded = Decode(*bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.stateless_reason;
  EXPECT_EQ(decoded.handoff->kind(), HANDOFF_KIND_REEXEC);
  EXPECT_EQ(decoded.handoff->instances_size(), 1);
  Handoff old = CollectHandoff(Input());
  old.clear_kind();
  DecodeResult decoded_old = Decode(*Encode(old));
  ASSERT_TRUE(decoded_old.ok());
  EXPECT_EQ(decoded_old.handoff->kind(), HANDOFF_KIND_UNSPECIFIED);
}

}  // namespace
}  // namespace baton::handoff
