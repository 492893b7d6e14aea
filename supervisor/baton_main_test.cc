#include "supervisor/baton_main.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handoff/codec.h"
#include "handoff/memfd.h"
#include "handoff/version.h"
#include "sys/linux_kernel.h"

namespace baton::supervisor {
namespace {

TEST(ParseOptionsTest, UserModeWithDefaultsFromXdgRuntimeDir) {
  auto options = ParseOptions({"--user", "--jobs", "/j"}, {{"XDG_RUNTIME_DIR", "/run/user/7"}},
                              7, false);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->mode, Options::Mode::kUser);
  EXPECT_EQ(options->jobs_dir, "/j");
  EXPECT_EQ(options->socket_path, "/run/user/7/baton/control.sock");
  EXPECT_EQ(options->log_dir, "/run/user/7/baton/log");
}

TEST(ParseOptionsTest, UserModeFallsBackToTmp) {
  auto options =
      ParseOptions({"--user", "--jobs=/j", "--socket=/s.sock", "--log-dir", "/l"}, {}, 42, false);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->socket_path, "/s.sock");
  EXPECT_EQ(options->log_dir, "/l");
  auto defaults = ParseOptions({"--user", "--jobs", "/j"}, {}, 42, false);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->log_dir, "/tmp/baton-42/log");
}

TEST(ParseOptionsTest, Stage2HandoffArguments) {
  auto options = ParseOptions({"--handoff-fd=7", "--handoff-fds=3,4,5", "quiet"}, {}, 0, true);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->mode, Options::Mode::kSystem);
  EXPECT_EQ(options->handoff_fd, 7);
  EXPECT_EQ(options->handoff_fds, std::vector<int>({3, 4, 5}));
  EXPECT_TRUE(options->stage2());
  auto stateless = ParseOptions({"--stateless-reason", "exec with handoff failed"}, {}, 0, true);
  ASSERT_TRUE(stateless.ok());
  EXPECT_EQ(stateless->stateless_reason, "exec with handoff failed");
  EXPECT_TRUE(stateless->stage2());
  EXPECT_FALSE(ParseOptions({"--handoff-fd=x"}, {}, 0, true).ok());
  EXPECT_FALSE(ParseOptions({"--handoff-fds=3,a"}, {}, 0, true).ok());
  auto plain = ParseOptions({}, {}, 0, true);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->stage2());
}

TEST(ParseOptionsTest, RefusesToBeInitUnlessPid1) {
  auto options = ParseOptions({}, {}, 0, false);
  ASSERT_FALSE(options.ok());
  EXPECT_NE(options.status().message().find("not PID 1"), std::string::npos);
  auto pid1 = ParseOptions({"splash", "quiet"}, {}, 0, true);
  ASSERT_TRUE(pid1.ok()) << pid1.status();
  EXPECT_EQ(pid1->mode, Options::Mode::kSystem);
  EXPECT_EQ(pid1->jobs_dir, "/etc/baton/jobs");
  EXPECT_EQ(pid1->log_dir, "/run/baton/log");
  EXPECT_EQ(pid1->socket_path, "/run/baton/control.sock");
}

TEST(ParseOptionsTest, UsageErrors) {
  EXPECT_FALSE(ParseOptions({"--user"}, {}, 1, false).ok());  // no --jobs
  EXPECT_FALSE(ParseOptions({"--user", "--jobs"}, {}, 1, false).ok());
  EXPECT_FALSE(ParseOptions({"--user", "--jobs", "/j", "--bogus"}, {}, 1, false).ok());
  EXPECT_FALSE(ParseOptions({"check"}, {}, 1, false).ok());
  auto check = ParseOptions({"check", "a.conf", "dir"}, {}, 1, false);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->mode, Options::Mode::kCheck);
  EXPECT_EQ(check->check_paths, std::vector<std::string>({"a.conf", "dir"}));
}

class CheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/check";
    ASSERT_TRUE(kernel_.MkdirAll(dir_ + "/jobs").ok());
    out_ = dir_ + "/out.txt";
  }
  // Runs CheckJobFiles with its report in a file; returns {status, report}.
  std::pair<int, std::string> Check(const std::vector<std::string>& paths) {
    auto fd = kernel_.Open(out_, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    EXPECT_TRUE(fd.ok());
    int status = CheckJobFiles(paths, kernel_, fd->get());
    fd->reset();
    auto text = kernel_.ReadFile(out_);
    return {status, text.ok() ? *text : ""};
  }
  sys::LinuxKernel kernel_;
  std::string dir_;
  std::string out_;
};

