// Byte-level tests of the SMPP 3.4 codec: round trips per PDU, known wire bytes, and a
// table of malformed inputs that must come back as errors (never a crash or overread).
#include "providers/smpp/pdu.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace bulkd::providers::smpp {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes EncodeOrDie(const Pdu& pdu) {
  Bytes out;
  const std::error_code ec = Encode(pdu, out);
  EXPECT_FALSE(ec) << ec.message();
  return out;
}

// Decodes from an exact-size heap copy so AddressSanitizer catches any overread.
std::error_code DecodeExact(const Bytes& bytes, Pdu& out, std::unique_ptr<uint8_t[]>& hold) {
  hold = std::make_unique<uint8_t[]>(bytes.size() + 1);
  if (!bytes.empty()) std::memcpy(hold.get(), bytes.data(), bytes.size());
  return Decode(std::span<const uint8_t>(hold.get(), bytes.size()), out);
}

Bytes Header(uint32_t len, uint32_t id, uint32_t status, uint32_t seq) {
  Bytes b;
  for (uint32_t v : {len, id, status, seq}) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
  }
  return b;
}

void SetLength(Bytes& b) {
  const uint32_t len = static_cast<uint32_t>(b.size());
  for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(len >> (24 - 8 * i));
}

Pdu SampleSubmit() {
  Pdu p;
  p.command_id = CommandId::kSubmitSm;
  p.sequence_number = 42;
  p.sm.service_type = "CMT";
  p.sm.source_addr_ton = 5;
  p.sm.source_addr = "0215881234";
  p.sm.dest_addr_ton = 1;
  p.sm.dest_addr_npi = 1;
  p.sm.destination_addr = "821012345678";
  p.sm.esm_class = kEsmClassUdhi;
  p.sm.registered_delivery = 1;
  p.sm.data_coding = 0x08;
  p.sm.validity_period = "000001000000000R";
  p.sm.short_message = std::string_view("\x05\x00\x03\x2a\x02\x01\xac\x00", 8);
  p.tlvs.sar_msg_ref_num = 0x1234;
  p.tlvs.sar_total_segments = 2;
  p.tlvs.sar_segment_seqnum = 1;
  return p;
}

TEST(PduTest, EnquireLinkHasTheSpecBytes) {
  Bytes out;
  AppendHeaderOnly(out, CommandId::kEnquireLink, 0, 7);
  EXPECT_EQ(out, Header(16, 0x15, 0, 7));
  Pdu p;
  ASSERT_FALSE(Decode(out, p));
  EXPECT_EQ(p.command_id, CommandId::kEnquireLink);
  EXPECT_EQ(p.sequence_number, 7u);
}

TEST(PduTest, BodyLessPdusRoundTrip) {
  for (CommandId id : {CommandId::kEnquireLink, CommandId::kEnquireLinkResp, CommandId::kUnbind,
                       CommandId::kUnbindResp, CommandId::kGenericNack}) {
    Pdu in;
    in.command_id = id;
    in.command_status = id == CommandId::kGenericNack ? kEsmeRInvCmdId : 0;
    in.sequence_number = 0x7fffffff;
    const Bytes bytes = EncodeOrDie(in);
    ASSERT_EQ(bytes.size(), kHeaderSize);
    Pdu out;
    ASSERT_FALSE(Decode(bytes, out)) << CommandName(id);
    EXPECT_EQ(out.command_id, id);
    EXPECT_EQ(out.command_status, in.command_status);
    EXPECT_EQ(out.sequence_number, in.sequence_number);
  }
}

TEST(PduTest, BindTransceiverMatchesKnownBytes) {
  Pdu in;
  in.command_id = CommandId::kBindTransceiver;
  in.sequence_number = 1;
  in.bind.system_id = "bulkd";
  in.bind.password = "secret";
  in.bind.system_type = "";
  const Bytes bytes = EncodeOrDie(in);
  Bytes want = Header(0, 0x09, 0, 1);
  for (char c : std::string("bulkd\0secret\0\0\x34\0\0\0", 18)) want.push_back(static_cast<uint8_t>(c));
  SetLength(want);
  EXPECT_EQ(bytes, want);
}

