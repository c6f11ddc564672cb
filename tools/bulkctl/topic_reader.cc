#include "tools/bulkctl/topic_reader.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstring>

namespace bulkd::tools {

bool TopicRecord::Header(const char* name, std::string_view& out) const {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      value == nullptr) {
    return false;
  }
  out = std::string_view(static_cast<const char*>(value), size);
  return true;
}

TopicReader::TopicReader(const std::string& brokers) : brokers_(brokers) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const char* name, const char* value) {
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw KafkaReadError(std::string("kafka client setting ") + name + ": " + errstr);
    }
  };
  set("bootstrap.servers", brokers.c_str());
  set("client.id", "bulkctl");
  set("group.id", "bulkctl-reader");  // required by the consumer API; never joined
  set("enable.auto.commit", "false");
  set("enable.partition.eof", "true");  // tells kHighWatermark where a partition ends
  set("auto.offset.reset", "earliest");  // records deleted meanwhile: from what is left
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw KafkaReadError(std::string("cannot make a Kafka client for '") + brokers + "': " + errstr);
  }
  rd_kafka_poll_set_consumer(rk_);
}

TopicReader::~TopicReader() {
  ReleaseBatch();
  rd_kafka_consumer_close(rk_);
  rd_kafka_destroy(rk_);
}

void TopicReader::Assign(const std::vector<std::string>& topics, Until until, int timeout_ms) {
  until_ = until;
  topics_ = topics;
  partitions_.assign(topics.size(), {});
  topic_handles_.clear();
  open_partitions_ = 0;
  // Metadata of every topic in one request: naming topics could create them on a broker
  // with auto-creation on.
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk_, 1, nullptr, &md, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw KafkaReadError("cannot reach Kafka at " + brokers_ + " (no metadata within " +
                         std::to_string(timeout_ms / 1000) + " s: " + rd_kafka_err2str(err) + ")");
  }
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(64);
  std::string failure;
  for (size_t t = 0; t < topics.size() && failure.empty(); ++t) {
    const rd_kafka_metadata_topic_t* found = nullptr;
    for (int i = 0; i < md->topic_cnt; ++i) {
      if (topics[t] == md->topics[i].topic) found = &md->topics[i];
    }
    if (found == nullptr || found->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      failure = "topic " + topics[t] + " does not exist on " + brokers_;
      break;
    }
    if (found->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failure = "topic " + topics[t] + ": " + rd_kafka_err2str(found->err);
      break;
    }
    int32_t max_id = -1;
    for (int p = 0; p < found->partition_cnt; ++p) max_id = std::max(max_id, found->partitions[p].id);
    partitions_[t].resize(static_cast<size_t>(max_id + 1), Partition{0, 0, true});
    for (int p = 0; p < found->partition_cnt; ++p) {
      const int32_t id = found->partitions[p].id;
      Partition& part = partitions_[t][static_cast<size_t>(id)];
      if (until == Until::kHighWatermark) {
        int64_t low = 0, high = 0;
        const rd_kafka_resp_err_t werr = rd_kafka_query_watermark_offsets(
            rk_, topics[t].c_str(), id, &low, &high, timeout_ms);
        if (werr != RD_KAFKA_RESP_ERR_NO_ERROR) {
          failure = "topic " + topics[t] + " partition " + std::to_string(id) +
                    ": no watermarks from " + brokers_ + " (" + rd_kafka_err2str(werr) + ")";
          break;
        }
        part = Partition{low, high, low >= high};
        if (part.done) continue;  // empty: nothing to read
        ++open_partitions_;
      } else {
        part.done = false;
      }
      // From the low watermark itself when it is known: a logical offset would be
      // resolved first, partition by partition, and a fetch sent meanwhile for the
      // partitions already at their end waits out fetch.wait.max.ms.
      rd_kafka_topic_partition_list_add(list, topics[t].c_str(), id)->offset =
          until == Until::kHighWatermark ? part.next : RD_KAFKA_OFFSET_BEGINNING;
    }
  }
  rd_kafka_metadata_destroy(md);
  if (failure.empty()) {
    const rd_kafka_resp_err_t aerr = rd_kafka_assign(rk_, list);
    if (aerr != RD_KAFKA_RESP_ERR_NO_ERROR) failure = std::string("assign: ") + rd_kafka_err2str(aerr);
  }
  rd_kafka_topic_partition_list_destroy(list);
  if (!failure.empty()) throw KafkaReadError(failure);
}

