// ModuleLoader: loads kernel modules by modalias or name.
//
// Stage 1 of baton has no modprobe and no udevd: when a device's uevent
// carries MODALIAS (e.g. "virtio:d00000002v00001AF4"), the uevent bridge asks
// the ModuleLoader to load whatever the alias resolves to. KmodLoader
// (sys/kmod_loader.h) does it through libkmod; FakeModuleLoader
// (sys/fake_module_loader.h, testonly) records the calls.
#ifndef BATON_SYS_MODULES_H_
#define BATON_SYS_MODULES_H_

#include <string>

#include "absl/status/status.h"

namespace baton::sys {

class ModuleLoader {
 public:
  virtual ~ModuleLoader() = default;

  // Loads every module MODALIAS_OR_NAME resolves to (a modalias, an alias
  // from modprobe.d, or a plain module name), each with its dependencies and
  // soft dependencies, honouring blacklists.
  //
  // Not errors (OK): an alias that no module matches (most devices have
  // none, or the driver is built in), a module that is already loaded or
  // built in. An error means a matching module failed to load; the message
  // names the module and errno.
  virtual absl::Status LoadAlias(const std::string& modalias_or_name) = 0;
};

}  // namespace baton::sys

#endif  // BATON_SYS_MODULES_H_
