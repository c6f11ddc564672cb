#include "providers/smpp/errors.h"

#include <string>

namespace bulkd::providers::smpp {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "smpp"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::kOk: return "ok";
      case Errc::kLengthTooSmall: return "command_length below 16";
      case Errc::kLengthTooLarge: return "command_length above maximum PDU size";
      case Errc::kTruncated: return "PDU truncated";
      case Errc::kUnknownCommandId: return "unknown command_id";
      case Errc::kMissingNul: return "C-Octet string not NUL-terminated";
      case Errc::kStringTooLong: return "C-Octet string too long";
      case Errc::kShortMessageTooLong: return "sm_length above 254";
      case Errc::kTlvOverrun: return "TLV runs past the end of the PDU";
      case Errc::kTlvBadLength: return "TLV has the wrong length for its tag";
      case Errc::kTrailingBytes: return "unexpected body bytes";
      case Errc::kFieldTooLong: return "field too long to encode";
      case Errc::kConnectionLost: return "connection lost, outcome unknown";
      case Errc::kResponseTimeout: return "response timeout, outcome unknown";
      case Errc::kStopped: return "client stopped before sending";
      case Errc::kInvalidRequest: return "request does not fit SMPP limits";
      case Errc::kBindFailed: return "bind refused";
      case Errc::kBindTimeout: return "bind response timeout";
      case Errc::kPeerUnbound: return "peer sent unbind";
      case Errc::kProtocolError: return "unframeable bytes from peer";
    }
    return "unknown smpp error";
  }
};

}  // namespace

const std::error_category& SmppCategory() {
  static const Category category;
  return category;
}

std::error_code make_error_code(Errc e) { return {static_cast<int>(e), SmppCategory()}; }

bool IsOutcomeUnknown(std::error_code ec) {
  return ec == Errc::kConnectionLost || ec == Errc::kResponseTimeout;
}

}  // namespace bulkd::providers::smpp
