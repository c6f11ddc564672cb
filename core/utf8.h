// core/utf8.h — strict UTF-8 decoding shared by the codec and the text encoders.
// Pure inline functions; thread-safe; never throw.
#pragma once

#include <cstddef>
#include <string_view>

namespace bulkd::core {

// Returned by NextCodePoint for an ill-formed sequence.
inline constexpr char32_t kInvalidCodePoint = 0xFFFFFFFF;

// Decodes the scalar value at text[pos] (pos < text.size()) and advances `pos` past it.
// Ill-formed input (stray continuation byte, overlong form, surrogate, above U+10FFFF,
// truncated sequence) yields kInvalidCodePoint and advances `pos` by one byte.
inline char32_t NextCodePoint(std::string_view text, size_t& pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(pos);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  size_t len;
  char32_t cp;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++pos;
    return kInvalidCodePoint;
  }
  if (text.size() - pos < len) {
    ++pos;
    return kInvalidCodePoint;
  }
  for (size_t i = 1; i < len; ++i) {
    const unsigned char b = byte(pos + i);
    if ((b & 0xC0) != 0x80) {
      ++pos;
      return kInvalidCodePoint;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++pos;
    return kInvalidCodePoint;
  }
  pos += len;
  return cp;
}

// Byte offset of the first ill-formed UTF-8 sequence, or std::string_view::npos.
inline size_t FindInvalidUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    if (NextCodePoint(text, pos) == kInvalidCodePoint) return start;
  }
  return std::string_view::npos;
}

}  // namespace bulkd::core
