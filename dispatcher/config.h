// dispatcher/config.h — everything bulkd reads at start-up, from one YAML file with
// environment overrides. Each field's default is the value written here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "dispatcher/kafka/kafka_config.h"

namespace bulkd::dispatcher {

struct RedisConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::string key_prefix = "bulkd:";
  int timeout_ms = 1000;  // connect and per-command deadline
};

// One SMPP account (carrier or aggregator); SMS and LMS go through it.
struct SmppRouteConfig {
  std::string name = "smpp-main";  // provider label in events and metrics
  std::string host = "127.0.0.1";
  uint16_t port = 2775;
  std::string system_id = "bulkd";
  std::string password = "secret";
  std::string system_type;
  std::string source_addr = "15880000";  // default registered caller id
  int window = 256;                       // outstanding submit_sm per bind
  // "ucs2" (0x08), "ksc5601" (0x0E, EUC-KR bytes) or "gsm7" (0x00; ASCII-only text).
  std::string data_coding = "ucs2";
  // Long SMS: "udh" (concatenation header), "sar" (SAR TLVs) or "message_payload" (the
  // whole text in one submit_sm; the SMSC splits it). Each part is tracked and
  // delivered only when all parts are.
  std::string long_message_mode = "udh";
  int max_parts = 10;
  int enquire_link_interval_s = 30;
  int response_timeout_ms = 10000;
  // How long to wait for a delivery receipt before ending the job "undelivered" with
  // code NO_RECEIPT (the offset cannot be committed before the job's terminal event).
  int receipt_timeout_s = 300;
  int binds = 1;               // transceiver binds to this account (a pool)
  int max_tps_per_bind = 0;    // submit_sm per second per bind; 0 = no cap
  int throttle_backoff_ms = 1000;  // a bind pauses this long after THROTTLED/MSGQFUL
  // Routing: "" serves every job; a carrier ("skt", "kt", "lgu"...) serves jobs whose
  // carrier hint names it first. Among routes of equal standing, traffic splits by weight.
  std::string carrier;
  int weight = 1;
};

// Kakao Alimtalk through a dealer's HTTP API (NHN Cloud v2.3 shape). Off by default;
// the Alimtalk channel of a job is skipped (next channel) when no provider serves it.
struct KakaoConfig {
  bool enabled = false;
  std::string name = "kakao-alimtalk";   // provider label in events and metrics
  std::string base_url = "http://127.0.0.1:10080";  // https verifies the dealer
  std::string appkey;
  std::string secret_key;  // prefer BULKD_KAKAO_SECRET_KEY; never logged
  std::string sender_key;  // Kakao sender profile
  int batch_size = 1000;   // recipients per request (dealer maximum 1,000)
  int linger_ms = 5;
  int max_connections = 4;
  int request_timeout_ms = 10000;
  int poll_interval_ms = 2000;  // result polling; 0 = results by webhook only
  bool verify_peer = true;
  std::string ca_file;
  // Results by signed webhook (bizmsg dealer -> result_webhooks server): the HMAC key
  // (prefer BULKD_KAKAO_WEBHOOK_SECRET; never logged) and the path. No secret: no route.
  std::string webhook_secret;
  std::string webhook_path = "/webhooks/kakao-alimtalk";
};

// Settings shared by the dealer HTTP adapters (Friendtalk, RCS).
struct DealerSettings {
  bool enabled = false;
  std::string name;       // provider label; default per product
  std::string base_url = "http://127.0.0.1:10080";
  std::string secret_key;  // never logged
  int batch_size = 0;      // 0 = the product's maximum (Friendtalk 1,000, RCS 500)
  int linger_ms = 5;
  int max_connections = 4;
  int request_timeout_ms = 10000;
  int poll_interval_ms = 2000;  // 0 = results by webhook only
  bool verify_peer = true;
  std::string ca_file;
  // Results by signed webhook on the result_webhooks server (X-Signature, hex HMAC of the
  // body): the key (never logged; empty = no route) and the path.
  std::string webhook_secret;
  std::string webhook_path;

  static DealerSettings Named(std::string name) {
    DealerSettings settings;
    settings.webhook_path = "/webhooks/" + name;
    settings.name = std::move(name);
    return settings;
  }
};

// Kakao Friendtalk / Brand Message (ads to channel friends, 08:00-20:50 only).
struct FriendtalkSettings {
  DealerSettings dealer = DealerSettings::Named("kakao-friendtalk");
  std::string appkey;
  std::string sender_key;
};

// RCS through a dealer (batched JSON shape, providers/http/rcs_provider.h).
struct RcsSettings {
  DealerSettings dealer = DealerSettings::Named("rcs");
  std::string app_key;
  std::string brand_id;
  std::string chatbot_id;
  std::string unsubscribe_number;  // required for ad jobs
};

// The generic JSON webhook channel ("webhook" in a job's channels): one signed POST per
// job to `url` (a contact centre's call-back queue, a CRM).
struct WebhookChannelConfig {
  bool enabled = false;
  std::string name = "webhook";
  std::string url;
  std::string secret;  // HMAC-SHA256 key of X-Bulkd-Signature; never logged
  bool endpoint_dedupes_idempotency_key = false;
  int max_connections = 8;
  int request_timeout_ms = 10000;
  bool verify_peer = true;
  std::string ca_file;
};

