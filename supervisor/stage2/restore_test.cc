#include "supervisor/stage2/restore.h"

#include <fcntl.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handoff/codec.h"
#include "handoff/collect.h"
#include "handoff/memfd.h"
#include "handoff/status.h"
#include "handoff/timeline.h"
#include "handoff/version.h"
#include "jobs/job.h"
#include "supervisor/engine.h"
#include "supervisor/fd_watcher.h"
#include "supervisor/log_ring.h"
#include "supervisor/spawner.h"
#include "supervisor/stage2/reexec.h"
#include "sys/fake_kernel.h"

namespace baton::stage2 {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using std::string_literals::operator""s;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class FakeClock : public supervisor::Clock {
 public:
  absl::Time Now() override { return now_; }
  void Advance(absl::Duration d) { now_ += d; }

 private:
  // The production clock is CLOCK_MONOTONIC as UnixEpoch() + uptime.
  absl::Time now_ = absl::UnixEpoch() + absl::Seconds(2);
};

class FakeWatcher : public supervisor::FdWatcher {
 public:
  absl::Status Watch(int fd, Callback callback) override {
    callbacks_[fd] = std::move(callback);
    return absl::OkStatus();
  }
  void Unwatch(int fd) override { callbacks_.erase(fd); }
  bool Watching(int fd) const { return callbacks_.count(fd) > 0; }
  void Fire(int fd) {
    auto it = callbacks_.find(fd);
    if (it != callbacks_.end()) it->second(1);
  }

 private:
  std::map<int, Callback> callbacks_;
};

std::unique_ptr<jobs::JobConfig> Service(const std::string& name, const std::string& exec) {
  auto job = std::make_unique<jobs::JobConfig>();
  job->name = name;
  job->exec.kind = jobs::Command::Kind::kExec;
  job->exec.text = exec;
  job->respawn.enabled = true;
  job->console = jobs::ConsoleMode::kLog;
  job->env = {{"MODE", "fast"}, {"LUKS_PASSPHRASE", "hunter2"}};
  return job;
}

// One supervisor: engine, ring, spawner on the shared fake kernel.
struct Supervisor {
  explicit Supervisor(sys::FakeKernel& kernel)
      : ring(kernel, clock, clock.Now(), supervisor::LogRing::Options()),
        spawner(kernel, ring, &watcher, supervisor::Spawner::Options()),
        engine(spawner, clock) {}
  FakeClock clock;
  FakeWatcher watcher;
  supervisor::LogRing ring;
  supervisor::Spawner spawner;
  supervisor::Engine engine;
};

class RestoreTest : public ::testing::Test {
 protected:
  RestoreTest()
      : timeline_([this] {
          now_ns_ += 1000000;  // 1 ms per reading
          return handoff::BootTimeline::Reading{now_ns_, 1700000000000000000 + now_ns_};
        }) {}

  // Stage 1: svc (a service, still running when the switch comes) and
  // a log line of it; a few boot marks.
  void RunStage1() {
    timeline_.Mark("stage1-start");
    stage1_ = std::make_unique<Supervisor>(kernel_);
    stage1_->engine.AddJob(Service("svc", "/bin/svc"));
    stage1_->engine.AddJob(Service("flaky", "/bin/flaky"));
    stage1_->engine.Emit("initramfs");
    ASSERT_TRUE(stage1_->engine.Start("svc").ok());
    ASSERT_TRUE(stage1_->engine.Start("flaky").ok());
    stage1_->engine.RunQueue();
    svc_pid_ = stage1_->engine.Find("svc")->pid;
    flaky_pid_ = stage1_->engine.Find("flaky")->pid;
    ASSERT_GT(svc_pid_, 0);
    ASSERT_GT(flaky_pid_, 0);
    // The child's end of its log pipe: what it was spawned with.
    for (const sys::SpawnRequest& r : kernel_.spawned()) {
      if (r.argv[0] == "/bin/svc") svc_out_ = r.stdout_fd;
    }
    ASSERT_GE(svc_out_, 0);
    Say("unlocking done\n");
    stage1_->ring.AddSupervisorLine("stage 1 says hello");
    // Both are still our children.
    for (pid_t pid : {svc_pid_, flaky_pid_}) {
      ASSERT_TRUE(kernel_.MkdirAll(absl::StrCat("/proc/", pid)).ok());
      ASSERT_TRUE(kernel_
                      .WriteFile(absl::StrCat("/proc/", pid, "/stat"),
                                 absl::StrCat(pid, " (my (odd) name) S 1 ", pid, " ", pid, " 0"))
                      .ok());
    }
    timeline_.Mark("root-mounted");
    timeline_.Mark("switch-start");
  }

