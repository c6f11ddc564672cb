#include "dispatcher/kafka/inbound_publisher.h"

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/json_escape.h"
#include "core/mask.h"
#include "dispatcher/kafka/producer.h"
#include "ratelimit/optout_store.h"
#include "ratelimit/redis_connection.h"

namespace bulkd::dispatcher {

InboundPublisher::InboundPublisher(KafkaProducer& producer, const Config& config,
                                   const core::Clock& clock)
    : producer_(producer), topic_(config.kafka.inbound_topic), config_(config.inbound),
      clock_(clock) {
  ratelimit::RedisOptions options;
  options.host = config.redis.host;
  options.port = config.redis.port;
  options.connect_timeout = std::chrono::milliseconds(config.redis.timeout_ms);
  options.command_timeout = std::chrono::milliseconds(config.redis.timeout_ms);
  redis_ = std::make_unique<ratelimit::RedisConnection>(options);
  optouts_ = std::make_unique<ratelimit::OptOutStore>(*redis_, config.redis.key_prefix);
}

InboundPublisher::~InboundPublisher() = default;

void InboundPublisher::Publish(std::string_view provider,
                               const providers::smpp::InboundMessage& message) {
  auto mapped = config_.sender_tenants.find(message.to);
  const std::string tenant =
      mapped != config_.sender_tenants.end() ? mapped->second : std::string(ratelimit::kGlobalTenant);
  bool applied = false;
  if (message.is_optout) {
    const std::string numbers[] = {message.from};
    auto added = optouts_->Add(tenant, numbers);
    applied = added.has_value();
    if (applied) {
      spdlog::info("inbound: opt-out from={} tenant={}", core::MaskNumber(message.from), tenant);
    } else {
      spdlog::error("inbound: opt-out from={} not applied: {}", core::MaskNumber(message.from),
                    added.error().message());
    }
  }
  std::string json = "{\"from\":";
  core::AppendJsonString(message.from, json);
  json += ",\"to\":";
  core::AppendJsonString(message.to, json);
  json += ",\"text\":";
  core::AppendJsonString(message.text, json);
  json += message.is_optout ? ",\"optout\":true" : ",\"optout\":false";
  json += ",\"tenant\":";
  core::AppendJsonString(tenant, json);
  json += applied ? ",\"optout_applied\":true" : ",\"optout_applied\":false";
  json += ",\"provider\":";
  core::AppendJsonString(provider, json);
  json += ",\"ts\":";
  json += std::to_string(clock_.NowMs());
  json += '}';
  producer_.Produce(topic_, message.from, json);
}

}  // namespace bulkd::dispatcher
