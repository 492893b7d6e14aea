#include "supervisor/log_ring.h"

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "sys/linux_kernel.h"
#include "sys/str_printf.h"

namespace baton::supervisor {
namespace {

class FakeClock : public Clock {
 public:
  absl::Time Now() override { return now; }
  absl::Time now = absl::UnixEpoch() + absl::Seconds(100);
};

std::vector<std::string> Texts(const std::vector<LogLine>& lines) {
  std::vector<std::string> out;
  for (const LogLine& line : lines) out.push_back(line.text);
  return out;
}

class LogRingTest : public ::testing::Test {
 protected:
  sys::LinuxKernel kernel_;
  FakeClock clock_;
};

TEST_F(LogRingTest, PartialLinesWaitForTheirNewline) {
  LogRing ring(kernel_, clock_, clock_.now, {});
  ring.Append("job", "", "hel");
  EXPECT_TRUE(ring.Lines("job", "").empty());
  ring.Append("job", "", "lo\nwor");
  EXPECT_EQ(Texts(ring.Lines("job", "")), std::vector<std::string>({"hello"}));
  ring.Append("job", "", "ld\n\nlast");
  EXPECT_EQ(Texts(ring.Lines("job", "")), std::vector<std::string>({"hello", "world", ""}));
  ring.Flush("job", "");
  EXPECT_EQ(Texts(ring.Lines("job", "")),
            std::vector<std::string>({"hello", "world", "", "last"}));
  ring.Flush("job", "");  // nothing buffered: no empty line
  EXPECT_EQ(ring.Lines("job", "").size(), 4u);
}

TEST_F(LogRingTest, StreamsAreSeparatePerInstance) {
  LogRing ring(kernel_, clock_, clock_.now, {});
  ring.Append("greeter", "alice", "a\n");
  ring.Append("greeter", "bob", "b\n");
  EXPECT_EQ(Texts(ring.Lines("greeter", "alice")), std::vector<std::string>({"a"}));
  EXPECT_EQ(Texts(ring.Lines("greeter", "bob")), std::vector<std::string>({"b"}));
  EXPECT_TRUE(ring.Lines("greeter", "").empty());
  EXPECT_FALSE(ring.HasStream("greeter", "carol"));
}

// `initctl log md-incremental` asks for the job, not an instance: the lines
// of every instance, merged by time (the instance streams were invisible).
TEST_F(LogRingTest, JobLinesMergeEveryInstanceByTime) {
  LogRing::Options options;
  options.max_lines = 2;
  LogRing ring(kernel_, clock_, clock_.now, options);
  ring.Append("md-incremental", "/dev/vdb", "b1\n");
  clock_.now += absl::Seconds(1);
  ring.Append("md-incremental", "/dev/vda", "a1\n");
  clock_.now += absl::Seconds(1);
  ring.Append("md-incremental", "/dev/vdb", "b2\n");
  ring.Append("md-incremental", "/dev/vda", "a2\n");  // same moment: stream order
  ring.Append("md-incremental-x", "", "another job\n");
  ring.Append("md-incremental", "/dev/vda", "partial");
  ring.AddSupervisorLine("baton's own");

  EXPECT_TRUE(ring.Lines("md-incremental", "").empty());
  std::vector<std::string> merged;
  for (const LogRing::JobLine& l : ring.JobLines("md-incremental")) {
    merged.push_back(l.instance + " " + l.line.text);
  }
  EXPECT_EQ(merged, std::vector<std::string>({"/dev/vdb b1", "/dev/vda a1", "/dev/vda a2",
                                              "/dev/vdb b2"}));
  std::vector<LogRing::JobLine> last = ring.JobLines("md-incremental", 1);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].line.text, "b2");

  ring.Append("md-incremental", "/dev/vdb", "b3\n");  // drops b1 (max_lines 2)
  EXPECT_EQ(ring.JobDropped("md-incremental"), 1u);
  EXPECT_TRUE(ring.HasJob("md-incremental"));
  EXPECT_FALSE(ring.HasJob("md"));
  EXPECT_FALSE(ring.HasJob("nosuch"));

