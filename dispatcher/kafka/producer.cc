#include "dispatcher/kafka/producer.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace bulkd::dispatcher {
namespace {

void SetOrThrow(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
      RD_KAFKA_CONF_OK) {
    throw std::runtime_error("kafka property '" + key + "': " + errstr);
  }
}

}  // namespace

void ApplyKafkaProperties(const KafkaConfig& config, void* rd_kafka_conf) {
  auto* conf = static_cast<rd_kafka_conf_t*>(rd_kafka_conf);
  SetOrThrow(conf, "bootstrap.servers", config.brokers);
  for (const auto& [key, value] : config.properties) SetOrThrow(conf, key, value);
}

KafkaProducer::KafkaProducer(const KafkaConfig& config, std::string_view client_id,
                             DeliveryHandler on_delivery)
    : on_delivery_(std::move(on_delivery)) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  try {
    SetOrThrow(conf, "client.id", std::string(client_id));
    SetOrThrow(conf, "enable.idempotence", "true");  // implies acks=all, no reordering
    SetOrThrow(conf, "linger.ms", "5");               // let events batch
    SetOrThrow(conf, "batch.num.messages", "10000");
    SetOrThrow(conf, "queue.buffering.max.messages", "1000000");
    SetOrThrow(conf, "compression.codec", "lz4");
    ApplyKafkaProperties(config, conf);
  } catch (...) {
    rd_kafka_conf_destroy(conf);
    throw;
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t* rk, const rd_kafka_message_t* m,
                                       void* opaque) { OnDeliveryReport(rk, m, opaque); });
  char errstr[512];
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk_) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka producer: ") + errstr);
  }
  poll_thread_ = std::thread([this] { PollLoop(); });
}

KafkaProducer::~KafkaProducer() {
  Flush(10000);
  stop_ = true;
  poll_thread_.join();
  rd_kafka_destroy(rk_);
}

void KafkaProducer::Produce(const std::string& topic, std::string_view key,
                            std::string_view value, uint64_t token,
                            const std::vector<RecordHeader>& headers) {
  rd_kafka_headers_t* hdrs = nullptr;
  if (!headers.empty()) {
    hdrs = rd_kafka_headers_new(headers.size());
    for (const RecordHeader& h : headers) {
      rd_kafka_header_add(hdrs, h.name.data(), static_cast<ssize_t>(h.name.size()),
                          h.value.data(), static_cast<ssize_t>(h.value.size()));
    }
  }
  for (;;) {
    // On success librdkafka owns `hdrs`; on failure we still do.
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(topic.c_str()),
        RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(token))),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
    if (!err) return;
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      // The poll thread serves delivery reports; wait for room without spinning.
      rd_kafka_flush(rk_, 10);
      continue;
    }
    if (hdrs) rd_kafka_headers_destroy(hdrs);
    // Unknown topic or a fatal idempotence error: a configuration problem, not load.
    throw std::runtime_error("kafka produce to '" + topic + "': " + rd_kafka_err2str(err));
  }
}

bool KafkaProducer::Flush(int timeout_ms) {
  return rd_kafka_flush(rk_, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

void KafkaProducer::OnDeliveryReport(rd_kafka_s* rk, const void* message, void* opaque) {
  auto* self = static_cast<KafkaProducer*>(opaque);
  const auto* m = static_cast<const rd_kafka_message_t*>(message);
  const uint64_t token = reinterpret_cast<uintptr_t>(m->_private);
  if (!m->err) {
    if (token != 0) self->on_delivery_(token);
    return;
  }
  if (token == 0) {
    self->lost_untracked_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("kafka: untracked record to {} failed: {}", rd_kafka_topic_name(m->rkt),
                 rd_kafka_err2str(m->err));
    return;
  }
  // A tracked record (terminal event, DLQ record) must land: produce it again. The
  // delivery report runs on the poll thread, where producing is allowed.
  self->redelivered_.fetch_add(1, std::memory_order_relaxed);
  static std::atomic<int64_t> last_warn{0};
  const int64_t now = static_cast<int64_t>(time(nullptr));
  if (last_warn.exchange(now) != now) {
    spdlog::warn("kafka: delivery to {} failed ({}); producing again",
                 rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
  }
  rd_kafka_headers_t* hdrs = nullptr;
  rd_kafka_headers_t* original = nullptr;
  if (rd_kafka_message_headers(m, &original) == RD_KAFKA_RESP_ERR_NO_ERROR)
    hdrs = rd_kafka_headers_copy(original);
  rd_kafka_resp_err_t err = rd_kafka_producev(
      rk, RD_KAFKA_V_RKT(m->rkt), RD_KAFKA_V_KEY(m->key, m->key_len),
      RD_KAFKA_V_VALUE(m->payload, m->len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_OPAQUE(m->_private), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
  if (err) {
    if (hdrs) rd_kafka_headers_destroy(hdrs);
    spdlog::error("kafka: could not produce a failed record again: {}",
                  rd_kafka_err2str(err));
  }
}

void KafkaProducer::PollLoop() {
  while (!stop_.load(std::memory_order_relaxed)) rd_kafka_poll(rk_, 50);
  rd_kafka_poll(rk_, 0);
}

}  // namespace bulkd::dispatcher
