#include "providers/smpp/segmenter.h"

#include "providers/smpp/pdu.h"

namespace bulkd::providers::smpp {
namespace {

struct Limits {
  size_t single;  // bytes one message holds without a UDH
  size_t part;    // bytes a part holds next to the 6-byte UDH
};

Limits LimitsOf(SegmentUnit unit) {
  switch (unit) {
    case SegmentUnit::kGsm7Unpacked: return {160, 153};
    case SegmentUnit::kEightBit: return {140, 134};
    case SegmentUnit::kUcs2: return {140, 134};
  }
  return {140, 134};
}

// Bytes the character at encoded[i] takes (1..4), never past the end.
size_t CharWidth(std::string_view encoded, size_t i, SegmentUnit unit) {
  const size_t left = encoded.size() - i;
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(encoded[i + k]); };
  switch (unit) {
    case SegmentUnit::kGsm7Unpacked:
      return byte(0) == 0x1B && left >= 2 ? 2 : 1;
    case SegmentUnit::kEightBit:
      return byte(0) >= 0x80 && left >= 2 ? 2 : 1;
    case SegmentUnit::kUcs2: {
      if (left < 2) return 1;
      const bool high = byte(0) >= 0xD8 && byte(0) <= 0xDB;
      if (high && left >= 4 && byte(2) >= 0xDC && byte(2) <= 0xDF) return 4;
      return 2;
    }
  }
  return 1;
}

}  // namespace

std::string_view ToString(LongMessageMode mode) {
  switch (mode) {
    case LongMessageMode::kMessagePayload: return "message_payload";
    case LongMessageMode::kUdh: return "udh";
    case LongMessageMode::kSar: return "sar";
  }
  return "udh";
}

std::optional<LongMessageMode> LongMessageModeFromString(std::string_view text) {
  for (LongMessageMode mode :
       {LongMessageMode::kMessagePayload, LongMessageMode::kUdh, LongMessageMode::kSar}) {
    if (text == ToString(mode)) return mode;
  }
  return std::nullopt;
}

SegmentUnit UnitForDataCoding(uint8_t data_coding) {
  if (data_coding == 0x00) return SegmentUnit::kGsm7Unpacked;
  if (data_coding == 0x08) return SegmentUnit::kUcs2;
  return SegmentUnit::kEightBit;
}

std::vector<std::string_view> SplitIntoParts(std::string_view encoded, SegmentUnit unit) {
  const Limits limits = LimitsOf(unit);
  if (encoded.size() <= limits.single) return {encoded};
  std::vector<std::string_view> parts;
  parts.reserve(encoded.size() / limits.part + 2);
  size_t start = 0;
  size_t i = 0;
  while (i < encoded.size()) {
    const size_t width = CharWidth(encoded, i, unit);
    if (i + width - start > limits.part) {  // the character starts the next part
      parts.push_back(encoded.substr(start, i - start));
      start = i;
    }
    i += width;
  }
  parts.push_back(encoded.substr(start));
  return parts;
}

std::vector<SegmentedPart> Segment(std::string_view encoded, SegmentUnit unit,
                                   LongMessageMode mode, uint8_t ref) {
  std::vector<SegmentedPart> out;
  if (mode == LongMessageMode::kMessagePayload) {
    out.push_back(SegmentedPart{std::string(encoded), 0, 1, 1, ref});
    return out;
  }
  const std::vector<std::string_view> parts = SplitIntoParts(encoded, unit);
  if (parts.size() > kMaxParts) return out;
  const auto total = static_cast<uint8_t>(parts.size());
  out.reserve(parts.size());
  for (size_t k = 0; k < parts.size(); ++k) {
    SegmentedPart& part = out.emplace_back();
    part.total = total;
    part.seq = static_cast<uint8_t>(k + 1);
    part.ref = ref;
    if (mode == LongMessageMode::kUdh && total > 1) {
      part.esm_class = kEsmClassUdhi;
      part.short_message.reserve(kConcatUdhSize + parts[k].size());
      // IEI 0x00: concatenated short messages, 8-bit reference (3GPP TS 23.040 9.2.3.24.1).
      const char udh[kConcatUdhSize] = {0x05, 0x00, 0x03, static_cast<char>(ref),
                                        static_cast<char>(total), static_cast<char>(part.seq)};
      part.short_message.append(udh, kConcatUdhSize);
    }
    part.short_message.append(parts[k]);
  }
  return out;
}

}  // namespace bulkd::providers::smpp