  // svc writes TEXT to its log pipe; the current supervisor reads it.
  void Say(absl::string_view text) {
    ASSERT_TRUE(kernel_.Write(svc_out_, text.data(), text.size()).ok());
    Supervisor& s = stage2_ ? *stage2_ : *stage1_;
    for (const supervisor::Spawner::LogPipeRef& p : s.spawner.LogPipes()) {
      if (p.job == "svc") s.watcher.Fire(p.fd);
    }
  }

  handoff::CollectInput Input() {
    handoff::CollectInput input;
    input.engine = &stage1_->engine;
    input.ring = &stage1_->ring;
    input.timeline = &timeline_;
    input.cmdline_raw = "root=UUID=abcd ro quiet";
    input.cmdline_params = {{"root", "UUID=abcd"}, {"ro", ""}, {"quiet", ""}};
    input.uevents = {
        "add@/devices/virtual/block/sdz\0ACTION=add\0"
        "DEVPATH=/devices/virtual/block/sdz\0SUBSYSTEM=block\0"s};
    for (const supervisor::Spawner::LogPipeRef& p : stage1_->spawner.LogPipes()) {
      input.fds.emplace_back(handoff::LogPipeRole(p.job, p.instance), p.fd);
    }
    return input;
  }

  RestoreResult RunStage2(int handoff_fd, std::vector<int> fds, std::string reason = "") {
    stage2_ = std::make_unique<Supervisor>(kernel_);
    stage2_->clock.Advance(absl::Milliseconds(50));
    stage2_->engine.AddJob(Service("svc", "/bin/svc"));
    stage2_->engine.AddJob(Service("flaky", "/bin/flaky"));
    stage2_->ring.AddSupervisorLine("stage 2 starting");
    RestoreInput in;
    in.handoff_fd = handoff_fd;
    in.handoff_fds = std::move(fds);
    in.stateless_reason = std::move(reason);
    in.engine = &stage2_->engine;
    in.ring = &stage2_->ring;
    in.spawner = &stage2_->spawner;
    in.timeline = stage2_timeline_;
    in.log = [this](absl::string_view line) { log_.emplace_back(line); };
    in.listen = [this](sys::UniqueFd carried) {
      ++listens_;
      carried_control_ = std::move(carried);
    };
    return RestoreStage2(kernel_, in);
  }

  std::vector<std::string> Texts(const std::string& job) {
    std::vector<std::string> out;
    for (const supervisor::LogLine& l : stage2_->ring.Lines(job, "")) out.push_back(l.text);
    return out;
  }