TEST_F(CheckTest, GoodFilesPass) {
  ASSERT_TRUE(kernel_.WriteFile(dir_ + "/jobs/a.conf", "start on startup\nexec /bin/true\n").ok());
  ASSERT_TRUE(kernel_.WriteFile(dir_ + "/jobs/b.conf", "task\nseccomp deny mkdir\nexec true\n").ok());
  ASSERT_TRUE(kernel_.WriteFile(dir_ + "/jobs/notes.txt", "not a job\n").ok());
  auto [status, report] = Check({dir_ + "/jobs"});
  EXPECT_EQ(status, 0);
  EXPECT_EQ(report, "2 job files OK\n");
}

TEST_F(CheckTest, ErrorsNameFileLineAndColumn) {
  std::string bad = dir_ + "/bad.conf";
  ASSERT_TRUE(kernel_.WriteFile(bad, "exec /bin/true\nfrobnicate yes\n").ok());
  std::string sec = dir_ + "/sec.conf";
  ASSERT_TRUE(kernel_.WriteFile(sec, "exec /bin/true\nseccomp deny mkdir not_a_syscall\n").ok());
  auto [status, report] = Check({bad, sec, dir_ + "/missing.conf"});
  EXPECT_EQ(status, 1);
  EXPECT_NE(report.find(bad + ":2:1: "), std::string::npos) << report;
  EXPECT_NE(report.find(sec + ":2:"), std::string::npos) << report;
  EXPECT_NE(report.find("unknown syscall 'not_a_syscall'"), std::string::npos) << report;
  EXPECT_NE(report.find(dir_ + "/missing.conf: cannot read"), std::string::npos) << report;
  EXPECT_EQ(report.find("OK"), std::string::npos) << report;
}

TEST(ParseOptionsTest, PreflightOnlyOutsidePid1) {
  auto options = ParseOptions({"--preflight", "--handoff-fd=5"}, {}, 0, false);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->mode, Options::Mode::kPreflight);
  EXPECT_EQ(options->handoff_fd, 5);
  EXPECT_EQ(options->jobs_dir, "/etc/baton/jobs");
  EXPECT_FALSE(options->stage2() && options->mode != Options::Mode::kPreflight);
  auto jobs = ParseOptions({"--preflight", "--jobs", "/j"}, {}, 0, false);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  EXPECT_EQ(jobs->jobs_dir, "/j");
  // PID 1 never runs a dry run (it must not exit): the word is ignored.
  auto pid1 = ParseOptions({"--preflight"}, {}, 0, true);
  ASSERT_TRUE(pid1.ok()) << pid1.status();
  EXPECT_EQ(pid1->mode, Options::Mode::kSystem);
  EXPECT_FALSE(ParseOptions({"--preflight", "--user", "--jobs", "/j"}, {}, 0, false).ok());
  EXPECT_FALSE(ParseOptions({"--preflight", "--stateless-reason=x"}, {}, 0, false).ok());
}

class PreflightReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/preflight";
    ASSERT_TRUE(kernel_.MkdirAll(dir_ + "/jobs").ok());
    out_ = dir_ + "/out.txt";
  }
  std::pair<int, std::string> Report(int handoff_fd) {
    Options options;
    options.mode = Options::Mode::kPreflight;
    options.jobs_dir = dir_ + "/jobs";
    options.handoff_fd = handoff_fd;
    auto fd = kernel_.Open(out_, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    EXPECT_TRUE(fd.ok());
    int status = PreflightReport(options, kernel_, fd->get());
    fd->reset();
    auto text = kernel_.ReadFile(out_);
    return {status, text.ok() ? *text : ""};
  }
  sys::LinuxKernel kernel_;
  std::string dir_;
  std::string out_;
};

TEST_F(PreflightReportTest, OneLineWithJobsAndTheDecodedHandoff) {
  ASSERT_TRUE(kernel_.WriteFile(dir_ + "/jobs/a.conf", "start on startup\nexec /bin/true\n").ok());
  ASSERT_TRUE(kernel_.WriteFile(dir_ + "/jobs/b.conf", "frobnicate yes\n").ok());
  handoff::Handoff h;
  handoff::StampVersion(&h);
  h.add_instances()->set_job("a");
  auto bytes = handoff::Encode(h);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto memfd = handoff::WriteSealedMemfd(kernel_, *bytes);
  ASSERT_TRUE(memfd.ok()) << memfd.status();
  auto [status, line] = Report(memfd->get());
  EXPECT_EQ(status, 0);
  EXPECT_EQ(line, absl::StrCat("baton preflight ok build=baton-0.1.0 handoff-reader=1-",
                               handoff::kReaderVersion, " jobs=2 job-errors=1 handoff=ok (format ",
                               handoff::kFormatVersion, ", ", bytes->size(),
                               " bytes, 1 instances, 0 events, 0 uevents)\n"));
  // Read with pread: the fd's offset (shared with the real exec) is untouched.
  auto offset = ::lseek(memfd->get(), 0, SEEK_CUR);
  EXPECT_EQ(offset, static_cast<off_t>(bytes->size()));  // where the writer left it
}

