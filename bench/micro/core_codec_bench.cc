// Micro benchmarks of the core hot-path pieces: job decoding, event JSON, Korean byte
// counts and GSM-7/UCS-2 encoding. Build and run (bench/CMakeLists.txt):
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBULKD_BUILD_BENCH=ON
//   cmake --build build-bench --target core_codec_bench && build-bench/bench/core_codec_bench
#include <benchmark/benchmark.h>

#include <string>

#include "core/event.h"
#include "core/job_codec.h"
#include "core/text_encoding.h"

namespace {

using namespace bulkd::core;

// About 300 bytes: a typical Alimtalk job with an LMS fallback.
constexpr std::string_view kTypicalJob =
    R"({"id":"cmp42-000001","tenant":"shop1","campaign":"cmp42","kind":"info",)"
    R"("to":"+821012345678","channels":["alimtalk","lms"],"template":"order_shipped",)"
    R"("vars":{"name":"홍길동","order":"A-1234"},"text":"주문하신 상품이 발송되었습니다.",)"
    R"("sender":"0215881234","expires_at":"2026-11-24T00:00:00+09:00","priority":0})";

void BM_DecodeTypicalJob(benchmark::State& state) {
  JobDecoder decoder;
  Job job;
  JobError error;
  for (auto _ : state) {
    bool ok = decoder.Decode(kTypicalJob, job, error);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(state.iterations() * kTypicalJob.size());
}
BENCHMARK(BM_DecodeTypicalJob);

void BM_DecodeRejectsBadNumber(benchmark::State& state) {
  std::string bad(kTypicalJob);
  bad.replace(bad.find("+8210"), 5, "+0210");
  JobDecoder decoder;
  Job job;
  JobError error;
  for (auto _ : state) {
    bool ok = decoder.Decode(bad, job, error);
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_DecodeRejectsBadNumber);

void BM_AppendEventJson(benchmark::State& state) {
  Event event{"cmp42-000001", "shop1", "cmp42", EventType::kDelivered, "sms", "smpp-a", 1,
              "DELIVRD", "", 1795392000123};
  std::string out;
  for (auto _ : state) {
    out.clear();
    AppendEventJson(event, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_AppendEventJson);

void BM_EucKrByteCountHangul(benchmark::State& state) {
  const std::string text = "(광고) 주문하신 상품이 발송되었습니다. 무료수신거부 0801234567";
  for (auto _ : state) benchmark::DoNotOptimize(EucKrByteCount(text));
}
BENCHMARK(BM_EucKrByteCountHangul);

void BM_EucKrByteCountThroughIconv(benchmark::State& state) {
  const std::string text = "※ (광고) ㅋㅋ 주문하신 상품이 발송되었습니다. 무료수신거부 0801234567";
  for (auto _ : state) benchmark::DoNotOptimize(EucKrByteCount(text));
}
BENCHMARK(BM_EucKrByteCountThroughIconv);

void BM_Utf8ToEucKr(benchmark::State& state) {
  const std::string text = "(광고) 주문하신 상품이 발송되었습니다. 무료수신거부 0801234567";
  for (auto _ : state) benchmark::DoNotOptimize(Utf8ToEucKr(text));
}
BENCHMARK(BM_Utf8ToEucKr);

void BM_Gsm7Encode(benchmark::State& state) {
  const std::string text = "Your code is 123456. Valid for 5 minutes. {Do not share} - ACME €";
  for (auto _ : state) {
    if (IsGsm7(text)) benchmark::DoNotOptimize(Utf8ToGsm7Unpacked(text));
  }
}
BENCHMARK(BM_Gsm7Encode);

void BM_Ucs2Encode(benchmark::State& state) {
  const std::string text = "주문하신 상품이 발송되었습니다. 감사합니다!";
  for (auto _ : state) benchmark::DoNotOptimize(Utf8ToUcs2Be(text));
}
BENCHMARK(BM_Ucs2Encode);

}  // namespace

BENCHMARK_MAIN();
