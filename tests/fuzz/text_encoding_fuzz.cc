// libFuzzer target for core/text_encoding.h and MaskNumber: arbitrary bytes (ill-formed
// UTF-8 included) must never crash, and the counting and encoding functions must agree.
//
// Run it (clang + libfuzzer-14-dev), from the repository root:
//   clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -I. \
//       tests/fuzz/text_encoding_fuzz.cc core/*.cc -lsimdjson -o /tmp/text_encoding_fuzz
//   /tmp/text_encoding_fuzz -max_total_time=60 -max_len=4096
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/mask.h"
#include "core/text_encoding.h"
#include "core/utf8.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bulkd::core;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool valid_utf8 = FindInvalidUtf8(text) == std::string_view::npos;

  for (KoreanCharset charset : {KoreanCharset::kCp949, KoreanCharset::kEucKr}) {
    const auto count = EucKrByteCount(text, charset);
    const auto bytes = Utf8ToEucKr(text, charset);
    const size_t bad = FirstNonEucKrOffset(text, charset);
    Check(count.has_value() == bytes.has_value());
    Check(count.has_value() == (bad == std::string_view::npos));
    if (count) Check(*count == bytes->size() && bytes->size() <= text.size());
    if (!valid_utf8) Check(!count.has_value());
    if (bad != std::string_view::npos) Check(bad < text.size());
  }

  const std::string gsm = Utf8ToGsm7Unpacked(text);
  Check(gsm.size() == Gsm7SeptetCount(text));
  if (IsGsm7(text)) {
    // Nothing was replaced: every '?' septet comes from a '?' in the text.
    Check(valid_utf8);
    Check(std::count(gsm.begin(), gsm.end(), '?') == std::count(text.begin(), text.end(), '?'));
  }

  const std::string ucs2 = Utf8ToUcs2Be(text);
  Check(ucs2.size() == 2 * Utf16UnitCount(text));

  for (SmsEncoding encoding : {SmsEncoding::kGsm7, SmsEncoding::kEightBit, SmsEncoding::kUcs2}) {
    const size_t segments = CountSegments(text, encoding);
    Check(segments >= 1);
  }
  Check(CountSegments(text, SmsEncoding::kGsm7) >= SegmentCount(SmsEncoding::kGsm7, gsm.size()));
  Check(CountSegments(text, SmsEncoding::kUcs2) >= SegmentCount(SmsEncoding::kUcs2, ucs2.size() / 2));

  const std::string masked = MaskNumber(text);
  Check(FindInvalidUtf8(masked) == std::string_view::npos);
  return 0;
}
