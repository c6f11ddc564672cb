#include "core/text_encoding.h"

#include <iconv.h>

#include <array>
#include <cerrno>

#include "core/utf8.h"

namespace bulkd::core {
namespace {

// ---- iconv: one handle per thread and charset (an iconv_t is not thread-safe) ----

class IconvHandle {
 public:
  explicit IconvHandle(const char* to_code) : cd_(iconv_open(to_code, "UTF-8")) {}
  ~IconvHandle() {
    if (ok()) iconv_close(cd_);
  }
  IconvHandle(const IconvHandle&) = delete;
  IconvHandle& operator=(const IconvHandle&) = delete;

  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }
  iconv_t get() const { return cd_; }

 private:
  iconv_t cd_;
};

iconv_t KoreanConverter(KoreanCharset charset) {
  thread_local IconvHandle cp949("CP949");
  thread_local IconvHandle euc_kr("EUC-KR");
  const IconvHandle& handle = charset == KoreanCharset::kCp949 ? cp949 : euc_kr;
  return handle.ok() ? handle.get() : nullptr;
}

// Converts `utf8` with iconv, handing each chunk of output to `sink(data, size)`.
// Returns npos on success, else the byte offset of the first character that could not
// be converted (0 if the converter is unavailable).
template <typename Sink>
size_t IconvConvert(KoreanCharset charset, std::string_view utf8, char* out_buffer,
                    size_t out_capacity, Sink&& sink) {
  iconv_t cd = KoreanConverter(charset);
  if (cd == nullptr) return 0;
  iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset the shift state
  char* in = const_cast<char*>(utf8.data());  // iconv's API is not const-correct
  size_t in_left = utf8.size();
  while (in_left > 0) {
    char* out = out_buffer;
    size_t out_left = out_capacity;
    const size_t result = iconv(cd, &in, &in_left, &out, &out_left);
    sink(out_buffer, static_cast<size_t>(out - out_buffer));
    if (result == static_cast<size_t>(-1)) {
      if (errno == E2BIG) continue;
      return static_cast<size_t>(in - utf8.data());  // EILSEQ or EINVAL (truncated)
    }
    // result > 0 would count lossy conversions; glibc's CP949 and EUC-KR have none.
  }
  return std::string_view::npos;
}

bool IsHangulSyllable(char32_t cp) { return cp >= 0xAC00 && cp <= 0xD7A3; }

// Counts the prefix the fast path can size without iconv: ASCII (1 byte) and, in CP949,
// Hangul syllables (2 bytes). Stops at the first other character or ill-formed sequence;
// `pos` is left at its start.
size_t FastKoreanPrefix(std::string_view utf8, KoreanCharset charset, size_t& pos) {
  size_t bytes = 0;
  pos = 0;
  while (pos < utf8.size()) {
    if (static_cast<unsigned char>(utf8[pos]) < 0x80) {
      ++bytes;
      ++pos;
      continue;
    }
    if (charset != KoreanCharset::kCp949) break;
    size_t next = pos;
    if (!IsHangulSyllable(NextCodePoint(utf8, next))) break;
    bytes += 2;
    pos = next;
  }
  return bytes;
}

// ---- GSM 03.38 ----

// The default alphabet: code -> Unicode. 0x1B is the escape to the extension table.
constexpr char32_t kGsmBasic[128] = {
    U'@',    U'£',    U'$',    U'¥',    U'è',    U'é',    U'ù',    U'ì',
    U'ò',    U'Ç',    U'\n',   U'Ø',    U'ø',    U'\r',   U'Å',    U'å',
    U'Δ',    U'_',    U'Φ',    U'Γ',    U'Λ',    U'Ω',    U'Π',    U'Ψ',
    U'Σ',    U'Θ',    U'Ξ',    kInvalidCodePoint,  U'Æ',    U'æ',    U'ß',    U'É',
    U' ',    U'!',    U'"',    U'#',    U'¤',    U'%',    U'&',    U'\'',
    U'(',    U')',    U'*',    U'+',    U',',    U'-',    U'.',    U'/',
    U'0',    U'1',    U'2',    U'3',    U'4',    U'5',    U'6',    U'7',
    U'8',    U'9',    U':',    U';',    U'<',    U'=',    U'>',    U'?',
    U'¡',    U'A',    U'B',    U'C',    U'D',    U'E',    U'F',    U'G',
    U'H',    U'I',    U'J',    U'K',    U'L',    U'M',    U'N',    U'O',
    U'P',    U'Q',    U'R',    U'S',    U'T',    U'U',    U'V',    U'W',
    U'X',    U'Y',    U'Z',    U'Ä',    U'Ö',    U'Ñ',    U'Ü',    U'§',
    U'¿',    U'a',    U'b',    U'c',    U'd',    U'e',    U'f',    U'g',
    U'h',    U'i',    U'j',    U'k',    U'l',    U'm',    U'n',    U'o',
    U'p',    U'q',    U'r',    U's',    U't',    U'u',    U'v',    U'w',
    U'x',    U'y',    U'z',    U'ä',    U'ö',    U'ñ',    U'ü',    U'à',
};

struct GsmExtension {
  char32_t code_point;
  uint8_t code;  // sent after the 0x1B escape
};
constexpr GsmExtension kGsmExtension[] = {
    {U'\f', 0x0A}, {U'^', 0x14}, {U'{', 0x28}, {U'}', 0x29}, {U'\\', 0x2F},
    {U'[', 0x3C},  {U'~', 0x3D}, {U']', 0x3E}, {U'|', 0x40}, {U'€', 0x65},
};

constexpr uint8_t kGsmEscape = 0x1B;
constexpr int kNotGsm = -1;
constexpr int kExtensionFlag = 0x100;

// ASCII -> GSM code (or kExtensionFlag | code, or kNotGsm), built at compile time.
constexpr std::array<int16_t, 128> BuildAsciiToGsm() {
  std::array<int16_t, 128> table{};
  for (auto& entry : table) entry = kNotGsm;
  for (int code = 0; code < 128; ++code) {
    if (kGsmBasic[code] < 128) table[kGsmBasic[code]] = static_cast<int16_t>(code);
  }
  for (const GsmExtension& ext : kGsmExtension) {
    if (ext.code_point < 128) table[ext.code_point] = static_cast<int16_t>(kExtensionFlag | ext.code);
  }
  return table;
}
constexpr std::array<int16_t, 128> kAsciiToGsm = BuildAsciiToGsm();

// GSM code for a code point: the basic code, kExtensionFlag | extension code, or kNotGsm.
int GsmCode(char32_t cp) {
  if (cp < 128) return kAsciiToGsm[cp];
  if (cp == kInvalidCodePoint) return kNotGsm;
  if (cp == U'ç') return 0x09;  // 03.38 drew a small c-cedilla at 0x09; accept both
  for (int code = 0; code < 128; ++code) {
    if (kGsmBasic[code] == cp) return code;
  }
  for (const GsmExtension& ext : kGsmExtension) {
    if (ext.code_point == cp) return kExtensionFlag | ext.code;
  }
  return kNotGsm;
}

// ---- segments ----

struct SegmentLimits {
  size_t single;
  size_t part;
};

SegmentLimits LimitsOf(SmsEncoding encoding) {
  switch (encoding) {
    case SmsEncoding::kGsm7: return {160, 153};
    case SmsEncoding::kEightBit: return {140, 134};
    case SmsEncoding::kUcs2: return {70, 67};
  }
  return {160, 153};
}

// Units one character takes in `encoding` (see CountSegments).
size_t UnitWidth(char32_t cp, SmsEncoding encoding) {
  switch (encoding) {
    case SmsEncoding::kGsm7: {
      const int code = GsmCode(cp);
      return code != kNotGsm && (code & kExtensionFlag) ? 2 : 1;
    }
    case SmsEncoding::kEightBit: return cp < 0x80 ? 1 : 2;
    case SmsEncoding::kUcs2: return cp != kInvalidCodePoint && cp > 0xFFFF ? 2 : 1;
  }
  return 1;
}

void AppendUtf16Be(char16_t unit, std::string& out) {
  out.push_back(static_cast<char>(unit >> 8));
  out.push_back(static_cast<char>(unit & 0xFF));
}

}  // namespace