// The HTTP server bulkd runs for providers' result webhooks (Kakao, RCS results).
// Started only when a provider has a webhook route (a webhook_secret set).
struct ResultWebhooksConfig {
  std::string bind = "127.0.0.1";  // "0.0.0.0" to face the dealer
  uint16_t port = 9465;            // 0 picks a free port (printed at start-up)
  size_t max_body_bytes = 4 << 20;
  int request_timeout_ms = 10000;
  size_t max_connections = 64;
};

// Messages from people (SMPP MO): every one goes to kafka.inbound_topic; an opt-out
// reply ("수신거부", "STOP"...) is added to the opt-out set at once.
struct InboundConfig {
  // Our caller id (the MO's destination) -> tenant whose opt-out set it joins; a reply
  // to a caller id not listed joins the global set (honouring it is the law).
  std::map<std::string, std::string> sender_tenants;
};

// One token bucket rule: `scope` is tenant, carrier, sender or template; `name` the
// tenant id, SMPP route name, caller id or template code, or "*" for every one.
struct RateRuleConfig {
  std::string scope;
  std::string name = "*";
  double rate_per_sec = 0;
  double burst = 0;
};

struct RateLimitConfig {
  // false: no Redis gate at all (no dedupe, opt-out or limits). Only for tests and
  // benchmarks of the rest of the pipeline.
  bool enabled = true;
  int dedupe_window_s = 3600;  // a replay within this window is never sent twice
  // Jobs without a "carrier" hint look their number up in the Redis hash `numbermap`
  // (number portability: E.164 -> carrier), one HMGET per batch. Off by default.
  bool number_map = false;
  std::vector<RateRuleConfig> rules;  // no rule: unlimited
};

struct PipelineConfig {
  size_t poll_batch = 2000;        // records per consumer poll
  // Consumed but not finished: the consumer takes only what fits under it (one record a
  // poll at the cap) and pauses its partitions at twice as many.
  size_t max_inflight = 50000;
  // Admitted (claimed, tokens taken) but not yet answered by a provider; above it no more
  // jobs are admitted. Keeps the claim close to the send: tokens are spent when the job
  // can go, and a worker that dies leaves at most this many never-sent claims behind.
  size_t max_unsent = 2048;
  int max_submit_attempts = 5;     // transient SMPP errors, then "failed"
  int retry_base_ms = 200;         // exponential backoff with full jitter
  int retry_max_ms = 30000;
  // Retries are written to the delay tiers and survive a restart (needs the Redis gate,
  // ratelimit.enabled); false keeps them in memory.
  bool durable_retries = true;
  // A job is retried only while its next attempt is within this many seconds of its
  // first; then it falls back or fails. At most ratelimit.dedupe_window_s.
  int retry_max_age_s = 600;
  // SMPP message ids of accepted messages are kept in Redis (rcptid:/rcpt: keys, about
  // 181 bytes per id for smpp.receipt_timeout_s), so a receipt that reaches another
  // worker, or arrives after a restart, still ends its job; a dead worker's accepted jobs
  // are then followed to their receipt instead of ending WORKER_LOST. Needs the Redis
  // gate (ratelimit.enabled). Off by default.
  bool receipt_map = false;
  // An undelivered result within this many seconds of sending moves the job to the next
  // channel of its chain instead of ending it; 0 = never (the default).
  int fallback_on_undelivered_s = 0;
};

struct AdminConfig {
  std::string bind = "127.0.0.1";
  uint16_t port = 9464;  // 0 picks a free port (printed at start-up)
};

struct Config {
  KafkaConfig kafka;
  RedisConfig redis;
  SmppRouteConfig smpp;
  // More SMPP accounts (each with its own name); `smpp` is the first. Empty by default.
  std::vector<SmppRouteConfig> smpp_routes;
  PipelineConfig pipeline;
  AdminConfig admin;
  RateLimitConfig ratelimit;
  KakaoConfig kakao;
  FriendtalkSettings friendtalk;
  RcsSettings rcs;
  WebhookChannelConfig webhook;
  ResultWebhooksConfig result_webhooks;
  InboundConfig inbound;
};

// Parses the YAML text. Unknown keys and ill-typed values throw std::runtime_error whose
// message names the key (for example "config: smpp.window: expected an integer").
Config ParseConfig(const std::string& yaml_text);
// Reads `path` (empty: defaults only), then applies environment overrides:
// BULKD_KAFKA_BROKERS, BULKD_KAFKA_GROUP, BULKD_REDIS_HOST, BULKD_REDIS_PORT,
// BULKD_SMPP_HOST, BULKD_SMPP_PORT, BULKD_SMPP_SYSTEM_ID, BULKD_SMPP_PASSWORD,
// BULKD_ADMIN_PORT, BULKD_KAKAO_BASE_URL, BULKD_KAKAO_SECRET_KEY,
// BULKD_KAKAO_WEBHOOK_SECRET, BULKD_FRIENDTALK_SECRET_KEY, BULKD_RCS_SECRET_KEY,
// BULKD_WEBHOOK_SECRET.
Config LoadConfig(const std::string& path);

}  // namespace bulkd::dispatcher
