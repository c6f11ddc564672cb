#include "tests/support/kafka_reader.h"

#include <librdkafka/rdkafka.h>

#include <atomic>

namespace bulkd::testing {

std::vector<std::string> ReadTopic(const std::string& brokers, const std::string& topic,
                                   size_t expect, const std::string& must_contain,
                                   std::chrono::seconds timeout) {
  return ReadTopic(
      brokers, topic, expect,
      [&](std::string_view value) { return value.find(must_contain) != std::string_view::npos; },
      timeout);
}

std::vector<std::string> ReadTopic(const std::string& brokers, const std::string& topic,
                                   size_t expect,
                                   const std::function<bool(std::string_view)>& counts,
                                   std::chrono::seconds timeout) {
  static std::atomic<int> readers{0};
  const std::string group = "reader-" + topic + "-" + std::to_string(readers++);
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "group.id", group.c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (rk == nullptr) return {};
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  std::vector<std::string> values;
  size_t matching = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (matching < expect && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (!m) continue;
    if (!m->err) {
      values.emplace_back(static_cast<const char*>(m->payload), m->len);
      if (counts(values.back())) ++matching;
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return values;
}

}  // namespace bulkd::testing
