#include "tests/support/bizmsg_sim.h"

#include <signal.h>

#include <algorithm>
#include <stdexcept>

#include "tests/support/smsc_sim.h"

namespace bulkd::testing {

BizmsgSim::BizmsgSim(std::vector<std::string> args) {
  std::vector<std::string> argv = {BuiltBinary("tools/bizmsg_sim/bizmsg-sim")};
  if (std::find(args.begin(), args.end(), "--port") == args.end())
    argv.insert(argv.end(), {"--port", "0"});
  argv.insert(argv.end(), args.begin(), args.end());
  process_ = std::make_unique<ChildProcess>(argv);
  const auto line =
      process_->WaitForLine("bizmsg-sim listening on 127.0.0.1:", std::chrono::seconds(10));
  if (!line) throw std::runtime_error("bizmsg-sim did not start");
  port_ = static_cast<uint16_t>(std::stoi(TextAfter(*line, "127.0.0.1:")));
}

bool BizmsgSim::Stop() {
  process_->Signal(SIGTERM);
  return process_->WaitForExit(std::chrono::seconds(10)) == 0;
}

void BizmsgSim::Kill() {
  process_->Signal(SIGKILL);
  process_->WaitForExit(std::chrono::seconds(10));
}

}  // namespace bulkd::testing
