// Concatenated-SMS splitting: part sizes per encoding, characters never cut in two, the
// UDH and SAR framing bytes, and agreement with core::CountSegments.
#include "providers/smpp/segmenter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/text_encoding.h"
#include "providers/smpp/pdu.h"

namespace bulkd::providers::smpp {
namespace {

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out.append(s);
  return out;
}

std::vector<size_t> Sizes(const std::vector<std::string_view>& parts) {
  std::vector<size_t> sizes;
  for (auto p : parts) sizes.push_back(p.size());
  return sizes;
}

std::string Join(const std::vector<std::string_view>& parts) {
  std::string out;
  for (auto p : parts) out.append(p);
  return out;
}

TEST(SegmenterTest, TextThatFitsOneMessageIsOnePart) {
  EXPECT_EQ(SplitIntoParts(std::string(160, 'a'), SegmentUnit::kGsm7Unpacked).size(), 1u);
  EXPECT_EQ(SplitIntoParts(std::string(140, 'a'), SegmentUnit::kEightBit).size(), 1u);
  EXPECT_EQ(SplitIntoParts(core::Utf8ToUcs2Be(Repeat("가", 70)), SegmentUnit::kUcs2).size(), 1u);
  const auto empty = SplitIntoParts("", SegmentUnit::kUcs2);
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_TRUE(empty[0].empty());
}

TEST(SegmenterTest, LongTextIsCutAtThePerPartSizeOfItsEncoding) {
  EXPECT_EQ(Sizes(SplitIntoParts(std::string(161, 'a'), SegmentUnit::kGsm7Unpacked)),
            (std::vector<size_t>{153, 8}));
  EXPECT_EQ(Sizes(SplitIntoParts(std::string(141, 'a'), SegmentUnit::kEightBit)),
            (std::vector<size_t>{134, 7}));
  // 71 UCS-2 units: 67 + 4 (bytes are twice that).
  EXPECT_EQ(Sizes(SplitIntoParts(core::Utf8ToUcs2Be(Repeat("가", 71)), SegmentUnit::kUcs2)),
            (std::vector<size_t>{134, 8}));
  // 201 units = exactly 3 parts of 67; one more unit makes 4.
  EXPECT_EQ(SplitIntoParts(core::Utf8ToUcs2Be(Repeat("가", 201)), SegmentUnit::kUcs2).size(), 3u);
  EXPECT_EQ(SplitIntoParts(core::Utf8ToUcs2Be(Repeat("가", 202)), SegmentUnit::kUcs2).size(), 4u);
}

TEST(SegmenterTest, GsmEscapePairIsNeverSplit) {
  // 152 plain septets, then '€' (0x1B 0x65) would straddle the 153 boundary.
  const std::string text = std::string(152, 'a') + "€" + std::string(20, 'b');
  const std::string encoded = core::Utf8ToGsm7Unpacked(text);
  const auto parts = SplitIntoParts(encoded, SegmentUnit::kGsm7Unpacked);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].size(), 152u);
  EXPECT_EQ(static_cast<uint8_t>(parts[1][0]), 0x1B);
  EXPECT_EQ(static_cast<uint8_t>(parts[1][1]), 0x65);
  EXPECT_EQ(Join(parts), encoded);
}

TEST(SegmenterTest, SurrogatePairIsNeverSplit) {
  // 66 BMP units, then an emoji (2 units) across the 67-unit boundary.
  const std::string text = Repeat("가", 66) + "😀" + Repeat("나", 10);
  const std::string encoded = core::Utf8ToUcs2Be(text);
  const auto parts = SplitIntoParts(encoded, SegmentUnit::kUcs2);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].size(), 132u);
  EXPECT_EQ(static_cast<uint8_t>(parts[1][0]), 0xD8);  // high surrogate starts part 2
  EXPECT_EQ(Join(parts), encoded);
}

TEST(SegmenterTest, KoreanTwoByteCharacterIsNeverSplit) {
  const std::string text = std::string(133, 'a') + "가나다" + std::string(10, 'b');
  const auto encoded = core::Utf8ToEucKr(text);
  ASSERT_TRUE(encoded);
  const auto parts = SplitIntoParts(*encoded, SegmentUnit::kEightBit);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].size(), 133u);
  EXPECT_EQ(Join(parts), *encoded);
}

TEST(SegmenterTest, MalformedInputStillSplitsWithoutLosingBytes) {
  std::string odd_ucs2 = core::Utf8ToUcs2Be(Repeat("가", 80)) + "\x41";
  auto parts = SplitIntoParts(odd_ucs2, SegmentUnit::kUcs2);
  EXPECT_EQ(Join(parts), odd_ucs2);
  std::string lone_lead = std::string(150, 'a') + "\xB0";
  parts = SplitIntoParts(lone_lead, SegmentUnit::kEightBit);
  EXPECT_EQ(Join(parts), lone_lead);
  std::string dangling_escape = std::string(170, 'a') + "\x1B";
  parts = SplitIntoParts(dangling_escape, SegmentUnit::kGsm7Unpacked);
  EXPECT_EQ(Join(parts), dangling_escape);
}

