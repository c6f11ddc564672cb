// providers/smpp/errors.h — the SMPP module's error codes (category "smpp"): PDU decode
// and encode failures, and what can happen to a submit besides an SMSC answer.
#pragma once

#include <cstdint>
#include <system_error>
#include <type_traits>

namespace bulkd::providers::smpp {

enum class Errc : uint8_t {
  kOk = 0,
  // Decoding (the bytes are not a valid SMPP 3.4 PDU).
  kLengthTooSmall,     // command_length < 16
  kLengthTooLarge,     // command_length > kMaxPduSize
  kTruncated,          // fewer bytes than command_length, or a field runs past the end
  kUnknownCommandId,   // command_id not one this module speaks
  kMissingNul,         // C-Octet string without NUL before the end of the body
  kStringTooLong,      // C-Octet string longer than the spec allows
  kShortMessageTooLong,  // sm_length > 254
  kTlvOverrun,         // TLV header or value runs past the end of the PDU
  kTlvBadLength,       // fixed-size TLV (message_state, sar_*...) with the wrong length
  kTrailingBytes,      // body bytes on a PDU that has no body
  // Encoding.
  kFieldTooLong,       // a field does not fit its SMPP maximum; nothing was written
  // Submits (client). "Outcome unknown" errors: the PDU may have reached the SMSC.
  kConnectionLost,     // written (or being written) when the connection dropped
  kResponseTimeout,    // no submit_sm_resp within response_timeout; connection recycled
  // Submits that certainly did not leave this process: safe to send again anywhere.
  kStopped,            // Stop() was called while the request was queued
  kInvalidRequest,     // a field is too long for SMPP; never sent
  // Session.
  kBindFailed,         // bind_*_resp with a non-zero status
  kBindTimeout,        // no bind_*_resp within response_timeout
  kPeerUnbound,        // the SMSC sent unbind
  kProtocolError,      // unframeable bytes from the peer; connection closed
};

const std::error_category& SmppCategory();
std::error_code make_error_code(Errc e);

// True for errors after which the message may or may not have been accepted by the SMSC
// (kConnectionLost, kResponseTimeout): resending risks a duplicate to the person.
bool IsOutcomeUnknown(std::error_code ec);

}  // namespace bulkd::providers::smpp

template <>
struct std::is_error_code_enum<bulkd::providers::smpp::Errc> : std::true_type {};