// ---- Korean ----

std::optional<size_t> EucKrByteCount(std::string_view utf8, KoreanCharset charset) {
  size_t pos;
  size_t bytes = FastKoreanPrefix(utf8, charset, pos);
  if (pos == utf8.size()) return bytes;
  char buffer[512];
  const size_t bad = IconvConvert(charset, utf8.substr(pos), buffer, sizeof buffer,
                                  [&](const char*, size_t n) { bytes += n; });
  if (bad != std::string_view::npos) return std::nullopt;
  return bytes;
}

size_t FirstNonEucKrOffset(std::string_view utf8, KoreanCharset charset) {
  size_t pos;
  FastKoreanPrefix(utf8, charset, pos);
  if (pos == utf8.size()) return std::string_view::npos;
  char buffer[512];
  const size_t bad = IconvConvert(charset, utf8.substr(pos), buffer, sizeof buffer,
                                  [](const char*, size_t) {});
  return bad == std::string_view::npos ? bad : pos + bad;
}

std::optional<std::string> Utf8ToEucKr(std::string_view utf8, KoreanCharset charset) {
  std::string out;
  size_t ascii = 0;
  while (ascii < utf8.size() && static_cast<unsigned char>(utf8[ascii]) < 0x80) ++ascii;
  if (ascii == utf8.size()) {
    out.assign(utf8);
    return out;
  }
  // Every non-ASCII character takes at least 2 bytes in UTF-8 and at most 2 in CP949 and
  // EUC-KR: the input size is enough.
  out.reserve(utf8.size());
  out.assign(utf8.substr(0, ascii));
  char buffer[512];
  const size_t bad = IconvConvert(charset, utf8.substr(ascii), buffer, sizeof buffer,
                                  [&](const char* data, size_t n) { out.append(data, n); });
  if (bad != std::string_view::npos) return std::nullopt;
  return out;
}

