// dispatcher/kafka/event_publisher.h — writes job outcomes to bulkd.events. Terminal events
// carry the job's hand-off token, so their acknowledgement lets the offset advance.
#pragma once

#include <string>
#include <string_view>

#include "core/event.h"
#include "dispatcher/job_context.h"

namespace bulkd::core {
class Clock;
}

namespace bulkd::dispatcher {

class KafkaProducer;
class Metrics;

struct EventFields {
  std::string_view channel;
  std::string_view provider;
  std::string_view code;
  std::string_view detail;
};

// Thread-safe (each call formats into a thread-local buffer; the producer is
// thread-safe). Never blocks except on producer backpressure.
class EventPublisher {
 public:
  EventPublisher(KafkaProducer& producer, std::string topic, const core::Clock& clock,
                 Metrics* metrics);

  void Publish(const JobContext& context, core::EventType type, const EventFields& fields);

 private:
  KafkaProducer& producer_;
  std::string topic_;
  const core::Clock& clock_;
  Metrics* metrics_;
};

}  // namespace bulkd::dispatcher
