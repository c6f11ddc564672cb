// bulkd — the dispatcher daemon. Reads one YAML config (see dispatcher/config.h),
// joins the consumer group on bulkd.jobs and runs until SIGINT/SIGTERM, then drains
// open jobs for up to 20 s and commits.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <optional>
#include <random>
#include <thread>

#include "core/clock.h"
#include "dispatcher/admin_server.h"
#include "dispatcher/admission_stage.h"
#include "dispatcher/config.h"
#include "dispatcher/event_publisher.h"
#include "dispatcher/inbound_publisher.h"
#include "dispatcher/kafka/consumer.h"
#include "dispatcher/kafka/embedded_broker.h"
#include "dispatcher/kafka/producer.h"
#include "dispatcher/metrics.h"
#include "dispatcher/pipeline.h"
#include "dispatcher/send_shard.h"
#include "providers/http/alimtalk_provider.h"
#include "providers/smpp/sms_provider.h"
#include "ratelimit/admission.h"
#include "ratelimit/quiet_hours.h"
#include "ratelimit/redis_connection.h"

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

void OnStopSignal(int) { g_stop.store(true); }
void OnReloadSignal(int) { g_reload.store(true); }

bulkd::providers::http::AlimtalkConfig AlimtalkSettings(const bulkd::dispatcher::KakaoConfig& kakao,
                                                        int receipt_timeout_s) {
  bulkd::providers::http::AlimtalkConfig out;
  out.name = kakao.name;
  out.base_url = kakao.base_url;
  out.appkey = kakao.appkey;
  out.secret_key = kakao.secret_key;
  out.sender_key = kakao.sender_key;
  out.batch_size = static_cast<size_t>(kakao.batch_size);
  out.linger = std::chrono::milliseconds(kakao.linger_ms);
  out.max_connections = static_cast<size_t>(kakao.max_connections);
  out.request_timeout = std::chrono::milliseconds(kakao.request_timeout_ms);
  out.poll_interval = std::chrono::milliseconds(kakao.poll_interval_ms);
  out.verify_peer = kakao.verify_peer;
  out.ca_file = kakao.ca_file;
  // Follow results a little longer than the dispatcher waits for them.
  out.result_timeout = std::chrono::seconds(receipt_timeout_s + 60);
  return out;
}

// SIGHUP: reads the config file again and applies its rate-limit rules to the next
// admission batch; everything else needs a restart. A bad file keeps the old rules.
// Unique per process: host name (sanitised, shortened), pid and 32 random bits.
std::string WorkerId() {
  char host[65] = {};
  gethostname(host, sizeof host - 1);
  std::string id;
  for (const char* c = host; *c && id.size() < 32; ++c)
    id.push_back(std::isalnum(static_cast<unsigned char>(*c)) || *c == '-' ? *c : '_');
  std::random_device random;
  return fmt::format("{}-{}-{:08x}", id.empty() ? "bulkd" : id, getpid(), random());
}

void WatchForReload(const std::string& config_path, bulkd::ratelimit::Admission* admission) {
  while (!g_stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!g_reload.exchange(false) || !admission) continue;
    try {
      const bulkd::dispatcher::Config fresh = bulkd::dispatcher::LoadConfig(config_path);
      std::vector<bulkd::ratelimit::Rule> rules;
      for (const auto& r : fresh.ratelimit.rules) rules.push_back({r.scope, r.name, r.rate_per_sec, r.burst});
      std::string error;
      if (admission->SetRules(std::move(rules), &error)) {
        spdlog::info("bulkd: reloaded rate-limit rules count={}", fresh.ratelimit.rules.size());
      } else {
        spdlog::error("bulkd: reload refused, keeping the old rules: {}", error);
      }
    } catch (const std::exception& e) {
      spdlog::error("bulkd: reload failed, keeping the old rules: {}", e.what());
    }
  }
}

