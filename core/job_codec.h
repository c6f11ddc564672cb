// core/job_codec.h — decodes and validates one Kafka message into a Job.
// Strict: every required field present and well typed, `to` in E.164, valid UTF-8,
// at most kMaxJobBytes. Unknown fields are ignored. Every rejection names the field.
// Also: an optional field set to null counts as absent; a repeated key takes its last
// value; `vars` holds at most 100 entries, numbers kept as their shortest text ("12.5").
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/job.h"

namespace bulkd::core {

inline constexpr size_t kMaxJobBytes = 64 * 1024;

// Why a message was rejected; `reason` is what goes into the DLQ header, e.g.
// "field 'to': not an E.164 number" or "invalid JSON: unexpected end at byte 17".
struct JobError {
  std::string field;   // "" when the message as a whole is bad (size, JSON, UTF-8)
  std::string reason;  // complete human-readable sentence naming the field
};

// One decoder per thread: it reuses its parse buffers. Not thread-safe. Never throws
// (except std::bad_alloc).
class JobDecoder {
 public:
  JobDecoder();
  ~JobDecoder();
  JobDecoder(const JobDecoder&) = delete;
  JobDecoder& operator=(const JobDecoder&) = delete;

  // Fills `job` (all fields reset first) and returns true, or returns false and fills
  // `error`. `bytes` need not be padded or NUL-terminated.
  bool Decode(std::string_view bytes, Job& job, JobError& error);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True for "+" followed by 8..15 digits, the first non-zero (ITU-T E.164).
bool IsE164(std::string_view number);

}  // namespace bulkd::core