  sys::FakeKernel kernel_;
  int64_t now_ns_ = 0;
  handoff::BootTimeline timeline_;
  handoff::BootTimeline timeline2_{[this] {
    now_ns_ += 1000000;
    return handoff::BootTimeline::Reading{now_ns_, 1700000000000000000 + now_ns_};
  }};
  std::unique_ptr<Supervisor> stage1_;
  std::unique_ptr<Supervisor> stage2_;
  pid_t svc_pid_ = 0;
  pid_t flaky_pid_ = 0;
  int svc_out_ = -1;
  std::vector<std::string> log_;
  handoff::BootTimeline* stage2_timeline_ = &timeline2_;
  int listens_ = 0;
  sys::UniqueFd carried_control_;
};

TEST_F(RestoreTest, RoundTripAdoptsProcessesAndLogsContinue) {
  RunStage1();
  absl::StatusOr<handoff::PreparedHandoff> prepared = handoff::PrepareHandoff(kernel_, Input());
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  ASSERT_EQ(prepared->fds.size(), 2u);  // the log pipes of svc and flaky
  EXPECT_FALSE(kernel_.IsCloexec(prepared->handoff_fd));
  for (int fd : prepared->fds) EXPECT_FALSE(kernel_.IsCloexec(fd));

  int memfd = prepared->memfd.release();
  RestoreResult result = RunStage2(memfd, prepared->fds);
  ASSERT_FALSE(result.stateless()) << result.report.stateless_reason;

  // Same pids, running, no restart (nothing spawned in stage 2).
  size_t spawns = kernel_.spawned().size();
  std::optional<supervisor::InstanceInfo> svc = stage2_->engine.Find("svc");
  ASSERT_TRUE(svc.has_value());
  EXPECT_EQ(svc->pid, svc_pid_);
  EXPECT_EQ(svc->state, supervisor::State::kRunning);
  EXPECT_EQ(svc->goal, supervisor::Goal::kStart);
  EXPECT_EQ(svc->runs, 1);
  stage2_->engine.RunQueue();
  EXPECT_EQ(kernel_.spawned().size(), spawns);
  EXPECT_EQ(result.report.adopted.count({"svc", ""}), 1u);
  EXPECT_THAT(result.report.restarted, IsEmpty());

  // The env crossed without the secret.
  bool has_mode = false;
  for (const auto& [k, v] : svc->env) {
    EXPECT_NE(k, "LUKS_PASSPHRASE");
    if (k == "MODE") has_mode = v == "fast";
  }
  EXPECT_TRUE(has_mode);

  // Logs: the stage-1 line, and what svc writes now lands after it.
  EXPECT_THAT(Texts("svc"), ElementsAre("unlocking done"));
  Say("still here\n");
  EXPECT_THAT(Texts("svc"), ElementsAre("unlocking done", "still here"));
  std::vector<std::string> own;
  for (const supervisor::LogLine& l : stage2_->ring.Lines("", "")) own.push_back(l.text);
  EXPECT_THAT(own, ElementsAre("stage 1 says hello", "stage 2 starting"));

  // History continues, and the pipes got CLOEXEC back.
  ASSERT_FALSE(stage2_->engine.History().empty());
  EXPECT_EQ(stage2_->engine.History().front().name, "initramfs");
  for (int fd : prepared->fds) EXPECT_TRUE(kernel_.IsCloexec(fd));

  // The adopted process's exit is ours to handle: respawned.
  EXPECT_TRUE(stage2_->engine.OnProcessExit({svc_pid_, 1, 0, false}));
  stage2_->engine.RunQueue();
  EXPECT_EQ(kernel_.spawned().size(), spawns + 1);
  EXPECT_NE(stage2_->engine.Find("svc")->pid, svc_pid_);

  // Timestamps: stage 1's, "exec", then "stage2-ready".
  std::vector<std::string> marks;
  for (const handoff::Timestamp& t : timeline2_.marks()) marks.push_back(t.name());
  EXPECT_THAT(marks,
              ElementsAre("stage1-start", "root-mounted", "switch-start", "exec", "handoff-decoded",
                          "stage2-ready"));
  ASSERT_EQ(result.uevents.size(), 1u);
}

TEST_F(RestoreTest, StoppingInstanceKeepsItsKillDeadline) {
  RunStage1();
  // flaky is being stopped when the switch comes: SIGTERM went, SIGKILL is
  // due 5 s (the default kill timeout) later.
  ASSERT_TRUE(stage1_->engine.Stop("flaky").ok());
  stage1_->engine.RunQueue();
  std::optional<absl::Time> due = stage1_->engine.NextDeadline();
  ASSERT_TRUE(due.has_value());
  size_t signals = kernel_.kills().size();
  absl::StatusOr<handoff::PreparedHandoff> prepared = handoff::PrepareHandoff(kernel_, Input());
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  int memfd = prepared->memfd.release();
  RestoreResult result = RunStage2(memfd, prepared->fds);
  ASSERT_FALSE(result.stateless()) << result.report.stateless_reason;
  stage2_->engine.RunQueue();
  EXPECT_EQ(stage2_->engine.Find("flaky")->state, supervisor::State::kStopping);
  EXPECT_EQ(stage2_->engine.NextDeadline(), due);  // not restarted at stage 2's now
  EXPECT_EQ(kernel_.kills().size(), signals);    // and no second SIGTERM
}

TEST_F(RestoreTest, GoneProcessIsRestartedAndReported) {
  RunStage1();
  absl::StatusOr<handoff::PreparedHandoff> prepared = handoff::PrepareHandoff(kernel_, Input());
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  // flaky died and was reaped after stage 1 collected.
  kernel_.Exit(flaky_pid_, 0);
  ASSERT_TRUE(kernel_.ReapOne().ok());
  size_t spawns = kernel_.spawned().size();

  RestoreResult result = RunStage2(prepared->memfd.release(), prepared->fds);
  ASSERT_FALSE(result.stateless());
  EXPECT_EQ(result.report.adopted.count({"svc", ""}), 1u);
  EXPECT_EQ(result.report.restarted.count({"flaky", ""}), 1u);
  stage2_->engine.RunQueue();
  EXPECT_EQ(kernel_.spawned().size(), spawns + 1);
  EXPECT_EQ(kernel_.spawned().back().argv[0], "/bin/flaky");
  EXPECT_EQ(stage2_->engine.Find("flaky")->runs, 2);

  std::string text = handoff::FormatText(result.report);
  EXPECT_THAT(text, HasSubstr("producer: baton"));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("reader:   ", handoff::kProducerBuild)));
  EXPECT_THAT(text, HasSubstr("stage1-start -> root-mounted"));
  EXPECT_THAT(text, HasSubstr("switch-start -> exec"));
  EXPECT_THAT(text, HasSubstr("exec -> handoff-decoded"));
  EXPECT_THAT(text, HasSubstr("handoff-decoded -> stage2-ready"));
  EXPECT_THAT(text, HasSubstr("adopted"));
  EXPECT_THAT(text, HasSubstr("restarted"));
  EXPECT_THAT(text, HasSubstr("uevents: 1 queued, 0 replayed"));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("process ", flaky_pid_, " from stage 1 is gone")));
  EXPECT_THAT(text, HasSubstr("log-pipe:svc"));
  EXPECT_THAT(text, Not(HasSubstr("hunter2")));
  std::string json = handoff::FormatJson(result.report);
  EXPECT_THAT(json, HasSubstr("\"outcome\":\"restarted\""));
  EXPECT_THAT(json, Not(HasSubstr("hunter2")));
}

