// dispatcher/kafka/producer.h — idempotent Kafka producer for events, DLQ and inbound
// records, with delivery acknowledgements reported by token.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "dispatcher/kafka/kafka_config.h"

struct rd_kafka_s;

namespace bulkd::dispatcher {

// Called on the producer's poll thread once a tracked record is acknowledged by all
// in-sync replicas (acks=all). Never called for token 0 (untracked records).
using DeliveryHandler = std::function<void(uint64_t token)>;

struct RecordHeader {
  std::string_view name;
  std::string_view value;
};

class KafkaProducer {
 public:
  // Connects lazily; throws std::runtime_error on a bad configuration (start-up).
  KafkaProducer(const KafkaConfig& config, std::string_view client_id,
                DeliveryHandler on_delivery);
  // Flushes for up to 10 s, then stops the poll thread.
  ~KafkaProducer();
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  // Queues one record; copies key, value and headers. Thread-safe. Blocks only while
  // librdkafka's local queue is full (backpressure). A tracked record (token != 0) whose
  // delivery fails is produced again until it is acknowledged: nothing is dropped.
  void Produce(const std::string& topic, std::string_view key, std::string_view value,
               uint64_t token = 0, const std::vector<RecordHeader>& headers = {});

  // Waits up to `timeout_ms` until every queued record is acknowledged; true if so.
  bool Flush(int timeout_ms);

  // Records produced again after a failed delivery, and untracked ones that failed.
  uint64_t redelivered() const { return redelivered_.load(std::memory_order_relaxed); }
  uint64_t lost_untracked() const { return lost_untracked_.load(std::memory_order_relaxed); }

 private:
  static void OnDeliveryReport(rd_kafka_s* rk, const void* message, void* opaque);
  void PollLoop();

  rd_kafka_s* rk_ = nullptr;
  DeliveryHandler on_delivery_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> redelivered_{0};
  std::atomic<uint64_t> lost_untracked_{0};
  std::thread poll_thread_;
};

// Applies `config.properties` and the bootstrap list to a librdkafka configuration.
// Throws std::runtime_error naming the property that librdkafka refused.
void ApplyKafkaProperties(const KafkaConfig& config, void* rd_kafka_conf);

}  // namespace bulkd::dispatcher
