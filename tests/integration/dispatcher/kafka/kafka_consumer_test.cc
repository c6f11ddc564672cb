// KafkaConsumer against librdkafka's mock cluster (Kafka protocol over loopback): pause
// and hold state across a rebalance. librdkafka keeps a partition's pause flag across
// unassign and re-assign to the same member; the consumer must not, or a delay tier held
// at a rebalance is never read again (issue 16).
#include "dispatcher/kafka/consumer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "dispatcher/kafka/embedded_broker.h"
#include "dispatcher/kafka/producer.h"

namespace bulkd::dispatcher {
namespace {

using Clock = std::chrono::steady_clock;

class CountingListener final : public RebalanceListener {
 public:
  void OnPartitionsAssigned(const std::vector<TopicPartition>& partitions) override {
    assigned = partitions.size();
    ++assignments;
  }
  void OnPartitionsRevoked(const std::vector<TopicPartition>&) override { assigned = 0; }
  std::atomic<size_t> assigned{0};
  std::atomic<int> assignments{0};
};

KafkaConfig GroupConfig(const std::string& bootstrap) {
  KafkaConfig config;
  config.brokers = bootstrap;
  config.group_id = "pause-across-rebalance";
  config.properties = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
  return config;
}

void ProduceTo(const std::string& bootstrap, int32_t partitions, int per_partition) {
  KafkaConfig config;
  config.brokers = bootstrap;
  KafkaProducer producer(config, "test-producer", [](uint64_t) {});
  // Keys chosen until every partition has its share (the partitioner decides).
  for (int i = 0; i < per_partition * partitions * 4; ++i)
    producer.Produce("t", "key-" + std::to_string(i), "v");
  ASSERT_TRUE(producer.Flush(10000));
}

// Polls `consumer` until `done` or `timeout`; returns the partitions records came from.
template <typename Done>
std::set<int32_t> PollUntil(KafkaConsumer& consumer, Done done, std::chrono::seconds timeout) {
  std::set<int32_t> seen;
  const auto deadline = Clock::now() + timeout;
  std::vector<KafkaMessage> batch;
  while (Clock::now() < deadline && !done(seen)) {
    batch.clear();
    consumer.PollBatch(batch, 100, 50);
    for (const KafkaMessage& m : batch) seen.insert(m.partition());
  }
  return seen;
}

TEST(KafkaConsumerTest, PausedAndHeldPartitionsReadAgainAfterARebalanceGivesThemBack) {
  EmbeddedBroker broker(1, {{"t", 2}});
  ProduceTo(broker.bootstrap_servers(), 2, 5);

  CountingListener listener;
  KafkaConsumer consumer(GroupConfig(broker.bootstrap_servers()), &listener);
  consumer.Subscribe({"t"});
  auto seen = PollUntil(consumer, [](const std::set<int32_t>& s) { return s.size() == 2; },
                        std::chrono::seconds(30));
  ASSERT_EQ(seen.size(), 2u) << "records from both partitions before the pause";

  // One partition held (as a delay tier whose head is not due), everything paused (as
  // backpressure or Redis down).
  consumer.HoldPartition("t", 0, 0);
  consumer.PauseAll();
  ASSERT_TRUE(consumer.paused());
  const int assignments_before = listener.assignments.load();

  // A second member joins and leaves: two rebalances, after which this member owns both
  // partitions again.
  {
    CountingListener other_listener;
    KafkaConsumer other(GroupConfig(broker.bootstrap_servers()), &other_listener);
    other.Subscribe({"t"});
    std::atomic<bool> stop{false};
    std::thread other_thread([&] {
      std::vector<KafkaMessage> batch;
      while (!stop) {
        batch.clear();
        other.PollBatch(batch, 100, 50);
      }
    });
    PollUntil(consumer,
              [&](const std::set<int32_t>&) {
                return listener.assignments > assignments_before && other_listener.assigned > 0;
              },
              std::chrono::seconds(30));
    stop = true;
    other_thread.join();
    ASSERT_GT(other_listener.assigned.load(), 0u) << "the second member never got a partition";
    other.Close();
  }
  const int assignments_shared = listener.assignments.load();
  PollUntil(consumer,
            [&](const std::set<int32_t>&) {
              return listener.assignments > assignments_shared && listener.assigned == 2;
            },
            std::chrono::seconds(30));
  ASSERT_EQ(listener.assigned.load(), 2u);
  EXPECT_FALSE(consumer.paused());

  // New records on both partitions reach this member: nothing stayed paused.
  ProduceTo(broker.bootstrap_servers(), 2, 5);
  seen = PollUntil(consumer, [](const std::set<int32_t>& s) { return s.size() == 2; },
                   std::chrono::seconds(20));
  EXPECT_EQ(seen, (std::set<int32_t>{0, 1}));
  consumer.Close();
}

}  // namespace
}  // namespace bulkd::dispatcher
