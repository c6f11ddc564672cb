// libFuzzer target for the bulkd-retry header of durable retry records
// (dispatcher/durable/retry_state.h): bytes -> ParseRetryHeader.
// Standalone build and run (from the repository root):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//     tests/fuzz/retry_header_fuzz.cc dispatcher/durable/retry_state.cc -o /tmp/retry_header_fuzz
//   /tmp/retry_header_fuzz -max_total_time=60 -max_len=256
// Properties: nothing crashes or reads out of bounds; whatever parses re-encodes to
// exactly the input (one spelling per state, so a damaged header cannot pass for another).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dispatcher/durable/retry_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto state = bulkd::dispatcher::ParseRetryHeader(input);
  if (state && bulkd::dispatcher::EncodeRetryHeader(*state) != input) std::abort();
  return 0;
}
