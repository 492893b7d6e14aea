// Parses 1,000 generated job files (a mix of every stanza) through
// LoadJobFiles and reports the time. The budget is 20 ms in an optimized
// build; the test itself allows a generous margin so that unoptimized and
// sanitizer builds on a busy machine still pass.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "jobs/parser.h"

namespace baton::jobs {
namespace {

std::string JobText(int i) {
  return absl::StrCat(
      "# generated job ", i, "\n", "description \"generated job number ", i,
      "\"\n", "stage both\n",
      "start on (block-device-added ID_FS_TYPE=crypto_LUKS DEVNAME=/dev/sd*\n",
      "          or started job", i, ") and root-device-ready\n",
      "stop on stopping udev or runlevel [016]\n", "instance $ID_FS_UUID\n",
      "env PATH=/usr/sbin:/usr/bin\n", "env MSG=\"hello world ", i, "\"\n",
      "pre-start exec /bin/true\n", "script\n",
      "  echo \"starting $MSG\"   # comment\n", "  for d in a b c; do\n",
      "    echo $d\n", "  done\n", "end script\n",
      "post-stop exec /bin/echo done\n", "respawn\n", "respawn limit 10 5\n",
      "console log\n", "seccomp deny mount umount2 kexec_load reboot\n",
      "kill timeout 10\n");
}

TEST(ParserBenchmark, ThousandFiles) {
  std::vector<std::pair<std::string, std::string>> files;
  for (int i = 0; i < 1000; ++i) {
    files.emplace_back(absl::StrCat("/etc/baton/jobs/job", i, ".conf"),
                       JobText(i));
  }
  LoadJobFiles(files);  // warm up
  absl::Duration best = absl::InfiniteDuration();
  for (int round = 0; round < 5; ++round) {
    const absl::Time start = absl::Now();
    LoadResult r = LoadJobFiles(files);
    best = std::min(best, absl::Now() - start);
    ASSERT_EQ(r.jobs.size(), 1000u);
    ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics[0].ToString();
  }
  std::printf("parsed 1000 job files in %.2f ms (best of 5)\n",
              absl::ToDoubleMilliseconds(best));
  EXPECT_LT(best, absl::Milliseconds(200));
}

}  // namespace
}  // namespace baton::jobs
