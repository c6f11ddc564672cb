#include "dispatcher/kafka/consumer.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "dispatcher/kafka/producer.h"

namespace bulkd::dispatcher {
namespace {

std::vector<TopicPartition> Partitions(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  for (int i = 0; i < list->cnt; ++i) out.push_back({list->elems[i].topic, list->elems[i].partition});
  return out;
}

// A one-element partition list; the caller destroys it.
rd_kafka_topic_partition_list_t* One(const std::string& topic, int32_t partition) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), partition);
  return list;
}

}  // namespace

KafkaMessage::~KafkaMessage() {
  if (message_) rd_kafka_message_destroy(message_);
}
std::string_view KafkaMessage::topic() const { return rd_kafka_topic_name(message_->rkt); }
int32_t KafkaMessage::partition() const { return message_->partition; }
int64_t KafkaMessage::offset() const { return message_->offset; }
int64_t KafkaMessage::timestamp_ms() const { return rd_kafka_message_timestamp(message_, nullptr); }
std::string_view KafkaMessage::key() const {
  return {static_cast<const char*>(message_->key), message_->key_len};
}
std::string_view KafkaMessage::value() const {
  return {static_cast<const char*>(message_->payload), message_->len};
}

std::optional<std::string_view> KafkaMessage::header(const char* name) const {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message_, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::nullopt;
  }
  if (value == nullptr) return std::string_view();
  return std::string_view(static_cast<const char*>(value), size);
}

KafkaConsumer::KafkaConsumer(const KafkaConfig& config, RebalanceListener* listener)
    : listener_(listener) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  auto set = [&](const char* key, const std::string& value) {
    if (rd_kafka_conf_set(conf, key, value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("kafka property '") + key + "': " + errstr);
    }
  };
  set("group.id", config.group_id);
  set("client.id", "bulkd-consumer");
  // Offsets are stored by the pipeline once a job reaches a durable hand-off.
  set("enable.auto.offset.store", "false");
  set("enable.auto.commit", "true");
  set("auto.commit.interval.ms", "1000");
  set("auto.offset.reset", "earliest");
  // cooperative-sticky is broken in librdkafka 2.0.2 (docs/architecture.md).
  set("partition.assignment.strategy", "range,roundrobin");
  // The mock cluster holds a fetch for the full wait even when data is there: keep it
  // short (real brokers answer as soon as fetch.min.bytes is met).
  set("fetch.wait.max.ms", "10");
  set("queued.min.messages", "100000");
  try {
    ApplyKafkaProperties(config, conf);
  } catch (...) {
    rd_kafka_conf_destroy(conf);
    throw;
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_rebalance_cb(
      conf, [](rd_kafka_t* rk, rd_kafka_resp_err_t err,
               rd_kafka_topic_partition_list_t* partitions, void* opaque) {
        OnRebalance(rk, err, partitions, opaque);
      });
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!rk_) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka consumer: ") + errstr);
  }
  rd_kafka_poll_set_consumer(rk_);
  queue_ = rd_kafka_queue_get_consumer(rk_);
}

KafkaConsumer::~KafkaConsumer() {
  Close();
  rd_kafka_queue_destroy(static_cast<rd_kafka_queue_t*>(queue_));
  rd_kafka_destroy(rk_);
}

void KafkaConsumer::Subscribe(const std::vector<std::string>& topics) {
  topics_ = topics;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
  for (const std::string& topic : topics)
    rd_kafka_topic_partition_list_add(list, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) throw std::runtime_error(std::string("kafka subscribe: ") + rd_kafka_err2str(err));
}

void KafkaConsumer::OnRebalance(rd_kafka_s* rk, int err, void* partitions_ptr, void* opaque) {
  auto* self = static_cast<KafkaConsumer*>(opaque);
  auto* partitions = static_cast<rd_kafka_topic_partition_list_t*>(partitions_ptr);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    spdlog::info("kafka: assigned partitions={}", partitions->cnt);
    rd_kafka_assign(rk, partitions);
    self->paused_ = false;
    self->held_.clear();
    if (self->listener_) self->listener_->OnPartitionsAssigned(Partitions(partitions));
  } else {
    spdlog::info("kafka: revoked partitions={}", partitions->cnt);
    if (self->listener_) self->listener_->OnPartitionsRevoked(Partitions(partitions));
    rd_kafka_commit(rk, nullptr, 0);  // stored offsets, synchronously
    // librdkafka keeps a partition's pause flag across unassign and a later assign to the
    // same member, while the bookkeeping here (held_, paused_, the pipeline's held tiers)
    // starts afresh at every assignment. A delay tier held at a rebalance and given back
    // to this member would stay paused for ever, its retry records never read again
    // (issue 16). Resuming while they are still assigned makes every assignment start
    // unpaused; the pipeline pauses again what must be.
    rd_kafka_resume_partitions(rk, partitions);
    self->paused_ = false;
    self->held_.clear();
    rd_kafka_assign(rk, nullptr);
  }
}

