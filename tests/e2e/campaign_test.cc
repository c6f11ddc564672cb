// End to end through the built binaries: dev-broker (Kafka protocol), redis-server,
// smsc-sim (SMPP) and bulkd. 10,000 good jobs and 100 malformed ones go in through a
// Kafka client; every good job must be submitted exactly once at the simulator and end
// in one terminal event, and every bad one must sit in the DLQ with its reason.
#include <librdkafka/rdkafka.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "dispatcher/kafka/producer.h"
#include "tests/support/child_process.h"
#include "tests/support/redis_server.h"
#include "tests/support/smsc_sim.h"

namespace bulkd {
namespace {

using testing::BuiltBinary;
using testing::ChildProcess;
using testing::TempDir;

constexpr int kGoodJobs = 10000;
constexpr int kBadJobs = 100;

std::string GoodJob(int i) {
  char buffer[512];
  std::snprintf(buffer, sizeof buffer,
                R"({"id":"e2e-%05d","tenant":"shop1","campaign":"e2e","kind":"info",)"
                R"("to":"+8210%08d","channels":["sms"],"text":"주문 %d 발송 안내"})",
                i, i, i);
  return buffer;
}

// Each malformed job breaks one rule; the DLQ reason must name what is wrong.
std::pair<std::string, std::string> BadJob(int i) {
  const std::string id = "\"id\":\"bad-" + std::to_string(i) + "\"";
  switch (i % 5) {
    case 0: return {"{" + id + R"(,"tenant":"shop1","kind":"info","channels":["sms"],"text":"x"})", "to"};
    case 1: return {"{" + id + R"(,"tenant":"shop1","to":"01012345678","kind":"info","channels":["sms"],"text":"x"})", "to"};
    case 2: return {"{" + id + R"(,"tenant":"shop1","to":"+821012345678","kind":"info","channels":"sms","text":"x"})", "channels"};
    case 3: return {"{" + id + R"(,"tenant":"shop1","to":"+8210)", "JSON"};
    default: return {"{" + id + R"(,"tenant":"shop1","to":"+821012345678","kind":"spam","channels":["sms"],"text":"x"})", "kind"};
  }
}

struct DlqRecord {
  std::string value;
  std::string reason;
};

std::vector<DlqRecord> ReadDlq(const std::string& brokers, size_t expect) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "group.id", "e2e-dlq-reader", errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, "bulkd.dlq", RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  std::vector<DlqRecord> records;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (records.size() < expect && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (!m) continue;
    if (!m->err) {
      DlqRecord record{std::string(static_cast<const char*>(m->payload), m->len), ""};
      rd_kafka_headers_t* headers = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          rd_kafka_header_get_last(headers, "reason", &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        record.reason.assign(static_cast<const char*>(value), size);
      }
      records.push_back(std::move(record));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return records;
}

TEST(CampaignEndToEndTest, EveryGoodJobIsSubmittedOnceAndEveryBadOneIsDeadLettered) {
  TempDir dir;
  testing::RedisServer redis;
  ChildProcess broker({BuiltBinary("tools/dev_broker/dev-broker"), "--partitions", "8"});
  auto bootstrap_line = broker.WaitForLine("bootstrap ", std::chrono::seconds(20));
  ASSERT_TRUE(bootstrap_line) << broker.output();
  const std::string bootstrap = testing::TextAfter(*bootstrap_line, "bootstrap ");

  const std::string record_file = dir.path() + "/submits.tsv";
  ChildProcess smsc({BuiltBinary("tools/smsc_sim/smsc-sim"), "--port", "0",
                     "--receipt-delay-ms", "20", "--record", record_file});
  auto smsc_line = smsc.WaitForLine("listening on", std::chrono::seconds(20));
  ASSERT_TRUE(smsc_line) << smsc.output();
  const std::string smsc_port = testing::TextAfter(*smsc_line, "127.0.0.1:");

  // The producer: a plain Kafka client, with the malformed jobs mixed in.
  {
    dispatcher::KafkaConfig kafka;
    kafka.brokers = bootstrap;
    dispatcher::KafkaProducer producer(kafka, "e2e-producer", [](uint64_t) {});
    for (int i = 0; i < kGoodJobs; ++i) {
      producer.Produce("bulkd.jobs", "k" + std::to_string(i), GoodJob(i));
      if (i % (kGoodJobs / kBadJobs) == 0) producer.Produce("bulkd.jobs", "bad", BadJob(i / (kGoodJobs / kBadJobs)).first);
    }
    ASSERT_TRUE(producer.Flush(30000));
    ASSERT_EQ(producer.lost_untracked(), 0u);
  }

  const std::string config_file = dir.path() + "/bulkd.yaml";
  std::ofstream(config_file) << "kafka: {brokers: \"" << bootstrap << "\", group_id: e2e}\n"
                             << "redis: {port: " << redis.port() << "}\n"
                             << "smpp: {port: " << smsc_port << ", window: 128}\n"
                             << "admin: {port: 0}\n";
  ChildProcess bulkd({BuiltBinary("dispatcher/bulkd"), "--config", config_file});
  ASSERT_TRUE(bulkd.WaitForLine("admin listening on", std::chrono::seconds(20))) << bulkd.output();

  ChildProcess report({BuiltBinary("tools/bulkctl/bulkctl"), "report", "--brokers", bootstrap,
                       "--expect", std::to_string(kGoodJobs + kBadJobs), "--timeout", "240",
                       "--json"});
  auto summary = report.WaitForLine("{", std::chrono::seconds(250));
  ASSERT_TRUE(summary);
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"jobs\":" + std::to_string(kGoodJobs + kBadJobs) + ","));
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"finished\":" + std::to_string(kGoodJobs) + ","));
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"delivered\":" + std::to_string(kGoodJobs) + ","));
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"dlq\":" + std::to_string(kBadJobs) + ","));
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"duplicate_terminal_events\":0,"));
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"complete\":true"));

  // Exactly once at the simulator: every destination appears once in its record.
  bulkd.Signal(SIGTERM);
  EXPECT_EQ(bulkd.WaitForExit(std::chrono::seconds(30)), 0);
  smsc.Signal(SIGTERM);
  ASSERT_TRUE(smsc.WaitForExit(std::chrono::seconds(10)));
  std::map<std::string, int> submits;
  std::ifstream records(record_file);
  for (std::string line; std::getline(records, line);) ++submits[line.substr(0, line.find('\t'))];
  EXPECT_EQ(submits.size(), static_cast<size_t>(kGoodJobs));
  int duplicated = 0;
  for (const auto& [to, count] : submits) duplicated += count != 1;
  EXPECT_EQ(duplicated, 0);

  // Every malformed job in the DLQ, byte for byte, with a reason naming the problem.
  std::vector<DlqRecord> dlq = ReadDlq(bootstrap, kBadJobs);
  ASSERT_EQ(dlq.size(), static_cast<size_t>(kBadJobs));
  std::map<std::string, std::string> reason_by_value;
  for (const DlqRecord& r : dlq) reason_by_value[r.value] = r.reason;
  for (int i = 0; i < kBadJobs; ++i) {
    const auto [value, expected_word] = BadJob(i);
    auto it = reason_by_value.find(value);
    ASSERT_NE(it, reason_by_value.end()) << "missing from the DLQ: " << value;
    EXPECT_THAT(it->second, ::testing::HasSubstr(expected_word)) << value;
  }
}

}  // namespace
}  // namespace bulkd
