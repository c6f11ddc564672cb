#include "dispatcher/kafka/embedded_broker.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <stdexcept>

namespace bulkd::dispatcher {

EmbeddedBroker::EmbeddedBroker(int broker_count, const std::vector<TopicSpec>& topics) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The host handle never talks to anyone; keep it quiet.
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  host_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!host_) throw std::runtime_error(std::string("embedded broker: ") + errstr);
  cluster_ = rd_kafka_mock_cluster_new(host_, broker_count);
  if (!cluster_) {
    rd_kafka_destroy(host_);
    throw std::runtime_error("embedded broker: could not start the mock cluster");
  }
  for (const TopicSpec& topic : topics) {
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(cluster_, topic.name.c_str(), topic.partitions, 1);
    if (err) {
      rd_kafka_mock_cluster_destroy(cluster_);
      rd_kafka_destroy(host_);
      throw std::runtime_error("embedded broker: cannot create topic '" + topic.name +
                               "': " + rd_kafka_err2str(err));
    }
  }
  bootstrap_servers_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

EmbeddedBroker::~EmbeddedBroker() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(host_);
}

}  // namespace bulkd::dispatcher
