// End to end: a person answers "수신거부" to our caller id over SMPP (an MO from
// smsc-sim). bulkd must publish the reply on bulkd.inbound, put the number in the
// tenant's opt-out set at once, and suppress the next job to that number.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "dispatcher/kafka/producer.h"
#include "tests/support/child_process.h"
#include "tests/support/kafka_reader.h"
#include "tests/support/redis_server.h"
#include "tests/support/smsc_sim.h"

namespace bulkd {
namespace {

using testing::BuiltBinary;
using testing::ChildProcess;
using testing::ReadTopic;
using testing::TempDir;

TEST(InboundOptOutEndToEndTest, AnOptOutReplyIsPublishedHonouredAtOnceAndSuppressesTheNextJob) {
  TempDir dir;
  testing::RedisServer redis;
  ChildProcess broker({BuiltBinary("tools/dev_broker/dev-broker"), "--partitions", "2"});
  auto bootstrap_line = broker.WaitForLine("bootstrap ", std::chrono::seconds(20));
  ASSERT_TRUE(bootstrap_line);
  const std::string bootstrap = testing::TextAfter(*bootstrap_line, "bootstrap ");
  ChildProcess smsc({BuiltBinary("tools/smsc_sim/smsc-sim"), "--port", "0",
                     "--mo", "+821055550000,15880000,ucs2,수신거부",
                     "--mo", "+821055550001,15880000,gsm,see you tomorrow"});
  auto smsc_line = smsc.WaitForLine("listening on", std::chrono::seconds(20));
  ASSERT_TRUE(smsc_line);

  const std::string config_file = dir.path() + "/bulkd.yaml";
  std::ofstream(config_file) << "kafka: {brokers: \"" << bootstrap << "\", group_id: inbound}\n"
                             << "redis: {port: " << redis.port() << "}\n"
                             << "smpp: {port: " << testing::TextAfter(*smsc_line, "127.0.0.1:") << "}\n"
                             << "inbound: {sender_tenants: {\"15880000\": shop1}}\n"
                             << "admin: {port: 0}\n";
  ChildProcess bulkd({BuiltBinary("dispatcher/bulkd"), "--config", config_file});
  ASSERT_TRUE(bulkd.WaitForLine("admin listening on", std::chrono::seconds(20)));

  // Honoured at once: the number is in shop1's opt-out set, the other one is not.
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return redis.Command({"SISMEMBER", "bulkd:optout:shop1", "+821055550000"}) == "1"; },
      std::chrono::seconds(30)));
  EXPECT_EQ(redis.Command({"SISMEMBER", "bulkd:optout:shop1", "+821055550001"}), "0");

  // Both replies are on bulkd.inbound, the opt-out marked as applied.
  std::vector<std::string> inbound = ReadTopic(bootstrap, "bulkd.inbound", 2, "\"from\"");
  ASSERT_EQ(inbound.size(), 2u);
  std::string all = inbound[0] + inbound[1];
  EXPECT_THAT(all, ::testing::HasSubstr("\"text\":\"수신거부\",\"optout\":true,\"tenant\":\"shop1\",\"optout_applied\":true"));
  EXPECT_THAT(all, ::testing::HasSubstr("\"text\":\"see you tomorrow\",\"optout\":false"));

  // The next job to that number is suppressed, not sent.
  {
    dispatcher::KafkaConfig kafka;
    kafka.brokers = bootstrap;
    dispatcher::KafkaProducer producer(kafka, "inbound-producer", [](uint64_t) {});
    producer.Produce("bulkd.jobs", "+821055550000",
                     R"({"id":"after-optout","tenant":"shop1","kind":"info","to":"+821055550000",)"
                     R"("channels":["sms"],"text":"order shipped"})");
    ASSERT_TRUE(producer.Flush(10000));
  }
  std::vector<std::string> events = ReadTopic(bootstrap, "bulkd.events", 1, "after-optout");
  std::string mine;
  for (const std::string& e : events)
    if (e.find("after-optout") != std::string::npos) mine += e;
  EXPECT_THAT(mine, ::testing::HasSubstr("\"event\":\"suppressed\""));
  EXPECT_THAT(mine, ::testing::Not(::testing::HasSubstr("\"event\":\"submitted\"")));
}

}  // namespace
}  // namespace bulkd