TEST(PduTest, BindRequestsAndResponsesRoundTrip) {
  for (CommandId id : {CommandId::kBindTransceiver, CommandId::kBindTransmitter,
                       CommandId::kBindReceiver}) {
    Pdu in;
    in.command_id = id;
    in.sequence_number = 9;
    in.bind = {"system_id_15chr", "pass1234", "sys_type_12c", 0x34, 1, 1, "^82"};
    Pdu out;
    const Bytes bytes = EncodeOrDie(in);
    ASSERT_FALSE(Decode(bytes, out));
    EXPECT_EQ(out.command_id, id);
    EXPECT_EQ(out.bind.system_id, "system_id_15chr");
    EXPECT_EQ(out.bind.password, "pass1234");
    EXPECT_EQ(out.bind.system_type, "sys_type_12c");
    EXPECT_EQ(out.bind.interface_version, 0x34);
    EXPECT_EQ(out.bind.addr_ton, 1);
    EXPECT_EQ(out.bind.address_range, "^82");
  }
  Pdu resp;
  resp.command_id = CommandId::kBindTransceiverResp;
  resp.sequence_number = 9;
  resp.bind.system_id = "SMSC";
  resp.tlvs.sc_interface_version = 0x34;
  Pdu out;
  const Bytes bytes = EncodeOrDie(resp);
  ASSERT_FALSE(Decode(bytes, out));
  EXPECT_EQ(out.bind.system_id, "SMSC");
  EXPECT_EQ(out.tlvs.sc_interface_version, 0x34);
}

TEST(PduTest, RefusedBindRespMayOmitItsBody) {
  const Bytes bytes = Header(16, 0x80000009, kEsmeRBindFail, 1);
  Pdu out;
  ASSERT_FALSE(Decode(bytes, out));
  EXPECT_EQ(out.command_status, kEsmeRBindFail);
  EXPECT_TRUE(out.bind.system_id.empty());
}

TEST(PduTest, SubmitSmRoundTripsEveryField) {
  const Pdu in = SampleSubmit();
  const Bytes bytes = EncodeOrDie(in);
  Pdu out;
  ASSERT_FALSE(Decode(bytes, out));
  EXPECT_EQ(out.command_id, CommandId::kSubmitSm);
  EXPECT_EQ(out.sequence_number, 42u);
  EXPECT_EQ(out.sm.service_type, "CMT");
  EXPECT_EQ(out.sm.source_addr_ton, 5);
  EXPECT_EQ(out.sm.source_addr, "0215881234");
  EXPECT_EQ(out.sm.dest_addr_ton, 1);
  EXPECT_EQ(out.sm.dest_addr_npi, 1);
  EXPECT_EQ(out.sm.destination_addr, "821012345678");
  EXPECT_EQ(out.sm.esm_class, kEsmClassUdhi);
  EXPECT_EQ(out.sm.registered_delivery, 1);
  EXPECT_EQ(out.sm.data_coding, 0x08);
  EXPECT_EQ(out.sm.validity_period, "000001000000000R");
  EXPECT_EQ(out.sm.schedule_delivery_time, "");
  EXPECT_EQ(out.sm.short_message, in.sm.short_message);
  EXPECT_EQ(out.tlvs.sar_msg_ref_num, 0x1234);
  EXPECT_EQ(out.tlvs.sar_total_segments, 2);
  EXPECT_EQ(out.tlvs.sar_segment_seqnum, 1);
  // Encoding the decoded PDU gives the same bytes.
  EXPECT_EQ(EncodeOrDie(out), bytes);
}

TEST(PduTest, MessagePayloadTravelsAsTlvWithZeroSmLength) {
  Pdu in = SampleSubmit();
  in.sm.short_message = {};
  const std::string payload(3000, 'x');
  in.tlvs = {};
  in.tlvs.message_payload = payload;
  Pdu out;
  const Bytes bytes = EncodeOrDie(in);
  ASSERT_FALSE(Decode(bytes, out));
  EXPECT_TRUE(out.sm.short_message.empty());
  ASSERT_TRUE(out.tlvs.message_payload);
  EXPECT_EQ(*out.tlvs.message_payload, payload);
}

