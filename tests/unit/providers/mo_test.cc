// MO replies: body decoding per data_coding (GSM 03.38, ASCII/Latin-1, UCS-2, CP949),
// sender numbers in E.164, the deliver_sm reader, and the opt-out keyword rule.
#include "providers/smpp/mo.h"

#include <gtest/gtest.h>

#include <string>

#include "core/text_encoding.h"

namespace bulkd::providers::smpp {
namespace {

std::string Bytes(std::initializer_list<uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

TEST(MoDecodeTest, GsmDefaultAlphabetWithExtensionTable) {
  // "@£$" are 0x00 0x01 0x02; "€" is 0x1B 0x65; "{" 0x1B 0x28.
  EXPECT_EQ(DecodeMoText(0x00, Bytes({0x00, 0x01, 0x02, 0x1B, 0x65, 0x1B, 0x28, 'S', 't', 'o', 'p'})),
            "@£$€{Stop");
  EXPECT_EQ(DecodeMoText(0x00, core::Utf8ToGsm7Unpacked("Hello ÄÖ_!")), "Hello ÄÖ_!");
  // An escape with no extension character shows the basic one; a dangling escape nothing.
  EXPECT_EQ(DecodeMoText(0x00, Bytes({0x1B, 'A', 'b', 0x1B})), "Ab");
  // With a message class (0xF0-0xF3) it is the same alphabet.
  EXPECT_EQ(DecodeMoText(0xF1, Bytes({'S', 'T', 'O', 'P'})), "STOP");
}

TEST(MoDecodeTest, DefaultAlphabetAsAsciiWhenTheSmscSaysSo) {
  EXPECT_EQ(DecodeMoText(0x00, "$5 @home", /*default_alphabet_is_ascii=*/true), "$5 @home");
  EXPECT_EQ(DecodeMoText(0x00, "$", /*default_alphabet_is_ascii=*/false), "¤");
  EXPECT_EQ(DecodeMoText(0x01, "stop"), "stop");
  EXPECT_EQ(DecodeMoText(0x03, Bytes({'c', 'a', 'f', 0xE9})), "café");
}

TEST(MoDecodeTest, Ucs2BigEndianWithSurrogatePairs) {
  EXPECT_EQ(DecodeMoText(0x08, Bytes({0xC2, 0x18, 0xC2, 0xE0, 0xAC, 0x70, 0xBD, 0x80})), "수신거부");
  EXPECT_EQ(DecodeMoText(0x08, core::Utf8ToUcs2Be("해지 😀 ok")), "해지 😀 ok");
}

TEST(MoDecodeTest, MalformedUcs2BecomesReplacementCharacters) {
  // A lone high surrogate, a lone low surrogate, an odd trailing byte.
  EXPECT_EQ(DecodeMoText(0x08, Bytes({0xD8, 0x3D, 0x00, 'a', 0xDE, 0x00, 0x00})),
            "\xEF\xBF\xBD" "a" "\xEF\xBF\xBD" "\xEF\xBF\xBD");
}

TEST(MoDecodeTest, KsC5601ReadAsCp949) {
  EXPECT_EQ(DecodeMoText(0x0E, Bytes({0xBC, 0xF6, 0xBD, 0xC5, 0xB0, 0xC5, 0xBA, 0xCE})), "수신거부");
  EXPECT_EQ(DecodeMoText(0x0E, Bytes({0x8C, 0x63})), "똠");  // CP949 only, not in EUC-KR
  EXPECT_EQ(DecodeMoText(0x0E, *core::Utf8ToEucKr("해지 please")), "해지 please");
}

TEST(MoDecodeTest, MalformedKsC5601KeepsTheRest) {
  // 0xFF is no CP949 byte; a lead byte at the end is a truncated character.
  EXPECT_EQ(DecodeMoText(0x0E, Bytes({'a', 0xFF, 0xC7, 0xD8, 0xC1, 0xF6, 0xB0})),
            "a\xEF\xBF\xBD" "해지\xEF\xBF\xBD");
}

TEST(MoDecodeTest, BinaryAndUnknownCodingsAreNotText) {
  for (uint8_t dc : {0x02, 0x04, 0xF4, 0x09, 0x0F}) {
    EXPECT_FALSE(DecodeMoText(dc, "abc")) << static_cast<int>(dc);
  }
}

TEST(MoDecodeTest, SenderBecomesE164) {
  struct Case {
    const char* addr;
    uint8_t ton;
    const char* want;
  };
  const Case cases[] = {
      {"821012345678", 1, "+821012345678"},   // international
      {"+821012345678", 0, "+821012345678"},  // already with '+'
      {"01012345678", 2, "+821012345678"},    // national: trunk 0 dropped
      {"1012345678", 2, "+821012345678"},     // national without the trunk prefix
      {"01012345678", 0, "+821012345678"},    // unknown TON, leading 0: national
      {"821012345678", 0, "+821012345678"},   // unknown TON otherwise: international
      {"KT", 5, "KT"},                        // alphanumeric: as sent
      {"", 1, ""},
  };
  for (const Case& c : cases) EXPECT_EQ(ToE164(c.addr, c.ton, "82"), c.want) << c.addr;
  EXPECT_EQ(ToE164("07700900123", 2, "44"), "+447700900123");
}

Pdu Mo(uint8_t data_coding, std::string_view short_message, uint8_t esm_class = 0) {
  Pdu p;
  p.command_id = CommandId::kDeliverSm;
  p.sm.source_addr_ton = 1;
  p.sm.source_addr = "821012345678";
  p.sm.destination_addr = "0215881234";
  p.sm.data_coding = data_coding;
  p.sm.esm_class = esm_class;
  p.sm.short_message = short_message;
  return p;
}

TEST(MoDecodeTest, DeliverSmBecomesAnInboundMessage) {
  const std::string body = *core::Utf8ToEucKr(" 수신거부 ");
  const auto m = DecodeMo(Mo(0x0E, body), MoDecodeOptions{});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->from, "+821012345678");
  EXPECT_EQ(m->to, "0215881234");
  EXPECT_EQ(m->text, " 수신거부 ");
  EXPECT_TRUE(m->is_optout);
}

TEST(MoDecodeTest, UdhIsSkippedAndMessagePayloadRead) {
  const std::string with_udh = Bytes({0x05, 0x00, 0x03, 0x01, 0x02, 0x01}) + core::Utf8ToUcs2Be("stop");
  auto m = DecodeMo(Mo(0x08, with_udh, kEsmClassUdhi), MoDecodeOptions{});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->text, "stop");
  EXPECT_TRUE(m->is_optout);

