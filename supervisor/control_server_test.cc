#include "supervisor/control_server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "jobs/parser.h"
#include "supervisor/log_ring.h"
#include "supervisor/logger.h"
#include "supervisor/loop.h"
#include "sys/linux_kernel.h"

namespace baton::supervisor {
namespace {

class FakeRunner : public ProcessRunner {
 public:
  absl::StatusOr<pid_t> Start(const Spec& spec) override { return next_pid++; }
  absl::Status Signal(pid_t pid, int sig) override { return absl::OkStatus(); }
  pid_t next_pid = 1000;
};

class FakeClock : public Clock {
 public:
  absl::Time Now() override { return now; }
  absl::Time now = absl::UnixEpoch() + absl::Seconds(50);
};

class NullWatcher : public FdWatcher {
 public:
  absl::Status Watch(int fd, Callback callback) override { return absl::OkStatus(); }
  void Unwatch(int fd) override {}
};

std::unique_ptr<jobs::JobConfig> Job(const std::string& name, const std::string& text) {
  std::vector<jobs::Diagnostic> diags;
  auto job = jobs::ParseJob(name, name + ".conf", text, &diags);
  EXPECT_TRUE(job.ok()) << job.status();
  return job.ok() ? std::move(*job) : nullptr;
}

constexpr uid_t kOwner = 1234;

class ControlServerTest : public ::testing::Test {
 protected:
  ControlServerTest()
      : ring_(kernel_, clock_, clock_.now, {}),
        logger_(kernel_, &ring_, -1),
        engine_(runner_, clock_),
        server_(kernel_, engine_, ring_, watcher_, logger_, {kOwner, true}) {
    engine_.AddJob(Job("ticker", "description \"ticks\"\nstart on started hello\nexec sleep 100\n"));
    engine_.AddJob(Job("greeter", "instance $NAME\nstart on greet NAME=*\ntask\nexec true\n"));
  }

  control::Response Send(const control::Request& request, uid_t uid = kOwner) {
    return server_.Handle(request, sys::PeerCred{1, uid, uid});
  }

