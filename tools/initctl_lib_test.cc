#include "tools/initctl_lib.h"

#include <fcntl.h>
#include <signal.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "handoff/codec.h"
#include "sys/fake_kernel.h"
#include "sys/linux_kernel.h"

namespace baton::initctl {
namespace {

TEST(ParseArgsTest, SocketFromFlagEnvOrDefault) {
  auto d = ParseArgs({"list"}, "");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->socket, kDefaultSocket);
  EXPECT_TRUE(d->request.has_list());
  auto e = ParseArgs({"list"}, "/env.sock");
  EXPECT_EQ(e->socket, "/env.sock");
  auto f = ParseArgs({"--socket", "/flag.sock", "list"}, "/env.sock");
  EXPECT_EQ(f->socket, "/flag.sock");
  auto g = ParseArgs({"--socket=/eq.sock", "list"}, "");
  EXPECT_EQ(g->socket, "/eq.sock");
}

TEST(ParseArgsTest, Commands) {
  auto start = ParseArgs({"start", "web", "PORT=80", "X="}, "");
  ASSERT_TRUE(start.ok()) << start.status();
  EXPECT_EQ(start->request.start().job(), "web");
  ASSERT_EQ(start->request.start().env_size(), 2);
  EXPECT_EQ(start->request.start().env(0), "PORT=80");

  auto stop = ParseArgs({"stop", "greeter", "alice"}, "");
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(stop->request.stop().instance(), "alice");

  auto emit = ParseArgs({"emit", "greet", "NAME=bob"}, "");
  ASSERT_TRUE(emit.ok());
  EXPECT_EQ(emit->request.emit().event(), "greet");

  auto log = ParseArgs({"log", "ticker", "-n", "5"}, "");
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->request.log().job(), "ticker");
  EXPECT_EQ(log->request.log().lines(), 5u);

  auto events = ParseArgs({"events", "12"}, "");
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->request.events().limit(), 12u);

  EXPECT_TRUE(ParseArgs({"status", "ticker"}, "")->request.has_status());
  EXPECT_TRUE(ParseArgs({"restart", "ticker"}, "")->request.has_restart());
}

TEST(ParseArgsTest, BadAssignmentIsAnErrorNotUsage) {
  auto bad = ParseArgs({"emit", "greet", "NAME"}, "");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(bad.status()));
  EXPECT_EQ(bad.status().message(), "bad assignment 'NAME' (expected KEY=VALUE)");
  EXPECT_FALSE(ParseArgs({"start", "x", "1A=b"}, "").ok());
}

TEST(ParseArgsTest, UsageErrors) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {}, {"bogus"}, {"status"}, {"list", "extra"}, {"events", "x"}, {"--socket"},
           {"--frob", "list"}, {"log", "a", "b", "c"}, {"log", "-n"}}) {
    auto parsed = ParseArgs(args, "");
    EXPECT_TRUE(absl::IsInvalidArgument(parsed.status())) << args.size();
  }
}

TEST(CallTest, MissingSocketSaysIsBatonRunning) {
  sys::LinuxKernel kernel;
  control::Request request;
  request.mutable_list();
  auto response = Call(kernel, "/nonexistent/x.sock", request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().message(),
            "cannot connect to /nonexistent/x.sock: No such file or directory (is baton running?)");
}

TEST(FormatTest, ListIsATable) {
  control::Request request;
  request.mutable_list();
  control::Response response;
  response.set_ok(true);
  auto* a = response.add_jobs();
  a->set_job("ticker");
  a->set_goal("start");
  a->set_state("running");
  a->set_pid(42);
  a->set_runs(1);
  auto* b = response.add_jobs();
  b->set_job("crasher");
  b->set_goal("stop");
  b->set_state("waiting");
  b->set_failed(true);
  b->set_failure("respawning too fast");
  auto* c = response.add_jobs();
  c->set_job("greeter");
  c->set_instance("alice");
  c->set_goal("stop");
  c->set_state("waiting");
  c->set_has_last_exit(true);
  c->set_last_exit_signal(SIGSYS);
  EXPECT_EQ(Format(request, response),
            "JOB      INSTANCE  GOAL   STATE    PID  RUNS  LAST\n"
            "ticker   -         start  running  42   1     -\n"
            "crasher  -         stop   waiting  -    0     failed: respawning too fast\n"
            "greeter  alice     stop   waiting  -    0     killed by SIGSYS\n");
}

TEST(FormatTest, EventsAndLog) {
  control::Request events;
  events.mutable_events();
  control::Response response;
  auto* e = response.add_events();
  e->set_seq(3);
  e->set_time(1.5);
  e->set_name("stopped");
  auto* v = e->add_env();
  v->set_key("JOB");
  v->set_value("hello");
  EXPECT_EQ(Format(events, response), "     3     1.500000 stopped JOB=hello\n");

  control::Request log;
  log.mutable_log();
  control::Response lines;
  lines.set_log_dropped(2);
  auto* l = lines.add_log();
  l->set_time(0.25);
  l->set_text("tick 1");
  EXPECT_EQ(Format(log, lines), "(2 older lines dropped)\n[    0.250000] tick 1\n");

  // `initctl log JOB` of an instance job: each line after its instance.
  auto* m = lines.add_log();
  m->set_time(0.5);
  m->set_text("mdadm: added /dev/vdb");
  m->set_instance("/dev/vdb");
  EXPECT_EQ(Format(log, lines),
            "(2 older lines dropped)\n[    0.250000] tick 1\n"
            "[    0.500000] /dev/vdb: mdadm: added /dev/vdb\n");
}

