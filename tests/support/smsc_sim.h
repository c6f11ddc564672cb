// tests/support/smsc_sim.h — a running smsc-sim child process for integration tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace bulkd::testing {

class SmscSim {
 public:
  // Starts smsc-sim with `args` on `port` (0: a free one) and waits for its
  // "listening on" line. Throws std::runtime_error if it does not start.
  explicit SmscSim(std::vector<std::string> args, uint16_t port = 0);
  uint16_t port() const { return port_; }
  ChildProcess& process() { return *process_; }
  // SIGTERM and wait (10 s); true when it exited 0. The record file is complete then.
  bool Stop();

 private:
  std::unique_ptr<ChildProcess> process_;
  uint16_t port_ = 0;
};

// What follows the first `marker` in `line` (e.g. the port after "127.0.0.1:").
std::string TextAfter(const std::string& line, const std::string& marker);

}  // namespace bulkd::testing
