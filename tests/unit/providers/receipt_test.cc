// Delivery receipt parsing (TLV and text forms) and message-id canonicalisation.
#include "providers/smpp/receipt.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bulkd::providers::smpp {
namespace {

Pdu ReceiptPdu(std::string_view text) {
  Pdu p;
  p.command_id = CommandId::kDeliverSm;
  p.sm.esm_class = kEsmClassReceipt;
  p.sm.source_addr = "821012345678";
  p.sm.destination_addr = "0215881234";
  p.sm.short_message = text;
  return p;
}

TEST(ReceiptTest, ParsesTheClassicTextForm) {
  Receipt r;
  ASSERT_TRUE(ParseReceipt(
      ReceiptPdu("id:0123456789 sub:001 dlvrd:001 submit date:2311241530 done date:2311241531 "
                 "stat:DELIVRD err:000 text:Hello world stat:UNDELIV"),
      r));
  EXPECT_EQ(r.message_id, "0123456789");
  EXPECT_EQ(r.state, MessageState::kDelivered);
  EXPECT_FALSE(r.state_from_tlv);
  EXPECT_EQ(r.error, "000");
  EXPECT_EQ(r.submitted, 1u);
  EXPECT_EQ(r.delivered, 1u);
  ASSERT_TRUE(r.submit_date);
  EXPECT_EQ(*r.submit_date, (ReceiptTime{2023, 11, 24, 15, 30, 0}));
  ASSERT_TRUE(r.done_date);
  EXPECT_EQ(*r.done_date, (ReceiptTime{2023, 11, 24, 15, 31, 0}));
  EXPECT_EQ(r.source_addr, "821012345678");
  EXPECT_EQ(r.dest_addr, "0215881234");
}

TEST(ReceiptTest, TlvsWinOverText) {
  Pdu p = ReceiptPdu("id:6699 sub:001 dlvrd:000 stat:DELIVRD err:000");
  p.tlvs.receipted_message_id = "1A2B";
  p.tlvs.message_state = static_cast<uint8_t>(MessageState::kUndeliverable);
  p.tlvs.network_error_code = NetworkErrorCode{3, 27};
  Receipt r;
  ASSERT_TRUE(ParseReceipt(p, r));
  EXPECT_EQ(r.message_id, "1A2B");
  EXPECT_EQ(r.state, MessageState::kUndeliverable);
  EXPECT_TRUE(r.state_from_tlv);
  EXPECT_EQ(r.error, "000");  // still taken from the text
  ASSERT_TRUE(r.network_error);
  EXPECT_EQ(r.network_error->error_code, 27);
}

TEST(ReceiptTest, TlvsAloneAreEnough) {
  Pdu p = ReceiptPdu("");
  p.tlvs.receipted_message_id = "abc";
  p.tlvs.message_state = 2;
  Receipt r;
  ASSERT_TRUE(ParseReceipt(p, r));
  EXPECT_EQ(r.message_id, "abc");
  EXPECT_EQ(r.state, MessageState::kDelivered);
}

TEST(ReceiptTest, TextInMessagePayloadIsRead) {
  Pdu p = ReceiptPdu("");
  p.tlvs.message_payload = "id:77 stat:EXPIRED";
  Receipt r;
  ASSERT_TRUE(ParseReceipt(p, r));
  EXPECT_EQ(r.message_id, "77");
  EXPECT_EQ(r.state, MessageState::kExpired);
}

TEST(ReceiptTest, ToleratesCaseSpacesMissingFieldsAndDateWidths) {
  Receipt r;
  ASSERT_TRUE(ParseReceiptText(
      "ID: 42   Sub:1 DLVRD:0  SUBMIT   DATE:231124153059 done_date:20231124153100 "
      "Stat: undeliv Err:",
      r));
  EXPECT_EQ(r.message_id, "42");
  EXPECT_EQ(r.state, MessageState::kUndeliverable);
  EXPECT_EQ(r.submitted, 1u);
  EXPECT_EQ(r.delivered, 0u);
  EXPECT_EQ(*r.submit_date, (ReceiptTime{2023, 11, 24, 15, 30, 59}));
  EXPECT_EQ(*r.done_date, (ReceiptTime{2023, 11, 24, 15, 31, 0}));
  EXPECT_EQ(r.error, "");

  Receipt missing;
  ASSERT_TRUE(ParseReceiptText("id:abc stat:REJECTD", missing));
  EXPECT_EQ(missing.state, MessageState::kRejected);
  EXPECT_FALSE(missing.submit_date);
  EXPECT_FALSE(missing.submitted);

  Receipt empty_values;
  ASSERT_TRUE(ParseReceiptText("id:9 err: stat:DELIVRD", empty_values));
  EXPECT_EQ(empty_values.error, "");
  EXPECT_EQ(empty_values.state, MessageState::kDelivered);

  Receipt prefixed;
  ASSERT_TRUE(ParseReceiptText("noise words id:5 stat:ACCEPTD", prefixed));
  EXPECT_EQ(prefixed.message_id, "5");
  EXPECT_EQ(prefixed.state, MessageState::kAccepted);
}

TEST(ReceiptTest, EveryStatWordMaps) {
  const std::vector<std::pair<std::string, MessageState>> table = {
      {"DELIVRD", MessageState::kDelivered}, {"UNDELIV", MessageState::kUndeliverable},
      {"EXPIRED", MessageState::kExpired},   {"REJECTD", MessageState::kRejected},
      {"DELETED", MessageState::kDeleted},   {"UNKNOWN", MessageState::kUnknown},
      {"ACCEPTD", MessageState::kAccepted},  {"ENROUTE", MessageState::kEnroute},
      {"delivered", MessageState::kDelivered}};
  for (const auto& [word, state] : table) {
    Receipt r;
    ASSERT_TRUE(ParseReceipt(ReceiptPdu("id:1 stat:" + word), r)) << word;
    EXPECT_EQ(r.state, state) << word;
    if (word.size() == 7) {
      EXPECT_EQ(ToString(state), word);
    }
  }
  EXPECT_TRUE(IsFinal(MessageState::kDelivered));
  EXPECT_TRUE(IsFinal(MessageState::kUndeliverable));
  EXPECT_FALSE(IsFinal(MessageState::kEnroute));
  EXPECT_FALSE(IsFinal(MessageState::kAccepted));
}

TEST(ReceiptTest, GarbageIsRefusedWithoutCrashing) {
  const std::vector<std::string> garbage = {
      "",
      "hello",
      "stat:DELIVRD",          // no id
      "id:1",                  // no state
      "id:1 stat:WHATEVER",    // unknown state
      ":::: id stat",
      std::string("id:\0\0 stat:\0", 13),
      "id:1 submit date:99999999999 done date:2313 stat:",
      std::string(5000, ':'),
  };
  for (const std::string& text : garbage) {
    Receipt r;
    EXPECT_FALSE(ParseReceipt(ReceiptPdu(text), r)) << text.substr(0, 40);
  }
  Receipt r;
  ASSERT_FALSE(ParseReceipt(ReceiptPdu("id:1 submit date:2313999999 stat:"), r));
  EXPECT_FALSE(r.submit_date);  // month 13 is not a date
  Pdu bad_state = ReceiptPdu("");
  bad_state.tlvs.receipted_message_id = "1";
  bad_state.tlvs.message_state = 99;
  EXPECT_FALSE(ParseReceipt(bad_state, r));
}

TEST(ReceiptTest, CanonicalIdsMatchAcrossHexAndDecimal) {
  // submit_sm_resp in hex, receipt in decimal (a common SMSC habit).
  EXPECT_EQ(CanonicalMessageId("1A2B", IdBase::kHex), "6699");
  EXPECT_EQ(CanonicalMessageId("0x1a2b", IdBase::kHex), "6699");
  EXPECT_EQ(CanonicalMessageId("0006699", IdBase::kDecimal), "6699");
  EXPECT_EQ(CanonicalMessageId(" Msg-ABC ", IdBase::kText), "msg-abc");
  EXPECT_EQ(CanonicalMessageId("Msg-ABC", IdBase::kHex), "msg-abc");  // falls back to text
  EXPECT_EQ(CanonicalMessageId("FFFFFFFFFFFFFFFF", IdBase::kHex), "18446744073709551615");
  EXPECT_EQ(CanonicalMessageId("1FFFFFFFFFFFFFFFF", IdBase::kHex), "1ffffffffffffffff");
}

TEST(ReceiptTest, CandidateKeysIntersectForEveryPairingOfBases) {
  auto matches = [](std::string_view a, std::string_view b) {
    const MessageIdKeys ka = MessageIdCandidates(a), kb = MessageIdCandidates(b);
    for (size_t i = 0; i < ka.count; ++i) {
      if (kb.Contains(ka.keys[i])) return true;
    }
    return false;
  };
  EXPECT_TRUE(matches("1A2B", "6699"));     // hex submit, decimal receipt
  EXPECT_TRUE(matches("6699", "1a2b"));     // decimal submit, hex receipt
  EXPECT_TRUE(matches("1a2b", "1A2B"));     // both hex, case differs
  EXPECT_TRUE(matches("006699", "6699"));   // leading zeros
  EXPECT_TRUE(matches("msg-1", "MSG-1"));   // opaque text
  EXPECT_FALSE(matches("1A2B", "6698"));
  EXPECT_FALSE(matches("msg-1", "msg-2"));
  const MessageIdKeys k = MessageIdCandidates("10");
  EXPECT_EQ(k.count, 2u);  // "10" (text and decimal coincide) and hex 0x10 = "16"
  EXPECT_TRUE(k.Contains("10"));
  EXPECT_TRUE(k.Contains("16"));
}

}  // namespace
}  // namespace bulkd::providers::smpp