TEST_F(PreflightReportTest, UnreadableHandoffIsSaidWithTheRestoreReason) {
  auto memfd = handoff::WriteSealedMemfd(kernel_, "this is not a handoff at all");
  ASSERT_TRUE(memfd.ok()) << memfd.status();
  auto [status, line] = Report(memfd->get());
  EXPECT_EQ(status, 0);
  EXPECT_THAT(line, ::testing::HasSubstr(" handoff=unreadable: not a handoff: "
                                         "bad magic\n"));
  auto none = Report(-1);
  EXPECT_THAT(none.second, ::testing::EndsWith(" handoff=none\n"));
}

TEST_F(PreflightReportTest, RehearsesTheRestoreOnThrowawayState) {
  // A directory of its own (the other tests' files share dir_/jobs).
  const std::string jobs = dir_ + "/rehearsal-jobs";
  ASSERT_TRUE(kernel_.MkdirAll(jobs).ok());
  ASSERT_TRUE(kernel_.WriteFile(jobs + "/svc.conf",
                                "stage both\nstart on startup\nexec /bin/sleep 100\n")
                  .ok());
  ASSERT_TRUE(kernel_.WriteFile(jobs + "/early.conf",
                                "stage initramfs\nstart on initramfs\nexec /bin/true\n")
                  .ok());
  handoff::Handoff h;
  handoff::StampVersion(&h);
  for (int i = 1; i <= 5; ++i) {
    handoff::Event* e = h.add_events();
    e->set_seq(i);
    e->set_name(i == 5 ? "root-mounted" : "block-device-added");
    handoff::KeyValue* kv = e->add_env();
    kv->set_key("DEVNAME");
    kv->set_value(absl::StrCat("/dev/vd", i));
    e->set_monotonic_ns(1000 * i);
  }
  for (int i = 0; i < 3; ++i) {
    handoff::LogLine* line = h.mutable_supervisor_log()->add_lines();
    line->set_since_start_ns(10 * i);
    line->set_text(absl::StrCat("stage 1 line ", i));
  }
  // A carried child that is not ours (nor anyone's): the "gone" path.
  handoff::JobInstance* in = h.add_instances();
  in->set_job("svc");
  in->set_pid(0x3ffffff0);
  in->set_state(handoff::JOB_STATE_RUNNING);
  in->set_goal(handoff::JOB_GOAL_START);
  auto bytes = handoff::Encode(h);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto memfd = handoff::WriteSealedMemfd(kernel_, *bytes);
  ASSERT_TRUE(memfd.ok()) << memfd.status();
  const off_t offset = ::lseek(memfd->get(), 0, SEEK_CUR);

  Options options;
  options.mode = Options::Mode::kPreflight;
  options.jobs_dir = jobs;
  options.handoff_fd = memfd->get();
  Stage2Rehearsal r = RehearseStage2(options, kernel_);
  EXPECT_EQ(r.jobs, 1u);  // svc; early is stage 1's only
  EXPECT_TRUE(r.restored) << r.stateless_reason;
  EXPECT_EQ(r.history, 5u);
  EXPECT_EQ(r.instances, 1u);  // svc, queued for a restart that never runs
  // The 3 carried lines in front of the rehearsal's own.
  EXPECT_GT(r.supervisor_lines, 3u);
  // The preflight's fd is still open, its offset untouched.
  EXPECT_EQ(::fcntl(memfd->get(), F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(::lseek(memfd->get(), 0, SEEK_CUR), offset);

  // A handoff stage 2 would refuse: rehearsed as the stateless start.
  auto bad = handoff::WriteSealedMemfd(kernel_, "this is not a handoff at all");
  ASSERT_TRUE(bad.ok());
  options.handoff_fd = bad->get();
  Stage2Rehearsal refused = RehearseStage2(options, kernel_);
  EXPECT_FALSE(refused.restored);
  EXPECT_THAT(refused.stateless_reason, ::testing::HasSubstr("bad magic"));
  EXPECT_EQ(refused.history, 0u);
  EXPECT_EQ(refused.jobs, 1u);
  // Without a handoff: the jobs only.
  options.handoff_fd = -1;
  Stage2Rehearsal none = RehearseStage2(options, kernel_);
  EXPECT_FALSE(none.restored);
  EXPECT_EQ(none.jobs, 1u);
}

}  // namespace
}  // namespace baton::supervisor
