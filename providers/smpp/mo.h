// providers/smpp/mo.h — mobile-originated messages (a person's reply, carried by a
// deliver_sm without the receipt bit): the body decoded to UTF-8, the sender in E.164,
// and the opt-out keyword rule. Pure functions: thread-safe (iconv handles are per
// thread), never throw (except std::bad_alloc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "providers/smpp/pdu.h"

namespace bulkd::providers::smpp {

struct InboundMessage {
  std::string from;      // the person, E.164 with '+' ("+821012345678"); an alphanumeric
                         // or empty source_addr is kept as sent
  std::string to;        // our caller id the reply was sent to (destination_addr as sent)
  std::string text;      // UTF-8
  bool is_optout = false;  // IsOptOutReply(text)
};

struct MoDecodeOptions {
  // Country code put in front of national numbers: source_addr_ton 2 (national), or
  // ton 0 (unknown) with a leading 0 trunk prefix, which is dropped. Default Korea.
  std::string default_country_code = "82";
  // data_coding 0x00 read as ASCII/Latin-1 instead of GSM 03.38 septets (some SMSCs).
  // Letters and digits read the same either way. Default false (GSM 03.38).
  bool default_alphabet_is_ascii = false;
};

// The body of an MO in UTF-8, or nullopt when `data_coding` is not a text coding read
// here. Read: 0x00 GSM 03.38 unpacked septets with the extension table (or ASCII, see
// MoDecodeOptions; bytes >= 0x80 as Latin-1), 0x01 IA5/ASCII, 0x03 Latin-1, 0x08 UCS-2
// big-endian (surrogate pairs combined), 0x0E KS C 5601 read as CP949 through iconv,
// 0xF0-0xF3 (GSM 7-bit with a message class). Not read: 8-bit binary (0x02, 0x04, 0xF4..)
// and anything else. Lenient: a malformed sequence (odd UCS-2 length, lone surrogate,
// bytes outside CP949) becomes U+FFFD and decoding goes on.
std::optional<std::string> DecodeMoText(uint8_t data_coding, std::string_view bytes,
                                        bool default_alphabet_is_ascii = false);

// The sender in E.164 from a deliver_sm's source_addr and its TON (see
// MoDecodeOptions). Digits (with an optional leading '+') only; anything else is
// returned unchanged.
std::string ToE164(std::string_view addr, uint8_t ton, std::string_view default_country_code);

// Reads one MO deliver_sm: the body from short_message (a UDH, when esm_class has 0x40,
// is skipped) or else TLV message_payload. nullopt when the body's coding is not read
// (DecodeMoText) or the UDH is malformed. Each part of a concatenated MO comes out as its
// own message (no reassembly).
std::optional<InboundMessage> DecodeMo(const Pdu& deliver_sm, const MoDecodeOptions& options);

// True when the whole reply, trimmed of white space (ASCII, U+00A0, U+3000) at both
// ends, is one of the opt-out keywords, ASCII letters compared case-insensitively:
//   수신거부, 거부, 해지, stop, unsubscribe   (so "STOP", " Stop\n" match too)
// A keyword inside a longer reply ("stop sending", "수신거부합니다") does not match, nor
// does a spaced spelling ("수신 거부"): a whole-message match, as carriers' keyword
// handling does, so ordinary replies are never taken for an opt-out.
bool IsOptOutReply(std::string_view utf8);

}  // namespace bulkd::providers::smpp
