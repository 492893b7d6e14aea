// FakeBlockProber (testonly): answers Probe() from a map set by the test and
// records which nodes were probed. An unknown node probes as empty.
#ifndef BATON_SYS_FAKE_BLOCK_PROBER_H_
#define BATON_SYS_FAKE_BLOCK_PROBER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sys/blkid_prober.h"

namespace baton::sys {

class FakeBlockProber : public BlockProber {
 public:
  absl::StatusOr<BlockProperties> Probe(const std::string& devnode) override;

  void Set(const std::string& devnode, BlockProperties props) { props_[devnode] = props; }
  // Probe(DEVNODE) fails with STATUS.
  void SetError(const std::string& devnode, absl::Status status) { errors_[devnode] = status; }
  const std::vector<std::string>& probed() const { return probed_; }

 private:
  std::map<std::string, BlockProperties> props_;
  std::map<std::string, absl::Status> errors_;
  std::vector<std::string> probed_;
};

}  // namespace baton::sys

#endif  // BATON_SYS_FAKE_BLOCK_PROBER_H_
