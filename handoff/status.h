// `initctl handoff-status`: what crossed from stage 1 to stage 2.
//
// Stage 2 fills a StatusReport from its DecodeResult and from what it did
// with it (which jobs it adopted, which it restarted, how many queued
// uevents it replayed, what else went wrong), keeps it, and serves it to
// initctl. ToProto turns it into a HandoffStatus message (proto/handoff.proto);
// FormatText and FormatJson both render that message, so the two views can
// never disagree.
//
// Phases are the gaps between consecutive boot timestamps on the monotonic
// clock ("stage1-start → root-mounted 812.004 ms"), plus a total from the
// first to the last; a gap that runs backwards is shown as 0 with a warning.
#ifndef BATON_HANDOFF_STATUS_H_
#define BATON_HANDOFF_STATUS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "handoff/codec.h"
#include "handoff/version.h"
#include "proto/handoff.pb.h"

namespace baton::handoff {

struct StatusReport {
  // The handoff as decoded (after per-item validation); null when stage 2
  // started stateless, and then STATELESS_REASON says why. Shared: a report
  // made from a decode it may own (ReportFromDecode(DecodeResult&&)) keeps
  // the decoder's arena alive instead of copying the message off it.
  std::shared_ptr<Handoff> handoff;
  std::string stateless_reason;
  std::string reader_build = kProducerBuild;
  uint32_t reader_version = kReaderVersion;
  // (job, instance) pairs stage 2 adopted (same pid, kept running) and
  // restarted (their process was gone or unusable).
  std::set<std::pair<std::string, std::string>> adopted;
  std::set<std::pair<std::string, std::string>> restarted;
  uint64_t uevents_replayed = 0;
  // Decode warnings, then stage 2's own (fd checks, failed adoptions…).
  std::vector<std::string> warnings;
};

// A report holding a copy of DECODED's handoff (or its reason) and its
// warnings.
StatusReport ReportFromDecode(const DecodeResult& decoded);
// The same without the copy: the report takes DECODED's arena with the
// handoff on it (the message stays where it is: a pointer or reference to
// *decoded.handoff taken before stays valid as long as the report's
// handoff). DECODED is left empty.
StatusReport ReportFromDecode(DecodeResult&& decoded);

// "switch" (stage 1's handoff; also what a handoff older than format 4
// means) or "re-exec" (`initctl reexec`).
std::string KindText(HandoffKind kind);

HandoffStatus ToProto(const StatusReport& report);
std::string FormatText(const StatusReport& report);
// One JSON object, proto field names, defaults included.
std::string FormatJson(const StatusReport& report);

}  // namespace baton::handoff

#endif  // BATON_HANDOFF_STATUS_H_
