#include "dispatcher/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

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

// LoadConfig on `yaml` written to a temp file: the path that applies env overrides and
// the checks that need secrets.
class LoadConfigTest : public ::testing::Test {
 protected:
  static constexpr const char* kEnv[] = {"BULKD_KAKAO_WEBHOOK_SECRET", "BULKD_FRIENDTALK_SECRET_KEY",
                                         "BULKD_RCS_SECRET_KEY", "BULKD_WEBHOOK_SECRET"};
  void SetUp() override {
    for (const char* name : kEnv) unsetenv(name);
  }
  void TearDown() override {
    for (const char* name : kEnv) unsetenv(name);
    std::remove(path_.c_str());
  }
  Config Load(const std::string& yaml) {
    std::ofstream(path_) << yaml;
    return LoadConfig(path_);
  }
  std::string LoadError(const std::string& yaml) {
    try {
      Load(yaml);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  }

 private:
  std::string path_ = ::testing::TempDir() + "bulkd_config_test_" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".yaml";
};

TEST(ConfigTest, EmptyTextGivesDocumentedDefaults) {
  Config c = ParseConfig("");
  EXPECT_EQ(c.kafka.brokers, "embedded");
  EXPECT_EQ(c.kafka.jobs_topic, "bulkd.jobs");
  EXPECT_EQ(c.smpp.window, 256);
  EXPECT_EQ(c.redis.key_prefix, "bulkd:");
}

TEST(ConfigTest, EmptyTextGivesDefaultsOfTheNewSections) {
  Config c = ParseConfig("");
  EXPECT_EQ(c.smpp.binds, 1);
  EXPECT_EQ(c.smpp.max_tps_per_bind, 0);
  EXPECT_EQ(c.smpp.throttle_backoff_ms, 1000);
  EXPECT_EQ(c.smpp.carrier, "");
  EXPECT_EQ(c.smpp.weight, 1);
  EXPECT_TRUE(c.smpp_routes.empty());
  EXPECT_EQ(c.kakao.webhook_secret, "");
  EXPECT_EQ(c.kakao.webhook_path, "/webhooks/kakao-alimtalk");
  EXPECT_FALSE(c.friendtalk.dealer.enabled);
  EXPECT_EQ(c.friendtalk.dealer.name, "kakao-friendtalk");
  EXPECT_EQ(c.friendtalk.dealer.batch_size, 0);
  EXPECT_EQ(c.friendtalk.dealer.base_url, "http://127.0.0.1:10080");
  EXPECT_FALSE(c.rcs.dealer.enabled);
  EXPECT_EQ(c.rcs.dealer.name, "rcs");
  EXPECT_EQ(c.rcs.dealer.poll_interval_ms, 2000);
  EXPECT_FALSE(c.webhook.enabled);
  EXPECT_EQ(c.webhook.name, "webhook");
  EXPECT_EQ(c.webhook.max_connections, 8);
  EXPECT_EQ(c.result_webhooks.bind, "127.0.0.1");
  EXPECT_EQ(c.result_webhooks.port, 9465);
  EXPECT_EQ(c.result_webhooks.max_body_bytes, size_t{4} << 20);
  EXPECT_EQ(c.result_webhooks.max_connections, 64u);
  // An explicitly empty section is the defaults too.
  Config e = ParseConfig("smpp_routes: []\nfriendtalk: {}\nrcs: {}\nwebhook: {}\nresult_webhooks: {}\n");
  EXPECT_TRUE(e.smpp_routes.empty());
  EXPECT_EQ(e.rcs.dealer.name, "rcs");
}

TEST(ConfigTest, NumberMapIsOffByDefaultAndReadAsABool) {
  EXPECT_FALSE(ParseConfig("").ratelimit.number_map);
  EXPECT_TRUE(ParseConfig("ratelimit: {number_map: true}").ratelimit.number_map);
  try {
    ParseConfig("ratelimit: {number_map: maybe}");
    FAIL() << "accepted a non-boolean";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("ratelimit.number_map"));
  }
}

