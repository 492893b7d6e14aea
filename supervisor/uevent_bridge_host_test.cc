// Coldplug against this machine's own /sys, read-only: enumerating the
// buses and classes must find exactly the devices a walk of /sys/devices
// finds (every directory with a `uevent` file and a `subsystem` link),
// each with the subsystem that link names — natively, and following udevd
// (where each is triggered). The fake sysfs of uevent_bridge_test.cc cannot
// show that the real one has no device the enumeration misses. Nothing is
// written: the kernel below only records writes, nodes and links.
#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "supervisor/uevent_bridge.h"
#include "sys/fake_block_prober.h"
#include "sys/fake_module_loader.h"
#include "sys/linux_kernel.h"

namespace baton::supervisor {
namespace {

namespace fs = std::filesystem;

// DEVPATH -> SUBSYSTEM, by walking SYS/devices without following symlinks.
std::map<std::string, std::string> WalkDevices(const std::string& sys) {
  std::map<std::string, std::string> found;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(sys + "/devices",
                                           fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
    const fs::path dir = it->path();
    if (!fs::exists(dir / "uevent", ec) || !fs::is_symlink(dir / "subsystem", ec)) continue;
    found[dir.string().substr(sys.size())] =
        fs::read_symlink(dir / "subsystem", ec).filename().string();
  }
  return found;
}

// The real kernel for reading; writes, nodes and links only recorded.
class ReadOnlyKernel : public sys::LinuxKernel {
 public:
  absl::Status WriteFile(const std::string& path, absl::string_view, mode_t) override {
    written.push_back(path);
    return absl::OkStatus();
  }
  absl::Status Mknod(const std::string&, mode_t, dev_t) override { return absl::OkStatus(); }
  absl::Status Symlink(const std::string&, const std::string&) override {
    return absl::OkStatus();
  }
  absl::Status MkdirAll(const std::string&, mode_t) override { return absl::OkStatus(); }
  absl::Status Unlink(const std::string&) override { return absl::OkStatus(); }
  std::vector<std::string> written;
};

TEST(UeventBridgeHostTest, ColdplugFindsWhatAWalkOfSysDevicesFinds) {
  ASSERT_TRUE(fs::exists("/sys/bus/")) << "no sysfs at /sys";
  ReadOnlyKernel kernel;
  sys::FakeModuleLoader modules;
  sys::FakeBlockProber prober;
  std::map<std::string, std::string> emitted;
  UeventBridge::Options options;
  options.dev_root = "/nonexistent-baton-test-dev";
  UeventBridge bridge(
      kernel, modules, prober,
      [&emitted](std::string, Env env) {
        std::string devpath, subsystem;
        for (const auto& [k, v] : env) {
          if (k == "DEVPATH") devpath = v;
          if (k == "SUBSYSTEM") subsystem = v;
        }
        emitted[devpath] = subsystem;
      },
      options);
  ASSERT_TRUE(bridge.Coldplug().ok());
  std::map<std::string, std::string> walked = WalkDevices("/sys");
  ASSERT_GT(walked.size(), 10u);
  // Named one by one: the whole maps would be hundreds of lines.
  std::vector<std::string> missing, extra;
  for (const auto& [devpath, subsystem] : walked) {
    auto it = emitted.find(devpath);
    if (it == emitted.end() || it->second != subsystem) missing.push_back(devpath + " " + subsystem);
  }
  for (const auto& [devpath, subsystem] : emitted) {
    auto it = walked.find(devpath);
    if (it == walked.end() || it->second != subsystem) extra.push_back(devpath + " " + subsystem);
  }
  EXPECT_THAT(missing, ::testing::IsEmpty());
  EXPECT_THAT(extra, ::testing::IsEmpty());
  EXPECT_THAT(kernel.written, ::testing::IsEmpty());

  // Following udevd: the same devices, each triggered once.
  options.group = 2;
  UeventBridge following(kernel, modules, prober, [](std::string, Env) {}, options);
  ASSERT_TRUE(following.Coldplug().ok());
  std::vector<std::string> want;
  for (const auto& [devpath, subsystem] : walked) want.push_back("/sys" + devpath + "/uevent");
  std::sort(want.begin(), want.end());
  std::sort(kernel.written.begin(), kernel.written.end());
  EXPECT_EQ(kernel.written, want);
}

}  // namespace
}  // namespace baton::supervisor
