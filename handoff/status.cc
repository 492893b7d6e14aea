#include "handoff/status.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "handoff/log_pack.h"
#include "sys/str_printf.h"

namespace baton::handoff {
namespace {

std::string Millis(int64_t ns) { return sys::StrPrintf("%.3f ms", ns / 1e6); }

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

// A JSON string literal. Escapes as protobuf's JSON printer does: quote,
// backslash, control characters (short forms where JSON has them), DEL, and
// '<' '>' as \u003c \u003e; other bytes pass through.
std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          sys::StrAppendPrintf(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// An enum value by name; a value the enum does not know as its number.
std::string JsonEnum(bool known, const std::string& name, int value) {
  return known ? JsonString(name) : absl::StrCat(value);
}

// Appends "NAME":VALUE (VALUE already JSON) to OUT, a comma first unless FIRST.
void JsonField(std::string* out, absl::string_view name, absl::string_view value,
               bool first = false) {
  absl::StrAppend(out, first ? "" : ",", "\"", name, "\":", value);
}

}  // namespace

std::string KindText(HandoffKind kind) {
  return kind == HANDOFF_KIND_REEXEC ? "re-exec" : "switch";
}

StatusReport ReportFromDecode(const DecodeResult& decoded) {
  StatusReport report;
  if (decoded.handoff != nullptr) report.handoff = std::make_shared<Handoff>(*decoded.handoff);
  report.stateless_reason = decoded.stateless_reason;
  report.warnings = decoded.warnings;
  return report;
}

StatusReport ReportFromDecode(DecodeResult&& decoded) {
  StatusReport report;
  if (decoded.handoff != nullptr) {
    if (decoded.arena != nullptr) {
      // Owns the arena; points at the handoff on it (aliasing constructor).
      std::shared_ptr<google::protobuf::Arena> arena(std::move(decoded.arena));
      report.handoff = std::shared_ptr<Handoff>(std::move(arena), decoded.handoff);
    } else {  // not on an arena: nothing to keep alive, copy
      report.handoff = std::make_shared<Handoff>(*decoded.handoff);
    }
    decoded.handoff = nullptr;
  }
  report.stateless_reason = std::move(decoded.stateless_reason);
  report.warnings = std::move(decoded.warnings);
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
  s.set_kind(KindText(h.kind()));
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
    absl::StrAppend(&out, "kind:     ", s.kind(), " (", s.producer_build(), " -> ",
                    s.reader_build(), ")\n");
    absl::StrAppend(&out, "producer: ", s.producer_build(), ", format ", s.producer_format_version(),
                    " (min reader ", s.producer_min_reader_version(), ")\n");
  }
  absl::StrAppend(&out, "reader:   ", s.reader_build(), ", version ", s.reader_version(), "\n");
  if (!s.phases().empty()) {
    absl::StrAppend(&out, "phases:\n");
    for (const HandoffStatus::Phase& p : s.phases()) {
      sys::StrAppendPrintf(&out, "  %-44s %12s\n", absl::StrCat(p.from(), " -> ", p.to()).c_str(),
                           Millis(p.duration_ns()).c_str());
    }
  }
  if (!s.stateless()) {
    absl::StrAppend(&out, "jobs (", s.jobs_size(), "):\n");
    if (!s.jobs().empty()) {
      sys::StrAppendPrintf(&out, "  %-20s %-20s %-10s %8s  %s\n", "JOB", "INSTANCE", "STATE",
                           "PID", "OUTCOME");
    }
    for (const HandoffStatus::Job& j : s.jobs()) {
      sys::StrAppendPrintf(&out, "  %-20s %-20s %-10s %8d  %s\n", j.job().c_str(),
                           j.instance().empty() ? "-" : j.instance().c_str(),
                           StateText(j.state()).c_str(), j.pid(), j.outcome().c_str());
    }
    absl::StrAppend(&out, "log lines carried: ", s.log_lines(), " (", s.log_lines_dropped(),
                    " dropped before the switch)\n");
    absl::StrAppend(&out, "events carried: ", s.events(), "\n");
    absl::StrAppend(&out, "uevents: ", s.uevents_queued(), " queued, ", s.uevents_replayed(),
                    " replayed\n");
    absl::StrAppend(&out, "fds carried (", s.fds_size(), "):\n");
    for (const FdEntry& fd : s.fds()) {
      sys::StrAppendPrintf(&out, "  #%u %-24s %s\n", fd.index(), fd.role().c_str(),
                           TypeText(fd.type()).c_str());
    }
  }
  absl::StrAppend(&out, "warnings (", s.warnings_size(), "):\n");
  for (const std::string& w : s.warnings()) absl::StrAppend(&out, "  - ", w, "\n");
  return out;
}

std::string FormatJson(const StatusReport& report) {
  // Written by hand, not with util::MessageToJsonString: the image links
  // protobuf-lite (no reflection). Same output as that with
  // always_print_primitive_fields and preserve_proto_field_names: fields in
  // number order, 64-bit integers as strings, enums by name (status_test
  // compares the two).
  HandoffStatus s = ToProto(report);
  std::string out = "{";
  JsonField(&out, "stateless", s.stateless() ? "true" : "false", true);
  JsonField(&out, "stateless_reason", JsonString(s.stateless_reason()));
  JsonField(&out, "producer_build", JsonString(s.producer_build()));
  JsonField(&out, "producer_format_version", absl::StrCat(s.producer_format_version()));
  JsonField(&out, "producer_min_reader_version", absl::StrCat(s.producer_min_reader_version()));
  JsonField(&out, "reader_build", JsonString(s.reader_build()));
  JsonField(&out, "reader_version", absl::StrCat(s.reader_version()));
  std::string phases = "[";
  for (const HandoffStatus::Phase& p : s.phases()) {
    if (phases.size() > 1) phases += ",";
    phases += "{";
    JsonField(&phases, "from", JsonString(p.from()), true);
    JsonField(&phases, "to", JsonString(p.to()));
    JsonField(&phases, "duration_ns", JsonString(absl::StrCat(p.duration_ns())));
    phases += "}";
  }
  JsonField(&out, "phases", phases + "]");
  std::string jobs = "[";
  for (const HandoffStatus::Job& j : s.jobs()) {
    if (jobs.size() > 1) jobs += ",";
    jobs += "{";
    JsonField(&jobs, "job", JsonString(j.job()), true);
    JsonField(&jobs, "instance", JsonString(j.instance()));
    JsonField(&jobs, "state", JsonEnum(JobState_IsValid(j.state()), JobState_Name(j.state()),
                                       j.state()));
    JsonField(&jobs, "pid", absl::StrCat(j.pid()));
    JsonField(&jobs, "outcome", JsonString(j.outcome()));
    jobs += "}";
  }
  JsonField(&out, "jobs", jobs + "]");
  JsonField(&out, "log_lines", JsonString(absl::StrCat(s.log_lines())));
  JsonField(&out, "log_lines_dropped", JsonString(absl::StrCat(s.log_lines_dropped())));
  JsonField(&out, "events", JsonString(absl::StrCat(s.events())));
  JsonField(&out, "uevents_queued", JsonString(absl::StrCat(s.uevents_queued())));
  JsonField(&out, "uevents_replayed", JsonString(absl::StrCat(s.uevents_replayed())));
  std::string fds = "[";
  for (const FdEntry& fd : s.fds()) {
    if (fds.size() > 1) fds += ",";
    fds += "{";
    JsonField(&fds, "index", absl::StrCat(fd.index()), true);
    JsonField(&fds, "role", JsonString(fd.role()));
    JsonField(&fds, "type", JsonEnum(FdType_IsValid(fd.type()), FdType_Name(fd.type()),
                                     fd.type()));
    JsonField(&fds, "dev", JsonString(absl::StrCat(fd.dev())));
    JsonField(&fds, "ino", JsonString(absl::StrCat(fd.ino())));
    fds += "}";
  }
  JsonField(&out, "fds", fds + "]");
  std::string warnings = "[";
  for (const std::string& w : s.warnings()) {
    if (warnings.size() > 1) warnings += ",";
    warnings += JsonString(w);
  }
  JsonField(&out, "warnings", warnings + "]");
  JsonField(&out, "kind", JsonString(s.kind()));
  return out + "}";
}

}  // namespace baton::handoff