bulkd::providers::smpp::SmsProviderConfig SmsProviderSettings(
    const bulkd::dispatcher::SmppRouteConfig& route) {
  using namespace bulkd::providers::smpp;
  SmsProviderConfig out;
  out.name = route.name;
  out.client.host = route.host;
  out.client.port = route.port;
  out.client.system_id = route.system_id;
  out.client.password = route.password;
  out.client.system_type = route.system_type;
  out.client.window = static_cast<uint32_t>(route.window);
  out.client.queue_cap = static_cast<size_t>(route.window) * 4;
  out.client.response_timeout = std::chrono::milliseconds(route.response_timeout_ms);
  out.client.enquire_link_interval = std::chrono::seconds(route.enquire_link_interval_s);
  out.default_source_addr = route.source_addr;
  out.long_message_mode = *LongMessageModeFromString(route.long_message_mode);  // validated
  out.max_parts = static_cast<uint32_t>(route.max_parts);
  out.coding = route.data_coding == "ksc5601" ? RouteCoding::kKsc5601
               : route.data_coding == "gsm7"  ? RouteCoding::kGsm7
                                              : RouteCoding::kUcs2;
  // Keep ids a little longer than the dispatcher waits, so a receipt at the edge still
  // finds its job.
  out.receipt_retention = std::chrono::seconds(route.receipt_timeout_s + 60);
  return out;
}