TEST_F(RestoreTest, ProcessOfAnotherParentIsNotAdopted) {
  RunStage1();
  kernel_.Disown(flaky_pid_);
  ASSERT_TRUE(kernel_
                  .WriteFile(absl::StrCat("/proc/", flaky_pid_, "/stat"),
                             absl::StrCat(flaky_pid_, " (flaky) S 812 0 0"))
                  .ok());
  absl::StatusOr<handoff::PreparedHandoff> prepared = handoff::PrepareHandoff(kernel_, Input());
  ASSERT_TRUE(prepared.ok());
  RestoreResult result = RunStage2(prepared->memfd.release(), prepared->fds);
  EXPECT_EQ(result.report.restarted.count({"flaky", ""}), 1u);
  EXPECT_THAT(handoff::FormatText(result.report), HasSubstr("parent is 812, not 1"));
}

// waitid decides: /proc/PID/stat is not read for a child (nor trusted
// against waitid).
TEST_F(RestoreTest, ChildrenAreCheckedByWaitidNotProc) {
  RunStage1();
  ASSERT_TRUE(kernel_.Unlink(absl::StrCat("/proc/", svc_pid_, "/stat")).ok());
  kernel_.Disown(flaky_pid_);  // its stat still says parent 1
  absl::StatusOr<handoff::PreparedHandoff> prepared = handoff::PrepareHandoff(kernel_, Input());
  ASSERT_TRUE(prepared.ok());
  RestoreResult result = RunStage2(prepared->memfd.release(), prepared->fds);
  EXPECT_EQ(result.report.adopted.count({"svc", ""}), 1u);
  EXPECT_EQ(result.report.restarted.count({"flaky", ""}), 1u);
  EXPECT_THAT(handoff::FormatText(result.report), HasSubstr("not our child"));
}

TEST_F(RestoreTest, WhereWaitidFailsProcDecides) {
  RunStage1();
  ASSERT_TRUE(kernel_
                  .WriteFile(absl::StrCat("/proc/", flaky_pid_, "/stat"),
                             absl::StrCat(flaky_pid_, " (flaky) S 812 0 0"))
                  .ok());
  kernel_.FailNextOn("is_our_child", absl::StrCat(svc_pid_), EINVAL);
  kernel_.FailNextOn("is_our_child", absl::StrCat(flaky_pid_), EINVAL);
  EXPECT_EQ(CheckOurChild(kernel_, "/proc", svc_pid_), "");
  EXPECT_EQ(CheckOurChild(kernel_, "/proc", flaky_pid_), "parent is 812, not 1");
  EXPECT_EQ(CheckOurChild(kernel_, "/proc", flaky_pid_), "");  // waitid again
}

