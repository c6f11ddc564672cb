// dispatcher/kafka/embedded_broker.h — librdkafka's mock cluster hosted in this process.
// It speaks the Kafka protocol over loopback TCP, so any client (kcat, librdkafka,
// bulkd itself) can use it. For development, tests and demos only: it keeps about
// 5 MiB per partition and nothing survives the process.
#pragma once

#include <string>
#include <vector>

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace bulkd::dispatcher {

struct TopicSpec {
  std::string name;
  int partitions = 1;
};

class EmbeddedBroker {
 public:
  // Starts `broker_count` mock brokers and creates `topics`. Throws std::runtime_error
  // on failure (start-up only).
  EmbeddedBroker(int broker_count, const std::vector<TopicSpec>& topics);
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  // "127.0.0.1:port,..." for bootstrap.servers.
  const std::string& bootstrap_servers() const { return bootstrap_servers_; }

 private:
  rd_kafka_s* host_ = nullptr;  // the handle the mock cluster is attached to
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstrap_servers_;
};

}  // namespace bulkd::dispatcher
