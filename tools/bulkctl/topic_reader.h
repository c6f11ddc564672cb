// tools/bulkctl/topic_reader.h — reads whole Kafka topics for bulkctl's report and audit:
// every partition from its beginning, in batches, without joining a consumer group or
// committing anything. Until::kHighWatermark stops each partition at the high watermark
// it had when Assign() ran, so one run reads a fixed snapshot of topics that may still
// be growing; Until::kForever keeps reading new records.
//
// Errors that keep it from reading (no client, broker unreachable, a topic that does
// not exist) throw KafkaReadError with a message naming the broker or the topic.
// Not thread-safe: one thread owns a reader.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct rd_kafka_s;
struct rd_kafka_message_s;

namespace bulkd::tools {

class KafkaReadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One record of a Poll(); its views stay valid until the next Poll() or the reader's end.
struct TopicRecord {
  int topic = 0;  // index into the topics given to Assign()
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = -1;  // the record's Kafka timestamp (CreateTime), -1 if none
  std::string_view key;
  std::string_view value;
  rd_kafka_message_s* message = nullptr;  // for header lookups

  // The last header called `name`, or false when the record has none (or it is null).
  bool Header(const char* name, std::string_view& out) const;
};

class TopicReader {
 public:
  enum class Until { kForever, kHighWatermark };

  // Throws KafkaReadError if no client can be made for `brokers` ("host:port,...").
  explicit TopicReader(const std::string& brokers);
  ~TopicReader();
  TopicReader(const TopicReader&) = delete;
  TopicReader& operator=(const TopicReader&) = delete;

  // Assigns every partition of every topic from its beginning. Checks first, within
  // `timeout_ms`, that the cluster answers and that every topic exists (no topic is
  // created); with kHighWatermark also takes each partition's watermarks.
  void Assign(const std::vector<std::string>& topics, Until until, int timeout_ms);

  // Replaces `out` with the records that are there now (at most `max`); waits up to
  // `timeout_ms` only when none is. With kHighWatermark, records at or past a
  // partition's watermark are left out.
  void Poll(std::vector<TopicRecord>& out, size_t max, int timeout_ms);

  // kHighWatermark: every assigned partition has been read up to its watermark.
  bool AtEnd() const { return open_partitions_ == 0; }
  // The first partition not read to its end, e.g. "bulkd.events[3] at offset 120 of
  // 4000", and the last consume error seen, for a message when a deadline passes.
  std::string Progress() const;

 private:
  struct Partition {
    int64_t next = 0;  // next offset expected
    int64_t high = 0;  // stop here (kHighWatermark)
    bool done = false;
  };
  int TopicIndex(const rd_kafka_message_s* m);
  Partition* Find(int topic, int32_t partition);
  void ReleaseBatch();

  rd_kafka_s* rk_ = nullptr;
  std::string brokers_;
  Until until_ = Until::kForever;
  std::vector<std::string> topics_;
  std::vector<std::vector<Partition>> partitions_;  // [topic][partition id]
  std::vector<std::pair<const void*, int>> topic_handles_;  // rkt pointer -> topic index
  size_t open_partitions_ = 0;
  std::vector<rd_kafka_message_s*> batch_;
  std::string last_error_;
};

}  // namespace bulkd::tools
