// Packed environments: how format 3 carries a job instance's or an event's
// environment (JobInstance.packed_env, Event.packed_env in
// proto/handoff.proto).
//
// WHY. Formats 1 and 2 sent each variable as a KeyValue message with two
// strings: a busy boot's 200 instances and 500 events meant 2,600 messages
// and about 5,000 strings to build, size, write, parse, allocate and free,
// and the secret check chased a pointer per key. Packed, an environment is
// one bytes field, parsed with one allocation and read in place.
//
// LAYOUT. Entries back to back, in order; for each entry
//     varint   key length in bytes (protobuf's base-128 varint)
//     bytes    key
//     varint   value length in bytes
//     bytes    value (any bytes)
// A reader meeting a cut-off or overlong entry reads the entries before it
// and stops there. handoff/validate.h drops that tail, secret keys
// (handoff/secrets.h) and empty keys on decode, so a decoded handoff's packed
// environments always read to the end.
#ifndef BATON_HANDOFF_ENV_PACK_H_
#define BATON_HANDOFF_ENV_PACK_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "proto/handoff.pb.h"

namespace baton::handoff {

// Appends one entry to PACKED (a packed_env field).
void PackEnvEntry(std::string* packed, absl::string_view key, absl::string_view value);

struct EnvEntry {
  absl::string_view key;  // both point into the packed bytes
  absl::string_view value;
};

// Reads packed entries in order, without copying.
//   PackedEnvReader reader(instance.packed_env());
//   for (EnvEntry e; reader.Next(&e);) ...
class PackedEnvReader {
 public:
  explicit PackedEnvReader(absl::string_view packed) : packed_(packed) {}

  // The next entry; false at the end or at a damaged entry (then damaged()).
  bool Next(EnvEntry* entry);

  bool damaged() const { return damaged_; }
  // Where the next entry starts (or the damaged one).
  size_t offset() const { return offset_; }

 private:
  absl::string_view packed_;
  size_t offset_ = 0;
  bool damaged_ = false;
};

// Calls FN(key, value) for each variable of MSG (a JobInstance or an Event)
// in order: the KeyValue `env` of formats 1 and 2, then the packed ones (a
// message written by one build has only one kind). Stops at damaged bytes.
template <typename Msg, typename Fn>
void ForEachEnv(const Msg& msg, Fn fn) {
  for (const KeyValue& kv : msg.env())
    fn(absl::string_view(kv.key()), absl::string_view(kv.value()));
  PackedEnvReader reader(msg.packed_env());
  for (EnvEntry e; reader.Next(&e);) fn(e.key, e.value);
}

}  // namespace baton::handoff

#endif  // BATON_HANDOFF_ENV_PACK_H_
