// dispatcher/kafka/kafka_config.h — where bulkd's topics live and how to reach them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

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
  // Durable deferral (quiet hours, not_before): delay tiers, one topic per tier named
  // "<defer_topic_prefix>.<seconds>s" (bulkd.defer.60s...). A deferred job is written to
  // the longest tier not past its due time and read back once the tier's delay has
  // passed, then sent or deferred again. Kafka stays the record: it survives restarts.
  std::string defer_topic_prefix = "bulkd.defer";
  std::vector<int> defer_tiers_s = {1, 10, 60, 600, 3600};
  // Extra librdkafka properties for both clients (e.g. security.protocol, sasl.*).
  std::map<std::string, std::string> properties;
};

// The delay tier for a wait: the longest tier not longer than the wait, else the
// shortest. `tiers_s` is increasing and non-empty.
inline size_t ChooseTier(const std::vector<int>& tiers_s, int64_t wait_ms) {
  size_t chosen = 0;
  for (size_t i = 0; i < tiers_s.size(); ++i) {
    if (static_cast<int64_t>(tiers_s[i]) * 1000 <= wait_ms) chosen = i;
  }
  return chosen;
}

// "bulkd.defer.60s" for a 60-second tier.
inline std::string DeferTopic(const KafkaConfig& config, int tier_seconds) {
  return config.defer_topic_prefix + "." + std::to_string(tier_seconds) + "s";
}

}  // namespace bulkd::dispatcher