TEST(PduTest, DeliverSmReceiptTlvsRoundTrip) {
  Pdu in;
  in.command_id = CommandId::kDeliverSm;
  in.sequence_number = 3;
  in.sm.source_addr = "821012345678";
  in.sm.destination_addr = "0215881234";
  in.sm.esm_class = kEsmClassReceipt;
  in.sm.short_message = "id:123 sub:001 dlvrd:001 stat:DELIVRD err:000";
  in.tlvs.receipted_message_id = "7B";
  in.tlvs.message_state = 2;
  in.tlvs.network_error_code = NetworkErrorCode{3, 0x0102};
  Pdu out;
  const Bytes bytes = EncodeOrDie(in);
  ASSERT_FALSE(Decode(bytes, out));
  EXPECT_EQ(out.command_id, CommandId::kDeliverSm);
  EXPECT_EQ(out.sm.esm_class, kEsmClassReceipt);
  EXPECT_EQ(out.tlvs.receipted_message_id, "7B");
  EXPECT_EQ(out.tlvs.message_state, 2);
  ASSERT_TRUE(out.tlvs.network_error_code);
  EXPECT_EQ(out.tlvs.network_error_code->network_type, 3);
  EXPECT_EQ(out.tlvs.network_error_code->error_code, 0x0102);
  int seen = 0;
  EXPECT_TRUE(ForEachTlv(out.tlvs.raw, [&](uint16_t, std::span<const uint8_t>) { ++seen; }));
  EXPECT_EQ(seen, 3);
}

TEST(PduTest, UnknownTlvsAreKeptAndSkipped) {
  Bytes bytes = EncodeOrDie(SampleSubmit());
  for (uint8_t b : {0x14, 0x00, 0x00, 0x02, 0xAB, 0xCD}) bytes.push_back(b);  // vendor TLV
  SetLength(bytes);
  Pdu out;
  ASSERT_FALSE(Decode(bytes, out));
  bool vendor = false;
  ForEachTlv(out.tlvs.raw, [&](uint16_t tag, std::span<const uint8_t> v) {
    if (tag == 0x1400 && v.size() == 2 && v[0] == 0xAB) vendor = true;
  });
  EXPECT_TRUE(vendor);
}

TEST(PduTest, SubmitSmRespRoundTripsAndMayOmitBodyWhenRefused) {
  Pdu in;
  in.command_id = CommandId::kSubmitSmResp;
  in.sequence_number = 5;
  const std::string id(64, 'F');
  in.message_id = id;
  Pdu out;
  Bytes bytes = EncodeOrDie(in);
  ASSERT_FALSE(Decode(bytes, out));
  EXPECT_EQ(out.message_id, std::string(64, 'F'));

  ASSERT_FALSE(Decode(Header(16, 0x80000004, kEsmeRThrottled, 5), out));
  EXPECT_EQ(out.command_status, kEsmeRThrottled);
  EXPECT_TRUE(out.message_id.empty());
  // An accepted submit without a message_id is malformed.
  EXPECT_EQ(Decode(Header(16, 0x80000004, 0, 5), out), Errc::kMissingNul);
  // deliver_sm_resp may come without body.
  EXPECT_FALSE(Decode(Header(16, 0x80000005, 0, 5), out));
}

TEST(PduTest, EncodeRefusesOverlongFieldsAndLeavesOutputUnchanged) {
  Bytes out = {1, 2, 3};
  Pdu p = SampleSubmit();
  p.sm.destination_addr = "123456789012345678901";  // 21 > 20
  EXPECT_EQ(Encode(p, out), Errc::kFieldTooLong);
  p = SampleSubmit();
  const std::string long_sm(255, 'a');
  p.sm.short_message = long_sm;
  EXPECT_EQ(Encode(p, out), Errc::kFieldTooLong);
  p = SampleSubmit();
  p.sm.source_addr = std::string_view("ab\0c", 4);
  EXPECT_EQ(Encode(p, out), Errc::kFieldTooLong);
  p = SampleSubmit();
  const std::string huge(kMaxPduSize, 'a');
  p.tlvs.message_payload = huge;
  EXPECT_EQ(Encode(p, out), Errc::kFieldTooLong);
  Pdu bind;
  bind.command_id = CommandId::kBindTransceiver;
  bind.bind.password = "123456789";  // 9 > 8
  EXPECT_EQ(Encode(bind, out), Errc::kFieldTooLong);
  EXPECT_EQ(out, (Bytes{1, 2, 3}));
  p.command_id = static_cast<CommandId>(0x103);  // data_sm: not spoken here
  EXPECT_EQ(Encode(p, out), Errc::kUnknownCommandId);
}

TEST(PduTest, PeekFrameSizesTheNextPdu) {
  Bytes two = Header(16, 0x15, 0, 1);
  const Bytes second = EncodeOrDie(SampleSubmit());
  two.insert(two.end(), second.begin(), second.end());
  EXPECT_EQ(PeekFrame(std::span<const uint8_t>(two.data(), 3)).size, 0u);
  Frame f = PeekFrame(two);
  EXPECT_EQ(f.error, Errc::kOk);
  EXPECT_EQ(f.size, 16u);
  f = PeekFrame(std::span<const uint8_t>(two).subspan(16));
  EXPECT_EQ(f.size, second.size());
  EXPECT_EQ(PeekFrame(Header(15, 0x15, 0, 1)).error, Errc::kLengthTooSmall);
  EXPECT_EQ(PeekFrame(Header(kMaxPduSize + 1, 4, 0, 1)).error, Errc::kLengthTooLarge);
}

