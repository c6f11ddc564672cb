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
#include "dispatcher/http/admin_server.h"
#include "dispatcher/pipeline/admission_stage.h"
#include "dispatcher/config.h"
#include "dispatcher/kafka/event_publisher.h"
#include "dispatcher/kafka/inbound_publisher.h"
#include "dispatcher/kafka/consumer.h"
#include "dispatcher/kafka/embedded_broker.h"
#include "dispatcher/kafka/producer.h"
#include "dispatcher/metrics.h"
#include "dispatcher/pipeline/pipeline.h"
#include "dispatcher/provider_setup.h"
#include "dispatcher/durable/receipt_map.h"
#include "dispatcher/durable/retry_record.h"
#include "dispatcher/pipeline/send_shard.h"
#include "dispatcher/http/webhook_server.h"
#include "ratelimit/admission.h"
#include "ratelimit/number_map.h"
#include "ratelimit/quiet_hours.h"
#include "ratelimit/redis_connection.h"

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

void OnStopSignal(int) { g_stop.store(true); }
void OnReloadSignal(int) { g_reload.store(true); }

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

// SIGHUP: reads the config file again and applies its rate-limit rules to the next
// admission batch; everything else needs a restart. A bad file keeps the old rules.
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
  Metrics metrics(ProviderNames(config));
  HandoffQueue handoffs;
  KafkaProducer producer(config.kafka, "bulkd", [&](uint64_t token) { handoffs.Push(token); });
  EventPublisher events(producer, config.kafka.events_topic, clock, &metrics);

  ShardSettings shard_settings;
  shard_settings.max_attempts_per_channel = config.pipeline.max_submit_attempts;
  shard_settings.retry_base = std::chrono::milliseconds(config.pipeline.retry_base_ms);
  shard_settings.retry_max = std::chrono::milliseconds(config.pipeline.retry_max_ms);
  shard_settings.retry_max_age = std::chrono::seconds(config.pipeline.retry_max_age_s);
  shard_settings.receipt_timeout = std::chrono::seconds(config.smpp.receipt_timeout_s);
  shard_settings.fallback_on_undelivered =
      std::chrono::seconds(config.pipeline.fallback_on_undelivered_s);
  SendShard shard(shard_settings, events, clock, &metrics);
  InboundPublisher inbound(producer, config, clock);
  // SMPP receipts matched to jobs across workers and restarts (needs the ledger).
  std::unique_ptr<ReceiptMap> receipt_map;
  if (config.pipeline.receipt_map && config.ratelimit.enabled) {
    ReceiptMapConfig map_config;
    map_config.redis.host = config.redis.host;
    map_config.redis.port = config.redis.port;
    map_config.redis.connect_timeout = std::chrono::milliseconds(config.redis.timeout_ms);
    map_config.redis.command_timeout = std::chrono::milliseconds(config.redis.timeout_ms);
    map_config.key_prefix = config.redis.key_prefix;
    // Kept as long as a receipt can still end its job, plus a minute for a restart.
    map_config.ttl = std::chrono::seconds(config.smpp.receipt_timeout_s + 60);
    receipt_map = std::make_unique<ReceiptMap>(map_config);
    receipt_map->Start();
    shard.SetReceiptMap(receipt_map.get(), &handoffs);
  } else if (config.pipeline.receipt_map) {
    spdlog::warn("bulkd: pipeline.receipt_map needs ratelimit.enabled; receipts stay per worker");
  }
  const ConfiguredProviders configured =
      AddConfiguredProviders(config, shard, inbound, receipt_map.get());
  auto alimtalk_webhook_stats = std::make_shared<AlimtalkWebhookStats>();
  std::unique_ptr<WebhookServer> result_webhooks =
      MakeResultWebhookServer(config, configured, shard, alimtalk_webhook_stats);

  // The admission gate runs on the consumer thread with its own Redis connection.
  std::unique_ptr<ratelimit::RedisConnection> redis;
  std::unique_ptr<ratelimit::Admission> admission;
  std::unique_ptr<ratelimit::NumberMap> number_map;
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
    if (config.ratelimit.number_map) {
      number_map = std::make_unique<ratelimit::NumberMap>(*redis, config.redis.key_prefix);
      admission_stage->SetNumberMap(number_map.get());
    }
    // Tenant policies are read at most once a second, so a change applies within 1 s.
    policies = std::make_unique<ratelimit::PolicyCache>(*redis, config.redis.key_prefix);
  } else {
    spdlog::warn("bulkd: ratelimit.enabled is false: no dedupe, opt-out or rate limits");
  }

  // Durable retries need the in-flight ledger, which hands each retry record its job.
  std::unique_ptr<RetryScheduler> retries;
  if (config.pipeline.durable_retries && admission && admission->has_ledger()) {
    std::vector<std::string> tier_topics;
    for (int delay : config.kafka.defer_tiers_s) tier_topics.push_back(DeferTopic(config.kafka, delay));
    retries = std::make_unique<RetryScheduler>(producer, std::move(tier_topics),
                                               config.kafka.defer_tiers_s, handoffs);
    shard.SetRetryScheduler(retries.get());
  } else if (config.pipeline.durable_retries) {
    spdlog::warn("bulkd: durable retries need ratelimit.enabled; retries stay in memory");
  }

  KafkaConsumer consumer(config.kafka, nullptr);
  handoffs.SetWake([&consumer] { consumer.Wake(); });
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
  parts.durable_retries = retries != nullptr;
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
  if (result_webhooks) {
    result_webhooks->Start();
    std::printf("bulkd webhooks listening on %s:%u\n", config.result_webhooks.bind.c_str(),
                result_webhooks->port());
    std::fflush(stdout);
  }
  spdlog::info("bulkd: started group={} topic={}", config.kafka.group_id, config.kafka.jobs_topic);
  pipeline.Run(g_stop, /*drain_timeout_ms=*/20000);
  handoffs.SetWake({});  // the consumer closes next; later acknowledgements need no wake-up
  // Leaving the group commits; with Kafka gone that would block for ever. Offsets not
  // committed only mean replays, which dedupe absorbs, so a bounded exit is safe.
  std::thread([] {
    std::this_thread::sleep_for(std::chrono::seconds(30));
    spdlog::error("bulkd: shutdown took over 30 s (Kafka unreachable?); exiting");
    std::_Exit(3);
  }).detach();
  consumer.Close();
  if (result_webhooks) result_webhooks->Stop();  // before the shard its handlers post to
  shard.Stop();
  if (receipt_map) receipt_map->Stop();  // after the shard: stopping providers hands it receipts
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