TEST_F(RestoreTest, UndefinedJobIsAdoptedAsOrphan) {
  RunStage1();
  ASSERT_TRUE(stage1_->engine.Start("svc").code() == absl::StatusCode::kAlreadyExists);
  absl::StatusOr<handoff::PreparedHandoff> prepared = handoff::PrepareHandoff(kernel_, Input());
  ASSERT_TRUE(prepared.ok());
  stage2_ = std::make_unique<Supervisor>(kernel_);
  stage2_->engine.AddJob(Service("flaky", "/bin/flaky"));  // no svc here
  RestoreInput in;
  in.handoff_fd = prepared->memfd.release();
  in.handoff_fds = prepared->fds;
  in.engine = &stage2_->engine;
  in.ring = &stage2_->ring;
  in.spawner = &stage2_->spawner;
  RestoreResult result = RestoreStage2(kernel_, in);
  ASSERT_FALSE(result.stateless());
  EXPECT_EQ(stage2_->engine.Find("svc")->pid, svc_pid_);
  ASSERT_NE(stage2_->engine.FindJob("svc"), nullptr);
  EXPECT_THAT(stage2_->engine.FindJob("svc")->description, HasSubstr("adopted from stage 1"));
  EXPECT_THAT(handoff::FormatText(result.report), HasSubstr("svc is not defined on this root"));
  // Its exit is handled; no respawn for a placeholder.
  size_t spawns = kernel_.spawned().size();
  EXPECT_TRUE(stage2_->engine.OnProcessExit({svc_pid_, 0, 0, false}));
  stage2_->engine.RunQueue();
  EXPECT_EQ(kernel_.spawned().size(), spawns);
}

TEST_F(RestoreTest, CorruptHandoffStartsStateless) {
  RunStage1();
  handoff::Handoff h = handoff::CollectHandoff(Input());
  absl::StatusOr<std::string> bytes = handoff::Encode(h);
  ASSERT_TRUE(bytes.ok());
  (*bytes)[bytes->size() / 2] ^= 0x40;
  absl::StatusOr<sys::UniqueFd> memfd = handoff::WriteSealedMemfd(kernel_, *bytes);
  ASSERT_TRUE(memfd.ok());
  RestoreResult result = RunStage2(memfd->release(), {});
  ASSERT_TRUE(result.stateless());
  EXPECT_THAT(result.report.stateless_reason, HasSubstr("checksum mismatch"));
  EXPECT_FALSE(stage2_->engine.Find("svc").has_value());
  EXPECT_THAT(log_, testing::Contains(HasSubstr("starting stateless: handoff checksum")));
  EXPECT_THAT(handoff::FormatText(result.report),
              HasSubstr("stage 2 started stateless: handoff checksum mismatch"));
}

TEST_F(RestoreTest, TruncatedHandoffStartsStateless) {
  RunStage1();
  absl::StatusOr<std::string> bytes = handoff::Encode(handoff::CollectHandoff(Input()));
  ASSERT_TRUE(bytes.ok());
  absl::StatusOr<sys::UniqueFd> memfd =
      handoff::WriteSealedMemfd(kernel_, bytes->substr(0, bytes->size() - 10));
  ASSERT_TRUE(memfd.ok());
  RestoreResult result = RunStage2(memfd->release(), {});
  ASSERT_TRUE(result.stateless());
  EXPECT_THAT(result.report.stateless_reason, HasSubstr("truncated"));
}

TEST_F(RestoreTest, TooNewHandoffNamesBothVersions) {
  handoff::Handoff h;
  handoff::StampVersion(&h);
  h.set_format_version(handoff::kReaderVersion + 5);
  h.set_min_reader_version(handoff::kReaderVersion + 3);
  absl::StatusOr<std::string> bytes = handoff::Encode(h);
  ASSERT_TRUE(bytes.ok());
  absl::StatusOr<sys::UniqueFd> memfd = handoff::WriteSealedMemfd(kernel_, *bytes);
  ASSERT_TRUE(memfd.ok());
  RestoreResult result = RunStage2(memfd->release(), {});
  ASSERT_TRUE(result.stateless());
  EXPECT_THAT(result.report.stateless_reason, HasSubstr(absl::StrCat(handoff::kReaderVersion + 3)));
  EXPECT_THAT(result.report.stateless_reason, HasSubstr(absl::StrCat(handoff::kReaderVersion)));
}

TEST_F(RestoreTest, StatelessReasonFromTheLadder) {
  RestoreResult result = RunStage2(-1, {}, "exec with handoff failed");
  ASSERT_TRUE(result.stateless());
  EXPECT_EQ(result.report.stateless_reason, "exec with handoff failed");
  EXPECT_THAT(handoff::FormatJson(result.report), HasSubstr("\"stateless\":true"));
  ASSERT_FALSE(timeline2_.marks().empty());
  EXPECT_EQ(timeline2_.marks().back().name(), "stage2-ready");
}

