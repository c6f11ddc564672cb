#include "providers/smpp/pdu.h"

#include <cstring>

namespace bulkd::providers::smpp {
namespace {

// C-Octet string maxima from SMPP 3.4 section 4, including the terminating NUL.
constexpr size_t kSystemIdMax = 16, kPasswordMax = 9, kSystemTypeMax = 13,
                 kAddressRangeMax = 41, kServiceTypeMax = 6, kAddrMax = 21, kTimeMax = 17,
                 kMessageIdMax = 65;

uint32_t LoadBe32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

// Bounds-checked cursor over a PDU body; the first error sticks and later reads return
// zero values, so decoding code reads straight through and checks once.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : p_(bytes.data()), left_(bytes.size()) {}

  Errc error() const { return error_; }
  size_t left() const { return error_ == Errc::kOk ? left_ : 0; }
  std::span<const uint8_t> Rest() const { return {p_, left()}; }

  uint8_t U8() {
    if (!Need(1)) return 0;
    const uint8_t v = p_[0];
    Skip(1);
    return v;
  }
  std::string_view CStr(size_t max_with_nul) {
    if (error_ != Errc::kOk) return {};
    const size_t scan = left_ < max_with_nul ? left_ : max_with_nul;
    const void* nul = std::memchr(p_, 0, scan);
    if (nul == nullptr) {
      Fail(left_ >= max_with_nul ? Errc::kStringTooLong : Errc::kMissingNul);
      return {};
    }
    const size_t n = static_cast<size_t>(static_cast<const uint8_t*>(nul) - p_);
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    Skip(n + 1);
    return s;
  }
  std::string_view Bytes(size_t n) {
    if (!Need(n)) return {};
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    Skip(n);
    return s;
  }
  void Fail(Errc e) {
    if (error_ == Errc::kOk) error_ = e;
  }

 private:
  bool Need(size_t n) {
    if (error_ != Errc::kOk) return false;
    if (left_ < n) {
      Fail(Errc::kTruncated);
      return false;
    }
    return true;
  }
  void Skip(size_t n) {
    p_ += n;
    left_ -= n;
  }