  sys::LinuxKernel kernel_;
  FakeClock clock_;
  FakeRunner runner_;
  LogRing ring_;
  Logger logger_;
  Engine engine_;
  NullWatcher watcher_;
  ControlServer server_;
};

TEST_F(ControlServerTest, ListShowsEveryJob) {
  control::Request request;
  request.mutable_list();
  control::Response response = Send(request);
  ASSERT_TRUE(response.ok()) << response.error();
  ASSERT_EQ(response.jobs_size(), 2);
  EXPECT_EQ(response.jobs(0).job(), "greeter");
  EXPECT_EQ(response.jobs(1).job(), "ticker");
  EXPECT_EQ(response.jobs(1).state(), "waiting");
  EXPECT_EQ(response.jobs(1).goal(), "stop");
  EXPECT_EQ(response.jobs(1).start_on(), "started hello");
  EXPECT_EQ(response.jobs(1).description(), "ticks");
}

TEST_F(ControlServerTest, StartRunsTheJobAndReportsIt) {
  control::Request request;
  request.mutable_start()->set_job("ticker");
  control::Response response = Send(request);
  ASSERT_TRUE(response.ok()) << response.error();
  ASSERT_EQ(response.jobs_size(), 1);
  EXPECT_EQ(response.jobs(0).state(), "running");
  EXPECT_EQ(response.jobs(0).goal(), "start");
  EXPECT_EQ(response.jobs(0).pid(), 1000);

  control::Request status;
  status.mutable_status()->set_job("ticker");
  control::Response s = Send(status, 99);  // read-only: anyone
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s.jobs(0).pid(), 1000);
  EXPECT_EQ(s.jobs(0).runs(), 1);
}

TEST_F(ControlServerTest, UnknownJobIsAClearError) {
  for (int which = 0; which < 4; ++which) {
    control::Request request;
    switch (which) {
      case 0: request.mutable_start()->set_job("foo"); break;
      case 1: request.mutable_stop()->set_job("foo"); break;
      case 2: request.mutable_status()->set_job("foo"); break;
      case 3: request.mutable_log()->set_job("foo"); break;
    }
    control::Response response = Send(request);
    EXPECT_FALSE(response.ok());
    EXPECT_EQ(response.error(), "unknown job 'foo'");
  }
}

TEST_F(ControlServerTest, BadAssignmentIsAClearError) {
  control::Request request;
  request.mutable_emit()->set_event("greet");
  request.mutable_emit()->add_env("FOO");
  control::Response response = Send(request);
  EXPECT_FALSE(response.ok());
  EXPECT_EQ(response.error(), "bad assignment 'FOO' (expected KEY=VALUE)");
  EXPECT_TRUE(engine_.History().empty());

  control::Request start;
  start.mutable_start()->set_job("ticker");
  start.mutable_start()->add_env("=x");
  EXPECT_EQ(Send(start).error(), "bad assignment '=x' (expected KEY=VALUE)");
}

TEST_F(ControlServerTest, MutationsNeedRootOrTheOwner) {
  control::Request request;
  request.mutable_emit()->set_event("greet");
  request.mutable_emit()->add_env("NAME=alice");
  control::Response denied = Send(request, 4321);
  EXPECT_FALSE(denied.ok());
  EXPECT_NE(denied.error().find("permission denied"), std::string::npos) << denied.error();
  EXPECT_TRUE(engine_.History().empty());

  EXPECT_TRUE(Send(request, 0).ok());
  EXPECT_TRUE(Send(request, kOwner).ok());
  EXPECT_FALSE(engine_.History().empty());
  EXPECT_EQ(engine_.History().front().name, "greet");
}

TEST_F(ControlServerTest, SystemModeAllowsOnlyRoot) {
  ControlServer system(kernel_, engine_, ring_, watcher_, logger_, {kOwner, false});
  control::Request start;
  start.mutable_start()->set_job("ticker");
  control::Response denied = system.Handle(start, sys::PeerCred{1, kOwner, kOwner});
  EXPECT_FALSE(denied.ok());
  EXPECT_EQ(denied.error(), "permission denied: uid 1234 may not change jobs (only root)");
  ASSERT_TRUE(system.Handle(start, sys::PeerCred{1, 0, 0}).ok());
  control::Request request;
  request.mutable_stop()->set_job("ticker");
  EXPECT_FALSE(system.Handle(request, sys::PeerCred{1, kOwner, kOwner}).ok());
  control::Response root = system.Handle(request, sys::PeerCred{1, 0, 0});
  EXPECT_TRUE(root.ok()) << root.error();
}

TEST_F(ControlServerTest, EmitStartsInstancesAndEventsAreListed) {
  control::Request request;
  request.mutable_emit()->set_event("greet");
  request.mutable_emit()->add_env("NAME=alice");
  clock_.now += absl::Seconds(2);
  ASSERT_TRUE(Send(request).ok());

  control::Request events;
  events.mutable_events()->set_limit(100);
  control::Response response = Send(events);
  ASSERT_TRUE(response.ok());
  ASSERT_GE(response.events_size(), 2);
  EXPECT_EQ(response.events(0).name(), "greet");
  EXPECT_EQ(response.events(0).seq(), 1u);
  EXPECT_DOUBLE_EQ(response.events(0).time(), 2.0);
  ASSERT_EQ(response.events(0).env_size(), 1);
  EXPECT_EQ(response.events(0).env(0).key(), "NAME");
  EXPECT_EQ(response.events(0).env(0).value(), "alice");
  EXPECT_EQ(response.events(1).name(), "starting");

  control::Request last;
  last.mutable_events()->set_limit(1);
  EXPECT_EQ(Send(last).events_size(), 1);

  control::Request status;
  status.mutable_status()->set_job("greeter");
  status.mutable_status()->set_instance("alice");
  control::Response s = Send(status);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s.jobs(0).instance(), "alice");
  status.mutable_status()->set_instance("bob");
  EXPECT_EQ(Send(status).error(), "job 'greeter' has no instance 'bob'");
}

TEST_F(ControlServerTest, LogReturnsRingLines) {
  ring_.Append("ticker", "", "tick 1\ntick 2\n");
  ring_.AddSupervisorLine("hello from baton");
  control::Request request;
  request.mutable_log()->set_job("ticker");
  control::Response response = Send(request, 99);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response.log_size(), 2);
  EXPECT_EQ(response.log(1).text(), "tick 2");
  request.mutable_log()->set_lines(1);
  EXPECT_EQ(Send(request).log_size(), 1);

  control::Request own;
  own.mutable_log();
  control::Response mine = Send(own);
  ASSERT_EQ(mine.log_size(), 1);
  EXPECT_EQ(mine.log(0).text(), "hello from baton");
}

