// dispatcher/job_context.h — one job's state while bulkd works on it, from decode to
// its terminal event.
#pragma once

#include <cstdint>
#include <string>

#include "core/job.h"

namespace bulkd::providers {
class Provider;
}

namespace bulkd::dispatcher {

struct JobContext {
  core::Job job;
  uint8_t topic_index = 0;  // where it came from, for the offset hand-off: 0 = jobs
  int32_t partition = -1;   // topic, then its delay tiers in config order
  int64_t offset = -1;
  int64_t enqueued_ms = 0;  // Kafka record timestamp
  size_t channel_index = 0;  // position in job.channels being tried
  uint32_t attempt = 0;      // attempts on the current channel, from 1
  uint32_t total_attempts = 0;
  providers::Provider* provider = nullptr;  // provider of the current attempt
  int64_t sent_steady_ns = 0;               // when the current attempt was sent
  bool accepted = false;                    // provider took it; waiting for a receipt
  bool answered = false;                    // a provider has answered some attempt
  int64_t receipt_deadline_ns = 0;          // steady clock; 0 while not accepted
  // Taken over from a dead worker after a provider accepted it: its receipt is followed
  // through the Redis receipt map (dispatcher/durable/receipt_map.h), never resent.
  bool adopted = false;
  bool overdue = false;  // receipt timeout passed: NO_RECEIPT unless the map has its result
  // An ad whose text cannot meet the advertising rules (e.g. AD_OPTOUT_LINE_UNSET): it
  // ends "failed" with this code once admission has checked the opt-out.
  std::string ad_format_error;
  // Durable retries (dispatcher/durable/retry_record.h): the record's bytes, kept to write the
  // retry record (empty when durable retries are off); which retry record this job came
  // from (0: its own record); when its first attempt was made and when it is due.
  std::string record;
  uint32_t retry = 0;
  int64_t first_attempt_ms = 0;  // Unix epoch ms; 0 until the first attempt
  int64_t retry_due_ms = 0;
};

// The token that travels with a terminal event, DLQ or deferral record through the
// producer and comes back as its acknowledgement: topic index (3 bits), partition (12
// bits) and offset (48 bits) of the job's record. The top bit is always set, so a token
// is never 0 (the producer's "untracked").
inline uint64_t HandoffToken(uint8_t topic_index, int32_t partition, int64_t offset) {
  return (1ull << 63) | (static_cast<uint64_t>(topic_index & 0x7) << 60) |
         (static_cast<uint64_t>(partition & 0xFFF) << 48) |
         (static_cast<uint64_t>(offset) & 0xFFFFFFFFFFFFull);
}
inline uint8_t TokenTopic(uint64_t token) { return static_cast<uint8_t>((token >> 60) & 0x7); }
inline int32_t TokenPartition(uint64_t token) {
  return static_cast<int32_t>((token >> 48) & 0xFFF);
}
inline int64_t TokenOffset(uint64_t token) {
  return static_cast<int64_t>(token & 0xFFFFFFFFFFFFull);
}

}  // namespace bulkd::dispatcher
