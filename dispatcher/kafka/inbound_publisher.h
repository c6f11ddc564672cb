// dispatcher/kafka/inbound_publisher.h — what people send back (SMPP MO): every message goes to
// the inbound topic, and an opt-out reply joins the opt-out set at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "dispatcher/config.h"
#include "providers/smpp/mo.h"

namespace bulkd::core {
class Clock;
}
namespace bulkd::ratelimit {
class OptOutStore;
class RedisConnection;
}

namespace bulkd::dispatcher {

class KafkaProducer;

// Used on the shard's io thread; not thread-safe. An opt-out blocks for one Redis round
// trip (replies are rare next to sends). Never throws after construction.
class InboundPublisher {
 public:
  InboundPublisher(KafkaProducer& producer, const Config& config, const core::Clock& clock);
  ~InboundPublisher();

  // Record on the inbound topic (key = the sender's number):
  // {"from","to","text","optout","tenant","optout_applied","provider","ts"}.
  // optout_applied is false when the opt-out set could not be updated (Redis down):
  // a consumer of the topic can apply it later.
  void Publish(std::string_view provider, const providers::smpp::InboundMessage& message);

 private:
  KafkaProducer& producer_;
  std::string topic_;
  InboundConfig config_;
  const core::Clock& clock_;
  std::unique_ptr<ratelimit::RedisConnection> redis_;
  std::unique_ptr<ratelimit::OptOutStore> optouts_;
};

}  // namespace bulkd::dispatcher