  // A job without instances reads the same as its one stream.
  ASSERT_EQ(ring.JobLines("md-incremental-x").size(), 1u);
  EXPECT_EQ(ring.JobLines("md-incremental-x")[0].instance, "");
}

TEST_F(LogRingTest, LineCountBoundDropsOldest) {
  LogRing::Options options;
  options.max_lines = 3;
  LogRing ring(kernel_, clock_, clock_.now, options);
  for (int i = 1; i <= 5; ++i) ring.AddLine("j", "", std::to_string(i));
  EXPECT_EQ(Texts(ring.Lines("j", "")), std::vector<std::string>({"3", "4", "5"}));
  EXPECT_EQ(ring.Dropped("j", ""), 2u);
  EXPECT_EQ(Texts(ring.Lines("j", "", 2)), std::vector<std::string>({"4", "5"}));
}

TEST_F(LogRingTest, ByteBoundDropsOldest) {
  LogRing::Options options;
  options.max_bytes = 10;
  LogRing ring(kernel_, clock_, clock_.now, options);
  ring.AddLine("j", "", "aaaa");
  ring.AddLine("j", "", "bbbb");
  ring.AddLine("j", "", "cccc");  // 12 bytes: "aaaa" goes
  EXPECT_EQ(Texts(ring.Lines("j", "")), std::vector<std::string>({"bbbb", "cccc"}));
  EXPECT_EQ(ring.Dropped("j", ""), 1u);
}

TEST_F(LogRingTest, LongLinesAreSplit) {
  LogRing::Options options;
  options.max_line_bytes = 4;
  LogRing ring(kernel_, clock_, clock_.now, options);
  ring.Append("j", "", "abcdefghij\nxy");
  ring.Append("j", "", "zw\n");
  EXPECT_EQ(Texts(ring.Lines("j", "")),
            std::vector<std::string>({"abcd", "efgh", "ij", "xyzw"}));
}

TEST_F(LogRingTest, LinesAreStampedSinceStart) {
  LogRing ring(kernel_, clock_, clock_.now, {});
  clock_.now += absl::Milliseconds(1500);
  ring.AddLine("j", "", "x");
  ASSERT_EQ(ring.Lines("j", "").size(), 1u);
  EXPECT_EQ(ring.Lines("j", "")[0].since_start, absl::Milliseconds(1500));
  EXPECT_EQ(FormatLogLine(ring.Lines("j", "")[0]), "[    1.500000] x");
}

// FormatLogLine writes "%12.6f" of the seconds with integers only.
TEST(FormatLogLineTest, MatchesPrintfOfTheSeconds) {
  const int64_t cases_ns[] = {0, 1, 499, 501, 999, 1000, 1499, 1501, 999999499, 999999501,
                              1500000000, 59999999999, 123456789012, 9999999999999,
                              123456789012345678, -1, -400, -1500000000, -123456789012};
  for (int64_t ns : cases_ns) {
    LogLine line{absl::Nanoseconds(ns), "t"};
    EXPECT_EQ(FormatLogLine(line),
              sys::StrPrintf("[%12.6f] t", absl::ToDoubleSeconds(absl::Nanoseconds(ns))))
        << ns << " ns";
  }
  // An exact half microsecond goes away from zero (printf's double of it
  // may lie on either side).
  EXPECT_EQ(FormatLogLine({absl::Nanoseconds(2500), "t"}), "[    0.000003] t");
  EXPECT_EQ(FormatLogLine({absl::Nanoseconds(-2500), "t"}), "[   -0.000003] t");
}