void TopicReader::ReleaseBatch() {
  for (rd_kafka_message_t* m : batch_) rd_kafka_message_destroy(m);
  batch_.clear();
}

int TopicReader::TopicIndex(const rd_kafka_message_t* m) {
  for (const auto& [handle, index] : topic_handles_) {
    if (handle == m->rkt) return index;
  }
  const char* name = rd_kafka_topic_name(m->rkt);
  for (size_t t = 0; t < topics_.size(); ++t) {
    if (topics_[t] == name) {
      topic_handles_.emplace_back(m->rkt, static_cast<int>(t));
      return static_cast<int>(t);
    }
  }
  return -1;
}

TopicReader::Partition* TopicReader::Find(int topic, int32_t partition) {
  if (topic < 0 || partition < 0) return nullptr;
  auto& parts = partitions_[static_cast<size_t>(topic)];
  return static_cast<size_t>(partition) < parts.size() ? &parts[static_cast<size_t>(partition)]
                                                       : nullptr;
}

void TopicReader::Poll(std::vector<TopicRecord>& out, size_t max, int timeout_ms) {
  out.clear();
  ReleaseBatch();
  if (max == 0) return;
  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(rk_);
  batch_.resize(max);
  // rd_kafka_consume_batch_queue waits for a full batch or the whole timeout: take what
  // is there, and wait only for a first record when nothing is.
  ssize_t n = rd_kafka_consume_batch_queue(queue, 0, batch_.data(), max);
  if (n == 0 && timeout_ms > 0) {
    n = rd_kafka_consume_batch_queue(queue, timeout_ms, batch_.data(), 1);
    if (n == 1 && max > 1) {
      const ssize_t more = rd_kafka_consume_batch_queue(queue, 0, batch_.data() + 1, max - 1);
      if (more > 0) n += more;
    }
  }
  rd_kafka_queue_destroy(queue);
  batch_.resize(n > 0 ? static_cast<size_t>(n) : 0);
  out.reserve(batch_.size());
  for (rd_kafka_message_t* m : batch_) {
    const int topic = m->rkt ? TopicIndex(m) : -1;
    Partition* part = Find(topic, m->partition);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (until_ == Until::kHighWatermark && part && !part->done && m->offset >= part->high) {
        part->done = true;
        --open_partitions_;
      }
      continue;
    }
    if (m->err) {
      last_error_ = rd_kafka_message_errstr(m);
      continue;
    }
    if (topic < 0) continue;
    if (until_ == Until::kHighWatermark) {
      if (part == nullptr || part->done || m->offset >= part->high) continue;
      part->next = m->offset + 1;
      if (part->next >= part->high) {
        part->done = true;
        --open_partitions_;
      }
    }
    TopicRecord& r = out.emplace_back();
    r.topic = topic;
    r.partition = m->partition;
    r.offset = m->offset;
    r.timestamp_ms = rd_kafka_message_timestamp(m, nullptr);
    r.key = std::string_view(static_cast<const char*>(m->key), m->key ? m->key_len : 0);
    r.value = std::string_view(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
    r.message = m;
  }
}

std::string TopicReader::Progress() const {
  std::string out;
  for (size_t t = 0; t < partitions_.size() && out.empty(); ++t) {
    for (size_t p = 0; p < partitions_[t].size(); ++p) {
      const Partition& part = partitions_[t][p];
      if (part.done) continue;
      out = topics_[t] + "[" + std::to_string(p) + "] at offset " + std::to_string(part.next) +
            " of " + std::to_string(part.high);
      break;
    }
  }
  if (out.empty()) out = "every partition read";
  if (!last_error_.empty()) out += "; last error: " + last_error_;
  return out;
}

}  // namespace bulkd::tools