  const std::string payload = core::Utf8ToUcs2Be("고맙습니다");
  Pdu p = Mo(0x08, "");
  p.tlvs.message_payload = payload;
  m = DecodeMo(p, MoDecodeOptions{});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->text, "고맙습니다");
  EXPECT_FALSE(m->is_optout);
}

TEST(MoDecodeTest, UndecodableDeliverSmIsRefused) {
  EXPECT_FALSE(DecodeMo(Mo(0x04, "\x01\x02"), MoDecodeOptions{}));            // binary
  EXPECT_FALSE(DecodeMo(Mo(0x00, Bytes({0x09, 0x00}), kEsmClassUdhi), MoDecodeOptions{}));  // UDH overrun
  EXPECT_FALSE(DecodeMo(Mo(0x00, "", kEsmClassUdhi), MoDecodeOptions{}));     // UDHI, no UDH
}

TEST(OptOutTest, KeywordsMatchTrimmedAndCaseInsensitive) {
  for (const char* reply : {"수신거부", "거부", "해지", "stop", "STOP", "Stop", "unsubscribe",
                            "UNSUBSCRIBE", "  stop\r\n", "\t수신거부 ", "\xE3\x80\x80해지\xC2\xA0"}) {
    EXPECT_TRUE(IsOptOutReply(reply)) << reply;
  }
}

TEST(OptOutTest, OtherRepliesAreNotOptOuts) {
  for (const char* reply : {"", " ", "stop sending", "don't stop", "수신거부합니다", "수신 거부",
                            "거부 안 함", "stopp", "st op", "ＳＴＯＰ", "네", "감사합니다", "unsub"}) {
    EXPECT_FALSE(IsOptOutReply(reply)) << reply;
  }
}

}  // namespace
}  // namespace bulkd::providers::smpp
