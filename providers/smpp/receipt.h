// providers/smpp/receipt.h — delivery receipts carried by deliver_sm (esm_class 0x04):
// TLVs first (receipted_message_id 0x001E, message_state 0x0427), else the de-facto text
// `id:.. sub:.. dlvrd:.. submit date:.. done date:.. stat:.. err:.. text:..`; and the
// message-id canonical form that lets submit_sm_resp ids and receipt ids meet.
// Pure functions; never throw.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "providers/smpp/pdu.h"

namespace bulkd::providers::smpp {

// SMPP 3.4 message_state values (5.2.28); the text `stat:` words in comments.
enum class MessageState : uint8_t {
  kEnroute = 1,        // ENROUTE
  kDelivered = 2,      // DELIVRD
  kExpired = 3,        // EXPIRED
  kDeleted = 4,        // DELETED
  kUndeliverable = 5,  // UNDELIV
  kAccepted = 6,       // ACCEPTD
  kUnknown = 7,        // UNKNOWN
  kRejected = 8,       // REJECTD
};
std::string_view ToString(MessageState state);  // the 7-letter `stat:` word
// Case-insensitive; takes the 7-letter words and the spelled-out ones (DELIVERED...).
std::optional<MessageState> StateFromStat(std::string_view stat);
// False for ENROUTE and ACCEPTD: the spec calls ACCEPTED final, but aggregators commonly
// send ACCEPTD as "taken by the network" and a final receipt after it.
bool IsFinal(MessageState state);

struct ReceiptTime {  // as written by the SMSC (its local time; no zone in SMPP)
  uint16_t year = 0;  // 4 digits (two-digit years are 20yy)
  uint8_t month = 0, day = 0, hour = 0, minute = 0, second = 0;
  bool operator==(const ReceiptTime&) const = default;
};

struct Receipt {
  std::string message_id;       // receipted_message_id TLV, else text `id:`
  MessageState state = MessageState::kUnknown;  // message_state TLV, else text `stat:`
  bool state_from_tlv = false;
  std::string error;            // text `err:` value as sent ("000"); empty when absent
  std::optional<NetworkErrorCode> network_error;  // TLV 0x0423
  std::optional<uint32_t> submitted, delivered;   // text `sub:`, `dlvrd:`
  std::optional<ReceiptTime> submit_date, done_date;
  std::string source_addr;  // deliver_sm source_addr: the handset
  std::string dest_addr;    // deliver_sm destination_addr: our sender id
};

// Fills `out` from a deliver_sm (call it when esm_class has kEsmClassReceipt). Returns
// false when neither TLVs nor text give both an id and a state.
bool ParseReceipt(const Pdu& deliver_sm, Receipt& out);
// The text form alone. Tolerates any key case, extra spaces, missing or unknown fields,
// `submit_date`/`submit date`, dates of 10 (YYMMDDhhmm), 12 (+ss) or 14 (YYYY...) digits
// and a `text:` tail (ignored). Fills only what it finds; returns false without `id:`.
bool ParseReceiptText(std::string_view text, Receipt& out);

// Message ids: SMSCs write them in hex in one place and decimal in the other (for
// example submit_sm_resp "1A2B", receipt "6699"). The canonical form of a numeric id is
// its value written in decimal without leading zeros; of anything else, the trimmed text
// in ASCII lower case.
enum class IdBase : uint8_t {
  kText,     // compare as text (case-insensitive)
  kDecimal,  // a decimal number; non-numeric ids fall back to kText form
  kHex,      // a hex number (optional 0x); non-hex ids fall back to kText form
};
// When the route says which base each side uses (preferred): key the submit id with
// CanonicalMessageId(id, submit_base) and look the receipt up with its own base.
std::string CanonicalMessageId(std::string_view id, IdBase base);

// When the bases are unknown: every key the id may stand for, distinct, at most 3 — the
// text form, the decimal value if all digits are decimal, the hex value if all are hex.
// Two ids match when their key sets share a key: register a submit under each of its keys
// and look a receipt up by each of its keys. Residual ambiguity: an all-digit id is read
// both ways, so within one lookup window decimal 26265 and hex 6699 collide; configure
// the bases per route when an SMSC is known.
struct MessageIdKeys {
  std::array<std::string, 3> keys;
  size_t count = 0;
  bool Contains(std::string_view key) const;
};
MessageIdKeys MessageIdCandidates(std::string_view id);

}  // namespace bulkd::providers::smpp