TEST(ConfigTest, ReadsSmppPoolAndExtraRoutesWithTheSameKeys) {
  Config c = ParseConfig(R"(
smpp: {name: a, binds: 4, max_tps_per_bind: 150, throttle_backoff_ms: 250, carrier: skt, weight: 3}
smpp_routes:
  - {name: b, host: smsc-b, port: 2776, window: 32, binds: 2, carrier: lg-u_2}
  - name: c
    data_coding: gsm7
    weight: 1000
)");
  EXPECT_EQ(c.smpp.name, "a");
  EXPECT_EQ(c.smpp.binds, 4);
  EXPECT_EQ(c.smpp.max_tps_per_bind, 150);
  EXPECT_EQ(c.smpp.throttle_backoff_ms, 250);
  EXPECT_EQ(c.smpp.carrier, "skt");
  EXPECT_EQ(c.smpp.weight, 3);
  ASSERT_EQ(c.smpp_routes.size(), 2u);
  EXPECT_EQ(c.smpp_routes[0].name, "b");
  EXPECT_EQ(c.smpp_routes[0].host, "smsc-b");
  EXPECT_EQ(c.smpp_routes[0].port, 2776);
  EXPECT_EQ(c.smpp_routes[0].window, 32);
  EXPECT_EQ(c.smpp_routes[0].binds, 2);
  EXPECT_EQ(c.smpp_routes[0].carrier, "lg-u_2");
  EXPECT_EQ(c.smpp_routes[1].name, "c");
  EXPECT_EQ(c.smpp_routes[1].data_coding, "gsm7");
  EXPECT_EQ(c.smpp_routes[1].weight, 1000);
  EXPECT_EQ(c.smpp_routes[1].window, 256);  // each extra route starts from the defaults
  EXPECT_EQ(c.smpp_routes[1].host, "127.0.0.1");
}

TEST(ConfigTest, SmppRouteErrorsNameTheRouteAndKey) {
  EXPECT_THAT(ErrorOf("smpp: {binds: 0}"), HasSubstr("config: smpp.binds: must be between 1 and 64"));
  EXPECT_THAT(ErrorOf("smpp: {binds: 65}"), HasSubstr("smpp.binds: must be between 1 and 64"));
  EXPECT_THAT(ErrorOf("smpp: {max_tps_per_bind: 100001}"),
              HasSubstr("smpp.max_tps_per_bind: must be between 0 and 100000"));
  EXPECT_THAT(ErrorOf("smpp: {max_tps_per_bind: -1}"), HasSubstr("smpp.max_tps_per_bind"));
  EXPECT_THAT(ErrorOf("smpp: {weight: 0}"), HasSubstr("smpp.weight: must be between 1 and 1000"));
  EXPECT_THAT(ErrorOf("smpp: {weight: 1001}"), HasSubstr("smpp.weight"));
  EXPECT_THAT(ErrorOf("smpp: {carrier: SKT}"), HasSubstr("smpp.carrier: must be empty or 1 to 32"));
  EXPECT_THAT(ErrorOf("smpp: {carrier: \"s k\"}"), HasSubstr("smpp.carrier"));
  EXPECT_THAT(ErrorOf("smpp: {carrier: " + std::string(33, 'a') + "}"), HasSubstr("smpp.carrier"));
  EXPECT_EQ(ErrorOf("smpp: {carrier: " + std::string(32, 'a') + "}"), "");
  EXPECT_EQ(ErrorOf("smpp: {carrier: \"\"}"), "");
  EXPECT_THAT(ErrorOf("smpp: {name: \"\"}"), HasSubstr("smpp.name: must not be empty"));
  EXPECT_THAT(ErrorOf("smpp_routes:\n  - {name: b}\n  - {name: c}\n  - {name: d, window: 0}"),
              HasSubstr("config: smpp_routes[2].window: must be between 1 and 4096"));
  EXPECT_THAT(ErrorOf("smpp_routes: [{name: b, windw: 5}]"),
              HasSubstr("smpp_routes[0].windw: unknown key"));
  EXPECT_THAT(ErrorOf("smpp_routes: [{name: b, binds: 99}]"), HasSubstr("smpp_routes[0].binds"));
  EXPECT_THAT(ErrorOf("smpp_routes: [{host: h}]"), HasSubstr("smpp_routes[0].name: is required"));
  EXPECT_THAT(ErrorOf("smpp_routes: [{name: b}, 7]"), HasSubstr("smpp_routes[1]: expected a mapping"));
  EXPECT_THAT(ErrorOf("smpp_routes: {name: b}"), HasSubstr("smpp_routes: expected a list"));
}

