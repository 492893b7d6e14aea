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

}  // namespace
}  // namespace baton::supervisor
