// dispatcher/kafka/kafka_config.h — where bulkd's topics live and how to reach them.
#pragma once

#include <map>
#include <string>

namespace bulkd::dispatcher {

struct KafkaConfig {
  // Bootstrap servers ("host:port,..."), or "embedded": start librdkafka's mock cluster
  // in process (development and demos; data lives only as long as the process).
  std::string brokers = "embedded";
  std::string group_id = "bulkd";
  std::string jobs_topic = "bulkd.jobs";
  std::string events_topic = "bulkd.events";
  std::string dlq_topic = "bulkd.dlq";
  std::string inbound_topic = "bulkd.inbound";
  int embedded_partitions = 16;  // jobs/events partitions of the embedded cluster
  // Extra librdkafka properties for both clients (e.g. security.protocol, sasl.*).
  std::map<std::string, std::string> properties;
};

}  // namespace bulkd::dispatcher