TEST(ConfigTest, RouteNamesAreUniqueAcrossSmppAndSmppRoutes) {
  EXPECT_EQ(ParseConfig("smpp_routes: [{name: b}, {name: c}]").smpp_routes.size(), 2u);
  EXPECT_THAT(ErrorOf("smpp: {name: x}\nsmpp_routes: [{name: y}, {name: x}]"),
              HasSubstr("config: smpp_routes[1].name: duplicate route name \"x\""));
  EXPECT_THAT(ErrorOf("smpp_routes: [{name: smpp-main}]"),  // the first route's default
              HasSubstr("smpp_routes[0].name: duplicate route name \"smpp-main\""));
  EXPECT_THAT(ErrorOf("smpp_routes: [{name: b}, {name: c}, {name: b}]"),
              HasSubstr("smpp_routes[2].name: duplicate route name \"b\""));
}

TEST(ConfigTest, ReadsKakaoWebhookKeys) {
  Config c = ParseConfig("kakao: {webhook_secret: hk, webhook_path: /hooks/at}");
  EXPECT_EQ(c.kakao.webhook_secret, "hk");
  EXPECT_EQ(c.kakao.webhook_path, "/hooks/at");
  EXPECT_THAT(ErrorOf("kakao: {webhook_path: hooks}"), HasSubstr("kakao.webhook_path: must start with /"));
  EXPECT_THAT(ErrorOf("kakao: {webhook_secret: [a]}"), HasSubstr("kakao.webhook_secret: expected a string"));
}

TEST(ConfigTest, ReadsFriendtalkDealerAndProductKeysFlat) {
  Config c = ParseConfig(R"(
friendtalk:
  enabled: true
  name: ft
  base_url: https://api-ft.example
  secret_key: S
  batch_size: 1000
  linger_ms: 20
  max_connections: 8
  request_timeout_ms: 5000
  poll_interval_ms: 0
  verify_peer: false
  ca_file: /etc/ca.pem
  appkey: APP
  sender_key: SENDER
)");
  const DealerSettings& d = c.friendtalk.dealer;
  EXPECT_TRUE(d.enabled);
  EXPECT_EQ(d.name, "ft");
  EXPECT_EQ(d.base_url, "https://api-ft.example");
  EXPECT_EQ(d.secret_key, "S");
  EXPECT_EQ(d.batch_size, 1000);
  EXPECT_EQ(d.linger_ms, 20);
  EXPECT_EQ(d.max_connections, 8);
  EXPECT_EQ(d.request_timeout_ms, 5000);
  EXPECT_EQ(d.poll_interval_ms, 0);
  EXPECT_FALSE(d.verify_peer);
  EXPECT_EQ(d.ca_file, "/etc/ca.pem");
  EXPECT_EQ(c.friendtalk.appkey, "APP");
  EXPECT_EQ(c.friendtalk.sender_key, "SENDER");
  EXPECT_FALSE(c.rcs.dealer.enabled);  // one section does not touch the other
}

TEST(ConfigTest, ReadsRcsDealerAndProductKeysFlat) {
  Config c = ParseConfig(R"(
rcs: {enabled: true, base_url: https://rcs.example, secret_key: S, batch_size: 500, linger_ms: 0,
      app_key: APP, brand_id: BR, chatbot_id: "15880000", unsubscribe_number: "0801234567"}
)");
  EXPECT_TRUE(c.rcs.dealer.enabled);
  EXPECT_EQ(c.rcs.dealer.name, "rcs");
  EXPECT_EQ(c.rcs.dealer.base_url, "https://rcs.example");
  EXPECT_EQ(c.rcs.dealer.secret_key, "S");
  EXPECT_EQ(c.rcs.dealer.batch_size, 500);
  EXPECT_EQ(c.rcs.dealer.linger_ms, 0);
  EXPECT_EQ(c.rcs.app_key, "APP");
  EXPECT_EQ(c.rcs.brand_id, "BR");
  EXPECT_EQ(c.rcs.chatbot_id, "15880000");
  EXPECT_EQ(c.rcs.unsubscribe_number, "0801234567");
  EXPECT_EQ(c.friendtalk.dealer.name, "kakao-friendtalk");
}

