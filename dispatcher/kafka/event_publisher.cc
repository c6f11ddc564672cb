#include "dispatcher/kafka/event_publisher.h"

#include "core/clock.h"
#include "dispatcher/kafka/producer.h"
#include "dispatcher/metrics.h"

namespace bulkd::dispatcher {

EventPublisher::EventPublisher(KafkaProducer& producer, std::string topic,
                               const core::Clock& clock, Metrics* metrics)
    : producer_(producer), topic_(std::move(topic)), clock_(clock), metrics_(metrics) {}

void EventPublisher::Publish(const JobContext& context, core::EventType type,
                             const EventFields& fields) {
  thread_local std::string buffer;
  buffer.clear();
  core::Event event;
  event.id = context.job.id;
  event.tenant = context.job.tenant;
  event.campaign = context.job.campaign;
  event.type = type;
  event.channel = fields.channel;
  event.provider = fields.provider;
  event.attempt = context.total_attempts;
  event.code = fields.code;
  event.detail = fields.detail;
  event.ts_ms = clock_.NowMs();
  core::AppendEventJson(event, buffer);
  const uint64_t token =
      core::IsTerminal(type) ? HandoffToken(context.topic_index, context.partition, context.offset) : 0;
  producer_.Produce(topic_, context.job.id, buffer, token);
  if (metrics_) {
    metrics_->Messages(fields.channel, fields.provider, type).Increment();
    metrics_->Events(type).Increment();
    if (token != 0 && context.enqueued_ms > 0) {
      metrics_->EndToEnd(fields.channel)
          .Observe(static_cast<double>(event.ts_ms - context.enqueued_ms) / 1000.0);
    }
  }
}

}  // namespace bulkd::dispatcher
