#include "handoff/validate.h"

#include <optional>
#include <set>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "handoff/env_pack.h"
#include "handoff/log_pack.h"
#include "handoff/secrets.h"

namespace baton::handoff {
namespace {

using google::protobuf::RepeatedPtrField;

// Keeps the elements for which KEEP returns true, in order.
template <typename T, typename Keep>
void KeepIf(RepeatedPtrField<T>* items, Keep keep) {
  int kept = 0;
  for (int i = 0; i < items->size(); ++i) {
    if (!keep(items->Get(i))) continue;
    if (kept != i) items->SwapElements(kept, i);
    ++kept;
  }
  if (kept < items->size()) items->DeleteSubrange(kept, items->size() - kept);
}

std::string Name(absl::string_view job, absl::string_view instance) {
  if (job.empty() && instance.empty()) return "supervisor";
  return instance.empty() ? std::string(job) : absl::StrCat(job, "/", instance);
}

// Where MSG's packed environment is damaged (handoff/env_pack.h), if it is.
template <typename Msg>
std::optional<size_t> PackedEnvDamage(const Msg& msg) {
  PackedEnvReader reader(msg.packed_env());
  for (EnvEntry e; reader.Next(&e);) {
  }
  if (!reader.damaged()) return std::nullopt;
  return reader.offset();
}

// Drops MSG's packed entries with an empty key; returns how many. Only an
// environment that has one is rewritten.
template <typename Msg>
int DropPackedEmptyKeys(Msg* msg) {
  PackedEnvReader reader(msg->packed_env());
  bool any = false;
  for (EnvEntry e; !any && reader.Next(&e);) any = e.key.empty();
  if (!any) return 0;
  int dropped = 0;
  std::string kept;
  PackedEnvReader again(msg->packed_env());
  for (EnvEntry e; again.Next(&e);) {
    if (e.key.empty()) {
      ++dropped;
    } else {
      PackEnvEntry(&kept, e.key, e.value);
    }
  }
  msg->set_packed_env(std::move(kept));
  return dropped;
}

// Cleans MSG's environment, both kinds (its packed one is known to read to
// the end). OWNER() names the environment's owner for a warning; it is only
// called when something was dropped (building names for every clean
// environment of a big handoff costs more than checking them).
template <typename Msg, typename Owner>
void CleanEnv(Msg* msg, Owner owner, std::vector<std::string>* warnings) {
  RepeatedPtrField<KeyValue>* env = msg->mutable_env();
  std::vector<std::string> removed = FilterSecrets(env);
  std::vector<std::string> packed_removed = FilterPackedSecrets(msg->mutable_packed_env());
  removed.insert(removed.end(), packed_removed.begin(), packed_removed.end());
  if (!removed.empty()) {
    warnings->push_back(
        absl::StrCat(owner(), ": secret environment dropped: ", absl::StrJoin(removed, ", ")));
  }
  int before = env->size();
  KeepIf(env, [](const KeyValue& kv) { return !kv.key().empty(); });
  int dropped = before - env->size() + DropPackedEmptyKeys(msg);
  if (dropped > 0) {
    warnings->push_back(
        absl::StrCat(owner(), ": ", dropped, " environment entries without a key dropped"));
  }
}

// Format-2 packed lines: one pass that reads them in place; only a ring with
// an over-long line or damaged bytes is rewritten. Returns the lines skipped
// for their length.
int CleanPackedLines(LogRing* ring, std::vector<std::string>* warnings) {
  PackedLogReader reader(ring->packed_lines());
  int too_long = 0;
  for (PackedLogLine line; reader.Next(&line);) too_long += line.text.size() > kMaxLogLineBytes;
  if (too_long == 0 && !reader.damaged()) return 0;
  if (reader.damaged()) {
    warnings->push_back(absl::StrCat("log ", Name(ring->job(), ring->instance()),
                                     ": packed lines damaged at byte ", reader.offset(), " of ",
                                     ring->packed_lines().size(), ", the rest skipped"));
  }
  std::string kept;
  PackedLogReader again(ring->packed_lines());
  for (PackedLogLine line; again.Next(&line);) {
    if (line.text.size() <= kMaxLogLineBytes) PackLogLine(&kept, line.since_start_ns, line.text);
  }
  ring->set_packed_lines(std::move(kept));
  return too_long;
}

void CleanRing(LogRing* ring, std::vector<std::string>* warnings) {
  int before = ring->lines_size();
  KeepIf(ring->mutable_lines(),
         [](const LogLine& line) { return line.text().size() <= kMaxLogLineBytes; });
  int skipped = before - ring->lines_size();
  skipped += CleanPackedLines(ring, warnings);
  if (skipped > 0) {
    ring->set_dropped(ring->dropped() + skipped);
    warnings->push_back(absl::StrCat("log ", Name(ring->job(), ring->instance()), ": ", skipped,
                                     " lines over ", kMaxLogLineBytes, " bytes skipped"));
  }
}

}  // namespace

std::vector<std::string> Sanitize(Handoff* h) {
  std::vector<std::string> w;

  KeepIf(h->mutable_timestamps(), [&](const Timestamp& t) {
    if (!t.name().empty()) return true;
    w.push_back("timestamp without a name skipped");
    return false;
  });

  // Views into the instances' own strings: KeepIf only swaps element
  // pointers, so they stay valid while the set is in use.
  absl::flat_hash_set<std::pair<absl::string_view, absl::string_view>> seen;
  seen.reserve(h->instances_size());
  KeepIf(h->mutable_instances(), [&](const JobInstance& inst) {
    if (inst.job().empty()) {
      w.push_back(
          absl::StrCat("instance \"", inst.instance(), "\" with an empty job name skipped"));
      return false;
    }
    std::string name = Name(inst.job(), inst.instance());
    if (inst.pid() < 0 || inst.pid() == 1) {
      w.push_back(absl::StrCat("job ", name, ": invalid pid ", inst.pid(), ", skipped"));
      return false;
    }
    if (!seen.emplace(inst.job(), inst.instance()).second) {
      w.push_back(absl::StrCat("job ", name, ": duplicate instance skipped"));
      return false;
    }
    if (std::optional<size_t> at = PackedEnvDamage(inst)) {
      w.push_back(absl::StrCat("job ", name, ": packed environment damaged at byte ", *at, " of ",
                               inst.packed_env().size(), ", skipped"));
      return false;
    }
    return true;
  });
  for (JobInstance& inst : *h->mutable_instances()) {
    auto owner = [&inst] { return absl::StrCat("job ", Name(inst.job(), inst.instance())); };
    if (inst.exits_size() > kMaxExits) {
      int extra = inst.exits_size() - kMaxExits;
      inst.mutable_exits()->DeleteSubrange(0, extra);
      w.push_back(absl::StrCat(owner(), ": ", extra, " oldest exit records dropped"));
    }
    CleanEnv(&inst, owner, &w);
  }

  KeepIf(h->mutable_events(), [&](const Event& event) {
    if (event.name().empty()) {
      w.push_back(absl::StrCat("event #", event.seq(), " without a name skipped"));
      return false;
    }
    if (std::optional<size_t> at = PackedEnvDamage(event)) {
      w.push_back(absl::StrCat("event #", event.seq(), " ", event.name(),
                               ": packed environment damaged at byte ", *at, " of ",
                               event.packed_env().size(), ", skipped"));
      return false;
    }
    return true;
  });
  for (Event& event : *h->mutable_events()) {
    CleanEnv(
        &event, [&event] { return absl::StrCat("event #", event.seq(), " ", event.name()); }, &w);
  }

  KeepIf(h->mutable_logs(), [&](const LogRing& ring) {
    if (!ring.job().empty() || ring.instance().empty()) return true;
    w.push_back(
        absl::StrCat("log ring for instance \"", ring.instance(), "\" without a job skipped"));
    return false;
  });
  for (LogRing& ring : *h->mutable_logs()) CleanRing(&ring, &w);
  if (h->has_supervisor_log()) CleanRing(h->mutable_supervisor_log(), &w);

  KeepIf(h->mutable_uevents(), [&](const QueuedUevent& u) {
    if (u.datagram().empty() || u.datagram().size() > kMaxUeventBytes) {
      w.push_back(absl::StrCat("queued uevent of ", u.datagram().size(), " bytes skipped"));
      return false;
    }
    if (u.group() != 1 && u.group() != 2) {
      w.push_back(absl::StrCat("queued uevent from netlink group ", u.group(), " skipped"));
      return false;
    }
    return true;
  });

  std::set<uint32_t> indexes;
  KeepIf(h->mutable_fds(), [&](const FdEntry& fd) {
    if (fd.role().empty()) {
      w.push_back(absl::StrCat("fd #", fd.index(), " without a role skipped"));
      return false;
    }
    if (!indexes.insert(fd.index()).second) {
      w.push_back(absl::StrCat("fd #", fd.index(), " (", fd.role(), "): duplicate index skipped"));
      return false;
    }
    return true;
  });
  return w;
}

}  // namespace baton::handoff