TEST(ConfigTest, DealerSectionErrorsNameTheKey) {
  EXPECT_THAT(ErrorOf("friendtalk: {batch_size: 1001}"),
              HasSubstr("config: friendtalk.batch_size: must be between 0 and 1000"));
  EXPECT_THAT(ErrorOf("rcs: {batch_size: 501}"), HasSubstr("config: rcs.batch_size: must be between 0 and 500"));
  EXPECT_THAT(ErrorOf("rcs: {batch_size: -1}"), HasSubstr("rcs.batch_size"));
  EXPECT_THAT(ErrorOf("friendtalk: {app_key: A}"), HasSubstr("friendtalk.app_key: unknown key"));
  EXPECT_THAT(ErrorOf("rcs: {appkey: A}"), HasSubstr("rcs.appkey: unknown key"));
  EXPECT_THAT(ErrorOf("rcs: {sender_key: A}"), HasSubstr("rcs.sender_key: unknown key"));
  EXPECT_THAT(ErrorOf("friendtalk: {enabled: maybe}"), HasSubstr("friendtalk.enabled: expected true or false"));
  EXPECT_THAT(ErrorOf("rcs: {max_connections: 0}"), HasSubstr("rcs.max_connections: must be between"));
  EXPECT_THAT(ErrorOf("friendtalk: {request_timeout_ms: 5}"), HasSubstr("friendtalk.request_timeout_ms"));
  EXPECT_THAT(ErrorOf("friendtalk: {name: \"\"}"), HasSubstr("friendtalk.name: must not be empty"));
  EXPECT_THAT(ErrorOf("rcs: [1]"), HasSubstr("rcs: expected a mapping"));
}

TEST(ConfigTest, EnabledDealerNeedsItsNonSecretCredentialsInTheFile) {
  EXPECT_THAT(ErrorOf("friendtalk: {enabled: true, sender_key: S}"),
              HasSubstr("config: friendtalk.appkey: required when friendtalk.enabled is true"));
  EXPECT_THAT(ErrorOf("friendtalk: {enabled: true, appkey: A}"),
              HasSubstr("config: friendtalk.sender_key: required when friendtalk.enabled is true"));
  EXPECT_THAT(ErrorOf("rcs: {enabled: true, app_key: A, chatbot_id: C}"),
              HasSubstr("config: rcs.brand_id: required when rcs.enabled is true"));
  EXPECT_THAT(ErrorOf("rcs: {enabled: true, brand_id: B, chatbot_id: C}"),
              HasSubstr("rcs.app_key: required when rcs.enabled is true"));
  EXPECT_THAT(ErrorOf("rcs: {enabled: true, app_key: A, brand_id: B}"),
              HasSubstr("rcs.chatbot_id: required when rcs.enabled is true"));
  EXPECT_THAT(ErrorOf("webhook: {enabled: true}"),
              HasSubstr("config: webhook.url: required when webhook.enabled is true"));
  // Secrets are not required by ParseConfig: they may come from the environment.
  EXPECT_EQ(ErrorOf("friendtalk: {enabled: true, appkey: A, sender_key: S}"), "");
  EXPECT_EQ(ErrorOf("rcs: {enabled: true, app_key: A, brand_id: B, chatbot_id: C}"), "");
  EXPECT_EQ(ErrorOf("webhook: {enabled: true, url: \"https://crm.example/hook\"}"), "");
  EXPECT_EQ(ErrorOf("kakao: {enabled: true, poll_interval_ms: 0}"), "");
  // Disabled: nothing is required.
  EXPECT_EQ(ErrorOf("friendtalk: {enabled: false}\nrcs: {enabled: false}\nwebhook: {enabled: false}"), "");
}

