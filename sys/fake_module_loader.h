// FakeModuleLoader (testonly): records every LoadAlias call, in order, and
// answers with a status set per alias (OK by default).
#ifndef BATON_SYS_FAKE_MODULE_LOADER_H_
#define BATON_SYS_FAKE_MODULE_LOADER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sys/modules.h"

namespace baton::sys {

class FakeModuleLoader : public ModuleLoader {
 public:
  absl::Status LoadAlias(const std::string& modalias_or_name) override;

  // Every alias asked for, in call order (repeats included).
  const std::vector<std::string>& calls() const { return calls_; }
  // The next LoadAlias(ALIAS) calls return STATUS.
  void SetResult(const std::string& alias, absl::Status status);

 private:
  std::vector<std::string> calls_;
  std::map<std::string, absl::Status> results_;
};

}  // namespace baton::sys

#endif  // BATON_SYS_FAKE_MODULE_LOADER_H_