TEST_F(ControlServerTest, LogOfAnInstanceJobShowsEveryInstance) {
  ring_.Append("greeter", "alice", "hi alice\n");
  clock_.now += absl::Seconds(1);
  ring_.Append("greeter", "bob", "hi bob\n");
  control::Request request;
  request.mutable_log()->set_job("greeter");
  control::Response response = Send(request);
  ASSERT_TRUE(response.ok()) << response.error();
  ASSERT_EQ(response.log_size(), 2);
  EXPECT_EQ(response.log(0).instance(), "alice");
  EXPECT_EQ(response.log(0).text(), "hi alice");
  EXPECT_EQ(response.log(1).instance(), "bob");
  request.mutable_log()->set_lines(1);
  ASSERT_EQ(Send(request).log_size(), 1);
  EXPECT_EQ(Send(request).log(0).text(), "hi bob");

  // One instance named: that stream only, untagged.
  request.mutable_log()->set_lines(0);
  request.mutable_log()->set_instance("alice");
  response = Send(request);
  ASSERT_EQ(response.log_size(), 1);
  EXPECT_EQ(response.log(0).text(), "hi alice");
  EXPECT_EQ(response.log(0).instance(), "");

  // A job the engine does not know (stage 1's, read in stage 2) is found
  // through its instance streams.
  ring_.Append("md-degraded", "/dev/md127", "started\n");
  control::Request gone;
  gone.mutable_log()->set_job("md-degraded");
  response = Send(gone);
  ASSERT_TRUE(response.ok()) << response.error();
  ASSERT_EQ(response.log_size(), 1);
  EXPECT_EQ(response.log(0).instance(), "/dev/md127");
  gone.mutable_log()->set_job("nosuch");
  EXPECT_FALSE(Send(gone).ok());
}

TEST_F(ControlServerTest, HugeLogsAreTruncatedToFit) {
  std::string line(1000, 'x');
  for (int i = 0; i < 900; ++i) ring_.AddLine("ticker", "", line);
  control::Request request;
  request.mutable_log()->set_job("ticker");
  control::Response response = Send(request);
  ASSERT_TRUE(response.ok());
  EXPECT_TRUE(response.truncated());
  EXPECT_LE(response.ByteSizeLong(), ControlServer::kMaxResponseBytes);
  EXPECT_GT(response.log_size(), 50);
}

TEST_F(ControlServerTest, EmptyRequestIsAnError) {
  EXPECT_FALSE(Send(control::Request()).ok());
}

// The socket path end to end: a real loop, a real unix socket.
// A server on a real socket with one client connected and accepted.
class ControlServerSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_.AddJob(Job("ticker", "exec sleep 100\n"));
    ASSERT_TRUE(loop_.Init().ok());
    // sun_path is short: TEST_TMPDIR may be too long for it.
    ASSERT_NE(mkdtemp(dir_), nullptr);
    path_ = std::string(dir_) + "/control.sock";
    absl::Status listening = server_.Listen(path_);
    ASSERT_TRUE(listening.ok()) << listening;
    auto client = kernel_.UnixConnect(path_);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
    ASSERT_TRUE(loop_.RunOnce(absl::Seconds(1)).ok());  // accept
    ASSERT_EQ(server_.connections(), 1u);
  }
  void TearDown() override {
    (void)kernel_.Unlink(path_);
    (void)kernel_.Rmdir(dir_);
  }

  sys::LinuxKernel kernel_;
  MonotonicClock clock_;
  FakeRunner runner_;
  LogRing ring_{kernel_, clock_, clock_.Now(), {}};
  Logger logger_{kernel_, &ring_, -1};
  Engine engine_{runner_, clock_};
  Loop loop_{kernel_, engine_, clock_, logger_};
  ControlServer server_{kernel_, engine_, ring_, loop_, logger_, {kernel_.GetUid(), true}};
  char dir_[32] = "/tmp/baton-control-test.XXXXXX";
  std::string path_;
  sys::UniqueFd client_;
};