int Run(const std::string& config_path) {
  using namespace bulkd;
  using namespace bulkd::dispatcher;
  Config config = LoadConfig(config_path);

  std::optional<EmbeddedBroker> embedded;
  if (config.kafka.brokers == "embedded") {
    std::vector<TopicSpec> topics{{config.kafka.jobs_topic, config.kafka.embedded_partitions},
                                  {config.kafka.events_topic, config.kafka.embedded_partitions},
                                  {config.kafka.dlq_topic, 4},
                                  {config.kafka.inbound_topic, 4}};
    for (int delay : config.kafka.defer_tiers_s) topics.push_back({DeferTopic(config.kafka, delay), 4});
    embedded.emplace(1, topics);
    config.kafka.brokers = embedded->bootstrap_servers();
    std::printf("bulkd embedded kafka bootstrap %s\n", config.kafka.brokers.c_str());
  }

  core::SystemClock clock;
  std::vector<std::string> provider_names{config.smpp.name};
  if (config.kakao.enabled) provider_names.push_back(config.kakao.name);
  Metrics metrics(provider_names);
  HandoffQueue handoffs;
  KafkaProducer producer(config.kafka, "bulkd", [&](uint64_t token) { handoffs.Push(token); });
  EventPublisher events(producer, config.kafka.events_topic, clock, &metrics);

  ShardSettings shard_settings;
  shard_settings.max_attempts_per_channel = config.pipeline.max_submit_attempts;
  shard_settings.retry_base = std::chrono::milliseconds(config.pipeline.retry_base_ms);
  shard_settings.retry_max = std::chrono::milliseconds(config.pipeline.retry_max_ms);
  shard_settings.receipt_timeout = std::chrono::seconds(config.smpp.receipt_timeout_s);
  shard_settings.fallback_on_undelivered =
      std::chrono::seconds(config.pipeline.fallback_on_undelivered_s);
  SendShard shard(shard_settings, events, clock, &metrics);
  InboundPublisher inbound(producer, config, clock);
  auto sms = std::make_unique<providers::smpp::SmsProvider>(shard.io(), SmsProviderSettings(config.smpp));
  sms->SetInboundHandler([&inbound, name = config.smpp.name](const providers::smpp::InboundMessage& mo) {
    inbound.Publish(name, mo);
  });
  shard.AddProvider(std::move(sms));
  if (config.kakao.enabled) {
    shard.AddProvider(std::make_unique<providers::http::AlimtalkProvider>(
        shard.io(), AlimtalkSettings(config.kakao, config.smpp.receipt_timeout_s)));
  }

  // The admission gate runs on the consumer thread with its own Redis connection.
  std::unique_ptr<ratelimit::RedisConnection> redis;
  std::unique_ptr<ratelimit::Admission> admission;
  std::unique_ptr<AdmissionStage> admission_stage;
  std::unique_ptr<ratelimit::PolicyCache> policies;
  if (config.ratelimit.enabled) {
    ratelimit::RedisOptions redis_options;
    redis_options.host = config.redis.host;
    redis_options.port = config.redis.port;
    redis_options.connect_timeout = std::chrono::milliseconds(config.redis.timeout_ms);
    redis_options.command_timeout = std::chrono::milliseconds(config.redis.timeout_ms);
    redis = std::make_unique<ratelimit::RedisConnection>(redis_options);
    ratelimit::AdmissionConfig admission_config;
    admission_config.key_prefix = config.redis.key_prefix;
    admission_config.dedupe_window = std::chrono::seconds(config.ratelimit.dedupe_window_s);
    // A fresh identity per process: a restarted worker recovers the jobs its previous
    // life left in the in-flight ledger like any other owner would.
    admission_config.worker_id = WorkerId();
    spdlog::info("bulkd: worker id {}", admission_config.worker_id);
    std::vector<ratelimit::Rule> rules;
    for (const auto& r : config.ratelimit.rules) rules.push_back({r.scope, r.name, r.rate_per_sec, r.burst});
    admission = std::make_unique<ratelimit::Admission>(*redis, admission_config, rules);
    admission_stage = std::make_unique<AdmissionStage>(*admission, config.smpp.name, &metrics);
    // Tenant policies are read at most once a second, so a change applies within 1 s.
    policies = std::make_unique<ratelimit::PolicyCache>(*redis, config.redis.key_prefix);
  } else {
    spdlog::warn("bulkd: ratelimit.enabled is false: no dedupe, opt-out or rate limits");
  }

  KafkaConsumer consumer(config.kafka, nullptr);
  PipelineParts parts;
  parts.consumer = &consumer;
  parts.producer = &producer;
  parts.events = &events;
  parts.shard = &shard;
  parts.handoffs = &handoffs;
  parts.clock = &clock;
  parts.admission = admission_stage.get();
  parts.policies = policies.get();
  parts.metrics = &metrics;
  Pipeline pipeline(config, parts);
  consumer.SetListener(&pipeline);

  AdminServer admin(AdminServerConfig{config.admin.bind, config.admin.port}, metrics,
                    /*live=*/[] { return true; },
                    /*ready=*/[&]() -> ReadyState {
                      if (!pipeline.gates_available()) return {false, "redis unreachable"};
                      if (!shard.ready()) return {false, "no provider connected"};
                      return {true, "ok"};
                    });
  admin.Start();
  std::printf("bulkd admin listening on %s:%u\n", config.admin.bind.c_str(), admin.port());
  std::fflush(stdout);

  std::thread reload_watcher(WatchForReload, config_path, admission.get());
  shard.Start();
  spdlog::info("bulkd: started group={} topic={}", config.kafka.group_id, config.kafka.jobs_topic);
  pipeline.Run(g_stop, /*drain_timeout_ms=*/20000);
  // Leaving the group commits; with Kafka gone that would block for ever. Offsets not
  // committed only mean replays, which dedupe absorbs, so a bounded exit is safe.
  std::thread([] {
    std::this_thread::sleep_for(std::chrono::seconds(30));
    spdlog::error("bulkd: shutdown took over 30 s (Kafka unreachable?); exiting");
    std::_Exit(3);
  }).detach();
  consumer.Close();
  shard.Stop();
  producer.Flush(10000);
  admin.Stop();
  reload_watcher.join();
  spdlog::info("bulkd: stopped consumed={} dlq={}", pipeline.consumed(), pipeline.dead_lettered());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bulkd: bulk send dispatcher"};
  std::string config_path;
  app.add_option("--config", config_path, "YAML config file (defaults apply without one)");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_default_logger(spdlog::stderr_color_mt("bulkd"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %n %v");
  if (const char* level = std::getenv("BULKD_LOG_LEVEL")) {
    spdlog::set_level(spdlog::level::from_str(level));  // trace, debug, info, warn, error
  }
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  struct sigaction reload {};
  reload.sa_handler = OnReloadSignal;
  sigaction(SIGHUP, &reload, nullptr);
  signal(SIGPIPE, SIG_IGN);
  try {
    return Run(config_path);
  } catch (const std::exception& e) {
    spdlog::critical("bulkd: {}", e.what());
    return 1;
  }
}
