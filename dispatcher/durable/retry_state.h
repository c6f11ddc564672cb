// dispatcher/durable/retry_state.h — where a job's attempts stand, as carried by its durable retry
// record in the `bulkd-retry` Kafka header (dispatcher/durable/retry_record.h), and its codec.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulkd::dispatcher {

inline constexpr char kRetryHeader[] = "bulkd-retry";

// Where a job's attempts stand, carried in the `bulkd-retry` header.
struct RetryState {
  uint32_t retry = 0;            // this record is the job's k-th retry record (k >= 1)
  uint32_t channel_index = 0;    // position in the job's channel chain to try
  uint32_t attempt = 0;          // attempts already made on that channel
  uint32_t total_attempts = 0;   // attempts made on every channel
  int64_t first_attempt_ms = 0;  // Unix epoch ms of the job's first attempt
  int64_t due_ms = 0;            // not to be sent before this (Unix epoch ms)
};

// "v1 <retry> <channel_index> <attempt> <total_attempts> <first_attempt_ms> <due_ms>"
std::string EncodeRetryHeader(const RetryState& state);
// The state, or nullopt when `value` is not exactly that shape (a record bulkd did not
// write, or a damaged one: the caller dead-letters it, naming the header).
std::optional<RetryState> ParseRetryHeader(std::string_view value);

}  // namespace bulkd::dispatcher