KoreanSmsClass ClassifyKorean(std::string_view utf8, KoreanCharset charset) {
  const std::optional<size_t> bytes = EucKrByteCount(utf8, charset);
  if (!bytes) return KoreanSmsClass::kUnrepresentable;
  if (*bytes <= kKoreanSmsMaxBytes) return KoreanSmsClass::kSms;
  if (*bytes <= kKoreanLmsMaxBytes) return KoreanSmsClass::kLms;
  return KoreanSmsClass::kTooLong;
}

std::string_view ToString(KoreanSmsClass value) {
  switch (value) {
    case KoreanSmsClass::kSms: return "sms";
    case KoreanSmsClass::kLms: return "lms";
    case KoreanSmsClass::kTooLong: return "too_long";
    case KoreanSmsClass::kUnrepresentable: return "unrepresentable";
  }
  return "unknown";
}

bool FitsKoreanSubject(std::string_view utf8, KoreanCharset charset) {
  const std::optional<size_t> bytes = EucKrByteCount(utf8, charset);
  return bytes && *bytes <= kKoreanSubjectMaxBytes;
}

// ---- GSM 03.38 ----

bool IsGsm7(std::string_view utf8) {
  size_t pos = 0;
  while (pos < utf8.size()) {
    const char32_t cp = NextCodePoint(utf8, pos);
    if (GsmCode(cp) == kNotGsm) return false;
  }
  return true;
}

size_t Gsm7SeptetCount(std::string_view utf8) {
  size_t septets = 0;
  size_t pos = 0;
  while (pos < utf8.size()) septets += UnitWidth(NextCodePoint(utf8, pos), SmsEncoding::kGsm7);
  return septets;
}

std::string Utf8ToGsm7Unpacked(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size() + 8);
  size_t pos = 0;
  while (pos < utf8.size()) {
    const char32_t cp = NextCodePoint(utf8, pos);
    const int code = GsmCode(cp);
    if (code == kNotGsm) {
      out.push_back('?');  // '?' is 0x3F in both ASCII and GSM 03.38
    } else if (code & kExtensionFlag) {
      out.push_back(static_cast<char>(kGsmEscape));
      out.push_back(static_cast<char>(code & 0x7F));
    } else {
      out.push_back(static_cast<char>(code));
    }
  }
  return out;
}

// ---- UCS-2 ----

std::string Utf8ToUcs2Be(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size() * 2);
  size_t pos = 0;
  while (pos < utf8.size()) {
    char32_t cp = NextCodePoint(utf8, pos);
    if (cp == kInvalidCodePoint) cp = 0xFFFD;
    if (cp > 0xFFFF) {
      cp -= 0x10000;
      AppendUtf16Be(static_cast<char16_t>(0xD800 + (cp >> 10)), out);
      AppendUtf16Be(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)), out);
    } else {
      AppendUtf16Be(static_cast<char16_t>(cp), out);
    }
  }
  return out;
}

size_t Utf16UnitCount(std::string_view utf8) {
  size_t units = 0;
  size_t pos = 0;
  while (pos < utf8.size()) units += UnitWidth(NextCodePoint(utf8, pos), SmsEncoding::kUcs2);
  return units;
}

// ---- segments ----

size_t SegmentCount(SmsEncoding encoding, size_t units) {
  const SegmentLimits limits = LimitsOf(encoding);
  if (units <= limits.single) return 1;
  return (units + limits.part - 1) / limits.part;
}

size_t CountSegments(std::string_view utf8, SmsEncoding encoding) {
  const SegmentLimits limits = LimitsOf(encoding);
  size_t total = 0;
  size_t pos = 0;
  while (pos < utf8.size()) total += UnitWidth(NextCodePoint(utf8, pos), encoding);
  if (total <= limits.single) return 1;
  // Greedy packing: a character that does not fit whole starts the next part.
  size_t segments = 1;
  size_t used = 0;
  pos = 0;
  while (pos < utf8.size()) {
    const size_t width = UnitWidth(NextCodePoint(utf8, pos), encoding);
    if (used + width > limits.part) {
      ++segments;
      used = 0;
    }
    used += width;
  }
  return segments;
}

}  // namespace bulkd::core
