#include "supervisor/uevent.h"

#include <arpa/inet.h>

#include <cstring>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::supervisor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

std::string Z(std::initializer_list<std::string> parts) {
  std::string out;
  for (const auto& p : parts) {
    out += p;
    out.push_back('\0');
  }
  return out;
}

const std::string kVdaPath = "/devices/pci0000:00/0000:00:03.0/virtio0/block/vda";

std::string KernelVda() {
  return Z({"add@" + kVdaPath, "ACTION=add", "DEVPATH=" + kVdaPath, "SUBSYSTEM=block", "MAJOR=254",
            "MINOR=0", "DEVNAME=vda", "DEVTYPE=disk", "DISKSEQ=1", "SEQNUM=812"});
}

std::string Libudev(const std::string& props, uint32_t magic = 0xfeedcafe) {
  std::string out(40, '\0');
  std::memcpy(out.data(), "libudev", 8);
  uint32_t be = htonl(magic);
  std::memcpy(out.data() + 8, &be, 4);
  uint32_t header = 40, off = 40, len = props.size();
  std::memcpy(out.data() + 12, &header, 4);
  std::memcpy(out.data() + 16, &off, 4);
  std::memcpy(out.data() + 20, &len, 4);
  return out + props;
}

TEST(ParseUeventTest, KernelFormat) {
  auto ev = ParseUevent(KernelVda());
  ASSERT_TRUE(ev.ok()) << ev.status();
  EXPECT_EQ(ev->action, "add");
  EXPECT_EQ(ev->devpath, kVdaPath);
  EXPECT_EQ(ev->subsystem, "block");
  EXPECT_EQ(ev->devtype, "disk");
  EXPECT_EQ(ev->devname, "vda");
  EXPECT_EQ(ev->major, 254u);
  EXPECT_EQ(ev->minor, 0u);
  EXPECT_EQ(ev->seqnum, 812u);
  EXPECT_FALSE(ev->from_udevd);
  EXPECT_EQ(ev->Get("DISKSEQ"), "1");
  EXPECT_EQ(ev->props.size(), 9u);
  EXPECT_THAT(ev->props.front(), Pair("ACTION", "add"));
}

TEST(ParseUeventTest, ModaliasAndNoDevname) {
  auto ev = ParseUevent(Z({"add@/devices/pci0000:00/0000:00:03.0/virtio0", "ACTION=add",
                           "DEVPATH=/devices/pci0000:00/0000:00:03.0/virtio0",
                           "SUBSYSTEM=virtio", "MODALIAS=virtio:d00000002v00001AF4",
                           "SEQNUM=700"}));
  ASSERT_TRUE(ev.ok()) << ev.status();
  EXPECT_EQ(ev->modalias, "virtio:d00000002v00001AF4");
  EXPECT_FALSE(ev->major.has_value());
  EXPECT_EQ(ev->devname, "");
}

TEST(ParseUeventTest, LibudevFormat) {
  std::string props = Z({"ACTION=change", "DEVPATH=" + kVdaPath, "SUBSYSTEM=block",
                         "DEVNAME=/dev/vda", "ID_FS_TYPE=ext4", "SEQNUM=900"});
  auto ev = ParseUevent(Libudev(props));
  ASSERT_TRUE(ev.ok()) << ev.status();
  EXPECT_TRUE(ev->from_udevd);
  EXPECT_EQ(ev->action, "change");
  EXPECT_EQ(ev->devname, "/dev/vda");
  EXPECT_EQ(ev->Get("ID_FS_TYPE"), "ext4");
}

TEST(ParseUeventTest, LibudevBadMagicOrBoundsRejected) {
  std::string props = Z({"ACTION=add", "DEVPATH=/devices/x", "SUBSYSTEM=block"});
  EXPECT_FALSE(ParseUevent(Libudev(props, 0xdeadbeef)).ok());
  std::string d = Libudev(props);
  uint32_t len = 1000;
  std::memcpy(d.data() + 20, &len, 4);
  EXPECT_THAT(std::string(ParseUevent(d).status().message()), HasSubstr("out of bounds"));
  EXPECT_FALSE(ParseUevent(d.substr(0, 20)).ok());
}

TEST(ParseUeventTest, MalformedKernelDatagramsRejected) {
  const std::string p = "DEVPATH=/devices/x";
  EXPECT_FALSE(ParseUevent("").ok());
  EXPECT_FALSE(ParseUevent("add@/devices/x").ok());  // no properties
  EXPECT_FALSE(ParseUevent(Z({"add/devices/x", "ACTION=add", p, "SUBSYSTEM=s"})).ok());
  EXPECT_FALSE(ParseUevent(Z({"@/devices/x", "ACTION=add", p, "SUBSYSTEM=s"})).ok());
  EXPECT_FALSE(ParseUevent(Z({"add@/devices/x", p, "SUBSYSTEM=s"})).ok());  // no ACTION
  EXPECT_FALSE(ParseUevent(Z({"add@/devices/x", "ACTION=add", p})).ok());   // no SUBSYSTEM
  EXPECT_FALSE(ParseUevent(Z({"add@/devices/x", "ACTION=add", p, "SUBSYSTEM=s", "junk"})).ok());
  EXPECT_FALSE(
      ParseUevent(Z({"add@/devices/x", "ACTION=add", p, "SUBSYSTEM=s", "MAJOR=-1"})).ok());
  EXPECT_FALSE(
      ParseUevent(Z({"add@/devices/x", "ACTION=add", p, "SUBSYSTEM=s", "SEQNUM=1x"})).ok());
  EXPECT_FALSE(  // head disagrees with the properties
      ParseUevent(Z({"remove@/devices/x", "ACTION=add", p, "SUBSYSTEM=s"})).ok());
  EXPECT_FALSE(
      ParseUevent(Z({"add@/devices/x", "ACTION=add", "DEVPATH=devices/x", "SUBSYSTEM=s"})).ok());
}

// Every prefix, and random corruptions, of valid datagrams: parsed or
// rejected, never a crash (ASan checks the bounds).
TEST(ParseUeventTest, TruncatedAndGarbageNeverCrash) {
  std::string props = Z({"ACTION=add", "DEVPATH=/devices/x", "SUBSYSTEM=block", "MAJOR=8"});
  for (const std::string& good : {KernelVda(), Libudev(props)}) {
    ASSERT_TRUE(ParseUevent(good).ok());
    for (size_t n = 0; n < good.size(); ++n) (void)ParseUevent(good.substr(0, n));
    std::mt19937 rng(42);
    for (int i = 0; i < 2000; ++i) {
      std::string bad = good;
      int flips = 1 + rng() % 4;
      for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] = static_cast<char>(rng());
      (void)ParseUevent(bad);
    }
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 100, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    if (i % 2) junk.replace(0, std::min<size_t>(8, junk.size()), std::string("libudev\0", 8));
    (void)ParseUevent(junk);
  }
}

TEST(EncodeKernelUeventTest, RoundTrips) {
  auto ev = ParseUevent(KernelVda());
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(EncodeKernelUevent(*ev), KernelVda());
}

TEST(ParseUeventFileTest, ReadsAssignmentsSkipsOtherLines) {
  EXPECT_THAT(ParseUeventFile("MAJOR=254\nMINOR=1\n\nnot a line\nDEVNAME=vda1\nPARTN=1\n"),
              ElementsAre(Pair("MAJOR", "254"), Pair("MINOR", "1"), Pair("DEVNAME", "vda1"),
                          Pair("PARTN", "1")));
}

}  // namespace
}  // namespace baton::supervisor
