// dev-broker — hosts librdkafka's mock Kafka cluster for other processes (bulkd,
// bulkctl, kcat) on a machine without Kafka. Prints "bootstrap <servers>" on its first
// stdout line and runs until SIGINT/SIGTERM. Not for production: data lives in memory.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "dispatcher/kafka/embedded_broker.h"
#include "dispatcher/kafka/kafka_config.h"

namespace {

void Usage() {
  std::cerr << "usage: dev-broker [--brokers N] [--partitions N] [--topic NAME[:PARTITIONS]]...\n"
               "  creates bulkd.jobs and bulkd.events with --partitions (default 16),\n"
               "  bulkd.dlq, bulkd.inbound and the delay tiers bulkd.defer.*s with 4,\n"
               "  plus any --topic given.\n";
}

int ParsePositive(const char* flag, const char* value) {
  char* end = nullptr;
  long n = value ? std::strtol(value, &end, 10) : 0;
  if (!value || *end != '\0' || n < 1 || n > 1024) {
    std::cerr << "dev-broker: " << flag << " needs a number from 1 to 1024\n";
    std::exit(2);
  }
  return static_cast<int>(n);
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 1;
  int partitions = 16;
  std::vector<bulkd::dispatcher::TopicSpec> extra;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--brokers") {
      brokers = ParsePositive("--brokers", value), ++i;
    } else if (arg == "--partitions") {
      partitions = ParsePositive("--partitions", value), ++i;
    } else if (arg == "--topic" && value) {
      std::string spec = value;
      ++i;
      auto colon = spec.find(':');
      int n = colon == std::string::npos ? 1 : ParsePositive("--topic", spec.c_str() + colon + 1);
      extra.push_back({spec.substr(0, colon), n});
    } else {
      Usage();
      return arg == "--help" ? 0 : 2;
    }
  }
  // Block the stop signals before librdkafka starts its threads, then wait for one.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    std::vector<bulkd::dispatcher::TopicSpec> topics = {
        {"bulkd.jobs", partitions}, {"bulkd.events", partitions},
        {"bulkd.dlq", 4}, {"bulkd.inbound", 4}};
    // The default delay tiers of durable deferral (dispatcher/kafka/kafka_config.h).
    for (int delay : bulkd::dispatcher::KafkaConfig{}.defer_tiers_s)
      topics.push_back({bulkd::dispatcher::DeferTopic(bulkd::dispatcher::KafkaConfig{}, delay), 4});
    topics.insert(topics.end(), extra.begin(), extra.end());
    bulkd::dispatcher::EmbeddedBroker broker(brokers, topics);
    std::printf("bootstrap %s\n", broker.bootstrap_servers().c_str());
    std::fflush(stdout);
    int signal = 0;
    sigwait(&stop_signals, &signal);
  } catch (const std::exception& e) {
    std::cerr << "dev-broker: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
