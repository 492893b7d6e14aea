// An event: a name plus ordered KEY=VALUE environment.
#ifndef BATON_SUPERVISOR_EVENT_H_
#define BATON_SUPERVISOR_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace baton::supervisor {

using Env = std::vector<std::pair<std::string, std::string>>;

struct Event {
  std::string name;
  Env env;          // in order: positional matches in job files use it
  uint64_t seq = 0; // assigned by the engine when queued, from 1
  absl::Time when;  // the engine clock's time when queued

  // The value of KEY, or nullopt.
  std::optional<absl::string_view> Get(absl::string_view key) const;
};

// "K=V" -> {K, V}; nullopt (not an error) when there is no '=' or K is empty
// or not [A-Za-z_][A-Za-z0-9_]*.
std::optional<std::pair<std::string, std::string>> ParseAssignment(absl::string_view kv);

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_EVENT_H_
