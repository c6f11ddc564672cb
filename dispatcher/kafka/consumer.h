// dispatcher/kafka/consumer.h — the consumer-group member that reads bulkd.jobs.
// Offsets are stored only when the pipeline says a job reached a durable hand-off
// (StoreOffset); librdkafka commits stored offsets every second and on rebalance.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dispatcher/kafka/kafka_config.h"

struct rd_kafka_s;
struct rd_kafka_message_s;

namespace bulkd::dispatcher {

// One consumed record; owns librdkafka's buffer until destroyed.
class KafkaMessage {
 public:
  explicit KafkaMessage(rd_kafka_message_s* message) : message_(message) {}
  ~KafkaMessage();
  KafkaMessage(KafkaMessage&& other) noexcept : message_(other.message_) {
    other.message_ = nullptr;
  }
  KafkaMessage& operator=(KafkaMessage&&) = delete;

  std::string_view topic() const;
  int32_t partition() const;
  int64_t offset() const;
  int64_t timestamp_ms() const;  // producer CreateTime or broker LogAppendTime; -1 if none
  std::string_view key() const;
  std::string_view value() const;
  // The last header named `name`, if the record has one (an empty value is "").
  std::optional<std::string_view> header(const char* name) const;

 private:
  rd_kafka_message_s* message_;
};

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
};

// Told about partition assignment changes, on the thread that calls PollBatch.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  virtual void OnPartitionsAssigned(const std::vector<TopicPartition>& partitions) = 0;
  // Last chance to store offsets for these partitions; a sync commit follows.
  virtual void OnPartitionsRevoked(const std::vector<TopicPartition>& partitions) = 0;
};

class KafkaConsumer {
 public:
  // Throws std::runtime_error on a bad configuration (start-up).
  KafkaConsumer(const KafkaConfig& config, RebalanceListener* listener);
  ~KafkaConsumer();  // Close()s if still open
  KafkaConsumer(const KafkaConsumer&) = delete;
  KafkaConsumer& operator=(const KafkaConsumer&) = delete;

  // The listener may be set after construction, before the first PollBatch.
  void SetListener(RebalanceListener* listener) { listener_ = listener; }
  // Joins the group for these topics. The first is the jobs topic (lag is reported
  // for it).
  void Subscribe(const std::vector<std::string>& topics);

  // Waits up to `timeout_ms` for records and appends at most `max` to `out`. Broker
  // errors are logged and skipped (librdkafka retries them). Serves rebalances.
  // Call from one thread only.
  void PollBatch(std::vector<KafkaMessage>& out, size_t max, int timeout_ms);

  // Marks every record of `partition` before `next_offset` as done; the group commit
  // picks it up. Same thread as PollBatch.
  void StoreOffset(const std::string& topic, int32_t partition, int64_t next_offset);

  // Stops (or restarts) fetching on every assigned partition: backpressure. ResumeAll
  // leaves held partitions paused.
  void PauseAll();
  void ResumeAll();
  bool paused() const { return paused_; }

  // Stops one partition and rewinds it to `offset`, so that record is delivered again
  // after ReleasePartition (a delay tier whose head is not due yet).
  void HoldPartition(const std::string& topic, int32_t partition, int64_t offset);
  void ReleasePartition(const std::string& topic, int32_t partition);

  // Records not yet consumed, per assigned partition of the jobs topic (high watermark - position),
  // from cached watermarks: no round trip.
  std::vector<std::pair<int32_t, int64_t>> Lag();

  // Makes a PollBatch that is waiting return at once (with what it has). Thread-safe.
  void Wake();

  // Commits stored offsets synchronously and leaves the group.
  void Close();

 private:
  static void OnRebalance(rd_kafka_s* rk, int err, void* partitions, void* opaque);

  rd_kafka_s* rk_ = nullptr;
  void* queue_ = nullptr;  // rd_kafka_queue_t of the consumer
  std::vector<std::string> topics_;
  std::vector<TopicPartition> held_;
  std::vector<rd_kafka_message_s*> poll_buffer_;  // PollBatch's, reused
  RebalanceListener* listener_;
  bool paused_ = false;
  bool closed_ = false;
};

}  // namespace bulkd::dispatcher
