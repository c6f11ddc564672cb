#include "tests/support/smsc_sim.h"

#include <signal.h>

#include <stdexcept>

namespace bulkd::testing {

SmscSim::SmscSim(std::vector<std::string> args, uint16_t port) {
  std::vector<std::string> argv = {BuiltBinary("tools/smsc_sim/smsc-sim"), "--port",
                                   std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  process_ = std::make_unique<ChildProcess>(argv);
  const auto line = process_->WaitForLine("smsc-sim listening on 127.0.0.1:", std::chrono::seconds(10));
  if (!line) throw std::runtime_error("smsc-sim did not start");
  port_ = static_cast<uint16_t>(std::stoi(TextAfter(*line, "127.0.0.1:")));
}

bool SmscSim::Stop() {
  process_->Signal(SIGTERM);
  return process_->WaitForExit(std::chrono::seconds(10)) == 0;
}

std::string TextAfter(const std::string& line, const std::string& marker) {
  const size_t at = line.find(marker);
  return at == std::string::npos ? std::string() : line.substr(at + marker.size());
}

}  // namespace bulkd::testing
