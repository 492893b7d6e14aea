#include "sys/fake_block_prober.h"

namespace baton::sys {

absl::StatusOr<BlockProperties> FakeBlockProber::Probe(const std::string& devnode) {
  probed_.push_back(devnode);
  if (auto e = errors_.find(devnode); e != errors_.end()) return e->second;
  auto it = props_.find(devnode);
  return it == props_.end() ? BlockProperties{} : it->second;
}

}  // namespace baton::sys