  const uint8_t* p_;
  size_t left_;
  Errc error_ = Errc::kOk;
};

Errc DecodeTlvs(std::span<const uint8_t> raw, Tlvs& out) {
  out = Tlvs{};
  out.raw = raw;
  size_t i = 0;
  while (i < raw.size()) {
    if (raw.size() - i < 4) return Errc::kTlvOverrun;
    const uint16_t tag = static_cast<uint16_t>(raw[i] << 8 | raw[i + 1]);
    const size_t len = static_cast<size_t>(raw[i + 2] << 8 | raw[i + 3]);
    if (raw.size() - i - 4 < len) return Errc::kTlvOverrun;
    const uint8_t* v = raw.data() + i + 4;
    i += 4 + len;
    auto fixed = [len](size_t want) { return len == want; };
    switch (static_cast<TlvTag>(tag)) {
      case TlvTag::kReceiptedMessageId: {
        if (len == 0 || len > kMessageIdMax) return Errc::kTlvBadLength;
        const void* nul = std::memchr(v, 0, len);  // tolerate a missing NUL
        const size_t n = nul ? static_cast<size_t>(static_cast<const uint8_t*>(nul) - v) : len;
        out.receipted_message_id = std::string_view(reinterpret_cast<const char*>(v), n);
        break;
      }
      case TlvTag::kMessageState:
        if (!fixed(1)) return Errc::kTlvBadLength;
        out.message_state = v[0];
        break;
      case TlvTag::kMessagePayload:
        out.message_payload = std::string_view(reinterpret_cast<const char*>(v), len);
        break;
      case TlvTag::kSarMsgRefNum:
        if (!fixed(2)) return Errc::kTlvBadLength;
        out.sar_msg_ref_num = static_cast<uint16_t>(v[0] << 8 | v[1]);
        break;
      case TlvTag::kSarTotalSegments:
        if (!fixed(1)) return Errc::kTlvBadLength;
        out.sar_total_segments = v[0];
        break;
      case TlvTag::kSarSegmentSeqnum:
        if (!fixed(1)) return Errc::kTlvBadLength;
        out.sar_segment_seqnum = v[0];
        break;
      case TlvTag::kScInterfaceVersion:
        if (!fixed(1)) return Errc::kTlvBadLength;
        out.sc_interface_version = v[0];
        break;
      case TlvTag::kNetworkErrorCode:
        if (!fixed(3)) return Errc::kTlvBadLength;
        out.network_error_code = NetworkErrorCode{v[0], static_cast<uint16_t>(v[1] << 8 | v[2])};
        break;
      default:
        break;  // validated for framing, kept in raw
    }
  }
  return Errc::kOk;
}

Errc DecodeSm(Reader& r, SmFields& sm, Tlvs& tlvs) {
  sm.service_type = r.CStr(kServiceTypeMax);
  sm.source_addr_ton = r.U8();
  sm.source_addr_npi = r.U8();
  sm.source_addr = r.CStr(kAddrMax);
  sm.dest_addr_ton = r.U8();
  sm.dest_addr_npi = r.U8();
  sm.destination_addr = r.CStr(kAddrMax);
  sm.esm_class = r.U8();
  sm.protocol_id = r.U8();
  sm.priority_flag = r.U8();
  sm.schedule_delivery_time = r.CStr(kTimeMax);
  sm.validity_period = r.CStr(kTimeMax);
  sm.registered_delivery = r.U8();
  sm.replace_if_present_flag = r.U8();
  sm.data_coding = r.U8();
  sm.sm_default_msg_id = r.U8();
  const uint8_t sm_length = r.U8();
  if (sm_length > kMaxShortMessage) r.Fail(Errc::kShortMessageTooLong);
  sm.short_message = r.Bytes(sm_length);
  if (r.error() != Errc::kOk) return r.error();
  return DecodeTlvs(r.Rest(), tlvs);
}

// Appends big-endian integers and C-Octet strings; the first overlong field sticks.
class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}
  bool ok() const { return ok_; }
  void Fail() { ok_ = false; }
  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) {
    const uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    out_.insert(out_.end(), b, b + 2);
  }
  void U32(uint32_t v) {
    const uint8_t b[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    out_.insert(out_.end(), b, b + 4);
  }
  void Raw(std::string_view s) {
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    out_.insert(out_.end(), p, p + s.size());
  }
  void CStr(std::string_view s, size_t max_with_nul) {
    if (s.size() + 1 > max_with_nul || s.find('\0') != std::string_view::npos) ok_ = false;
    Raw(s);
    U8(0);
  }
  void Tlv(TlvTag tag, std::string_view value, bool nul_terminate = false) {
    const size_t len = value.size() + (nul_terminate ? 1 : 0);
    if (len > 0xFFFF) {
      ok_ = false;
      return;
    }
    U16(static_cast<uint16_t>(tag));
    U16(static_cast<uint16_t>(len));
    Raw(value);
    if (nul_terminate) U8(0);
  }
  void TlvU8(TlvTag tag, const std::optional<uint8_t>& v) {
    if (!v) return;
    U16(static_cast<uint16_t>(tag));
    U16(1);
    U8(*v);
  }

 private:
  std::vector<uint8_t>& out_;
  bool ok_ = true;
};