TEST(MainTest, ExitCodes) {
  sys::LinuxKernel kernel;
  std::string out = std::string(std::getenv("TEST_TMPDIR")) + "/out";
  auto fd = kernel.Open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(Main(kernel, {"frobnicate"}, "", fd->get(), fd->get()), 2);
  EXPECT_EQ(Main(kernel, {"emit", "x", "BAD"}, "", fd->get(), fd->get()), 1);
  EXPECT_EQ(Main(kernel, {"--socket", "/nonexistent/y.sock", "list"}, "", fd->get(), fd->get()), 1);
  fd->reset();
  auto text = kernel.ReadFile(out);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("initctl: unknown command 'frobnicate'"), std::string::npos) << *text;
  EXPECT_NE(text->find("usage: initctl"), std::string::npos);
  EXPECT_NE(text->find("initctl: bad assignment 'BAD' (expected KEY=VALUE)"), std::string::npos);
  EXPECT_NE(text->find("(is baton running?)"), std::string::npos);
}

TEST(HandoffStatusTest, ParsesJsonAndFile) {
  auto plain = ParseArgs({"handoff-status"}, "");
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->request.has_handoff_status());
  EXPECT_FALSE(plain->request.handoff_status().json());
  EXPECT_TRUE(plain->handoff_file.empty());
  auto json = ParseArgs({"handoff-status", "--json", "--file", "/run/baton/handoff.pb"}, "");
  ASSERT_TRUE(json.ok());
  EXPECT_TRUE(json->request.handoff_status().json());
  EXPECT_EQ(json->handoff_file, "/run/baton/handoff.pb");
  EXPECT_EQ(ParseArgs({"handoff-status", "--file"}, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseArgs({"handoff-status", "extra"}, "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HandoffStatusTest, FormatsTheServersText) {
  control::Request request;
  request.mutable_handoff_status();
  control::Response response;
  response.set_ok(true);
  response.set_handoff_status("handoff: accepted");
  EXPECT_EQ(Format(request, response), "handoff: accepted\n");
}

TEST(ReexecTest, ParsesAndPrintsTheAnswer) {
  auto reexec = ParseArgs({"reexec"}, "");
  ASSERT_TRUE(reexec.ok()) << reexec.status();
  EXPECT_TRUE(reexec->request.has_reexec());
  EXPECT_TRUE(absl::IsInvalidArgument(ParseArgs({"reexec", "now"}, "").status()));
  auto reload = ParseArgs({"reload"}, "");
  ASSERT_TRUE(reload.ok()) << reload.status();
  EXPECT_TRUE(reload->request.has_reload());
  EXPECT_TRUE(absl::IsInvalidArgument(ParseArgs({"reload", "all"}, "").status()));
  control::Response response;
  response.set_ok(true);
  response.set_message("re-executing /usr/sbin/baton");
  EXPECT_EQ(Format(reexec->request, response), "re-executing /usr/sbin/baton\n");
}

TEST(ShutdownTest, ParsesTheThreeCommandsAndPrintsTheAnswer) {
  struct Case {
    const char* word;
    control::ShutdownRequest::Action action;
  };
  for (const Case& c : {Case{"reboot", control::ShutdownRequest::REBOOT},
                        Case{"poweroff", control::ShutdownRequest::POWEROFF},
                        Case{"halt", control::ShutdownRequest::HALT}}) {
    auto parsed = ParseArgs({c.word}, "");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_TRUE(parsed->request.has_shutdown()) << c.word;
    EXPECT_EQ(parsed->request.shutdown().action(), c.action) << c.word;
    EXPECT_TRUE(absl::IsInvalidArgument(ParseArgs({c.word, "now"}, "").status())) << c.word;
  }
  auto poweroff = ParseArgs({"poweroff"}, "");
  ASSERT_TRUE(poweroff.ok());
  control::Response response;
  response.set_ok(true);
  response.set_message("powering off");
  EXPECT_EQ(Format(poweroff->request, response), "powering off\n");
}

TEST(HandoffStatusTest, ReadsAHandoffFileWithoutBaton) {
  sys::FakeKernel kernel;
  handoff::Handoff h;
  handoff::StampVersion(&h);
  handoff::JobInstance* in = h.add_instances();
  in->set_job("svc");
  in->set_pid(321);
  in->set_state(handoff::JOB_STATE_RUNNING);
  absl::StatusOr<std::string> bytes = handoff::Encode(h);
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(kernel.MkdirAll("/run/baton").ok());
  ASSERT_TRUE(kernel.WriteFile("/run/baton/handoff.pb", *bytes).ok());
  ASSERT_TRUE(kernel.WriteFile("/out", "").ok());
  auto out = kernel.Open("/out", O_WRONLY);
  ASSERT_TRUE(out.ok());
  int code = Main(kernel, {"--socket", "/nowhere", "handoff-status", "--file",
                           "/run/baton/handoff.pb"},
                  "", out->get(), out->get());
  EXPECT_EQ(code, 0);
  std::string text = *kernel.ReadFile("/out");
  EXPECT_NE(text.find("handoff: accepted"), std::string::npos) << text;
  EXPECT_NE(text.find("svc"), std::string::npos) << text;
  EXPECT_NE(text.find("no stage 2"), std::string::npos) << text;

  std::string json = FormatHandoffFile(*bytes, true);
  EXPECT_EQ(json.front(), '{');
  EXPECT_NE(json.find("\"pid\":321"), std::string::npos) << json;
  EXPECT_NE(FormatHandoffFile("junk", false).find("not a handoff"), std::string::npos);
}

}  // namespace
}  // namespace baton::initctl