TEST_F(LogRingTest, AppendsToFilesInTheLogDir) {
  std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/logs/sub";
  LogRing::Options options;
  options.log_dir = dir;
  options.max_lines = 1;  // the file keeps everything, the ring only one
  LogRing ring(kernel_, clock_, clock_.now, options);
  ring.Append("ticker", "", "tick 1\ntick 2\n");
  ring.Append("greeter", "al/ice", "hi\n");
  ring.AddSupervisorLine("started");
  EXPECT_EQ(ring.FilePath("ticker", ""), dir + "/ticker.log");
  EXPECT_EQ(ring.FilePath("greeter", "al/ice"), dir + "/greeter-al_ice.log");
  absl::StatusOr<std::string> ticker = kernel_.ReadFile(dir + "/ticker.log");
  ASSERT_TRUE(ticker.ok()) << ticker.status();
  EXPECT_EQ(*ticker, "[    0.000000] tick 1\n[    0.000000] tick 2\n");
  absl::StatusOr<std::string> greeter = kernel_.ReadFile(dir + "/greeter-al_ice.log");
  ASSERT_TRUE(greeter.ok()) << greeter.status();
  EXPECT_EQ(*greeter, "[    0.000000] hi\n");
  absl::StatusOr<std::string> own = kernel_.ReadFile(dir + "/baton.log");
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(*own, "[    0.000000] started\n");
  EXPECT_EQ(ring.Lines("ticker", "").size(), 1u);
}

TEST_F(LogRingTest, UnwritableLogDirIsReportedOnceAndMemoryKeepsWorking) {
  LogRing::Options options;
  options.log_dir = "/proc/no/such/dir";
  LogRing ring(kernel_, clock_, clock_.now, options);
  ring.AddLine("j", "", "one");
  ring.AddLine("j", "", "two");
  EXPECT_EQ(Texts(ring.Lines("j", "")), std::vector<std::string>({"one", "two"}));
  std::vector<LogLine> own = ring.Lines("", "");
  ASSERT_EQ(own.size(), 1u);
  EXPECT_NE(own[0].text.find("cannot write log file /proc/no/such/dir/j.log"), std::string::npos)
      << own[0].text;
}

TEST_F(LogRingTest, ExportImportCarriesStreamsInFrontOfNewLines) {
  LogRing::Options small;
  small.max_lines = 3;
  LogRing stage1(kernel_, clock_, clock_.now, small);
  for (const char* line : {"a", "b", "c", "d"}) stage1.AddLine("svc", "i", line);
  stage1.Append("svc", "i", "half");
  stage1.AddSupervisorLine("own");
  std::vector<LogRing::StreamSnapshot> out = stage1.Export();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].job, "");  // the supervisor's stream sorts first
  EXPECT_EQ(out[1].job, "svc");
  EXPECT_EQ(out[1].instance, "i");
  EXPECT_EQ(Texts(out[1].lines), std::vector<std::string>({"b", "c", "d"}));
  EXPECT_EQ(out[1].dropped, 1u);
  EXPECT_EQ(out[1].partial, "half");

  clock_.now += absl::Seconds(1);
  LogRing stage2(kernel_, clock_, clock_.now, small);
  stage2.AddLine("svc", "i", "e");
  stage2.Import(out[1]);
  // Imported lines go first; the bound drops the oldest.
  EXPECT_EQ(Texts(stage2.Lines("svc", "i")), std::vector<std::string>({"c", "d", "e"}));
  EXPECT_EQ(stage2.Dropped("svc", "i"), 2u);
  stage2.set_start(clock_.now - absl::Seconds(1));
  EXPECT_EQ(stage2.SinceStart(), absl::Seconds(1));
}

TEST_F(LogRingTest, SetStartKeepsTheMomentOfLinesAlreadyThere) {
  LogRing ring(kernel_, clock_, clock_.now, LogRing::Options());
  clock_.now += absl::Milliseconds(10);
  ring.AddSupervisorLine("stage 2 starting");
  // Stage 1 started 5 s before this process.
  ring.set_start(clock_.now - absl::Milliseconds(10) - absl::Seconds(5));
  std::vector<LogLine> lines = ring.Lines("", "");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].since_start, absl::Seconds(5) + absl::Milliseconds(10));
  ring.AddSupervisorLine("later");
  EXPECT_EQ(ring.Lines("", "").back().since_start, absl::Seconds(5) + absl::Milliseconds(10));
}

}  // namespace
}  // namespace baton::supervisor