TEST(PduTest, EveryTruncationOfEveryPduIsAnError) {
  Pdu bind;
  bind.command_id = CommandId::kBindTransceiver;
  bind.bind.system_id = "sys";
  bind.bind.password = "pw";
  Pdu deliver;
  deliver.command_id = CommandId::kDeliverSm;
  deliver.sm.short_message = "id:1 stat:DELIVRD";
  deliver.tlvs.receipted_message_id = "1";
  deliver.tlvs.message_state = 2;
  Pdu resp;
  resp.command_id = CommandId::kSubmitSmResp;
  resp.message_id = "abc";
  for (const Pdu& pdu : {bind, SampleSubmit(), deliver, resp}) {
    const Bytes full = EncodeOrDie(pdu);
    // Cutting exactly between TLVs leaves a valid, shorter PDU.
    std::vector<size_t> tlv_boundaries;
    Pdu whole;
    ASSERT_FALSE(Decode(full, whole));
    size_t at = static_cast<size_t>(whole.tlvs.raw.data() - full.data());
    if (whole.tlvs.raw.empty()) at = full.size();
    tlv_boundaries.push_back(at);
    ForEachTlv(whole.tlvs.raw, [&](uint16_t, std::span<const uint8_t> v) {
      at += 4 + v.size();
      tlv_boundaries.push_back(at);
    });
    for (size_t n = 0; n < full.size(); ++n) {
      // Cut the buffer short: the header still claims the full length.
      Bytes cut(full.begin(), full.begin() + static_cast<long>(n));
      Pdu out;
      std::unique_ptr<uint8_t[]> hold;
      EXPECT_TRUE(DecodeExact(cut, out, hold)) << CommandName(pdu.command_id) << " n=" << n;
      // Shrink command_length too: the body ends early inside some field.
      if (n >= kHeaderSize) {
        SetLength(cut);
        const std::error_code ec = DecodeExact(cut, out, hold);
        const bool at_tlv_boundary =
            std::find(tlv_boundaries.begin(), tlv_boundaries.end(), n) != tlv_boundaries.end();
        if (at_tlv_boundary) {
          EXPECT_FALSE(ec) << CommandName(pdu.command_id) << " len=" << n;
        } else {
          EXPECT_TRUE(ec) << CommandName(pdu.command_id) << " len=" << n;
        }
      }
    }
  }
}

struct BadCase {
  const char* name;
  Bytes bytes;
  Errc want;
};

Bytes WithBody(uint32_t id, std::initializer_list<uint8_t> body) {
  Bytes b = Header(0, id, 0, 1);
  b.insert(b.end(), body.begin(), body.end());
  SetLength(b);
  return b;
}

Bytes SubmitWithTail(std::initializer_list<uint8_t> tail, uint8_t sm_length = 0) {
  Bytes b = Header(0, 0x04, 0, 1);
  // service_type, ton, npi, source, ton, npi, dest, esm, pid, prio, sched, valid,
  // registered, replace, dcs, default id, sm_length.
  const std::initializer_list<uint8_t> fixed = {0, 0, 0, '1', 0, 1, 1, '2', 0,
                                               0, 0, 0, 0, 0, 1, 0, 0, 0};
  b.insert(b.end(), fixed.begin(), fixed.end());
  b.push_back(sm_length);
  b.insert(b.end(), tail.begin(), tail.end());
  SetLength(b);
  return b;
}

