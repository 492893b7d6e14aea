#include "jobs/load_dir.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/runfiles.h"

namespace baton::jobs {
namespace {

class LoadJobDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string tmpl =
        std::string(tmp != nullptr ? tmp : "/tmp") + "/jobsXXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string dir_;
};

TEST_F(LoadJobDirTest, LoadsConfFilesInNameOrderAndKeepsGoodOnes) {
  Write("b.conf", "task\n");
  Write("a.conf", "respawn\n");
  Write("bad.conf", "task\nbogus\n");
  Write("notes.txt", "bogus\n");
  Write(".hidden.conf", "bogus\n");
  ASSERT_EQ(mkdir((dir_ + "/sub.conf").c_str(), 0755), 0);
  LoadResult r = LoadJobDir(dir_);
  ASSERT_EQ(r.jobs.size(), 2u);
  EXPECT_EQ(r.jobs[0]->name, "a");
  EXPECT_EQ(r.jobs[0]->path, dir_ + "/a.conf");
  EXPECT_TRUE(r.jobs[0]->respawn.enabled);
  EXPECT_EQ(r.jobs[1]->name, "b");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].ToString(),
            dir_ + "/bad.conf:2:1: unknown stanza 'bogus'");
}

TEST_F(LoadJobDirTest, MissingDirectoryIsADiagnostic) {
  LoadResult r = LoadJobDir(dir_ + "/nope");
  EXPECT_TRUE(r.jobs.empty());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].file, dir_ + "/nope");
  EXPECT_NE(r.diagnostics[0].message.find("No such file"), std::string::npos);
}

TEST(LoadJobDirExamplesTest, ExamplesLoadCleanly) {
  const std::string dir = baton::runfiles::RunfilePath("jobs/examples");
  LoadResult r = LoadJobDir(dir);
  for (const Diagnostic& d : r.diagnostics) ADD_FAILURE() << d.ToString();
  EXPECT_EQ(r.jobs.size(), 6u);
}

}  // namespace
}  // namespace baton::jobs
