// tests/support/bizmsg_sim.h — a running bizmsg-sim (Kakao dealer API simulator) child
// process for integration tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace bulkd::testing {

class BizmsgSim {
 public:
  // Starts bizmsg-sim with `args` (on a free port unless they hold --port) and waits for
  // its "listening on" line. Throws std::runtime_error if it does not start.
  explicit BizmsgSim(std::vector<std::string> args);
  uint16_t port() const { return port_; }
  ChildProcess& process() { return *process_; }
  // SIGTERM and wait (10 s); true when it exited 0. The record file is complete then.
  bool Stop();
  // SIGKILL and wait (10 s): a dealer gone mid-request, with no goodbye.
  void Kill();

 private:
  std::unique_ptr<ChildProcess> process_;
  uint16_t port_ = 0;
};

}  // namespace bulkd::testing
