// dispatcher/config.h — everything bulkd reads at start-up, from one YAML file with
// environment overrides. Each field's default is the value written here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
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
  std::vector<RateRuleConfig> rules;  // no rule: unlimited
};

struct PipelineConfig {
  size_t poll_batch = 2000;        // records per consumer poll
  size_t max_inflight = 50000;     // consumed but not finished; above it partitions pause
  // Admitted (claimed, tokens taken) but not yet answered by a provider; above it no more
  // jobs are admitted. Keeps the claim close to the send: tokens are spent when the job
  // can go, and a worker that dies leaves at most this many never-sent claims behind.
  size_t max_unsent = 2048;
  int max_submit_attempts = 5;     // transient SMPP errors, then "failed"
  int retry_base_ms = 200;         // exponential backoff with full jitter
  int retry_max_ms = 30000;
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
  PipelineConfig pipeline;
  AdminConfig admin;
  RateLimitConfig ratelimit;
  KakaoConfig kakao;
  InboundConfig inbound;
};

// Parses the YAML text. Unknown keys and ill-typed values throw std::runtime_error whose
// message names the key (for example "config: smpp.window: expected an integer").
Config ParseConfig(const std::string& yaml_text);
// Reads `path` (empty: defaults only), then applies environment overrides:
// BULKD_KAFKA_BROKERS, BULKD_KAFKA_GROUP, BULKD_REDIS_HOST, BULKD_REDIS_PORT,
// BULKD_SMPP_HOST, BULKD_SMPP_PORT, BULKD_SMPP_SYSTEM_ID, BULKD_SMPP_PASSWORD,
// BULKD_ADMIN_PORT, BULKD_KAKAO_BASE_URL, BULKD_KAKAO_SECRET_KEY.
Config LoadConfig(const std::string& path);

}  // namespace bulkd::dispatcher
