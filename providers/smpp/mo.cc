#include "providers/smpp/mo.h"

#include <iconv.h>

#include <array>
#include <cerrno>

namespace bulkd::providers::smpp {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

void AppendUtf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// GSM 03.38 default alphabet, code -> Unicode (the decoding direction of
// core/text_encoding.cc's table). 0x1B is the escape to the extension table.
constexpr std::array<char32_t, 128> kGsmBasic = {
    U'@', U'£', U'$', U'¥', U'è', U'é', U'ù', U'ì', U'ò', U'Ç', U'\n', U'Ø', U'ø', U'\r', U'Å', U'å',
    U'Δ', U'_', U'Φ', U'Γ', U'Λ', U'Ω', U'Π', U'Ψ', U'Σ', U'Θ', U'Ξ', U' ', U'Æ', U'æ', U'ß', U'É',
    U' ', U'!', U'"', U'#', U'¤', U'%', U'&', U'\'', U'(', U')', U'*', U'+', U',', U'-', U'.', U'/',
    U'0', U'1', U'2', U'3', U'4', U'5', U'6', U'7', U'8', U'9', U':', U';', U'<', U'=', U'>', U'?',
    U'¡', U'A', U'B', U'C', U'D', U'E', U'F', U'G', U'H', U'I', U'J', U'K', U'L', U'M', U'N', U'O',
    U'P', U'Q', U'R', U'S', U'T', U'U', U'V', U'W', U'X', U'Y', U'Z', U'Ä', U'Ö', U'Ñ', U'Ü', U'§',
    U'¿', U'a', U'b', U'c', U'd', U'e', U'f', U'g', U'h', U'i', U'j', U'k', U'l', U'm', U'n', U'o',
    U'p', U'q', U'r', U's', U't', U'u', U'v', U'w', U'x', U'y', U'z', U'ä', U'ö', U'ñ', U'ü', U'à',
};

// The extension table (after 0x1B); 0 when the code has no extension character, in which
// case 3GPP TS 23.038 says to show the basic table's character.
char32_t GsmExtension(uint8_t code) {
  switch (code) {
    case 0x0A: return U'\f';
    case 0x14: return U'^';
    case 0x28: return U'{';
    case 0x29: return U'}';
    case 0x2F: return U'\\';
    case 0x3C: return U'[';
    case 0x3D: return U'~';
    case 0x3E: return U']';
    case 0x40: return U'|';
    case 0x65: return U'€';
    default: return 0;
  }
}

std::string DecodeGsm7(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<uint8_t>(bytes[i]);
    if (b >= 0x80) {  // not a septet: some SMSCs pass Latin-1 through
      AppendUtf8(b, out);
    } else if (b == 0x1B) {
      if (i + 1 >= bytes.size()) break;  // a dangling escape shows nothing
      const auto code = static_cast<uint8_t>(bytes[++i]);
      const char32_t ext = code < 0x80 ? GsmExtension(code) : 0;
      AppendUtf8(ext != 0 ? ext : code < 0x80 ? kGsmBasic[code] : kReplacement, out);
    } else {
      AppendUtf8(kGsmBasic[b], out);
    }
  }
  return out;
}

std::string DecodeLatin1(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (char c : bytes) AppendUtf8(static_cast<uint8_t>(c), out);
  return out;
}

std::string DecodeUcs2Be(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 3 / 2);
  const auto unit = [&](size_t i) {
    return static_cast<char16_t>(static_cast<uint8_t>(bytes[i]) << 8 |
                                 static_cast<uint8_t>(bytes[i + 1]));
  };
  size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) {
    const char16_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 3 < bytes.size()) {
      const char16_t low = unit(i + 2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        AppendUtf8(0x10000 + ((static_cast<char32_t>(u) - 0xD800) << 10) + (low - 0xDC00), out);
        i += 2;
        continue;
      }
    }
    AppendUtf8(u >= 0xD800 && u <= 0xDFFF ? kReplacement : u, out);
  }
  if (i < bytes.size()) AppendUtf8(kReplacement, out);  // odd trailing byte
  return out;
}