void EncodeTlvs(Writer& w, const Tlvs& t) {
  if (t.receipted_message_id) {
    if (t.receipted_message_id->size() + 1 > kMessageIdMax) {
      w.Fail();
      return;
    }
    w.Tlv(TlvTag::kReceiptedMessageId, *t.receipted_message_id, /*nul_terminate=*/true);
  }
  w.TlvU8(TlvTag::kMessageState, t.message_state);
  if (t.network_error_code) {
    w.U16(static_cast<uint16_t>(TlvTag::kNetworkErrorCode));
    w.U16(3);
    w.U8(t.network_error_code->network_type);
    w.U16(t.network_error_code->error_code);
  }
  if (t.sar_msg_ref_num) {
    w.U16(static_cast<uint16_t>(TlvTag::kSarMsgRefNum));
    w.U16(2);
    w.U16(*t.sar_msg_ref_num);
  }
  w.TlvU8(TlvTag::kSarTotalSegments, t.sar_total_segments);
  w.TlvU8(TlvTag::kSarSegmentSeqnum, t.sar_segment_seqnum);
  w.TlvU8(TlvTag::kScInterfaceVersion, t.sc_interface_version);
  if (t.message_payload) w.Tlv(TlvTag::kMessagePayload, *t.message_payload);
}

}  // namespace

bool IsKnownCommand(uint32_t id) {
  switch (static_cast<CommandId>(id)) {
    case CommandId::kGenericNack:
    case CommandId::kBindReceiver: case CommandId::kBindReceiverResp:
    case CommandId::kBindTransmitter: case CommandId::kBindTransmitterResp:
    case CommandId::kSubmitSm: case CommandId::kSubmitSmResp:
    case CommandId::kDeliverSm: case CommandId::kDeliverSmResp:
    case CommandId::kUnbind: case CommandId::kUnbindResp:
    case CommandId::kBindTransceiver: case CommandId::kBindTransceiverResp:
    case CommandId::kEnquireLink: case CommandId::kEnquireLinkResp:
      return true;
  }
  return false;
}

std::string_view CommandName(CommandId id) {
  switch (id) {
    case CommandId::kGenericNack: return "generic_nack";
    case CommandId::kBindReceiver: return "bind_receiver";
    case CommandId::kBindReceiverResp: return "bind_receiver_resp";
    case CommandId::kBindTransmitter: return "bind_transmitter";
    case CommandId::kBindTransmitterResp: return "bind_transmitter_resp";
    case CommandId::kSubmitSm: return "submit_sm";
    case CommandId::kSubmitSmResp: return "submit_sm_resp";
    case CommandId::kDeliverSm: return "deliver_sm";
    case CommandId::kDeliverSmResp: return "deliver_sm_resp";
    case CommandId::kUnbind: return "unbind";
    case CommandId::kUnbindResp: return "unbind_resp";
    case CommandId::kBindTransceiver: return "bind_transceiver";
    case CommandId::kBindTransceiverResp: return "bind_transceiver_resp";
    case CommandId::kEnquireLink: return "enquire_link";
    case CommandId::kEnquireLinkResp: return "enquire_link_resp";
  }
  return "unknown";
}

std::string_view StatusName(uint32_t status) {
  switch (status) {
    case kEsmeROk: return "ESME_ROK";
    case kEsmeRInvMsgLen: return "ESME_RINVMSGLEN";
    case kEsmeRInvCmdLen: return "ESME_RINVCMDLEN";
    case kEsmeRInvCmdId: return "ESME_RINVCMDID";
    case kEsmeRInvBndSts: return "ESME_RINVBNDSTS";
    case kEsmeRAlyBnd: return "ESME_RALYBND";
    case kEsmeRSysErr: return "ESME_RSYSERR";
    case kEsmeRInvSrcAdr: return "ESME_RINVSRCADR";
    case kEsmeRInvDstAdr: return "ESME_RINVDSTADR";
    case kEsmeRInvMsgId: return "ESME_RINVMSGID";
    case kEsmeRBindFail: return "ESME_RBINDFAIL";
    case kEsmeRInvPaswd: return "ESME_RINVPASWD";
    case kEsmeRInvSysId: return "ESME_RINVSYSID";
    case kEsmeRMsgQFul: return "ESME_RMSGQFUL";
    case kEsmeRInvEsmClass: return "ESME_RINVESMCLASS";
    case kEsmeRSubmitFail: return "ESME_RSUBMITFAIL";
    case kEsmeRThrottled: return "ESME_RTHROTTLED";
    case kEsmeRxTAppn: return "ESME_RX_T_APPN";
    case kEsmeRxPAppn: return "ESME_RX_P_APPN";
    case kEsmeRxRAppn: return "ESME_RX_R_APPN";
    case kEsmeRInvOptParStream: return "ESME_RINVOPTPARSTREAM";
    case kEsmeRInvParLen: return "ESME_RINVPARLEN";
    case kEsmeRDeliveryFailure: return "ESME_RDELIVERYFAILURE";
    case kEsmeRUnknownErr: return "ESME_RUNKNOWNERR";
  }
  return {};
}

