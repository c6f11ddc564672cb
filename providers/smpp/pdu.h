// providers/smpp/pdu.h — SMPP 3.4 PDUs: framing, zero-copy decoding and encoding of the
// operations a transceiver needs (bind_*, submit_sm, deliver_sm, enquire_link, unbind,
// generic_nack and their responses). Pure functions: no I/O, no allocation except the
// output buffer on encode, never throw, never read outside the given span.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "providers/smpp/errors.h"

namespace bulkd::providers::smpp {

inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kMaxPduSize = 64 * 1024;  // larger command_length = protocol error
inline constexpr size_t kMaxShortMessage = 254;

enum class CommandId : uint32_t {
  kGenericNack = 0x80000000,
  kBindReceiver = 0x00000001, kBindReceiverResp = 0x80000001,
  kBindTransmitter = 0x00000002, kBindTransmitterResp = 0x80000002,
  kSubmitSm = 0x00000004, kSubmitSmResp = 0x80000004,
  kDeliverSm = 0x00000005, kDeliverSmResp = 0x80000005,
  kUnbind = 0x00000006, kUnbindResp = 0x80000006,
  kBindTransceiver = 0x00000009, kBindTransceiverResp = 0x80000009,
  kEnquireLink = 0x00000015, kEnquireLinkResp = 0x80000015,
};
inline bool IsResponse(CommandId id) { return (static_cast<uint32_t>(id) & 0x80000000u) != 0; }
bool IsKnownCommand(uint32_t command_id);
std::string_view CommandName(CommandId id);  // "submit_sm", ...; "unknown" otherwise

// command_status values (SMPP 3.4 table 5-2), spelled kEsmeR<Name> for ESME_R<NAME>.
inline constexpr uint32_t kEsmeROk = 0x00, kEsmeRInvMsgLen = 0x01, kEsmeRInvCmdLen = 0x02,
    kEsmeRInvCmdId = 0x03, kEsmeRInvBndSts = 0x04, kEsmeRAlyBnd = 0x05, kEsmeRSysErr = 0x08,
    kEsmeRInvSrcAdr = 0x0A, kEsmeRInvDstAdr = 0x0B, kEsmeRInvMsgId = 0x0C,
    kEsmeRBindFail = 0x0D, kEsmeRInvPaswd = 0x0E, kEsmeRInvSysId = 0x0F,
    kEsmeRMsgQFul = 0x14, kEsmeRInvEsmClass = 0x43, kEsmeRSubmitFail = 0x45,
    kEsmeRThrottled = 0x58, kEsmeRxTAppn = 0x64, kEsmeRxPAppn = 0x65, kEsmeRxRAppn = 0x66,
    kEsmeRInvOptParStream = 0xC0, kEsmeRInvParLen = 0xC2, kEsmeRDeliveryFailure = 0xFE,
    kEsmeRUnknownErr = 0xFF;
std::string_view StatusName(uint32_t status);  // "ESME_RTHROTTLED"; "" when unnamed here

// What a submit_sm_resp status means for the message. The one place that decides.
enum class StatusClass : uint8_t {
  kOk,         // accepted
  kThrottled,  // ESME_RTHROTTLED, ESME_RMSGQFUL: slow the whole bind down, then retry
  kRetry,      // ESME_RSYSERR, ESME_RX_T_APPN: retry this message
  kPermanent,  // anything else: this message will not go this way
};
StatusClass ClassifySubmitStatus(uint32_t command_status);

// esm_class bits and TLV tags used here.
inline constexpr uint8_t kEsmClassReceipt = 0x04;  // deliver_sm carries a delivery receipt
inline constexpr uint8_t kEsmClassUdhi = 0x40;     // short_message starts with a UDH
enum class TlvTag : uint16_t {
  kReceiptedMessageId = 0x001E, kSarMsgRefNum = 0x020C, kSarTotalSegments = 0x020E,
  kSarSegmentSeqnum = 0x020F, kScInterfaceVersion = 0x0210, kNetworkErrorCode = 0x0423,
  kMessagePayload = 0x0424, kMessageState = 0x0427,
};

struct NetworkErrorCode {
  uint8_t network_type = 0;  // 1 ANSI-136, 2 IS-95, 3 GSM, ...
  uint16_t error_code = 0;
};

// Optional parameters. Decode validates every TLV and fills the ones named here; others
// stay in `raw` (walk them with ForEachTlv). Encode writes the set ones, ignores `raw`.
struct Tlvs {
  std::span<const uint8_t> raw;
  std::optional<std::string_view> receipted_message_id;  // trailing NUL stripped
  std::optional<uint8_t> message_state;                  // SMPP 3.4 5.2.28 values
  std::optional<std::string_view> message_payload;       // raw bytes
  std::optional<uint16_t> sar_msg_ref_num;
  std::optional<uint8_t> sar_total_segments;
  std::optional<uint8_t> sar_segment_seqnum;
  std::optional<NetworkErrorCode> network_error_code;
  std::optional<uint8_t> sc_interface_version;
};

// bind_transmitter/receiver/transceiver; the *_resp PDUs use system_id only.
struct BindFields {
  std::string_view system_id;    // max 15 chars
  std::string_view password;     // max 8
  std::string_view system_type;  // max 12
  uint8_t interface_version = 0x34;
  uint8_t addr_ton = 0, addr_npi = 0;
  std::string_view address_range;  // max 40
};

// submit_sm and deliver_sm (same layout).
struct SmFields {
  std::string_view service_type;  // max 5
  uint8_t source_addr_ton = 0, source_addr_npi = 0;
  std::string_view source_addr;  // max 20
  uint8_t dest_addr_ton = 0, dest_addr_npi = 0;
  std::string_view destination_addr;  // max 20
  uint8_t esm_class = 0, protocol_id = 0, priority_flag = 0;
  std::string_view schedule_delivery_time, validity_period;  // max 16 each
  uint8_t registered_delivery = 0, replace_if_present_flag = 0, data_coding = 0;
  uint8_t sm_default_msg_id = 0;
  std::string_view short_message;  // max 254 bytes, raw
};

// One PDU. Decoded string_views point into the decoded bytes: valid while they live.
struct Pdu {
  CommandId command_id = CommandId::kGenericNack;
  uint32_t command_status = 0;
  uint32_t sequence_number = 0;
  BindFields bind;               // bind_* (system_id also in bind_*_resp)
  SmFields sm;                   // submit_sm, deliver_sm
  std::string_view message_id;   // submit_sm_resp, deliver_sm_resp
  Tlvs tlvs;                     // bind_*_resp, submit_sm, deliver_sm
};

// Framing: the size of the PDU at the front of `buffer` once its first 4 bytes are
// there (size == 0 means "need 4 bytes"); error kLengthTooSmall/kLengthTooLarge when the
// stream cannot be framed (close the connection). A whole PDU is present when
// buffer.size() >= size.
struct Frame {
  Errc error = Errc::kOk;
  size_t size = 0;
};
Frame PeekFrame(std::span<const uint8_t> buffer);

// Decodes the PDU at the front of `bytes` (command_length bytes; anything after is not
// read). On error, `out`'s command_id/command_status/sequence_number are still filled
// whenever the 16-byte header was readable, so a request can be answered by generic_nack.
// Response PDUs with a non-zero status may omit their body (decoded as empty fields).
std::error_code Decode(std::span<const uint8_t> bytes, Pdu& out);

// Appends the encoding of `pdu` (fields that apply to its command_id) to `out`.
// Errors: kFieldTooLong (a string over its maximum, short_message over 254, PDU over
// kMaxPduSize) and kUnknownCommandId; on error `out` is unchanged.
std::error_code Encode(const Pdu& pdu, std::vector<uint8_t>& out);

// Fast paths for body-less PDUs (enquire_link[_resp], unbind[_resp], generic_nack).
void AppendHeaderOnly(std::vector<uint8_t>& out, CommandId id, uint32_t status,
                      uint32_t sequence_number);

// Calls fn(tag, value) for each TLV in a span that Decode validated. Returns false if
// the span is malformed (it never reads past its end).
template <typename Fn>
bool ForEachTlv(std::span<const uint8_t> raw, Fn&& fn) {
  size_t i = 0;
  while (i < raw.size()) {
    if (raw.size() - i < 4) return false;
    const uint16_t tag = static_cast<uint16_t>(raw[i] << 8 | raw[i + 1]);
    const size_t len = static_cast<size_t>(raw[i + 2] << 8 | raw[i + 3]);
    if (raw.size() - i - 4 < len) return false;
    fn(tag, raw.subspan(i + 4, len));
    i += 4 + len;
  }
  return true;
}

inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace bulkd::providers::smpp