class Cp949Decoder {
 public:
  Cp949Decoder() : cd_(iconv_open("UTF-8", "CP949")) {}
  ~Cp949Decoder() {
    if (ok()) iconv_close(cd_);
  }
  Cp949Decoder(const Cp949Decoder&) = delete;
  Cp949Decoder& operator=(const Cp949Decoder&) = delete;
  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }

  std::string Decode(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 3 / 2);
    iconv(cd_, nullptr, nullptr, nullptr, nullptr);
    char* in = const_cast<char*>(bytes.data());  // iconv's API is not const-correct
    size_t in_left = bytes.size();
    char buffer[1024];
    while (in_left > 0) {
      char* o = buffer;
      size_t o_left = sizeof buffer;
      const size_t r = iconv(cd_, &in, &in_left, &o, &o_left);
      out.append(buffer, static_cast<size_t>(o - buffer));
      if (r != static_cast<size_t>(-1) || errno == E2BIG) continue;
      AppendUtf8(kReplacement, out);
      if (errno == EINVAL) break;  // truncated character at the end
      ++in;                        // EILSEQ: skip one byte and go on
      --in_left;
      iconv(cd_, nullptr, nullptr, nullptr, nullptr);
    }
    return out;
  }

 private:
  iconv_t cd_;
};

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Trims ASCII white space, U+00A0 (C2 A0) and U+3000 (E3 80 80) at both ends.
std::string_view Trim(std::string_view s) {
  for (bool changed = true; changed && !s.empty();) {
    changed = false;
    if (IsAsciiSpace(s.front())) {
      s.remove_prefix(1), changed = true;
    } else if (s.starts_with("\xC2\xA0")) {
      s.remove_prefix(2), changed = true;
    } else if (s.starts_with("\xE3\x80\x80")) {
      s.remove_prefix(3), changed = true;
    }
  }
  for (bool changed = true; changed && !s.empty();) {
    changed = false;
    if (IsAsciiSpace(s.back())) {
      s.remove_suffix(1), changed = true;
    } else if (s.ends_with("\xC2\xA0")) {
      s.remove_suffix(2), changed = true;
    } else if (s.ends_with("\xE3\x80\x80")) {
      s.remove_suffix(3), changed = true;
    }
  }
  return s;
}

bool EqualsAsciiCaseInsensitive(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

constexpr std::string_view kOptOutKeywords[] = {"수신거부", "거부", "해지", "stop", "unsubscribe"};

}  // namespace

std::optional<std::string> DecodeMoText(uint8_t data_coding, std::string_view bytes,
                                        bool default_alphabet_is_ascii) {
  switch (data_coding) {
    case 0x00:
      return default_alphabet_is_ascii ? DecodeLatin1(bytes) : DecodeGsm7(bytes);
    case 0x01:  // IA5 (ASCII); bytes >= 0x80 are not IA5, shown as Latin-1
    case 0x03:  // ISO-8859-1
      return DecodeLatin1(bytes);
    case 0x08:
      return DecodeUcs2Be(bytes);
    case 0x0E: {
      thread_local Cp949Decoder decoder;
      if (!decoder.ok()) return std::nullopt;
      return decoder.Decode(bytes);
    }
    case 0xF0: case 0xF1: case 0xF2: case 0xF3:  // GSM 7-bit with a message class
      return DecodeGsm7(bytes);
    default:
      return std::nullopt;
  }
}

std::string ToE164(std::string_view addr, uint8_t ton, std::string_view default_country_code) {
  std::string_view digits = addr;
  const bool plus = digits.starts_with('+');
  if (plus) digits.remove_prefix(1);
  if (digits.empty()) return std::string(addr);
  for (char c : digits) {
    if (c < '0' || c > '9') return std::string(addr);
  }
  constexpr uint8_t kTonUnknown = 0, kTonNational = 2;
  const bool national =
      !plus && (ton == kTonNational || (ton == kTonUnknown && digits.front() == '0'));
  std::string out = "+";
  if (national) {
    if (digits.front() == '0') digits.remove_prefix(1);  // trunk prefix
    out.append(default_country_code);
  }
  out.append(digits);
  return out;
}

std::optional<InboundMessage> DecodeMo(const Pdu& deliver_sm, const MoDecodeOptions& options) {
  const SmFields& sm = deliver_sm.sm;
  std::string_view body = sm.short_message;
  if (body.empty() && deliver_sm.tlvs.message_payload) body = *deliver_sm.tlvs.message_payload;
  if (sm.esm_class & kEsmClassUdhi) {
    if (body.empty()) return std::nullopt;
    const size_t udh_size = 1 + static_cast<uint8_t>(body[0]);
    if (udh_size > body.size()) return std::nullopt;
    body.remove_prefix(udh_size);
  }
  auto text = DecodeMoText(sm.data_coding, body, options.default_alphabet_is_ascii);
  if (!text) return std::nullopt;
  InboundMessage message;
  message.from = ToE164(sm.source_addr, sm.source_addr_ton, options.default_country_code);
  message.to = std::string(sm.destination_addr);
  message.text = std::move(*text);
  message.is_optout = IsOptOutReply(message.text);
  return message;
}

bool IsOptOutReply(std::string_view utf8) {
  const std::string_view reply = Trim(utf8);
  for (std::string_view keyword : kOptOutKeywords) {
    if (EqualsAsciiCaseInsensitive(reply, keyword)) return true;
  }
  return false;
}

}  // namespace bulkd::providers::smpp