TEST_F(ControlServerSocketTest, RequestAndResponseOverTheSocket) {
  for (int round = 0; round < 2; ++round) {  // two requests on one connection
    control::Request request;
    request.mutable_start()->set_job("ticker");
    if (round == 1) request.mutable_list();
    std::string out;
    request.SerializeToString(&out);
    ASSERT_TRUE(kernel_.Write(client_.get(), out.data(), out.size()).ok());
    ASSERT_TRUE(loop_.RunOnce(absl::Seconds(1)).ok());
    std::string buf(1 << 20, '\0');
    auto n = kernel_.Read(client_.get(), buf.data(), buf.size());
    ASSERT_TRUE(n.ok()) << n.status();
    control::Response response;
    ASSERT_TRUE(response.ParseFromArray(buf.data(), static_cast<int>(*n)));
    ASSERT_TRUE(response.ok()) << response.error();
    ASSERT_EQ(response.jobs_size(), 1);
    EXPECT_EQ(response.jobs(0).state(), "running");
  }

  std::string garbage = "\xff\xff\xff";
  ASSERT_TRUE(kernel_.Write(client_.get(), garbage.data(), garbage.size()).ok());
  ASSERT_TRUE(loop_.RunOnce(absl::Seconds(1)).ok());
  std::string buf(4096, '\0');
  auto n = kernel_.Read(client_.get(), buf.data(), buf.size());
  ASSERT_TRUE(n.ok());
  control::Response bad;
  ASSERT_TRUE(bad.ParseFromArray(buf.data(), static_cast<int>(*n)));
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "malformed request");

  client_.reset();
  ASSERT_TRUE(loop_.RunOnce(absl::Seconds(1)).ok());  // hang-up
  EXPECT_EQ(server_.connections(), 0u);
}

// A client that sends requests and never reads the answers: once its queue
// is full the server drops it instead of blocking in write(2) (PID 1 would
// stop there with the blocking connection of before).
TEST_F(ControlServerSocketTest, AClientThatDoesNotReadIsDroppedNotWaitedFor) {
  ASSERT_EQ(::fcntl(client_.get(), F_SETFL, O_NONBLOCK), 0);
  control::Request request;
  request.mutable_list();
  std::string out;
  request.SerializeToString(&out);
  int rounds = 0;
  for (; rounds < 2000 && server_.connections() == 1; ++rounds) {
    for (int i = 0; i < 50; ++i) {
      if (!kernel_.Write(client_.get(), out.data(), out.size()).ok()) break;  // full
    }
    for (int i = 0; i < 50 && server_.connections() == 1; ++i) {
      ASSERT_TRUE(loop_.RunOnce(absl::ZeroDuration()).ok());
    }
  }
  EXPECT_EQ(server_.connections(), 0u) << "after " << rounds << " rounds";
  bool warned = false;
  for (const LogLine& line : ring_.Lines("", "")) {
    warned = warned || line.text.find("it does not read its answers") != std::string::npos;
  }
  EXPECT_TRUE(warned);
}

TEST_F(ControlServerTest, HandoffStatusWithoutAHandoff) {
  control::Request request;
  request.mutable_handoff_status();
  control::Response response = Send(request, 4321);
  EXPECT_FALSE(response.ok());
  EXPECT_NE(response.error().find("no handoff information"), std::string::npos);
}

TEST_F(ControlServerTest, HandoffStatusTextAndJson) {
  handoff::StatusReport report;
  report.stateless_reason = "handoff checksum mismatch: stored 1, computed 2";
  server_.set_handoff_report(&report);
  control::Request request;
  request.mutable_handoff_status();
  control::Response response = Send(request, 4321);  // anyone may ask
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_NE(response.handoff_status().find("stage 2 started stateless: handoff checksum"),
            std::string::npos)
      << response.handoff_status();
  request.mutable_handoff_status()->set_json(true);
  response = Send(request, 4321);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response.handoff_status().front(), '{');
  EXPECT_NE(response.handoff_status().find("\"stateless\":true"), std::string::npos);
  // The report is read when asked: later changes show.
  report.uevents_replayed = 7;
  response = Send(request, 4321);
  EXPECT_NE(response.handoff_status().find("\"uevents_replayed\":\"7\""), std::string::npos)
      << response.handoff_status();
}


TEST_F(ControlServerTest, ReexecIsRootOnlyAndNeedsTheHooks) {
  control::Request request;
  request.mutable_reexec();
  control::Response denied = Send(request, kOwner);  // the owner, in user mode: still no
  EXPECT_FALSE(denied.ok());
  EXPECT_EQ(denied.error(),
            "permission denied: uid 1234 may not re-exec the supervisor (only root)");
  control::Response unavailable = Send(request, 0);
  EXPECT_FALSE(unavailable.ok());
  EXPECT_NE(unavailable.error().find("re-exec is not available here"), std::string::npos);
}

