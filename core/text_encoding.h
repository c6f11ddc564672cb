// core/text_encoding.h — what the SMS path needs to size and encode a body: Korean
// byte counts (CP949/EUC-KR, as Korean carriers count), GSM 03.38 7-bit, UCS-2 (UTF-16BE)
// and segment math. Pure functions: thread-safe, never throw (except std::bad_alloc).
// Input is UTF-8; ill-formed UTF-8 counts as "not representable" where a function can say
// so, and becomes '?' (GSM-7) or U+FFFD (UCS-2) where it cannot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulkd::core {

// ---- Korean (KS C 5601 routes, data_coding 0x0E) ----

// kCp949: Microsoft's Unified Hangul Code, a superset of EUC-KR with all 11,172 Hangul
// syllables; what Korean carriers and dealers accept. kEucKr: strict KS X 1001 (2,350
// syllables: "똠", "햏" are missing) for routes that need it. Both: ASCII 1 byte, the rest
// 2 bytes.
enum class KoreanCharset : uint8_t { kCp949, kEucKr };

// Bytes the text takes in `charset`, or nullopt if any character is not representable
// (emoji, most non-Korean scripts) or the UTF-8 is ill-formed. Uses glibc iconv with one
// handle per thread (opened on first use); pure ASCII and Hangul syllables take a fast path.
std::optional<size_t> EucKrByteCount(std::string_view utf8,
                                     KoreanCharset charset = KoreanCharset::kCp949);

// Byte offset in `utf8` of the first character that `charset` cannot represent (or of the
// first ill-formed sequence); std::string_view::npos when all of it converts.
size_t FirstNonEucKrOffset(std::string_view utf8, KoreanCharset charset = KoreanCharset::kCp949);

// The text in `charset` bytes (for data_coding 0x0E), or nullopt as EucKrByteCount.
std::optional<std::string> Utf8ToEucKr(std::string_view utf8,
                                       KoreanCharset charset = KoreanCharset::kCp949);

// Korean carrier limits (docs/domain.md), in CP949/EUC-KR bytes.
inline constexpr size_t kKoreanSmsMaxBytes = 90;
inline constexpr size_t kKoreanLmsMaxBytes = 2000;
inline constexpr size_t kKoreanSubjectMaxBytes = 40;

enum class KoreanSmsClass : uint8_t {
  kSms,               // at most 90 bytes
  kLms,               // 91 to 2,000 bytes: needs LMS (or MMS)
  kTooLong,           // over 2,000 bytes
  kUnrepresentable,   // a character outside the charset (emoji?) or bad UTF-8
};
KoreanSmsClass ClassifyKorean(std::string_view utf8, KoreanCharset charset = KoreanCharset::kCp949);
std::string_view ToString(KoreanSmsClass value);  // "sms", "lms", "too_long", "unrepresentable"

// True if an LMS/MMS subject fits: representable and at most 40 bytes.
bool FitsKoreanSubject(std::string_view utf8, KoreanCharset charset = KoreanCharset::kCp949);

// ---- GSM 03.38 (data_coding 0x00) ----

// True if every character is in the GSM 7-bit default alphabet or its extension table
// (^ { } \ [ ~ ] | € and form feed). Tab and other controls are not; neither is bad UTF-8.
bool IsGsm7(std::string_view utf8);

// Septets the text takes: 1 per basic character, 2 per extension character (escape +
// code). Characters outside the alphabet count 1 (they become '?').
size_t Gsm7SeptetCount(std::string_view utf8);

// One septet per byte (unpacked, as SMPP carries it): basic characters as their code,
// extension characters as 0x1B followed by the code, anything else as '?' (0x3F).
std::string Utf8ToGsm7Unpacked(std::string_view utf8);

// ---- UCS-2 (data_coding 0x08) ----

// UTF-16 big-endian bytes; characters above U+FFFF as surrogate pairs (what handsets
// display), ill-formed UTF-8 as U+FFFD.
std::string Utf8ToUcs2Be(std::string_view utf8);

// UTF-16 code units the text takes (a character above U+FFFF counts 2).
size_t Utf16UnitCount(std::string_view utf8);

// ---- Segments (concatenated SMS with a 6-byte UDH) ----

enum class SmsEncoding : uint8_t {
  kGsm7,      // units are septets: 160 in one message, 153 per part
  kEightBit,  // units are octets (8-bit data, KS C 5601 bytes): 140 alone, 134 per part
  kUcs2,      // units are UTF-16 code units: 70 alone, 67 per part
};

// Messages needed for `units` units: 1 if they fit one message (0 units is 1 message:
// an empty SMS is still sent), else ceil(units / per-part). Pure arithmetic; it may be
// one short of CountSegments when a part cannot end inside an escape or surrogate pair.
size_t SegmentCount(SmsEncoding encoding, size_t units);

// Messages the text needs in `encoding`, packing parts greedily without splitting a
// GSM-7 escape pair, a surrogate pair or a 2-byte Korean character (kEightBit counts
// CP949 bytes: ASCII 1, everything else 2).
size_t CountSegments(std::string_view utf8, SmsEncoding encoding);

}  // namespace bulkd::core
