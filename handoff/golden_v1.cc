#include "handoff/golden_v1.h"

#include <string>

namespace baton::handoff {
namespace {

void Kv(google::protobuf::RepeatedPtrField<KeyValue>* env, const std::string& k,
        const std::string& v) {
  KeyValue* kv = env->Add();
  kv->set_key(k);
  kv->set_value(v);
}

void Stamp(Handoff* h, const std::string& name, int64_t mono_ms) {
  Timestamp* t = h->add_timestamps();
  t->set_name(name);
  t->set_monotonic_ns(mono_ms * 1000000);
  t->set_realtime_ns(1767225600000000000 + mono_ms * 1000000);  // 2026-01-01T00:00:00Z + mono
}

}  // namespace

Handoff GoldenV1() {
  Handoff h;
  // Literal values, not handoff/version.h: this is what format 1 wrote.
  h.set_format_version(1);
  h.set_min_reader_version(1);
  h.set_producer_build("baton 0.1.0");

  Stamp(&h, "stage1-start", 400);
  Stamp(&h, "root-step:md0", 900);
  Stamp(&h, "root-step:luks-5a1c", 1700);
  Stamp(&h, "root-mounted", 1850);
  Stamp(&h, "switch-start", 1860);
  Stamp(&h, "exec", 1872);
  Stamp(&h, "stage2-ready", 1890);

  KernelCommandLine* cmd = h.mutable_cmdline();
  cmd->set_raw("root=UUID=0f3c rd.luks.uuid=5a1c ro quiet");
  Kv(cmd->mutable_params(), "root", "UUID=0f3c");
  Kv(cmd->mutable_params(), "rd.luks.uuid", "5a1c");
  Kv(cmd->mutable_params(), "ro", "");
  Kv(cmd->mutable_params(), "quiet", "");

  JobInstance* mdmon = h.add_instances();
  mdmon->set_job("mdmon");
  mdmon->set_instance("md0");
  mdmon->set_goal(JOB_GOAL_START);
  mdmon->set_state(JOB_STATE_RUNNING);
  mdmon->set_pid(212);
  mdmon->set_phase(JOB_PHASE_MAIN);
  ExitRecord* exit = mdmon->add_exits();
  exit->set_pid(180);
  exit->set_signal(9);
  exit->set_monotonic_ns(850000000);
  exit->set_phase(JOB_PHASE_MAIN);
  mdmon->set_respawns(1);
  mdmon->set_respawn_window_start_ns(850000000);
  mdmon->set_runs(2);
  Kv(mdmon->mutable_env(), "MD_UUID", "9d2e");
  Kv(mdmon->mutable_env(), "DEVNAME", "/dev/md0");

  JobInstance* unlock = h.add_instances();
  unlock->set_job("cryptsetup");
  unlock->set_instance("5a1c");
  unlock->set_goal(JOB_GOAL_STOP);
  unlock->set_state(JOB_STATE_WAITING);
  unlock->set_phase(JOB_PHASE_MAIN);
  ExitRecord* done = unlock->add_exits();
  done->set_pid(301);
  done->set_exit_status(0);
  done->set_monotonic_ns(1690000000);
  done->set_phase(JOB_PHASE_MAIN);
  unlock->set_runs(1);
  Kv(unlock->mutable_env(), "ID_FS_UUID", "5a1c");

  JobInstance* fsck = h.add_instances();
  fsck->set_job("fsck-root");
  fsck->set_goal(JOB_GOAL_STOP);
  fsck->set_state(JOB_STATE_WAITING);
  fsck->set_runs(1);
  fsck->set_failed(true);
  fsck->set_failure("main exit 4");

  Event* e1 = h.add_events();
  e1->set_seq(1);
  e1->set_name("initramfs");
  e1->set_monotonic_ns(400000000);
  Event* e2 = h.add_events();
  e2->set_seq(2);
  e2->set_name("block-device-added");
  Kv(e2->mutable_env(), "DEVNAME", "/dev/sda1");
  Kv(e2->mutable_env(), "ID_FS_TYPE", "linux_raid_member");
  e2->set_monotonic_ns(610000000);
  Event* e3 = h.add_events();
  e3->set_seq(3);
  e3->set_name("root-mounted");
  e3->set_monotonic_ns(1850000000);

  LogRing* ring = h.add_logs();
  ring->set_job("mdmon");
  ring->set_instance("md0");
  ring->set_dropped(3);
  LogLine* l1 = ring->add_lines();
  l1->set_since_start_ns(901000000);
  l1->set_text("mdmon: monitoring md0");
  LogLine* l2 = ring->add_lines();
  l2->set_since_start_ns(1500000000);
  l2->set_text("mdmon: md0 clean");

  LogRing* sup = h.mutable_supervisor_log();
  LogLine* s1 = sup->add_lines();
  s1->set_since_start_ns(1000);
  s1->set_text("baton 0.1.0 starting in the initramfs");
  LogLine* s2 = sup->add_lines();
  s2->set_since_start_ns(1860000000);
  s2->set_text("switching root to /root");

  QueuedUevent* u = h.add_uevents();
  u->set_datagram(
      std::string("add@/devices/virtual/block/sdb\0ACTION=add\0DEVPATH=/devices/"
                  "virtual/block/sdb\0SUBSYSTEM=block\0SEQNUM=1042\0",
                  105));
  u->set_group(1);
  u->set_monotonic_ns(1865000000);

  FdEntry* fd0 = h.add_fds();
  fd0->set_index(0);
  fd0->set_role("uevent-socket");
  fd0->set_type(FD_TYPE_OTHER);
  FdEntry* fd1 = h.add_fds();
  fd1->set_index(1);
  fd1->set_role("log-pipe:mdmon/md0");
  fd1->set_type(FD_TYPE_OTHER);

  h.add_warnings("job plymouth: not carried (stage initramfs only)");
  return h;
}

}  // namespace baton::handoff
