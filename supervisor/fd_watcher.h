// The part of the event loop that other pieces (the spawner's log pipes, the
// control server's connections, the uevent bridge) use to be told when an fd
// is ready. The loop (supervisor/loop.h) implements it; tests use a fake.
#ifndef BATON_SUPERVISOR_FD_WATCHER_H_
#define BATON_SUPERVISOR_FD_WATCHER_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"

namespace baton::supervisor {

class FdWatcher {
 public:
  // Called with the EPOLL* bits that fired.
  using Callback = std::function<void(uint32_t events)>;

  virtual ~FdWatcher() = default;
  // Calls CALLBACK whenever FD is readable (or hung up / in error). The caller
  // keeps owning FD and must Unwatch it before closing it. A callback may
  // Unwatch its own fd (or others) while it runs.
  virtual absl::Status Watch(int fd, Callback callback) = 0;
  virtual void Unwatch(int fd) = 0;
};

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_FD_WATCHER_H_
