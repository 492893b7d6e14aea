#include "handoff/validate.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handoff/env_pack.h"
#include "handoff/log_pack.h"

namespace baton::handoff {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

JobInstance* AddInstance(Handoff* h, const std::string& job, const std::string& instance, int pid) {
  JobInstance* inst = h->add_instances();
  inst->set_job(job);
  inst->set_instance(instance);
  inst->set_pid(pid);
  return inst;
}

TEST(ValidateTest, ValidHandoffUntouched) {
  Handoff h;
  AddInstance(&h, "a", "", 10);
  h.add_events()->set_name("startup");
  h.add_logs()->set_job("a");
  QueuedUevent* u = h.add_uevents();
  u->set_datagram("add@/x");
  u->set_group(2);
  Handoff before = h;
  EXPECT_THAT(Sanitize(&h), IsEmpty());
  EXPECT_EQ(h.SerializeAsString(), before.SerializeAsString());
}

TEST(ValidateTest, BadInstancesSkippedOneWarningEach) {
  Handoff h;
  AddInstance(&h, "good", "x", 10);
  AddInstance(&h, "", "orphan", 11);
  AddInstance(&h, "init", "", 1);
  AddInstance(&h, "neg", "", -5);
  AddInstance(&h, "good", "x", 12);
  AddInstance(&h, "stopped", "", 0);
  std::vector<std::string> w = Sanitize(&h);
  ASSERT_EQ(h.instances_size(), 2);
  EXPECT_EQ(h.instances(0).job(), "good");
  EXPECT_EQ(h.instances(0).pid(), 10);
  EXPECT_EQ(h.instances(1).job(), "stopped");
  ASSERT_THAT(w, SizeIs(4));
  EXPECT_THAT(w[0], HasSubstr("empty job name"));
  EXPECT_THAT(w[1], HasSubstr("job init: invalid pid 1"));
  EXPECT_THAT(w[2], HasSubstr("invalid pid -5"));
  EXPECT_THAT(w[3], HasSubstr("job good/x: duplicate instance"));
}

TEST(ValidateTest, ExitHistoryCappedKeepingNewest) {
  Handoff h;
  JobInstance* inst = AddInstance(&h, "flappy", "", 0);
  for (int i = 0; i < kMaxExits + 4; ++i) inst->add_exits()->set_pid(100 + i);
  std::vector<std::string> w = Sanitize(&h);
  ASSERT_EQ(h.instances(0).exits_size(), kMaxExits);
  EXPECT_EQ(h.instances(0).exits(0).pid(), 104);
  EXPECT_THAT(w, Contains(HasSubstr("4 oldest exit records dropped")));
}

TEST(ValidateTest, SecretsAndKeylessEnvDropped) {
  Handoff h;
  JobInstance* inst = AddInstance(&h, "unlock", "", 0);
  for (const char* k : {"DEVNAME", "LUKS_PASSPHRASE", ""}) {
    KeyValue* kv = inst->add_env();
    kv->set_key(k);
    kv->set_value("hunter2");
  }
  Event* e = h.add_events();
  e->set_name("x");
  e->set_seq(4);
  e->add_env()->set_key("API_TOKEN");
  std::vector<std::string> w = Sanitize(&h);
  ASSERT_EQ(h.instances(0).env_size(), 1);
  EXPECT_EQ(h.instances(0).env(0).key(), "DEVNAME");
  EXPECT_EQ(h.events(0).env_size(), 0);
  EXPECT_THAT(w, Contains("job unlock: secret environment dropped: LUKS_PASSPHRASE"));
  EXPECT_THAT(w, Contains("event #4 x: secret environment dropped: API_TOKEN"));
  for (const std::string& line : w) EXPECT_THAT(line, ::testing::Not(HasSubstr("hunter2")));
}

TEST(ValidateTest, OversizedLogLinesCountedAsDropped) {
  Handoff h;
  LogRing* ring = h.add_logs();
  ring->set_job("chatty");
  ring->set_dropped(2);
  ring->add_lines()->set_text("ok");
  ring->add_lines()->set_text(std::string(kMaxLogLineBytes + 1, 'x'));
  ring->add_lines()->set_text(std::string(kMaxLogLineBytes, 'y'));
  h.mutable_supervisor_log()->add_lines()->set_text(std::string(kMaxLogLineBytes + 1, 'z'));
  h.add_logs()->set_instance("no-job");
  std::vector<std::string> w = Sanitize(&h);
  ASSERT_EQ(h.logs_size(), 1);
  EXPECT_EQ(h.logs(0).lines_size(), 2);
  EXPECT_EQ(h.logs(0).dropped(), 3u);
  EXPECT_EQ(h.supervisor_log().lines_size(), 0);
  EXPECT_THAT(w, Contains(HasSubstr("log chatty: 1 lines over")));
  EXPECT_THAT(w, Contains(HasSubstr("log supervisor: 1 lines over")));
  EXPECT_THAT(w, Contains(HasSubstr("without a job skipped")));
}

std::vector<std::string> Texts(const LogRing& ring) {
  std::vector<std::string> texts;
  ForEachLogLine(ring, [&](int64_t, absl::string_view text) { texts.emplace_back(text); });
  return texts;
}

TEST(ValidateTest, OversizedPackedLinesCountedAsDropped) {
  Handoff h;
  LogRing* ring = h.add_logs();
  ring->set_job("chatty");
  ring->set_dropped(2);
  AppendLogLine(ring, 1, "ok");
  AppendLogLine(ring, 2, std::string(kMaxLogLineBytes + 1, 'x'));
  AppendLogLine(ring, 3, std::string(kMaxLogLineBytes, 'y'));
  AppendLogLine(h.mutable_supervisor_log(), 4, std::string(kMaxLogLineBytes + 1, 'z'));
  AppendLogLine(h.mutable_supervisor_log(), 5, "fine");
  std::vector<std::string> w = Sanitize(&h);
  EXPECT_THAT(Texts(h.logs(0)), ::testing::ElementsAre("ok", std::string(kMaxLogLineBytes, 'y')));
  EXPECT_EQ(h.logs(0).dropped(), 3u);
  EXPECT_THAT(Texts(h.supervisor_log()), ::testing::ElementsAre("fine"));
  EXPECT_EQ(h.supervisor_log().dropped(), 1u);
  EXPECT_THAT(w, Contains(HasSubstr("log chatty: 1 lines over")));
  EXPECT_THAT(w, Contains(HasSubstr("log supervisor: 1 lines over")));
}

TEST(ValidateTest, DamagedPackedLinesKeepWhatReadsAndSkipTheRest) {
  Handoff h;
  LogRing* ring = h.add_logs();
  ring->set_job("cut");
  ring->set_instance("i");
  AppendLogLine(ring, 1, "one");
  AppendLogLine(ring, 2, "two");
  size_t good = ring->packed_lines().size();
  AppendLogLine(ring, 3, "three is cut off");
  ring->mutable_packed_lines()->resize(ring->packed_lines().size() - 4);
  std::vector<std::string> w = Sanitize(&h);
  EXPECT_THAT(Texts(h.logs(0)), ::testing::ElementsAre("one", "two"));
  EXPECT_EQ(h.logs(0).packed_lines().size(), good);
  EXPECT_THAT(w,
              ::testing::ElementsAre(absl::StrCat("log cut/i: packed lines damaged at byte ", good,
                                                  " of ", good + 21, ", the rest skipped")));
}

TEST(ValidateTest, CleanPackedLinesUntouched) {
  Handoff h;
  LogRing* ring = h.add_logs();
  ring->set_job("quiet");
  AppendLogLine(ring, 1, "a");
  std::string before = ring->packed_lines();
  EXPECT_THAT(Sanitize(&h), IsEmpty());
  EXPECT_EQ(h.logs(0).packed_lines(), before);
}

TEST(ValidateTest, PackedEnvironmentsLoseSecretsAndEmptyKeys) {
  Handoff h;
  JobInstance* inst = AddInstance(&h, "unlock", "u1", 300);
  PackEnvEntry(inst->mutable_packed_env(), "DEVNAME", "/dev/sda");
  PackEnvEntry(inst->mutable_packed_env(), "PASSPHRASE", "hunter2");
  PackEnvEntry(inst->mutable_packed_env(), "", "orphan");
  PackEnvEntry(inst->mutable_packed_env(), "KEYMAP", "de");
  Event* event = h.add_events();
  event->set_seq(4);
  event->set_name("emitted");
  PackEnvEntry(event->mutable_packed_env(), "API_TOKEN", "t0k");
  std::vector<std::string> w = Sanitize(&h);
  std::string want;
  PackEnvEntry(&want, "DEVNAME", "/dev/sda");
  PackEnvEntry(&want, "KEYMAP", "de");
  EXPECT_EQ(h.instances(0).packed_env(), want);
  EXPECT_EQ(h.events(0).packed_env(), "");
  EXPECT_THAT(w, Contains("job unlock/u1: secret environment dropped: PASSPHRASE"));
  EXPECT_THAT(w, Contains("job unlock/u1: 1 environment entries without a key dropped"));
  EXPECT_THAT(w, Contains("event #4 emitted: secret environment dropped: API_TOKEN"));
  for (const std::string& line : w) EXPECT_THAT(line, ::testing::Not(HasSubstr("hunter2")));
}

TEST(ValidateTest, DamagedPackedEnvironmentSkipsItsOwner) {
  Handoff h;
  JobInstance* bad = AddInstance(&h, "bad", "", 300);
  PackEnvEntry(bad->mutable_packed_env(), "A", "1");
  bad->mutable_packed_env()->append(
      "\x05"
      "ab");
  AddInstance(&h, "good", "", 301);
  Event* event = h.add_events();
  event->set_seq(9);
  event->set_name("cut");
  event->set_packed_env(
      "\x03"
      "AB");
  std::vector<std::string> w = Sanitize(&h);
  ASSERT_EQ(h.instances_size(), 1);
  EXPECT_EQ(h.instances(0).job(), "good");
  EXPECT_EQ(h.events_size(), 0);
  EXPECT_THAT(w, Contains("job bad: packed environment damaged at byte 4 of 7, skipped"));
  EXPECT_THAT(w, Contains("event #9 cut: packed environment damaged at byte 0 of 3, skipped"));
}

TEST(ValidateTest, BadUeventsFdsAndTimestampsSkipped) {
  Handoff h;
  h.add_uevents()->set_group(1);  // empty
  QueuedUevent* big = h.add_uevents();
  big->set_datagram(std::string(kMaxUeventBytes + 1, 'a'));
  big->set_group(1);
  QueuedUevent* odd = h.add_uevents();
  odd->set_datagram("add@/x");
  odd->set_group(7);
  QueuedUevent* good = h.add_uevents();
  good->set_datagram("add@/y");
  good->set_group(1);
  FdEntry* f0 = h.add_fds();
  f0->set_index(0);
  f0->set_role("uevent-socket");
  FdEntry* f1 = h.add_fds();
  f1->set_index(0);
  f1->set_role("control-socket");
  h.add_fds()->set_index(1);
  h.add_timestamps();
  h.add_timestamps()->set_name("exec");
  std::vector<std::string> w = Sanitize(&h);
  ASSERT_EQ(h.uevents_size(), 1);
  EXPECT_EQ(h.uevents(0).datagram(), "add@/y");
  ASSERT_EQ(h.fds_size(), 1);
  EXPECT_EQ(h.fds(0).role(), "uevent-socket");
  ASSERT_EQ(h.timestamps_size(), 1);
  EXPECT_THAT(w, SizeIs(6));
  EXPECT_THAT(w, Contains(HasSubstr("netlink group 7")));
  EXPECT_THAT(w, Contains(HasSubstr("duplicate index")));
}

}  // namespace
}  // namespace baton::handoff