TEST(SegmenterTest, PartCountAgreesWithCoreCountSegments) {
  const std::vector<std::string> texts = {
      "",
      "hello",
      std::string(160, 'x'),
      std::string(161, 'x'),
      std::string(152, 'x') + "€€€" + std::string(300, 'y'),
      Repeat("{}", 200),
      Repeat("안녕하세요 ", 30),
      Repeat("가", 66) + "😀" + Repeat("나", 200),
      Repeat("😀", 100),
      std::string(133, 'a') + Repeat("가", 300),
  };
  for (const std::string& text : texts) {
    if (core::IsGsm7(text)) {
      EXPECT_EQ(SplitIntoParts(core::Utf8ToGsm7Unpacked(text), SegmentUnit::kGsm7Unpacked).size(),
                core::CountSegments(text, core::SmsEncoding::kGsm7))
          << text;
    }
    EXPECT_EQ(SplitIntoParts(core::Utf8ToUcs2Be(text), SegmentUnit::kUcs2).size(),
              core::CountSegments(text, core::SmsEncoding::kUcs2))
        << text;
    if (auto euc = core::Utf8ToEucKr(text)) {
      EXPECT_EQ(SplitIntoParts(*euc, SegmentUnit::kEightBit).size(),
                core::CountSegments(text, core::SmsEncoding::kEightBit))
          << text;
    }
  }
}

TEST(SegmenterTest, UdhPartsCarryTheConcatenationHeader) {
  const std::string encoded = core::Utf8ToUcs2Be(Repeat("가", 150));
  const auto parts = Segment(encoded, SegmentUnit::kUcs2, LongMessageMode::kUdh, 0x2A);
  ASSERT_EQ(parts.size(), 3u);
  std::string body;
  for (uint8_t k = 0; k < 3; ++k) {
    const SegmentedPart& p = parts[k];
    EXPECT_EQ(p.esm_class, kEsmClassUdhi);
    EXPECT_EQ(p.total, 3);
    EXPECT_EQ(p.seq, k + 1);
    EXPECT_EQ(p.ref, 0x2A);
    ASSERT_GT(p.short_message.size(), kConcatUdhSize);
    EXPECT_LE(p.short_message.size(), 140u);
    EXPECT_EQ(p.short_message.substr(0, kConcatUdhSize),
              std::string({0x05, 0x00, 0x03, 0x2A, 0x03, static_cast<char>(k + 1)}));
    body += p.short_message.substr(kConcatUdhSize);
  }
  EXPECT_EQ(body, encoded);
}

TEST(SegmenterTest, GsmUdhPartFitsItsSeptets) {
  const auto parts = Segment(std::string(400, 'a'), SegmentUnit::kGsm7Unpacked,
                             LongMessageMode::kUdh, 1);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].short_message.size(), kConcatUdhSize + 153);
  EXPECT_EQ(parts[2].short_message.size(), kConcatUdhSize + 400 - 2 * 153);
}

TEST(SegmenterTest, SarPartsHaveNoUdh) {
  const std::string encoded = std::string(300, 'a');
  const auto parts = Segment(encoded, SegmentUnit::kEightBit, LongMessageMode::kSar, 7);
  ASSERT_EQ(parts.size(), 3u);
  std::string body;
  for (uint8_t k = 0; k < 3; ++k) {
    EXPECT_EQ(parts[k].esm_class, 0);
    EXPECT_EQ(parts[k].total, 3);
    EXPECT_EQ(parts[k].seq, k + 1);
    EXPECT_EQ(parts[k].ref, 7);
    body += parts[k].short_message;
  }
  EXPECT_EQ(body, encoded);
}

TEST(SegmenterTest, ShortTextHasNoConcatenationInAnyMode) {
  for (LongMessageMode mode :
       {LongMessageMode::kUdh, LongMessageMode::kSar, LongMessageMode::kMessagePayload}) {
    const auto parts = Segment("hi", SegmentUnit::kGsm7Unpacked, mode, 9);
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].short_message, "hi");
    EXPECT_EQ(parts[0].esm_class, 0);
    EXPECT_EQ(parts[0].total, 1);
  }
}

TEST(SegmenterTest, MessagePayloadModeKeepsTheWholeText) {
  const std::string encoded(1000, 'a');
  const auto parts = Segment(encoded, SegmentUnit::kGsm7Unpacked, LongMessageMode::kMessagePayload, 0);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].short_message, encoded);
}

TEST(SegmenterTest, MoreThan255PartsIsRefused) {
  EXPECT_EQ(Segment(std::string(255 * 153, 'a'), SegmentUnit::kGsm7Unpacked,
                    LongMessageMode::kUdh, 0).size(),
            255u);
  EXPECT_TRUE(Segment(std::string(255 * 153 + 1, 'a'), SegmentUnit::kGsm7Unpacked,
                      LongMessageMode::kUdh, 0).empty());
}

TEST(SegmenterTest, ModeNamesRoundTrip) {
  for (LongMessageMode mode :
       {LongMessageMode::kUdh, LongMessageMode::kSar, LongMessageMode::kMessagePayload}) {
    EXPECT_EQ(LongMessageModeFromString(ToString(mode)), mode);
  }
  EXPECT_FALSE(LongMessageModeFromString("UDH"));
  EXPECT_FALSE(LongMessageModeFromString(""));
  EXPECT_EQ(UnitForDataCoding(0x00), SegmentUnit::kGsm7Unpacked);
  EXPECT_EQ(UnitForDataCoding(0x08), SegmentUnit::kUcs2);
  EXPECT_EQ(UnitForDataCoding(0x0E), SegmentUnit::kEightBit);
}

}  // namespace
}  // namespace bulkd::providers::smpp
