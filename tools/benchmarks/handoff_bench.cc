// tools/bench handoff: how long the handoff takes to encode and decode.
//
// Builds a handoff the size of a busy initramfs: 200 job instances (8 env
// entries and 3 exit records each), 10,000 log lines (50 per job ring, the
// rest in the supervisor's ring), 500 events (2 env entries each) and 1,000
// queued uevents of about 300 bytes, log lines and environments packed as
// collect.cc writes them; then encodes (frame + CRC-32C) and decodes it (CRC,
// parse, per-item validation) for 51 rounds and prints the medians and the
// encoded size.
//
// The machines are shared: besides the wall-clock median it prints the
// fastest round and the median thread CPU time, which other processes on
// the machine disturb much less.
//
// Aims (issue 4): encode + decode under 5 ms together; under 2 MiB.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "handoff/codec.h"
#include "handoff/env_pack.h"
#include "handoff/log_pack.h"

namespace baton::handoff {
namespace {

void Kv(google::protobuf::RepeatedPtrField<KeyValue>* env, std::string k, std::string v) {
  KeyValue* kv = env->Add();
  kv->set_key(std::move(k));
  kv->set_value(std::move(v));
}

Handoff BigHandoff() {
  Handoff h;
  StampVersion(&h);
  int64_t t = 400000000;
  for (const char* name : {"stage1-start", "root-step:md0", "root-step:luks-1", "root-mounted",
                           "switch-start", "exec"}) {
    Timestamp* ts = h.add_timestamps();
    ts->set_name(name);
    ts->set_monotonic_ns(t += 100000000);
    ts->set_realtime_ns(1767225600000000000 + t);
  }
  h.mutable_cmdline()->set_raw("root=UUID=0f3c-11aa rd.luks.uuid=5a1c ro quiet");
  Kv(h.mutable_cmdline()->mutable_params(), "root", "UUID=0f3c-11aa");
  int line = 0;
  for (int j = 0; j < 200; ++j) {
    JobInstance* inst = h.add_instances();
    inst->set_job(absl::StrCat("job-", j));
    inst->set_instance(j % 2 ? absl::StrCat("dev-sd", j) : "");
    inst->set_goal(JOB_GOAL_START);
    inst->set_state(JOB_STATE_RUNNING);
    inst->set_pid(1000 + j);
    inst->set_phase(JOB_PHASE_MAIN);
    for (int e = 0; e < 3; ++e) {
      ExitRecord* x = inst->add_exits();
      x->set_pid(500 + j * 3 + e);
      x->set_exit_status(e);
      x->set_monotonic_ns(t + e);
    }
    inst->set_runs(4);
    for (int e = 0; e < 8; ++e) {
      PackEnvEntry(inst->mutable_packed_env(), absl::StrCat("VAR_", e),
                   absl::StrCat("/dev/disk/by-id/value-", j));
    }
    LogRing* ring = h.add_logs();
    ring->set_job(inst->job());
    ring->set_instance(inst->instance());
    for (int l = 0; l < 50; ++l, ++line) {
      AppendLogLine(ring, t + line * 1000,
                    absl::StrCat(inst->job(), ": a typical log line number ", l,
                                 " with some detail about a device"));
    }
  }
  while (line < 10000) {
    AppendLogLine(h.mutable_supervisor_log(), t + line * 1000,
                  absl::StrCat("baton: supervisor line ", line));
    ++line;
  }
  for (int e = 0; e < 500; ++e) {
    Event* ev = h.add_events();
    ev->set_seq(e + 1);
    ev->set_name("block-device-added");
    PackEnvEntry(ev->mutable_packed_env(), "DEVNAME", absl::StrCat("/dev/sd", e));
    PackEnvEntry(ev->mutable_packed_env(), "ID_FS_TYPE", "ext4");
    ev->set_monotonic_ns(t + e);
  }
  for (int u = 0; u < 1000; ++u) {
    std::string d = absl::StrCat("add@/devices/pci0000:00/0000:00:1f.2/ata1/host0/block/sd", u);
    d.push_back('\0');
    for (const std::string& kv :
         {absl::StrCat("ACTION=add"), absl::StrCat("DEVPATH=/devices/pci0000:00/block/sd", u),
          std::string("SUBSYSTEM=block"), absl::StrCat("DEVNAME=/dev/sd", u),
          std::string("DEVTYPE=disk"), absl::StrCat("SEQNUM=", 4000 + u), std::string("MAJOR=8"),
          absl::StrCat("MINOR=", u % 256)}) {
      d += kv;
      d.push_back('\0');
    }
    QueuedUevent* q = h.add_uevents();
    q->set_datagram(d);
    q->set_group(1);
    q->set_monotonic_ns(t + u);
  }
  for (int i = 0; i < 3; ++i) {
    FdEntry* fd = h.add_fds();
    fd->set_index(i);
    fd->set_role(i == 0 ? "uevent-socket" : absl::StrCat("log-pipe:job-", i));
    fd->set_type(FD_TYPE_OTHER);
  }
  return h;
}

double CpuMs() {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace
}  // namespace baton::handoff

int main() {
  using namespace baton::handoff;
  Handoff h = BigHandoff();
  constexpr int kRounds = 51;
  std::vector<double> enc_ms, dec_ms, total_ms, cpu_ms;
  size_t size = 0;
  for (int r = 0; r < kRounds; ++r) {
    double c0 = CpuMs();
    absl::Time t0 = absl::Now();
    absl::StatusOr<std::string> bytes = Encode(h);
    absl::Time t1 = absl::Now();
    if (!bytes.ok()) {
      std::fprintf(stderr, "encode: %s\n", bytes.status().ToString().c_str());
      return 1;
    }
    DecodeResult result = Decode(*bytes);
    absl::Time t2 = absl::Now();
    double c2 = CpuMs();
    if (!result.ok() || !result.warnings.empty() || result.handoff->instances_size() != 200) {
      std::fprintf(stderr, "decode: %s\n", result.stateless_reason.c_str());
      return 1;
    }
    if (r == 0) {  // outside the timed part: everything came back
      size_t lines = LogLineCount(result.handoff->supervisor_log());
      for (const LogRing& ring : result.handoff->logs()) lines += LogLineCount(ring);
      size_t env = 0;
      auto count = [&env](absl::string_view, absl::string_view) { ++env; };
      for (const JobInstance& inst : result.handoff->instances()) ForEachEnv(inst, count);
      for (const Event& event : result.handoff->events()) ForEachEnv(event, count);
      if (lines != 10000 || env != 200 * 8 + 500 * 2 || result.handoff->uevents_size() != 1000 ||
          result.handoff->events_size() != 500) {
        std::fprintf(stderr, "decode: %zu log lines, %zu env entries, %d uevents, %d events\n",
                     lines, env, result.handoff->uevents_size(), result.handoff->events_size());
        return 1;
      }
    }
    size = bytes->size();
    enc_ms.push_back(absl::ToDoubleMilliseconds(t1 - t0));
    dec_ms.push_back(absl::ToDoubleMilliseconds(t2 - t1));
    total_ms.push_back(absl::ToDoubleMilliseconds(t2 - t0));
    cpu_ms.push_back(c2 - c0);
  }
  std::printf("handoff (200 jobs, 10000 log lines, 1000 uevents, 500 events), median of %d:\n",
              kRounds);
  std::printf("  encode %.2f ms, decode %.2f ms, together %.2f ms (aim < 5 ms)\n", Median(enc_ms),
              Median(dec_ms), Median(total_ms));
  std::printf("  together: fastest round %.2f ms, median thread CPU time %.2f ms\n",
              *std::min_element(total_ms.begin(), total_ms.end()), Median(cpu_ms));
  std::printf("  encoded size %zu bytes = %.2f MiB (aim < 2 MiB)\n", size,
              size / (1024.0 * 1024.0));
  return 0;
}