TEST(ConfigTest, ReadsWebhookChannel) {
  Config c = ParseConfig(R"(
webhook: {enabled: true, name: crm, url: "https://crm.example/hook", secret: K,
          endpoint_dedupes_idempotency_key: true, max_connections: 16, request_timeout_ms: 3000,
          verify_peer: false, ca_file: /ca.pem}
)");
  EXPECT_TRUE(c.webhook.enabled);
  EXPECT_EQ(c.webhook.name, "crm");
  EXPECT_EQ(c.webhook.url, "https://crm.example/hook");
  EXPECT_EQ(c.webhook.secret, "K");
  EXPECT_TRUE(c.webhook.endpoint_dedupes_idempotency_key);
  EXPECT_EQ(c.webhook.max_connections, 16);
  EXPECT_EQ(c.webhook.request_timeout_ms, 3000);
  EXPECT_FALSE(c.webhook.verify_peer);
  EXPECT_EQ(c.webhook.ca_file, "/ca.pem");
  EXPECT_THAT(ErrorOf("webhook: {max_connections: 0}"), HasSubstr("webhook.max_connections: must be between"));
  EXPECT_THAT(ErrorOf("webhook: {urll: x}"), HasSubstr("webhook.urll: unknown key"));
  EXPECT_THAT(ErrorOf("webhook: {endpoint_dedupes_idempotency_key: 2}"),
              HasSubstr("webhook.endpoint_dedupes_idempotency_key: expected true or false"));
}

TEST(ConfigTest, ReadsResultWebhooksWithRanges) {
  Config c = ParseConfig(R"(
result_webhooks: {bind: 0.0.0.0, port: 0, max_body_bytes: 1024, request_timeout_ms: 10, max_connections: 10000}
)");
  EXPECT_EQ(c.result_webhooks.bind, "0.0.0.0");
  EXPECT_EQ(c.result_webhooks.port, 0);
  EXPECT_EQ(c.result_webhooks.max_body_bytes, 1024u);
  EXPECT_EQ(c.result_webhooks.request_timeout_ms, 10);
  EXPECT_EQ(c.result_webhooks.max_connections, 10000u);
  EXPECT_EQ(ParseConfig("result_webhooks: {port: 65535, max_body_bytes: 67108864}").result_webhooks.max_body_bytes,
            67108864u);
  EXPECT_THAT(ErrorOf("result_webhooks: {port: 65536}"),
              HasSubstr("config: result_webhooks.port: must be between 0 and 65535"));
  EXPECT_THAT(ErrorOf("result_webhooks: {max_body_bytes: 1023}"),
              HasSubstr("result_webhooks.max_body_bytes: must be between 1024 and 67108864"));
  EXPECT_THAT(ErrorOf("result_webhooks: {max_body_bytes: 67108865}"), HasSubstr("result_webhooks.max_body_bytes"));
  EXPECT_THAT(ErrorOf("result_webhooks: {request_timeout_ms: 9}"), HasSubstr("result_webhooks.request_timeout_ms"));
  EXPECT_THAT(ErrorOf("result_webhooks: {request_timeout_ms: 600001}"),
              HasSubstr("result_webhooks.request_timeout_ms"));
  EXPECT_THAT(ErrorOf("result_webhooks: {max_connections: 0}"), HasSubstr("result_webhooks.max_connections"));
  EXPECT_THAT(ErrorOf("result_webhooks: {max_connections: 10001}"), HasSubstr("result_webhooks.max_connections"));
  EXPECT_THAT(ErrorOf("result_webhooks: {path: /x}"), HasSubstr("result_webhooks.path: unknown key"));
}