StatusClass ClassifySubmitStatus(uint32_t status) {
  switch (status) {
    case kEsmeROk: return StatusClass::kOk;
    case kEsmeRThrottled:
    case kEsmeRMsgQFul: return StatusClass::kThrottled;
    case kEsmeRSysErr:
    case kEsmeRxTAppn: return StatusClass::kRetry;
    default: return StatusClass::kPermanent;
  }
}

Frame PeekFrame(std::span<const uint8_t> buffer) {
  if (buffer.size() < 4) return {};
  const uint32_t len = LoadBe32(buffer.data());
  if (len < kHeaderSize) return {Errc::kLengthTooSmall, 0};
  if (len > kMaxPduSize) return {Errc::kLengthTooLarge, 0};
  return {Errc::kOk, len};
}

std::error_code Decode(std::span<const uint8_t> bytes, Pdu& out) {
  out = Pdu{};
  const Frame frame = PeekFrame(bytes);
  if (frame.error != Errc::kOk) return frame.error;
  if (bytes.size() < kHeaderSize) return Errc::kTruncated;
  const uint32_t raw_id = LoadBe32(bytes.data() + 4);
  out.command_id = static_cast<CommandId>(raw_id);
  out.command_status = LoadBe32(bytes.data() + 8);
  out.sequence_number = LoadBe32(bytes.data() + 12);
  if (bytes.size() < frame.size) return Errc::kTruncated;
  if (!IsKnownCommand(raw_id)) return Errc::kUnknownCommandId;

  const auto body = bytes.subspan(kHeaderSize, frame.size - kHeaderSize);
  Reader r(body);
  switch (out.command_id) {
    case CommandId::kBindReceiver:
    case CommandId::kBindTransmitter:
    case CommandId::kBindTransceiver:
      out.bind.system_id = r.CStr(kSystemIdMax);
      out.bind.password = r.CStr(kPasswordMax);
      out.bind.system_type = r.CStr(kSystemTypeMax);
      out.bind.interface_version = r.U8();
      out.bind.addr_ton = r.U8();
      out.bind.addr_npi = r.U8();
      out.bind.address_range = r.CStr(kAddressRangeMax);
      if (r.error() != Errc::kOk) return r.error();
      return DecodeTlvs(r.Rest(), out.tlvs);
    case CommandId::kBindReceiverResp:
    case CommandId::kBindTransmitterResp:
    case CommandId::kBindTransceiverResp:
      if (body.empty() && out.command_status != kEsmeROk) return {};
      out.bind.system_id = r.CStr(kSystemIdMax);
      if (r.error() != Errc::kOk) return r.error();
      return DecodeTlvs(r.Rest(), out.tlvs);
    case CommandId::kSubmitSm:
    case CommandId::kDeliverSm:
      return DecodeSm(r, out.sm, out.tlvs);
    case CommandId::kSubmitSmResp:
    case CommandId::kDeliverSmResp:
      // deliver_sm_resp's message_id is unused (often absent); submit_sm_resp may omit
      // its body when refusing.
      if (body.empty() &&
          (out.command_id == CommandId::kDeliverSmResp || out.command_status != kEsmeROk)) {
        return {};
      }
      out.message_id = r.CStr(kMessageIdMax);
      if (r.error() != Errc::kOk) return r.error();
      return DecodeTlvs(r.Rest(), out.tlvs);
    case CommandId::kGenericNack:
    case CommandId::kUnbind:
    case CommandId::kUnbindResp:
    case CommandId::kEnquireLink:
    case CommandId::kEnquireLinkResp:
      return body.empty() ? std::error_code{} : make_error_code(Errc::kTrailingBytes);
  }
  return Errc::kUnknownCommandId;
}

