#include "sys/fake_module_loader.h"

#include <utility>

namespace baton::sys {

absl::Status FakeModuleLoader::LoadAlias(const std::string& modalias_or_name) {
  calls_.push_back(modalias_or_name);
  auto it = results_.find(modalias_or_name);
  return it == results_.end() ? absl::OkStatus() : it->second;
}

void FakeModuleLoader::SetResult(const std::string& alias, absl::Status status) {
  results_[alias] = std::move(status);
}

}  // namespace baton::sys
