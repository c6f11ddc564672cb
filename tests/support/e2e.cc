#include "tests/support/e2e.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

uint16_t FreeTcpPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("could not bind a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
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