void AppendHeaderOnly(std::vector<uint8_t>& out, CommandId id, uint32_t status,
                      uint32_t sequence_number) {
  Writer w(out);
  w.U32(kHeaderSize);
  w.U32(static_cast<uint32_t>(id));
  w.U32(status);
  w.U32(sequence_number);
}

std::error_code Encode(const Pdu& pdu, std::vector<uint8_t>& out) {
  if (!IsKnownCommand(static_cast<uint32_t>(pdu.command_id))) return Errc::kUnknownCommandId;
  const size_t start = out.size();
  Writer w(out);
  w.U32(0);  // command_length, patched below
  w.U32(static_cast<uint32_t>(pdu.command_id));
  w.U32(pdu.command_status);
  w.U32(pdu.sequence_number);
  switch (pdu.command_id) {
    case CommandId::kBindReceiver:
    case CommandId::kBindTransmitter:
    case CommandId::kBindTransceiver:
      w.CStr(pdu.bind.system_id, kSystemIdMax);
      w.CStr(pdu.bind.password, kPasswordMax);
      w.CStr(pdu.bind.system_type, kSystemTypeMax);
      w.U8(pdu.bind.interface_version);
      w.U8(pdu.bind.addr_ton);
      w.U8(pdu.bind.addr_npi);
      w.CStr(pdu.bind.address_range, kAddressRangeMax);
      break;
    case CommandId::kBindReceiverResp:
    case CommandId::kBindTransmitterResp:
    case CommandId::kBindTransceiverResp:
      w.CStr(pdu.bind.system_id, kSystemIdMax);
      EncodeTlvs(w, pdu.tlvs);
      break;
    case CommandId::kSubmitSm:
    case CommandId::kDeliverSm: {
      const SmFields& sm = pdu.sm;
      w.CStr(sm.service_type, kServiceTypeMax);
      w.U8(sm.source_addr_ton);
      w.U8(sm.source_addr_npi);
      w.CStr(sm.source_addr, kAddrMax);
      w.U8(sm.dest_addr_ton);
      w.U8(sm.dest_addr_npi);
      w.CStr(sm.destination_addr, kAddrMax);
      w.U8(sm.esm_class);
      w.U8(sm.protocol_id);
      w.U8(sm.priority_flag);
      w.CStr(sm.schedule_delivery_time, kTimeMax);
      w.CStr(sm.validity_period, kTimeMax);
      w.U8(sm.registered_delivery);
      w.U8(sm.replace_if_present_flag);
      w.U8(sm.data_coding);
      w.U8(sm.sm_default_msg_id);
      if (sm.short_message.size() > kMaxShortMessage) {
        out.resize(start);
        return Errc::kFieldTooLong;
      }
      w.U8(static_cast<uint8_t>(sm.short_message.size()));
      w.Raw(sm.short_message);
      EncodeTlvs(w, pdu.tlvs);
      break;
    }
    case CommandId::kSubmitSmResp:
    case CommandId::kDeliverSmResp:
      w.CStr(pdu.message_id, kMessageIdMax);
      break;
    case CommandId::kGenericNack:
    case CommandId::kUnbind:
    case CommandId::kUnbindResp:
    case CommandId::kEnquireLink:
    case CommandId::kEnquireLinkResp:
      break;
  }
  const size_t len = out.size() - start;
  if (!w.ok() || len > kMaxPduSize) {
    out.resize(start);
    return Errc::kFieldTooLong;
  }
  out[start] = static_cast<uint8_t>(len >> 24);
  out[start + 1] = static_cast<uint8_t>(len >> 16);
  out[start + 2] = static_cast<uint8_t>(len >> 8);
  out[start + 3] = static_cast<uint8_t>(len);
  return {};
}

}  // namespace bulkd::providers::smpp
