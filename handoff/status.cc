#include "handoff/status.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "handoff/log_pack.h"

namespace baton::handoff {
namespace {

std::string Millis(int64_t ns) { return absl::StrFormat("%.3f ms", ns / 1e6); }

std::string StateText(JobState state) {
  switch (state) {
    case JOB_STATE_WAITING:
      return "waiting";
    case JOB_STATE_STARTING:
      return "starting";
    case JOB_STATE_RUNNING:
      return "running";
    case JOB_STATE_STOPPING:
      return "stopping";
    case JOB_STATE_POST_STOP:
      return "post-stop";
    default:
      return absl::StrCat("state ", static_cast<int>(state));
  }
}

std::string TypeText(FdType type) {
  switch (type) {
    case FD_TYPE_REGULAR:
      return "regular";
    case FD_TYPE_DIRECTORY:
      return "directory";
    case FD_TYPE_CHAR_DEVICE:
      return "char";
    case FD_TYPE_BLOCK_DEVICE:
      return "block";
    case FD_TYPE_OTHER:
      return "socket/pipe";
    default:
      return "unchecked";
  }
}

}  // namespace

StatusReport ReportFromDecode(const DecodeResult& decoded) {
  StatusReport report;
  if (decoded.handoff != nullptr) report.handoff = *decoded.handoff;
  report.stateless_reason = decoded.stateless_reason;
  report.warnings = decoded.warnings;
  return report;
}

HandoffStatus ToProto(const StatusReport& report) {
  HandoffStatus s;
  s.set_reader_build(report.reader_build);
  s.set_reader_version(report.reader_version);
  s.set_uevents_replayed(report.uevents_replayed);
  if (!report.handoff) {
    s.set_stateless(true);
    s.set_stateless_reason(report.stateless_reason.empty() ? "no handoff"
                                                           : report.stateless_reason);
    for (const std::string& w : report.warnings) s.add_warnings(w);
    return s;
  }
  const Handoff& h = *report.handoff;
  s.set_producer_build(h.producer_build());
  s.set_producer_format_version(h.format_version());
  s.set_producer_min_reader_version(h.min_reader_version());
  std::vector<std::string> phase_warnings;
  for (int i = 1; i < h.timestamps_size(); ++i) {
    const Timestamp& a = h.timestamps(i - 1);
    const Timestamp& b = h.timestamps(i);
    HandoffStatus::Phase* phase = s.add_phases();
    phase->set_from(a.name());
    phase->set_to(b.name());
    int64_t d = b.monotonic_ns() - a.monotonic_ns();
    if (d < 0) {
      phase_warnings.push_back(absl::StrCat("timestamp ", b.name(), " is before ", a.name()));
      d = 0;
    }
    phase->set_duration_ns(d);
  }
  if (h.timestamps_size() > 2) {
    HandoffStatus::Phase* total = s.add_phases();
    total->set_from(h.timestamps(0).name());
    total->set_to(h.timestamps(h.timestamps_size() - 1).name());
    total->set_duration_ns(std::max<int64_t>(
        0, h.timestamps(h.timestamps_size() - 1).monotonic_ns() - h.timestamps(0).monotonic_ns()));
  }
  for (const JobInstance& inst : h.instances()) {
    HandoffStatus::Job* job = s.add_jobs();
    job->set_job(inst.job());
    job->set_instance(inst.instance());
    job->set_state(inst.state());
    job->set_pid(inst.pid());
    auto key = std::make_pair(inst.job(), inst.instance());
    if (report.adopted.count(key)) {
      job->set_outcome("adopted");
    } else if (report.restarted.count(key)) {
      job->set_outcome("restarted");
    } else {
      job->set_outcome(inst.pid() > 0 ? "carried" : "not running");
    }
  }
  uint64_t lines = LogLineCount(h.supervisor_log());
  uint64_t dropped = h.supervisor_log().dropped();
  for (const LogRing& ring : h.logs()) {
    lines += LogLineCount(ring);
    dropped += ring.dropped();
  }
  s.set_log_lines(lines);
  s.set_log_lines_dropped(dropped);
  s.set_events(h.events_size());
  s.set_uevents_queued(h.uevents_size());
  *s.mutable_fds() = h.fds();
  for (const std::string& w : h.warnings()) s.add_warnings(absl::StrCat("stage 1: ", w));
  for (const std::string& w : report.warnings) s.add_warnings(w);
  for (const std::string& w : phase_warnings) s.add_warnings(w);
  return s;
}

std::string FormatText(const StatusReport& report) {
  HandoffStatus s = ToProto(report);
  std::string out;
  if (s.stateless()) {
    absl::StrAppend(&out, "handoff: none, stage 2 started stateless: ", s.stateless_reason(), "\n");
  } else {
    absl::StrAppend(&out, "handoff: accepted\n");
    absl::StrAppendFormat(&out, "producer: %s, format %d (min reader %d)\n", s.producer_build(),
                          s.producer_format_version(), s.producer_min_reader_version());
  }
  absl::StrAppendFormat(&out, "reader:   %s, version %d\n", s.reader_build(), s.reader_version());
  if (!s.phases().empty()) {
    absl::StrAppend(&out, "phases:\n");
    for (const HandoffStatus::Phase& p : s.phases()) {
      absl::StrAppendFormat(&out, "  %-44s %12s\n", absl::StrCat(p.from(), " -> ", p.to()),
                            Millis(p.duration_ns()));
    }
  }
  if (!s.stateless()) {
    absl::StrAppendFormat(&out, "jobs (%d):\n", s.jobs_size());
    if (!s.jobs().empty()) {
      absl::StrAppendFormat(&out, "  %-20s %-20s %-10s %8s  %s\n", "JOB", "INSTANCE", "STATE",
                            "PID", "OUTCOME");
    }
    for (const HandoffStatus::Job& j : s.jobs()) {
      absl::StrAppendFormat(&out, "  %-20s %-20s %-10s %8d  %s\n", j.job(),
                            j.instance().empty() ? "-" : j.instance(), StateText(j.state()),
                            j.pid(), j.outcome());
    }
    absl::StrAppendFormat(&out, "log lines carried: %d (%d dropped before the switch)\n",
                          s.log_lines(), s.log_lines_dropped());
    absl::StrAppendFormat(&out, "events carried: %d\n", s.events());
    absl::StrAppendFormat(&out, "uevents: %d queued, %d replayed\n", s.uevents_queued(),
                          s.uevents_replayed());
    absl::StrAppendFormat(&out, "fds carried (%d):\n", s.fds_size());
    for (const FdEntry& fd : s.fds()) {
      absl::StrAppendFormat(&out, "  #%d %-24s %s\n", fd.index(), fd.role(), TypeText(fd.type()));
    }
  }
  absl::StrAppendFormat(&out, "warnings (%d):\n", s.warnings_size());
  for (const std::string& w : s.warnings()) absl::StrAppend(&out, "  - ", w, "\n");
  return out;
}

std::string FormatJson(const StatusReport& report) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(ToProto(report), &json, options);
  if (!status.ok()) return absl::StrCat("{\"error\":\"", status.ToString(), "\"}");
  return json;
}

}  // namespace baton::handoff