TEST(PduTest, MalformedPdusAreRefusedWithTheRightError) {
  Bytes overlong_sys = Header(0, 0x09, 0, 1);
  for (int i = 0; i < 16; ++i) overlong_sys.push_back('a');  // 16 chars, no NUL in 16
  for (uint8_t v : {0, 0, 0, 0x34, 0, 0, 0}) overlong_sys.push_back(v);
  SetLength(overlong_sys);
  Bytes long_id = Header(0, 0x80000004, 0, 1);
  for (int i = 0; i < 70; ++i) long_id.push_back('9');
  long_id.push_back(0);
  SetLength(long_id);
  Bytes huge = Header(kMaxPduSize + 1, 0x04, 0, 1);
  huge.resize(kMaxPduSize + 1);

  const std::vector<BadCase> cases = {
      {"empty", {}, Errc::kTruncated},
      {"three bytes", {0, 0, 0}, Errc::kTruncated},
      {"length zero", Header(0, 0x15, 0, 1), Errc::kLengthTooSmall},
      {"length 15", Header(15, 0x15, 0, 1), Errc::kLengthTooSmall},
      {"length above max", huge, Errc::kLengthTooLarge},
      {"length 0xFFFFFFFF", Header(0xFFFFFFFF, 0x15, 0, 1), Errc::kLengthTooLarge},
      {"length beyond buffer", Header(17, 0x15, 0, 1), Errc::kTruncated},
      {"unknown command", Header(16, 0x00000103, 0, 1), Errc::kUnknownCommandId},
      {"reserved command", Header(16, 0x8000FFFF, 0, 1), Errc::kUnknownCommandId},
      {"enquire_link with body", WithBody(0x15, {0}), Errc::kTrailingBytes},
      {"unterminated system_id", WithBody(0x09, {'a', 'b', 'c'}), Errc::kMissingNul},
      {"overlong system_id", overlong_sys, Errc::kStringTooLong},
      {"overlong message_id", long_id, Errc::kStringTooLong},
      {"unterminated message_id", WithBody(0x80000004, {'4', '2'}), Errc::kMissingNul},
      {"sm_length past end", SubmitWithTail({'h', 'i'}, 5), Errc::kTruncated},
      {"sm_length above 254", SubmitWithTail({}, 255), Errc::kShortMessageTooLong},
      {"tlv header cut", SubmitWithTail({0x04, 0x24, 0x00}), Errc::kTlvOverrun},
      {"tlv value overrun", SubmitWithTail({0x04, 0x24, 0x00, 0x05, 'a'}), Errc::kTlvOverrun},
      {"tlv length 0xFFFF", SubmitWithTail({0x00, 0x1E, 0xFF, 0xFF, '1', 0}), Errc::kTlvOverrun},
      {"message_state wrong size", SubmitWithTail({0x04, 0x27, 0x00, 0x02, 2, 2}),
       Errc::kTlvBadLength},
      {"sar_msg_ref_num wrong size", SubmitWithTail({0x02, 0x0C, 0x00, 0x01, 1}),
       Errc::kTlvBadLength},
      {"receipted id empty", SubmitWithTail({0x00, 0x1E, 0x00, 0x00}), Errc::kTlvBadLength},
  };
  for (const BadCase& c : cases) {
    Pdu out;
    std::unique_ptr<uint8_t[]> hold;
    EXPECT_EQ(DecodeExact(c.bytes, out, hold), c.want) << c.name;
  }
}

TEST(PduTest, HeaderFieldsSurviveBodyErrorsForGenericNack) {
  Bytes b = WithBody(0x04, {'x'});
  b[12] = 0;
  b[15] = 77;  // sequence 77
  Pdu out;
  EXPECT_TRUE(Decode(b, out));
  EXPECT_EQ(out.command_id, CommandId::kSubmitSm);
  EXPECT_EQ(out.sequence_number, 77u);
  EXPECT_EQ(Decode(Header(16, 0x103, 0, 78), out), Errc::kUnknownCommandId);
  EXPECT_EQ(out.sequence_number, 78u);
}

TEST(PduTest, SubmitStatusesAreClassifiedInOnePlace) {
  EXPECT_EQ(ClassifySubmitStatus(kEsmeROk), StatusClass::kOk);
  EXPECT_EQ(ClassifySubmitStatus(kEsmeRThrottled), StatusClass::kThrottled);
  EXPECT_EQ(ClassifySubmitStatus(kEsmeRMsgQFul), StatusClass::kThrottled);
  EXPECT_EQ(ClassifySubmitStatus(kEsmeRSysErr), StatusClass::kRetry);
  EXPECT_EQ(ClassifySubmitStatus(kEsmeRxTAppn), StatusClass::kRetry);
  for (uint32_t s : {kEsmeRSubmitFail, kEsmeRInvDstAdr, kEsmeRxPAppn, kEsmeRInvCmdId,
                     kEsmeRInvBndSts, 0x400u}) {
    EXPECT_EQ(ClassifySubmitStatus(s), StatusClass::kPermanent) << s;
  }
  EXPECT_EQ(StatusName(0x58), "ESME_RTHROTTLED");
  EXPECT_EQ(StatusName(0x64), "ESME_RX_T_APPN");
}

}  // namespace
}  // namespace bulkd::providers::smpp
