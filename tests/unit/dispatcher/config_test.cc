#include "dispatcher/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bulkd::dispatcher {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(const std::string& yaml) {
  try {
    ParseConfig(yaml);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigTest, EmptyTextGivesDocumentedDefaults) {
  Config c = ParseConfig("");
  EXPECT_EQ(c.kafka.brokers, "embedded");
  EXPECT_EQ(c.kafka.jobs_topic, "bulkd.jobs");
  EXPECT_EQ(c.smpp.window, 256);
  EXPECT_EQ(c.redis.key_prefix, "bulkd:");
}

TEST(ConfigTest, ReadsEverySection) {
  Config c = ParseConfig(R"(
kafka: {brokers: "k1:9092,k2:9092", group_id: g, properties: {security.protocol: ssl}}
redis: {host: r, port: 7000}
smpp: {host: s, port: 2776, window: 64, data_coding: ksc5601}
pipeline: {max_inflight: 1000}
admin: {port: 0}
)");
  EXPECT_EQ(c.kafka.brokers, "k1:9092,k2:9092");
  EXPECT_EQ(c.kafka.properties.at("security.protocol"), "ssl");
  EXPECT_EQ(c.redis.port, 7000);
  EXPECT_EQ(c.smpp.window, 64);
  EXPECT_EQ(c.smpp.data_coding, "ksc5601");
  EXPECT_EQ(c.pipeline.max_inflight, 1000u);
  EXPECT_EQ(c.admin.port, 0);
}

TEST(ConfigTest, ErrorsNameTheKey) {
  EXPECT_THAT(ErrorOf("smpp: {window: lots}"), HasSubstr("smpp.window: expected an integer"));
  EXPECT_THAT(ErrorOf("smpp: {window: 0}"), HasSubstr("smpp.window: must be between"));
  EXPECT_THAT(ErrorOf("smpp: {windw: 5}"), HasSubstr("smpp.windw: unknown key"));
  EXPECT_THAT(ErrorOf("redis: {port: 70000}"), HasSubstr("redis.port"));
  EXPECT_THAT(ErrorOf("smpp: {data_coding: latin9}"), HasSubstr("smpp.data_coding"));
  EXPECT_THAT(ErrorOf("colour: blue"), HasSubstr("colour: unknown key"));
  EXPECT_THAT(ErrorOf("kafka: [1, 2]"), HasSubstr("kafka: expected a mapping"));
  EXPECT_THAT(ErrorOf("smpp: {window: [}"), HasSubstr("not valid YAML"));
}

}  // namespace
}  // namespace bulkd::dispatcher