TEST_F(ControlServerTest, ReexecAnswersFirstAndRunsOnlyWhenPending) {
  int runs = 0;
  bool refuse = false;
  ControlServer::ReexecHooks hooks;
  hooks.check = [&refuse]() -> absl::StatusOr<std::string> {
    if (refuse) return absl::FailedPreconditionError("/usr/sbin/baton: not executable (mode 0644)");
    return std::string("re-executing /usr/sbin/baton");
  };
  hooks.run = [&runs] { ++runs; };
  server_.set_reexec(std::move(hooks));
  control::Request request;
  request.mutable_reexec();
  control::Response response = Send(request, 0);
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response.message(), "re-executing /usr/sbin/baton");
  EXPECT_EQ(runs, 0);  // Handle only answers
  server_.RunPendingReexec();
  EXPECT_EQ(runs, 1);
  server_.RunPendingReexec();  // nothing pending any more
  EXPECT_EQ(runs, 1);

  refuse = true;
  control::Response refused = Send(request, 0);
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(), "not re-executing: /usr/sbin/baton: not executable (mode 0644)");
  server_.RunPendingReexec();
  EXPECT_EQ(runs, 1);
}

TEST_F(ControlServerTest, ReloadAnswersWhatChangedAndFailsOnErrors) {
  control::Request request;
  request.mutable_reload();
  control::Response unavailable = Send(request, 0);
  EXPECT_FALSE(unavailable.ok());
  EXPECT_EQ(unavailable.error(), "reloading the job files is not available here");

  ReloadReport next;
  next.dir = "/etc/baton/jobs";
  next.added = {"web"};
  next.unchanged = 2;
  int reloads = 0;
  server_.set_reload([&] {
    ++reloads;
    return next;
  });
  control::Response denied = Send(request, 4321);
  EXPECT_FALSE(denied.ok());
  EXPECT_NE(denied.error().find("may not reload the job files"), std::string::npos);
  EXPECT_EQ(reloads, 0);

  control::Response done = Send(request, kOwner);  // user mode: the owner may
  ASSERT_TRUE(done.ok()) << done.error();
  EXPECT_EQ(done.message(),
            "reloaded /etc/baton/jobs: 1 added (web), 0 changed, 0 removed, 2 unchanged");
  next.errors.push_back({"/etc/baton/jobs/db.conf", 4, 1, "unknown stanza 'exce'"});
  control::Response errors = Send(request, 0);
  EXPECT_FALSE(errors.ok());
  EXPECT_NE(errors.error().find(
                "/etc/baton/jobs/db.conf:4:1: unknown stanza 'exce' (old definition kept)"),
            std::string::npos)
      << errors.error();
  EXPECT_EQ(reloads, 2);
}

TEST_F(ControlServerTest, ShutdownIsRootOnlyNeedsTheHooksAndRunsAfterTheAnswer) {
  control::Request request;
  request.mutable_shutdown()->set_action(control::ShutdownRequest::POWEROFF);
  control::Response denied = Send(request, kOwner);  // the owner, in user mode: still no
  EXPECT_FALSE(denied.ok());
  EXPECT_EQ(denied.error(), "permission denied: uid 1234 may not poweroff the machine (only root)");
  control::Response unavailable = Send(request, 0);
  EXPECT_FALSE(unavailable.ok());
  EXPECT_NE(unavailable.error().find("poweroff is not available here"), std::string::npos)
      << unavailable.error();

  std::vector<ShutdownAction> runs;
  absl::Status refuse = absl::OkStatus();
  ControlServer::ShutdownHooks hooks;
  hooks.check = [&refuse] { return refuse; };
  hooks.run = [&runs](ShutdownAction action) { runs.push_back(action); };
  server_.set_shutdown(std::move(hooks));
  control::Response response = Send(request, 0);
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response.message(), "powering off");
  EXPECT_TRUE(runs.empty());  // Handle only answers
  server_.RunPendingShutdown();
  EXPECT_EQ(runs, std::vector<ShutdownAction>{ShutdownAction::kPoweroff});
  server_.RunPendingShutdown();  // nothing pending any more
  EXPECT_EQ(runs.size(), 1u);

  request.mutable_shutdown()->set_action(control::ShutdownRequest::REBOOT);
  EXPECT_EQ(Send(request, 0).message(), "rebooting");
  request.mutable_shutdown()->set_action(control::ShutdownRequest::HALT);
  EXPECT_EQ(Send(request, 0).message(), "halting");  // the later request wins
  server_.RunPendingShutdown();
  EXPECT_EQ(runs, (std::vector<ShutdownAction>{ShutdownAction::kPoweroff, ShutdownAction::kHalt}));

  refuse = absl::FailedPreconditionError("already shutting down (poweroff)");
  control::Response refused = Send(request, 0);
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(), "not doing halt: already shutting down (poweroff)");
  server_.RunPendingShutdown();
  EXPECT_EQ(runs.size(), 2u);

  request.mutable_shutdown()->set_action(control::ShutdownRequest::ACTION_UNSPECIFIED);
  EXPECT_FALSE(Send(request, 0).ok());
}