TEST_F(LoadConfigTest, EnabledSectionsNeedTheirSecretsFromFileOrEnvironment) {
  EXPECT_THAT(LoadError("friendtalk: {enabled: true, appkey: A, sender_key: S}"),
              HasSubstr("config: friendtalk.secret_key: required when friendtalk.enabled is true"));
  EXPECT_THAT(LoadError("rcs: {enabled: true, app_key: A, brand_id: B, chatbot_id: C}"),
              HasSubstr("config: rcs.secret_key: required when rcs.enabled is true"));
  EXPECT_THAT(LoadError("webhook: {enabled: true, url: \"https://crm.example/hook\"}"),
              HasSubstr("config: webhook.secret: required when webhook.enabled is true"));
  EXPECT_THAT(LoadError("kakao: {enabled: true, poll_interval_ms: 0}"),
              HasSubstr("config: kakao.poll_interval_ms: 0 needs kakao.webhook_secret, else results never arrive"));
  // From the file alone.
  EXPECT_EQ(LoadError("friendtalk: {enabled: true, appkey: A, sender_key: S, secret_key: K}"), "");
  EXPECT_EQ(LoadError("kakao: {enabled: true, poll_interval_ms: 0, webhook_secret: W}"), "");
  EXPECT_EQ(LoadError("kakao: {enabled: true}"), "");  // polling: no webhook needed
  EXPECT_EQ(LoadError("kakao: {enabled: false, poll_interval_ms: 0}"), "");
}

TEST_F(LoadConfigTest, SecretsFromTheEnvironmentOverrideAndSatisfyTheChecks) {
  setenv("BULKD_KAKAO_WEBHOOK_SECRET", "env-kakao-hook", 1);
  setenv("BULKD_FRIENDTALK_SECRET_KEY", "env-ft", 1);
  setenv("BULKD_RCS_SECRET_KEY", "env-rcs", 1);
  setenv("BULKD_WEBHOOK_SECRET", "env-webhook", 1);
  Config c = Load(R"(
kakao: {enabled: true, poll_interval_ms: 0, webhook_secret: file-kakao-hook}
friendtalk: {enabled: true, appkey: A, sender_key: S}
rcs: {enabled: true, app_key: A, brand_id: B, chatbot_id: C, secret_key: file-rcs}
webhook: {enabled: true, url: "https://crm.example/hook"}
)");
  EXPECT_EQ(c.kakao.webhook_secret, "env-kakao-hook");  // env wins over the file
  EXPECT_EQ(c.friendtalk.dealer.secret_key, "env-ft");
  EXPECT_EQ(c.rcs.dealer.secret_key, "env-rcs");
  EXPECT_EQ(c.webhook.secret, "env-webhook");
}

TEST_F(LoadConfigTest, EmptyEnvironmentValueKeepsTheFileValue) {
  setenv("BULKD_RCS_SECRET_KEY", "", 1);
  Config c = Load("rcs: {secret_key: file-rcs}");
  EXPECT_EQ(c.rcs.dealer.secret_key, "file-rcs");
  EXPECT_EQ(c.friendtalk.dealer.secret_key, "");
  EXPECT_EQ(c.webhook.secret, "");
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

TEST(ConfigTest, DurableRetriesAreOnByDefaultWithinTheDedupeWindow) {
  Config c = ParseConfig("");
  EXPECT_TRUE(c.pipeline.durable_retries);
  EXPECT_EQ(c.pipeline.retry_max_age_s, 600);
  c = ParseConfig("pipeline: {durable_retries: false, retry_max_age_s: 7200}");
  EXPECT_FALSE(c.pipeline.durable_retries);
  EXPECT_EQ(c.pipeline.retry_max_age_s, 7200);
  EXPECT_THAT(ErrorOf("pipeline: {retry_max_age_s: 7200}"),
              HasSubstr("pipeline.retry_max_age_s: must not exceed ratelimit.dedupe_window_s"));
  EXPECT_THAT(ErrorOf("pipeline: {retry_max_age_s: 0}"), HasSubstr("pipeline.retry_max_age_s"));
  EXPECT_THAT(ErrorOf("pipeline: {durable_retries: maybe}"), HasSubstr("pipeline.durable_retries"));
}

TEST(ConfigTest, ReceiptMapIsOffByDefaultAndReadAsABool) {
  EXPECT_FALSE(ParseConfig("").pipeline.receipt_map);
  EXPECT_TRUE(ParseConfig("pipeline: {receipt_map: true}").pipeline.receipt_map);
  EXPECT_THAT(ErrorOf("pipeline: {receipt_map: 3}"), HasSubstr("pipeline.receipt_map"));
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
