#include "tests/support/e2e.h"

#include <fstream>
#include <stdexcept>

#include "tests/support/smsc_sim.h"

namespace bulkd::testing {

DevBroker::DevBroker(int partitions)
    : process_(std::make_unique<ChildProcess>(std::vector<std::string>{
          BuiltBinary("tools/dev_broker/dev-broker"), "--partitions", std::to_string(partitions)})) {
  auto line = process_->WaitForLine("bootstrap ", std::chrono::seconds(20));
  if (!line) throw std::runtime_error("dev-broker did not print its bootstrap address");
  bootstrap_ = TextAfter(*line, "bootstrap ");
}

std::optional<std::string> CampaignSummary(const std::string& bootstrap, int expect,
                                           std::chrono::seconds timeout) {
  ChildProcess report({BuiltBinary("tools/bulkctl/bulkctl"), "report", "--brokers", bootstrap,
                       "--expect", std::to_string(expect), "--timeout",
                       std::to_string(timeout.count()), "--json"});
  return report.WaitForLine("{", timeout + std::chrono::seconds(10));
}

long SummaryField(const std::string& summary, const std::string& name) {
  const auto at = summary.find("\"" + name + "\":");
  return at == std::string::npos ? -1 : std::stol(summary.substr(at + name.size() + 3));
}

size_t CountLines(const std::string& path) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

std::multiset<std::string> FirstColumn(const std::string& path) {
  std::multiset<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.insert(line.substr(0, line.find('\t')));
  return out;
}

}  // namespace bulkd::testing