// Over the socket: the answer is in the client's queue before the re-exec
// runs, and a listening socket handed to Adopt (as a re-exec carries it)
// keeps serving.
TEST(ControlServerReexecSocketTest, ReexecAnswerIsWrittenBeforeItRunsAndAdoptServes) {
  sys::LinuxKernel kernel;
  MonotonicClock clock;
  FakeRunner runner;
  LogRing ring(kernel, clock, clock.Now(), {});
  Logger logger(kernel, &ring, -1);
  Engine engine(runner, clock);
  Loop loop(kernel, engine, clock, logger);
  ASSERT_TRUE(loop.Init().ok());
  auto server = std::make_unique<ControlServer>(kernel, engine, ring, loop, logger,
                                                ControlServer::Options{kernel.GetUid(), true});
  char dir[] = "/tmp/baton-control-test.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/control.sock";
  ASSERT_TRUE(server->Listen(path).ok());
  auto client = kernel.UnixConnect(path);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE(loop.RunOnce(absl::Seconds(1)).ok());  // accept

  bool answered_before_run = false;
  int runs = 0;
  ControlServer::ReexecHooks hooks;
  hooks.check = []() -> absl::StatusOr<std::string> { return std::string("re-executing /x"); };
  hooks.run = [&] {
    ++runs;
    char buf[4096];
    ssize_t n = ::recv(client->get(), buf, sizeof(buf), MSG_DONTWAIT | MSG_PEEK);
    control::Response response;
    answered_before_run = n > 0 && response.ParseFromArray(buf, static_cast<int>(n)) &&
                          response.ok() && response.message() == "re-executing /x";
  };
  server->set_reexec(std::move(hooks));
  control::Request request;
  request.mutable_reexec();
  std::string out;
  request.SerializeToString(&out);
  if (kernel.GetUid() == 0) {
    ASSERT_TRUE(kernel.Write(client->get(), out.data(), out.size()).ok());
    ASSERT_TRUE(loop.RunOnce(absl::Seconds(1)).ok());
    EXPECT_EQ(runs, 1);
    EXPECT_TRUE(answered_before_run);
  }

  // The listening socket moves to a new server, as across a re-exec.
  int carried = dup(server->listen_fd());
  ASSERT_GE(carried, 0);
  client->reset();
  server.reset();
  ControlServer adopted(kernel, engine, ring, loop, logger, {kernel.GetUid(), true});
  ASSERT_TRUE(adopted.Adopt(sys::UniqueFd(carried)).ok());
  auto again = kernel.UnixConnect(path);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(loop.RunOnce(absl::Seconds(1)).ok());  // accept
  request.mutable_list();
  request.SerializeToString(&out);
  ASSERT_TRUE(kernel.Write(again->get(), out.data(), out.size()).ok());
  ASSERT_TRUE(loop.RunOnce(absl::Seconds(1)).ok());
  std::string buf(4096, '\0');
  auto n = kernel.Read(again->get(), buf.data(), buf.size());
  ASSERT_TRUE(n.ok()) << n.status();
  control::Response listed;
  ASSERT_TRUE(listed.ParseFromArray(buf.data(), static_cast<int>(*n)));
  EXPECT_TRUE(listed.ok()) << listed.error();
  (void)kernel.Unlink(path);
  (void)kernel.Rmdir(dir);
}

}  // namespace
}  // namespace baton::supervisor
