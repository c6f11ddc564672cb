#include "core/text_encoding.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace bulkd::core {
namespace {

std::string Repeat(std::string_view text, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out.append(text);
  return out;
}

constexpr std::string_view kEmoji = "\xF0\x9F\x98\x80";  // U+1F600

// ---- Korean ----

TEST(EucKrByteCountTest, CountsHangulAsTwoBytesAndAsciiAsOne) {
  EXPECT_EQ(EucKrByteCount("안녕하세요"), 10u);
  EXPECT_EQ(EucKrByteCount("hello"), 5u);
  EXPECT_EQ(EucKrByteCount(""), 0u);
  EXPECT_EQ(EucKrByteCount("(광고) 쿠폰 10% 할인"), 20u);
  EXPECT_EQ(EucKrByteCount("무료수신거부 0801234567"), 23u);
}

TEST(EucKrByteCountTest, CountsSymbolsJamoAndHanjaOutsideTheFastPath) {
  EXPECT_EQ(EucKrByteCount("ㅋㅋ"), 4u);     // compatibility jamo
  EXPECT_EQ(EucKrByteCount("※★"), 4u);      // KS X 1001 symbols
  EXPECT_EQ(EucKrByteCount("韓國"), 4u);     // Hanja
  EXPECT_EQ(EucKrByteCount("a·b"), 4u);
  EXPECT_EQ(EucKrByteCount("가ㅋ나"), 6u);  // fast path, iconv, then Hangul again
}

TEST(EucKrByteCountTest, ReturnsNulloptForEmojiAndOtherUnrepresentableCharacters) {
  EXPECT_EQ(EucKrByteCount(kEmoji), std::nullopt);
  EXPECT_EQ(EucKrByteCount("안녕" + std::string(kEmoji)), std::nullopt);
  EXPECT_EQ(EucKrByteCount("ภาษาไทย"), std::nullopt);
  EXPECT_EQ(EucKrByteCount("مرحبا"), std::nullopt);
  EXPECT_EQ(EucKrByteCount("€"), 2u);  // CP949 added the euro sign (0xA2E6)
}

TEST(EucKrByteCountTest, ReturnsNulloptForIllFormedUtf8) {
  EXPECT_EQ(EucKrByteCount("ab\xff"), std::nullopt);
  EXPECT_EQ(EucKrByteCount("\xec\x95"), std::nullopt);  // truncated 안
  EXPECT_EQ(EucKrByteCount("\xed\xa0\x80"), std::nullopt);  // surrogate
}

TEST(EucKrByteCountTest, StrictEucKrLacksTheUhcExtensionSyllables) {
  EXPECT_EQ(EucKrByteCount("똠", KoreanCharset::kCp949), 2u);
  EXPECT_EQ(EucKrByteCount("똠", KoreanCharset::kEucKr), std::nullopt);
  EXPECT_EQ(EucKrByteCount("안녕하세요", KoreanCharset::kEucKr), 10u);
}

TEST(FirstNonEucKrOffsetTest, PointsAtTheFirstUnrepresentableCharacter) {
  EXPECT_EQ(FirstNonEucKrOffset("안녕하세요"), std::string_view::npos);
  EXPECT_EQ(FirstNonEucKrOffset(""), std::string_view::npos);
  EXPECT_EQ(FirstNonEucKrOffset(std::string(kEmoji) + "a"), 0u);
  EXPECT_EQ(FirstNonEucKrOffset("안녕" + std::string(kEmoji)), 6u);
  EXPECT_EQ(FirstNonEucKrOffset("ab ㅋ " + std::string(kEmoji)), 7u);
  EXPECT_EQ(FirstNonEucKrOffset("abc\xff"), 3u);
}

TEST(Utf8ToEucKrTest, ProducesCp949Bytes) {
  EXPECT_EQ(Utf8ToEucKr("안녕"), std::string("\xBE\xC8\xB3\xE7"));
  EXPECT_EQ(Utf8ToEucKr("A가"), std::string("A\xB0\xA1"));
  EXPECT_EQ(Utf8ToEucKr("똠"), std::string("\x8c\x63"));  // UHC extension area
  EXPECT_EQ(Utf8ToEucKr("plain ascii"), std::string("plain ascii"));
  EXPECT_EQ(Utf8ToEucKr(""), std::string());
  EXPECT_EQ(Utf8ToEucKr("안녕" + std::string(kEmoji)), std::nullopt);
}

TEST(Utf8ToEucKrTest, ConvertsLongTextsAcrossIconvChunks) {
  const std::string text = Repeat("가a", 1000);
  const std::optional<std::string> bytes = Utf8ToEucKr(text);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(bytes->size(), 3000u);
  EXPECT_EQ(bytes->size(), EucKrByteCount(text));
  EXPECT_EQ(bytes->substr(2997), std::string("\xB0\xA1" "a"));
}

TEST(ClassifyKoreanTest, UpTo45HangulIsSmsAnd46IsLms) {
  EXPECT_EQ(ClassifyKorean(Repeat("가", 45)), KoreanSmsClass::kSms);
  EXPECT_EQ(ClassifyKorean(Repeat("가", 46)), KoreanSmsClass::kLms);
  EXPECT_EQ(ClassifyKorean(Repeat("a", 90)), KoreanSmsClass::kSms);
  EXPECT_EQ(ClassifyKorean(Repeat("a", 91)), KoreanSmsClass::kLms);
  EXPECT_EQ(ClassifyKorean(""), KoreanSmsClass::kSms);
}

TEST(ClassifyKoreanTest, Over2000BytesIsTooLong) {
  EXPECT_EQ(ClassifyKorean(Repeat("가", 1000)), KoreanSmsClass::kLms);
  EXPECT_EQ(ClassifyKorean(Repeat("가", 1000) + "a"), KoreanSmsClass::kTooLong);
}

TEST(ClassifyKoreanTest, EmojiIsUnrepresentable) {
  EXPECT_EQ(ClassifyKorean("좋아요" + std::string(kEmoji)), KoreanSmsClass::kUnrepresentable);
  EXPECT_EQ(ToString(KoreanSmsClass::kUnrepresentable), "unrepresentable");
}

TEST(FitsKoreanSubjectTest, AllowsAtMost40Bytes) {
  EXPECT_TRUE(FitsKoreanSubject(Repeat("가", 20)));
  EXPECT_FALSE(FitsKoreanSubject(Repeat("가", 20) + "a"));
  EXPECT_TRUE(FitsKoreanSubject(""));
  EXPECT_FALSE(FitsKoreanSubject(kEmoji));
}

TEST(EucKrByteCountTest, WorksFromManyThreadsAtOnce) {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (EucKrByteCount("ㅋ안녕 hi") != 9u) ++failures[t];
        if (EucKrByteCount(kEmoji).has_value()) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

// ---- GSM 03.38 ----

TEST(IsGsm7Test, AcceptsTheBasicAlphabetAndTheExtensionTable) {
  EXPECT_TRUE(IsGsm7(""));
  EXPECT_TRUE(IsGsm7("Hello, World! 0123456789 @£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà"));
  EXPECT_TRUE(IsGsm7("line1\nline2\r"));
  EXPECT_TRUE(IsGsm7("^{}\\[~]|€\f"));
}

TEST(IsGsm7Test, RejectsCharactersOutsideTheAlphabet) {
  EXPECT_FALSE(IsGsm7("안녕"));
  EXPECT_FALSE(IsGsm7("a\tb"));   // tab is not in GSM 03.38
  EXPECT_FALSE(IsGsm7("`"));
  EXPECT_FALSE(IsGsm7("\x1b"));   // the escape itself is not a character
  EXPECT_FALSE(IsGsm7(kEmoji));
  EXPECT_FALSE(IsGsm7("\xEF\xBF\xBF"));  // U+FFFF
  EXPECT_FALSE(IsGsm7("ab\xff"));
}

TEST(Gsm7SeptetCountTest, CountsExtensionCharactersTwice) {
  EXPECT_EQ(Gsm7SeptetCount("abc"), 3u);
  EXPECT_EQ(Gsm7SeptetCount("€"), 2u);
  EXPECT_EQ(Gsm7SeptetCount("{"), 2u);
  EXPECT_EQ(Gsm7SeptetCount("a{b}€"), 8u);
  EXPECT_EQ(Gsm7SeptetCount("é"), 1u);
}

TEST(Utf8ToGsm7UnpackedTest, MapsBasicCodesAndEscapesExtensions) {
  EXPECT_EQ(Utf8ToGsm7Unpacked("Az09"), "Az09");
  EXPECT_EQ(Utf8ToGsm7Unpacked("@"), std::string(1, '\0'));
  EXPECT_EQ(Utf8ToGsm7Unpacked("£$é_"), std::string("\x01\x02\x05\x11"));
  EXPECT_EQ(Utf8ToGsm7Unpacked("€"), std::string("\x1b\x65"));
  EXPECT_EQ(Utf8ToGsm7Unpacked("{}"), std::string("\x1b\x28\x1b\x29"));
  EXPECT_EQ(Utf8ToGsm7Unpacked("[\\]^|~"), std::string("\x1b\x3c\x1b\x2f\x1b\x3e\x1b\x14\x1b\x40\x1b\x3d"));
  EXPECT_EQ(Utf8ToGsm7Unpacked("à¿§"), std::string("\x7f\x60\x5f"));
  EXPECT_EQ(Utf8ToGsm7Unpacked("Ç"), std::string("\x09"));
  EXPECT_EQ(Utf8ToGsm7Unpacked("ç"), std::string("\x09"));
}

TEST(Utf8ToGsm7UnpackedTest, ReplacesCharactersOutsideTheAlphabetWithAQuestionMark) {
  EXPECT_EQ(Utf8ToGsm7Unpacked("a안b"), "a?b");
  EXPECT_EQ(Utf8ToGsm7Unpacked("x\xffy"), "x?y");
}

// ---- UCS-2 ----

TEST(Utf8ToUcs2BeTest, WritesBigEndianUtf16) {
  EXPECT_EQ(Utf8ToUcs2Be("A"), std::string("\x00\x41", 2));
  EXPECT_EQ(Utf8ToUcs2Be("안"), std::string("\xC5\x48"));
  EXPECT_EQ(Utf8ToUcs2Be("€"), std::string("\x20\xAC"));
  EXPECT_EQ(Utf8ToUcs2Be(""), "");
}

TEST(Utf8ToUcs2BeTest, WritesSurrogatePairsAboveTheBmp) {
  EXPECT_EQ(Utf8ToUcs2Be(kEmoji), std::string("\xD8\x3D\xDE\x00", 4));
  EXPECT_EQ(Utf16UnitCount(kEmoji), 2u);
  EXPECT_EQ(Utf16UnitCount("a안"), 2u);
}

TEST(Utf8ToUcs2BeTest, ReplacesIllFormedUtf8WithTheReplacementCharacter) {
  EXPECT_EQ(Utf8ToUcs2Be("\xff"), std::string("\xFF\xFD"));
}

// ---- segments ----

TEST(SegmentCountTest, Gsm7Holds160AloneAnd153PerPart) {
  EXPECT_EQ(SegmentCount(SmsEncoding::kGsm7, 0), 1u);
  EXPECT_EQ(SegmentCount(SmsEncoding::kGsm7, 160), 1u);
  EXPECT_EQ(SegmentCount(SmsEncoding::kGsm7, 161), 2u);
  EXPECT_EQ(SegmentCount(SmsEncoding::kGsm7, 306), 2u);
  EXPECT_EQ(SegmentCount(SmsEncoding::kGsm7, 307), 3u);
}

TEST(SegmentCountTest, EightBitHolds140AloneAnd134PerPart) {
  EXPECT_EQ(SegmentCount(SmsEncoding::kEightBit, 140), 1u);
  EXPECT_EQ(SegmentCount(SmsEncoding::kEightBit, 141), 2u);
  EXPECT_EQ(SegmentCount(SmsEncoding::kEightBit, 268), 2u);
  EXPECT_EQ(SegmentCount(SmsEncoding::kEightBit, 269), 3u);
}

TEST(SegmentCountTest, Ucs2Holds70AloneAnd67PerPart) {
  EXPECT_EQ(SegmentCount(SmsEncoding::kUcs2, 70), 1u);
  EXPECT_EQ(SegmentCount(SmsEncoding::kUcs2, 71), 2u);
  EXPECT_EQ(SegmentCount(SmsEncoding::kUcs2, 134), 2u);
  EXPECT_EQ(SegmentCount(SmsEncoding::kUcs2, 135), 3u);
}

TEST(CountSegmentsTest, CountsEscapedCharactersAsTwoSeptets) {
  EXPECT_EQ(CountSegments(Repeat("a", 160), SmsEncoding::kGsm7), 1u);
  EXPECT_EQ(CountSegments(Repeat("a", 159) + "€", SmsEncoding::kGsm7), 2u);
  EXPECT_EQ(CountSegments(Repeat("€", 80), SmsEncoding::kGsm7), 1u);
}

TEST(CountSegmentsTest, NeverSplitsAnEscapePairAcrossParts) {
  // 152 septets then '€': the pair does not fit the first part's 153rd septet.
  const std::string text = Repeat("a", 152) + "€" + Repeat("a", 152);  // 306 septets
  EXPECT_EQ(SegmentCount(SmsEncoding::kGsm7, Gsm7SeptetCount(text)), 2u);
  EXPECT_EQ(CountSegments(text, SmsEncoding::kGsm7), 3u);
}

TEST(CountSegmentsTest, CountsUcs2CharactersAndNeverSplitsASurrogatePair) {
  EXPECT_EQ(CountSegments(Repeat("안", 70), SmsEncoding::kUcs2), 1u);
  EXPECT_EQ(CountSegments(Repeat("안", 71), SmsEncoding::kUcs2), 2u);
  EXPECT_EQ(CountSegments(Repeat("안", 134), SmsEncoding::kUcs2), 2u);
  EXPECT_EQ(CountSegments(Repeat("안", 135), SmsEncoding::kUcs2), 3u);
  EXPECT_EQ(CountSegments(Repeat(kEmoji, 35), SmsEncoding::kUcs2), 1u);
  // 134 units, but the pair cannot be the first part's 67th unit.
  const std::string text = Repeat("안", 66) + std::string(kEmoji) + Repeat("안", 66);
  EXPECT_EQ(SegmentCount(SmsEncoding::kUcs2, Utf16UnitCount(text)), 2u);
  EXPECT_EQ(CountSegments(text, SmsEncoding::kUcs2), 3u);
}

TEST(CountSegmentsTest, CountsKoreanBytesInEightBit) {
  EXPECT_EQ(CountSegments(Repeat("가", 70), SmsEncoding::kEightBit), 1u);
  EXPECT_EQ(CountSegments(Repeat("가", 71), SmsEncoding::kEightBit), 2u);
  // 133 bytes then a 2-byte character: it starts the next part.
  EXPECT_EQ(CountSegments(Repeat("a", 133) + "가" + Repeat("a", 133), SmsEncoding::kEightBit), 3u);
}

}  // namespace
}  // namespace bulkd::core