TEST_F(RestoreTest, UeventSocketIsDrainedAfterTheCarriedQueue) {
  RunStage1();
  absl::StatusOr<sys::UniqueFd> socket = kernel_.UeventSocket(1);
  ASSERT_TRUE(socket.ok());
  handoff::CollectInput input = Input();
  input.fds.emplace_back(handoff::kUeventSocketRole, socket->get());
  absl::StatusOr<handoff::PreparedHandoff> prepared = handoff::PrepareHandoff(kernel_, input);
  ASSERT_TRUE(prepared.ok());
  const std::string late =
      "add@/devices/late\0ACTION=add\0DEVPATH=/devices/late\0SUBSYSTEM=block\0"s;
  kernel_.InjectDatagram(socket->get(), late);
  RestoreResult result = RunStage2(prepared->memfd.release(), prepared->fds);
  ASSERT_EQ(result.uevents.size(), 2u);
  EXPECT_EQ(result.uevents[1], late);
  EXPECT_EQ(result.uevent_socket.get(), socket->get());
  EXPECT_EQ(handoff::ToProto(result.report).uevents_queued(), 2u);

  // Later datagrams (stage 2 drains again just before the replay) are
  // queued too.
  const std::string later =
      "add@/devices/later\0ACTION=add\0DEVPATH=/devices/later\0SUBSYSTEM=block\0"s;
  kernel_.InjectDatagram(socket->get(), later);
  EXPECT_THAT(DrainUeventSocket(kernel_, &result), ElementsAre(later));
  EXPECT_THAT(DrainUeventSocket(kernel_, &result), IsEmpty());
  EXPECT_EQ(handoff::ToProto(result.report).uevents_queued(), 3u);
  (void)result.uevent_socket.release();
}

TEST_F(RestoreTest, StageTwoMarksMadeBeforeTheRestoreAreReported) {
  RunStage1();
  absl::StatusOr<handoff::PreparedHandoff> prepared = handoff::PrepareHandoff(kernel_, Input());
  ASSERT_TRUE(prepared.ok());
  timeline2_.Mark("stage2-start");
  RestoreResult result = RunStage2(prepared->memfd.release(), prepared->fds);
  ASSERT_FALSE(result.stateless());
  std::vector<std::string> reported;
  for (const handoff::Timestamp& t : result.report.handoff->timestamps()) {
    reported.push_back(t.name());
  }
  EXPECT_THAT(reported, ElementsAre("stage1-start", "root-mounted", "switch-start", "exec",
                                    "stage2-start", "handoff-decoded", "stage2-ready"));
  EXPECT_THAT(handoff::FormatText(result.report), HasSubstr("exec -> stage2-start"));
}

// --- initctl reexec: stage 2 hands itself over (supervisor/stage2/reexec.h) --

class ReexecTest : public RestoreTest {
 protected:
  // Stage 1 → stage 2 as above; then svc says something to stage 2, and
  // stage 2 has a listening control socket (a pipe stands in for it: the
  // fake has no unix sockets).
  void BootStage2() {
    RunStage1();
    absl::StatusOr<handoff::PreparedHandoff> prepared = handoff::PrepareHandoff(kernel_, Input());
    ASSERT_TRUE(prepared.ok()) << prepared.status();
    RestoreResult restored = RunStage2(prepared->memfd.release(), prepared->fds);
    ASSERT_FALSE(restored.stateless()) << restored.report.stateless_reason;
    ASSERT_FALSE(restored.reexec());
    timeline2_.Mark("startup");
    Say("before the re-exec\n");
    auto pipe = kernel_.Pipe();
    ASSERT_TRUE(pipe.ok());
    control_ = pipe->first.release();
    ASSERT_TRUE(kernel_.WriteFile("/proc/cmdline", "root=UUID=abcd ro quiet\n").ok());
    // The new binary's preflight (reexec.h step 3) answers and exits.
    kernel_.set_spawn_hook([this](pid_t pid, const sys::SpawnRequest& r) {
      if (r.argv.size() < 2 || r.argv[1] != "--preflight") return;
      const std::string ok = "baton preflight ok build=t handoff-reader=1-5 handoff=ok\n";
      ASSERT_TRUE(kernel_.Write(r.stdout_fd, ok.data(), ok.size()).ok());
      kernel_.CloseFd(r.stdout_fd);
      kernel_.Exit(pid, 0);
    });
  }

  ReexecInput Input2() {
    ReexecInput in;
    in.engine = &stage2_->engine;
    in.ring = &stage2_->ring;
    in.spawner = &stage2_->spawner;
    in.timeline = &timeline2_;
    in.control_socket = control_;
    in.self_path = "/usr/sbin/baton";
    in.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    return in;
  }

