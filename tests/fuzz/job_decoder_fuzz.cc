// libFuzzer target for JobDecoder::Decode: any bytes must give true or false with a
// reason, never a crash, leak, hang or out-of-bounds read (the decoder copies into its
// own padded buffer, so reading past `size` would be a bug ASan catches).
//
// Run it (clang + libfuzzer-14-dev), from the repository root:
//   clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -I. \
//       tests/fuzz/job_decoder_fuzz.cc core/*.cc -lsimdjson -o /tmp/job_decoder_fuzz
//   mkdir -p /tmp/job_corpus && cp tests/fuzz/corpus/job_decoder/* /tmp/job_corpus/
//   /tmp/job_decoder_fuzz -max_total_time=60 -max_len=70000 \
//       -dict=tests/fuzz/job.dict /tmp/job_corpus
// or through CMake with CXX=clang++: the target `job_decoder_fuzz` (tests/fuzz/CMakeLists.txt).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/job_codec.h"
#include "core/time_parse.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bulkd::core::JobDecoder decoder;  // reused across inputs, as in the daemon
  static bulkd::core::Job job;
  bulkd::core::JobError error;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (decoder.Decode(bytes, job, error)) {
    // Invariants of an accepted job.
    Check(!job.id.empty() && job.id.size() <= 128);
    Check(!job.tenant.empty() && job.tenant.size() <= 64);
    Check(bulkd::core::IsE164(job.to));
    Check(!job.channels.empty() && job.channels.size() <= 6);
  } else {
    Check(!error.reason.empty());
  }
  (void)bulkd::core::ParseRfc3339Ms(bytes);
  return 0;
}
