#include "tests/support/e2e.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <fstream>
#include <map>
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

bool ProduceSmsJobs(const std::string& bootstrap, const std::string& id_prefix, int count,
                    const std::string& text) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error) !=
          RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "linger.ms", "5", error, sizeof error) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return false;
  }
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (!producer) {
    rd_kafka_conf_destroy(conf);
    return false;
  }
  bool ok = true;
  std::string job;
  for (int i = 0; i < count && ok; ++i) {
    char head[160];
    std::snprintf(head, sizeof head,
                  R"({"id":"%s-%05d","tenant":"shop1","kind":"info","to":"+8210%08d",)",
                  id_prefix.c_str(), i, i);
    job.assign(head).append(R"("channels":["sms"],"text":")").append(text).append("\"}");
    const std::string key = std::to_string(i);
    rd_kafka_resp_err_t err;
    while ((err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("bulkd.jobs"),
                                    RD_KAFKA_V_KEY(key.data(), key.size()),
                                    RD_KAFKA_V_VALUE(job.data(), job.size()),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
           RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(producer, 10);
    }
    ok = err == RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  ok = ok && rd_kafka_flush(producer, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_destroy(producer);
  return ok;
}

int NumbersAcceptedTwice(std::initializer_list<std::string> record_paths) {
  std::map<std::string, int> submits;
  for (const std::string& path : record_paths)
    for (const std::string& to : FirstColumn(path)) ++submits[to];
  int twice = 0;
  for (const auto& [to, times] : submits) twice += times > 1;
  return twice;
}

}  // namespace bulkd::testing