void KafkaConsumer::PollBatch(std::vector<KafkaMessage>& out, size_t max, int timeout_ms) {
  if (max == 0) return;
  auto* queue = static_cast<rd_kafka_queue_t*>(queue_);
  poll_buffer_.resize(max);
  // rd_kafka_consume_batch_queue waits for all `max` records or the timeout, whichever
  // comes first: a partly filled batch would wait out the whole timeout. So take what is
  // there now, and only when nothing is, wait for the first record and then take what
  // has come with it.
  ssize_t n = rd_kafka_consume_batch_queue(queue, 0, poll_buffer_.data(), max);
  if (n == 0 && timeout_ms > 0) {
    n = rd_kafka_consume_batch_queue(queue, timeout_ms, poll_buffer_.data(), 1);
    if (n == 1 && max > 1) {
      const ssize_t more = rd_kafka_consume_batch_queue(queue, 0, poll_buffer_.data() + 1, max - 1);
      if (more > 0) n += more;
    }
  }
  for (ssize_t i = 0; i < n; ++i) {
    rd_kafka_message_t* m = poll_buffer_[static_cast<size_t>(i)];
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        spdlog::warn("kafka: consume error: {}", rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
      continue;
    }
    out.emplace_back(m);
  }
}

void KafkaConsumer::Wake() { rd_kafka_queue_yield(static_cast<rd_kafka_queue_t*>(queue_)); }

void KafkaConsumer::StoreOffset(const std::string& topic, int32_t partition, int64_t next_offset) {
  rd_kafka_topic_partition_list_t* list = One(topic, partition);
  list->elems[0].offset = next_offset;
  rd_kafka_resp_err_t err = rd_kafka_offsets_store(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  // __STATE: the partition was revoked meanwhile; its new owner will redo the tail.
  if (err && err != RD_KAFKA_RESP_ERR__STATE) {
    spdlog::warn("kafka: storing offset for partition {} failed: {}", partition,
                 rd_kafka_err2str(err));
  }
}

void KafkaConsumer::PauseAll() {
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(rk_, &list) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_pause_partitions(rk_, list);
    rd_kafka_topic_partition_list_destroy(list);
    paused_ = true;
  }
}

void KafkaConsumer::ResumeAll() {
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(rk_, &list) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (const TopicPartition& held : held_)
      rd_kafka_topic_partition_list_del(list, held.topic.c_str(), held.partition);
    rd_kafka_resume_partitions(rk_, list);
    rd_kafka_topic_partition_list_destroy(list);
    paused_ = false;
  }
}

void KafkaConsumer::HoldPartition(const std::string& topic, int32_t partition, int64_t offset) {
  rd_kafka_topic_partition_list_t* list = One(topic, partition);
  rd_kafka_pause_partitions(rk_, list);
  list->elems[0].offset = offset;
  rd_kafka_error_t* error = rd_kafka_seek_partitions(rk_, list, 5000);
  if (error) {
    spdlog::warn("kafka: seek {}[{}] failed: {}", topic, partition, rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
  }
  rd_kafka_topic_partition_list_destroy(list);
  held_.push_back({topic, partition});
}

void KafkaConsumer::ReleasePartition(const std::string& topic, int32_t partition) {
  std::erase_if(held_, [&](const TopicPartition& tp) {
    return tp.partition == partition && tp.topic == topic;
  });
  if (paused_) return;  // ResumeAll will take it along
  rd_kafka_topic_partition_list_t* list = One(topic, partition);
  rd_kafka_resume_partitions(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
}

std::vector<std::pair<int32_t, int64_t>> KafkaConsumer::Lag() {
  std::vector<std::pair<int32_t, int64_t>> lag;
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(rk_, &list) != RD_KAFKA_RESP_ERR_NO_ERROR) return lag;
  rd_kafka_position(rk_, list);
  for (int i = 0; i < list->cnt; ++i) {
    const auto& p = list->elems[i];
    if (topics_.empty() || topics_.front() != p.topic) continue;
    int64_t low = 0, high = 0;
    if (rd_kafka_get_watermark_offsets(rk_, p.topic, p.partition, &low, &high) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        high >= 0 && p.offset >= 0) {
      lag.emplace_back(p.partition, high > p.offset ? high - p.offset : 0);
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  return lag;
}

void KafkaConsumer::Close() {
  if (closed_) return;
  closed_ = true;
  rd_kafka_consumer_close(rk_);
}

}  // namespace bulkd::dispatcher
