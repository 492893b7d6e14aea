#include "sys/kmod_loader.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::sys {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A modules folder made here: tiny relocatable objects carrying only a
// .modinfo section, indexed by depmod (as on a real system), plus a
// modprobe.d file. Dry runs resolve names without inserting anything (unit
// tests run without root).
class KmodLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmp = std::getenv("TEST_TMPDIR");
    std::string base = tmp + "/root";
    modules_dir_ = base + "/lib/modules/6.1.0-test";
    conf_ = tmp + "/baton-test.conf";
    ASSERT_EQ(Shell("mkdir -p " + modules_dir_ + "/kernel"), 0);
    AddModule("fake_blk", "virtio:d00000002v*");
    AddModule("fake_ring", "");
    AddModule("fake_blacklisted", "pci:v0000DEADd*");
    AddModule("fake_never", "");
    AddModule("fake_refused", "");
    AddModule("fake_scripted", "");
    ASSERT_EQ(Shell("PATH=$PATH:/sbin:/usr/sbin depmod -b " + base + " 6.1.0-test"), 0);
    std::ofstream(conf_) << "softdep fake_blk pre: fake_ring\n"
                            "alias my-disk-driver fake_blk\n"
                            "blacklist fake_blacklisted\n"
                            "install fake_never /bin/true\n"
                            "install fake_refused  /bin/false \n"
                            "install fake_scripted setup-it $CMDLINE_OPTS\n";
  }

  static int Shell(const std::string& cmd) {
    return std::system((cmd + " >/dev/null 2>&1").c_str());
  }

  void AddModule(const std::string& name, const std::string& alias) {
    std::string c = std::string(std::getenv("TEST_TMPDIR")) + "/" + name + ".c";
    std::ofstream(c) << "const char m[] __attribute__((section(\".modinfo\"), used)) = "
                        "\"license=GPL\\0name=" << name << "\\0vermagic=6.1\\0"
                     << (alias.empty() ? "" : "alias=" + alias + "\\0") << "\";\n";
    ASSERT_EQ(Shell("cc -c " + c + " -o " + modules_dir_ + "/kernel/" + name + ".ko"), 0);
  }

  std::unique_ptr<KmodLoader> Make() {
    KmodLoader::Options options;
    options.modules_dir = modules_dir_;
    options.config_paths = {conf_};
    options.dry_run = true;
    options.on_load = [this](const std::string& m) { loaded_.push_back(m); };
    auto loader = KmodLoader::Create(options);
    EXPECT_TRUE(loader.ok()) << loader.status();
    return std::move(*loader);
  }

  std::string modules_dir_;
  std::string conf_;
  std::vector<std::string> loaded_;
};

TEST_F(KmodLoaderTest, UnknownAliasIsOkAndCachedAsUnmatched) {
  auto loader = Make();
  EXPECT_TRUE(loader->LoadAlias("acpi:NOSUCH0:").ok());
  EXPECT_TRUE(loader->LoadAlias("acpi:NOSUCH0:").ok());
  EXPECT_EQ(loader->unmatched_aliases(), 1u);
  EXPECT_THAT(loaded_, IsEmpty());
}

TEST_F(KmodLoaderTest, AliasResolvesWithSoftdepsFirst) {
  auto loader = Make();
  absl::Status s = loader->LoadAlias("virtio:d00000002v00001AF4");
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(loaded_, ElementsAre("fake_ring", "fake_blk"));
  EXPECT_EQ(loader->unmatched_aliases(), 0u);
}

TEST_F(KmodLoaderTest, BlacklistedAliasLoadsNothing) {
  auto loader = Make();
  absl::Status s = loader->LoadAlias("pci:v0000DEADd00000001");
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(loaded_, IsEmpty());
}

TEST_F(KmodLoaderTest, ModuleNameAndConfigAliasAreLookedUpToo) {
  auto loader = Make();
  absl::Status s = loader->LoadAlias("fake_blk");
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(loaded_, ElementsAre("fake_ring", "fake_blk"));
  loaded_.clear();
  s = loader->LoadAlias("my-disk-driver");
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(loaded_, ElementsAre("fake_ring", "fake_blk"));
}

TEST(TrivialInstallCommandTest, TrueAndFalseOnly) {
  EXPECT_EQ(TrivialInstallCommand("/bin/true"), 0);
  EXPECT_EQ(TrivialInstallCommand(" /bin/false\t"), 1);
  EXPECT_EQ(TrivialInstallCommand("/bin/true; modprobe x"), std::nullopt);
  EXPECT_EQ(TrivialInstallCommand("true"), std::nullopt);
  EXPECT_EQ(TrivialInstallCommand(""), std::nullopt);
}

// Install commands are run for real (not a dry run): none of these modules
// is inserted, the command stands in for it.
TEST_F(KmodLoaderTest, InstallCommandsRunExceptTrivialOnes) {
  std::vector<std::string> ran;
  int status = 0;
  KmodLoader::Options options;
  options.modules_dir = modules_dir_;
  options.config_paths = {conf_};
  options.run_command = [&](const std::string& module, const std::string& command) {
    ran.push_back(module + ": " + command);
    return status;
  };
  auto loader = KmodLoader::Create(options);
  ASSERT_TRUE(loader.ok()) << loader.status();
  EXPECT_TRUE((*loader)->LoadAlias("fake_never").ok());
  EXPECT_FALSE((*loader)->LoadAlias("fake_refused").ok());
  EXPECT_THAT(ran, IsEmpty());
  EXPECT_TRUE((*loader)->LoadAlias("fake_scripted").ok());
  status = 1 << 8;  // exit 1
  EXPECT_FALSE((*loader)->LoadAlias("fake_scripted").ok());
  EXPECT_THAT(ran, ElementsAre("fake_scripted: setup-it ", "fake_scripted: setup-it "));
}

}  // namespace
}  // namespace baton::sys
