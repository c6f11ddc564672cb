#include "dispatcher/durable/retry_record.h"

#include "dispatcher/job_context.h"
#include "dispatcher/kafka/producer.h"
#include "dispatcher/kafka/handoff_queue.h"

namespace bulkd::dispatcher {

RetryScheduler::RetryScheduler(KafkaProducer& producer, std::vector<std::string> tier_topics,
                               std::vector<int> tiers_s, HandoffQueue& handoffs)
    : producer_(producer),
      tier_topics_(std::move(tier_topics)),
      tiers_s_(std::move(tiers_s)),
      handoffs_(handoffs) {}

void RetryScheduler::Schedule(const JobContext& ctx, const RetryState& state, int64_t now_ms) {
  const size_t tier = ChooseTier(tiers_s_, state.due_ms - now_ms);
  const uint64_t token = HandoffToken(ctx.topic_index, ctx.partition, ctx.offset);
  // Announced before producing: the acknowledgement may come back at once.
  handoffs_.ExpectRetry(token, state.retry);
  const std::string header = EncodeRetryHeader(state);
  const std::string due = std::to_string(state.due_ms);
  producer_.Produce(tier_topics_[tier], ctx.job.to, ctx.record, token,
                    {{kRetryHeader, header}, {"bulkd-due-ms", due}});
}

}  // namespace bulkd::dispatcher