  absl::Status Reexec2() {
    return Reexec(kernel_, Input2(), [this](absl::string_view l) { log_.emplace_back(l); });
  }

  std::vector<std::string> Marks(const handoff::BootTimeline& t) {
    std::vector<std::string> out;
    for (const handoff::Timestamp& m : t.marks()) out.push_back(m.name());
    return out;
  }

  int control_ = -1;
};

TEST_F(ReexecTest, StageTwoStateCrossesAndIsRestoredLikeAfterTheSwitch) {
  BootStage2();
  pid_t svc_pid = stage2_->engine.Find("svc")->pid;
  ASSERT_EQ(svc_pid, svc_pid_);
  ASSERT_TRUE(Reexec2().ok());

  // One execve: our own binary, the handoff memfd and the carried fds.
  ASSERT_EQ(kernel_.execs().size(), 1u);
  const sys::FakeKernel::ExecCall& exec = kernel_.execs()[0];
  EXPECT_EQ(exec.path, "/usr/sbin/baton");
  EXPECT_THAT(exec.env, ElementsAre("PATH=/usr/sbin:/usr/bin:/sbin:/bin"));
  ASSERT_EQ(exec.argv.size(), 3u);
  int handoff_fd = -1;
  ASSERT_EQ(exec.argv[1].rfind("--handoff-fd=", 0), 0u);
  ASSERT_TRUE(absl::SimpleAtoi(exec.argv[1].substr(13), &handoff_fd));
  ASSERT_EQ(exec.argv[2].rfind("--handoff-fds=", 0), 0u);
  absl::StatusOr<std::vector<int>> fds = handoff::ParseFdList(exec.argv[2].substr(14));
  ASSERT_TRUE(fds.ok());
  ASSERT_EQ(fds->size(), 3u);  // svc's and flaky's log pipes, the control socket
  for (int fd : *fds) EXPECT_FALSE(kernel_.IsCloexec(fd));
  EXPECT_EQ(fds->back(), control_);

  // What the memfd holds: a re-exec's handoff with stage 2's whole state.
  absl::StatusOr<std::string> bytes = handoff::ReadHandoffFd(kernel_, handoff_fd);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  handoff::DecodeResult decoded = handoff::Decode(*bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.stateless_reason;
  EXPECT_EQ(decoded.handoff->kind(), handoff::HANDOFF_KIND_REEXEC);
  EXPECT_EQ(decoded.handoff->cmdline().raw(), "root=UUID=abcd ro quiet");
  EXPECT_EQ(decoded.handoff->uevents_size(), 0);  // stage 2 queues none
  EXPECT_EQ(decoded.handoff->fds(2).role(), handoff::kControlSocketRole);
  EXPECT_EQ(decoded.handoff->events(0).name(), "initramfs");

  // The new process: the same restore as after the switch.
  auto old = std::move(stage2_);
  handoff::BootTimeline timeline3{[this] {
    now_ns_ += 1000000;
    return handoff::BootTimeline::Reading{now_ns_, 1700000000000000000 + now_ns_};
  }};
  stage2_timeline_ = &timeline3;
  size_t spawns = kernel_.spawned().size();
  RestoreResult result = RunStage2(handoff_fd, *fds);
  ASSERT_FALSE(result.stateless()) << result.report.stateless_reason;
  EXPECT_TRUE(result.reexec());
  EXPECT_EQ(stage2_->engine.Find("svc")->pid, svc_pid);
  EXPECT_EQ(result.report.adopted.count({"svc", ""}), 1u);
  stage2_->engine.RunQueue();
  EXPECT_EQ(kernel_.spawned().size(), spawns);  // nothing restarted
  EXPECT_THAT(result.uevents, IsEmpty());       // nothing to replay
  // The control socket went to the listen hook, CLOEXEC again.
  EXPECT_EQ(listens_, 2);
  EXPECT_EQ(carried_control_.get(), control_);
  EXPECT_TRUE(kernel_.IsCloexec(control_));
  // svc's log: stage 1's line, stage 2's, and what it writes now.
  Say("after the re-exec\n");
  EXPECT_THAT(Texts("svc"),
              ElementsAre("unlocking done", "before the re-exec", "after the re-exec"));
  // Every mark so far, the re-exec's after the first stage 2's.
  EXPECT_THAT(Marks(timeline3),
              ElementsAre("stage1-start", "root-mounted", "switch-start", "exec",
                          "handoff-decoded", "stage2-ready", "startup", "reexec-start", "exec",
                          "handoff-decoded", "stage2-ready"));
  handoff::HandoffStatus status = handoff::ToProto(result.report);
  EXPECT_EQ(status.kind(), "re-exec");
  EXPECT_THAT(handoff::FormatText(result.report), HasSubstr("reexec-start -> exec"));
  EXPECT_THAT(handoff::FormatText(result.report), HasSubstr("kind:     re-exec"));
  stage2_timeline_ = &timeline2_;
}

TEST_F(ReexecTest, ListenSocketsCrossWithTheirJob) {
  BootStage2();
  absl::StatusOr<sys::UniqueFd> socket = kernel_.UdevdKernelSocket();
  ASSERT_TRUE(socket.ok());
  const int udevd_socket = socket->get();
  stage2_->spawner.AddListenFd("udevd", std::move(*socket));
  ASSERT_TRUE(Reexec2().ok());
  ASSERT_EQ(kernel_.execs().size(), 1u);
  const sys::FakeKernel::ExecCall& exec = kernel_.execs()[0];
  int handoff_fd = -1;
  ASSERT_TRUE(absl::SimpleAtoi(exec.argv[1].substr(13), &handoff_fd));
  absl::StatusOr<std::vector<int>> fds = handoff::ParseFdList(exec.argv[2].substr(14));
  ASSERT_TRUE(fds.ok());
  EXPECT_THAT(*fds, Contains(udevd_socket));
  EXPECT_FALSE(kernel_.IsCloexec(udevd_socket));

  auto old = std::move(stage2_);  // kept, as in the test above, until the end
  RestoreResult result = RunStage2(handoff_fd, *fds);
  ASSERT_FALSE(result.stateless()) << result.report.stateless_reason;
  ASSERT_TRUE(stage2_->spawner.HasListenFds("udevd"));
  ASSERT_EQ(stage2_->spawner.ListenFds().size(), 1u);
  EXPECT_EQ(stage2_->spawner.ListenFds()[0].fd, udevd_socket);
  EXPECT_TRUE(kernel_.IsCloexec(udevd_socket));
  EXPECT_THAT(result.report.warnings, Not(Contains(HasSubstr("unknown role"))));
}

TEST_F(ReexecTest, FailedExecKeepsTheOldProcessRunning) {
  BootStage2();
  kernel_.FailExec("/usr/sbin/baton", ENOENT);
  absl::Status status = Reexec2();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("exec /usr/sbin/baton"));
  ASSERT_EQ(kernel_.execs().size(), 1u);
  // Still ours: every carried fd has CLOEXEC back, svc is still supervised.
  for (const supervisor::Spawner::LogPipeRef& p : stage2_->spawner.LogPipes()) {
    EXPECT_TRUE(kernel_.IsCloexec(p.fd)) << p.job;
  }
  EXPECT_TRUE(kernel_.IsCloexec(control_));
  EXPECT_EQ(stage2_->engine.Find("svc")->pid, svc_pid_);
  Say("still the old one\n");
  EXPECT_THAT(Texts("svc"), ElementsAre("unlocking done", "before the re-exec",
                                        "still the old one"));
  EXPECT_EQ(Marks(timeline2_).back(), "reexec-failed");
  bool said = false;
  for (const std::string& line : log_) {
    said = said || line.find("still running the old binary") != std::string::npos;
  }
  EXPECT_TRUE(said);
}

TEST_F(ReexecTest, FailedCheckDoesNotExec) {
  BootStage2();
  ASSERT_TRUE(kernel_.MkdirAll("/usr/sbin").ok());
  ASSERT_TRUE(kernel_.WriteFile("/usr/sbin/baton", "\x7f" "ELF", 0755).ok());  // truncated
  absl::Status status = Reexec2();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("skipped /usr/sbin/baton"));
  EXPECT_THAT(kernel_.execs(), IsEmpty());
  EXPECT_TRUE(kernel_.IsCloexec(control_));
  EXPECT_EQ(stage2_->engine.Find("svc")->pid, svc_pid_);
}

TEST(SelfPathTest, DeletedBinaryIsItsPath) {
  sys::FakeKernel kernel;
  EXPECT_EQ(SelfPath(kernel), "/usr/sbin/baton");  // no /proc/self/exe
  ASSERT_TRUE(kernel.MkdirAll("/proc/self").ok());
  ASSERT_TRUE(kernel.Symlink("/usr/local/sbin/baton (deleted)", "/proc/self/exe").ok());
  EXPECT_EQ(SelfPath(kernel), "/usr/local/sbin/baton");
}

}  // namespace
}  // namespace baton::stage2
