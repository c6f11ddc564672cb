// providers/smpp/segmenter.h — cuts an encoded SMS body into concatenated-SMS parts and
// builds each part's short_message and concatenation fields (UDH `05 00 03 ref total seq`
// with esm_class 0x40, or the SAR TLVs). Pure functions: no I/O, thread-safe, never throw
// (except std::bad_alloc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulkd::providers::smpp {

// How a text longer than one SMS goes to the SMSC (a per-route setting).
enum class LongMessageMode : uint8_t {
  kMessagePayload,  // whole text in TLV message_payload 0x0424, sm_length 0; the SMSC splits
  kUdh,             // one submit_sm per part, short_message = UDH + part, esm_class 0x40
  kSar,             // one submit_sm per part, SAR TLVs 0x020C/0x020E/0x020F
};
std::string_view ToString(LongMessageMode mode);  // "message_payload", "udh", "sar"
// Parses ToString's words (config files); nullopt for anything else.
std::optional<LongMessageMode> LongMessageModeFromString(std::string_view text);

// What one unit of the encoded bytes is, and so what a message and a part may hold.
enum class SegmentUnit : uint8_t {
  kGsm7Unpacked,  // data_coding 0x00, one septet per byte: 160 alone, 153 per part; an
                  // escape 0x1B and the code after it stay together
  kEightBit,      // KS C 5601 / CP949 bytes (0x0E) or other 8-bit text: 140 alone, 134
                  // per part; a byte >= 0x80 starts a 2-byte character, never split
  kUcs2,          // data_coding 0x08, UTF-16BE: 70 units alone, 67 per part (134 bytes);
                  // a surrogate pair is never split
};
SegmentUnit UnitForDataCoding(uint8_t data_coding);  // 0x00 -> kGsm7Unpacked, 0x08 ->
                                                      // kUcs2, anything else -> kEightBit

// The concatenation header's 8-bit reference allows at most 255 parts.
inline constexpr size_t kMaxParts = 255;
inline constexpr size_t kConcatUdhSize = 6;

// Cuts `encoded` into parts: the whole text as one part when it fits a single message,
// else greedy parts of at most the per-part size, cut only between characters. Views
// point into `encoded`. An empty text is one empty part. Malformed input still splits
// (a lone lead byte or odd UCS-2 byte is a 1-byte character), so nothing is dropped.
// The count equals core::CountSegments for the same text in the same encoding.
std::vector<std::string_view> SplitIntoParts(std::string_view encoded, SegmentUnit unit);

// One submit_sm's worth of a message.
struct SegmentedPart {
  std::string short_message;  // kUdh: UDH + bytes; otherwise the bytes
  uint8_t esm_class = 0;      // kEsmClassUdhi for kUdh parts of a multi-part message
  uint8_t total = 1;          // parts in the message (UDH/SAR total)
  uint8_t seq = 1;            // this part, 1-based (UDH/SAR seq)
  uint8_t ref = 0;            // the message's reference (UDH ref; SAR sar_msg_ref_num)
};

// Splits and frames `encoded` for `mode` with reference `ref`. A text that fits one
// message is one part with no UDH and total == 1 (send it without SAR TLVs either).
// kMessagePayload is not split: one part holding the whole text (the caller puts it in
// message_payload). Returns an empty vector when more than kMaxParts parts are needed.
std::vector<SegmentedPart> Segment(std::string_view encoded, SegmentUnit unit,
                                   LongMessageMode mode, uint8_t ref);

}  // namespace bulkd::providers::smpp
