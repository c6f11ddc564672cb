// libFuzzer target for the SMPP PDU decoder, framing and receipt parser.
// Standalone build and run (from the repository root):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//     tests/fuzz/smpp_pdu_fuzz.cc providers/smpp/pdu.cc providers/smpp/receipt.cc \
//     providers/smpp/errors.cc -o /tmp/smpp_pdu_fuzz
//   /tmp/smpp_pdu_fuzz -max_total_time=60 -max_len=70000
// Properties: nothing crashes or reads out of bounds; whatever decodes and re-encodes
// decodes again to the same bytes (encode is idempotent on decoded PDUs).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "providers/smpp/pdu.h"
#include "providers/smpp/receipt.h"

namespace smpp = bulkd::providers::smpp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);

  // The input as a stream: frame and decode PDU after PDU, as a connection would.
  size_t off = 0;
  while (size - off >= 4) {
    const smpp::Frame frame = smpp::PeekFrame(input.subspan(off));
    if (frame.error != smpp::Errc::kOk || frame.size > size - off) break;
    smpp::Pdu pdu;
    const std::span<const uint8_t> bytes = input.subspan(off, frame.size);
    if (!smpp::Decode(bytes, pdu)) {
      std::vector<uint8_t> encoded;
      if (!smpp::Encode(pdu, encoded)) {
        smpp::Pdu again;
        if (smpp::Decode(encoded, again)) std::abort();  // our own bytes must decode
        std::vector<uint8_t> reencoded;
        if (smpp::Encode(again, reencoded) || reencoded != encoded) std::abort();
      }
      if (pdu.command_id == smpp::CommandId::kDeliverSm) {
        smpp::Receipt receipt;
        smpp::ParseReceipt(pdu, receipt);
      }
    }
    off += frame.size;
  }

  // The whole input as a single (possibly truncated) PDU and as receipt text.
  smpp::Pdu pdu;
  (void)smpp::Decode(input, pdu);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  smpp::Receipt receipt;
  smpp::ParseReceiptText(text, receipt);
  if (size <= 128) {
    (void)smpp::MessageIdCandidates(text);
    (void)smpp::CanonicalMessageId(text, smpp::IdBase::kHex);
  }
  return 0;
}
