#include "core/mask.h"

#include "core/utf8.h"

namespace bulkd::core {
namespace {

constexpr size_t kKeepHead = 5;
constexpr size_t kKeepTail = 4;

// Appends one kept character; bytes that could corrupt a log line (control characters,
// ill-formed UTF-8) become '?'.
void AppendVisible(std::string_view text, size_t start, size_t end, std::string& out) {
  size_t pos = start;
  if (NextCodePoint(text, pos) == kInvalidCodePoint ||
      static_cast<unsigned char>(text[start]) < 0x20 || text[start] == 0x7F) {
    out.push_back('?');
    return;
  }
  out.append(text.data() + start, end - start);
}

}  // namespace

// "Characters" are UTF-8 code points (an ill-formed byte counts as one), so a mask never
// splits a multi-byte sequence. Inputs of at most kKeepHead + kKeepTail characters would
// show everything and are starred whole.
std::string MaskNumber(std::string_view number) {
  size_t count = 0;
  for (size_t pos = 0; pos < number.size(); ++count) NextCodePoint(number, pos);

  std::string out;
  if (count <= kKeepHead + kKeepTail) {
    out.assign(count, '*');
    return out;
  }
  out.reserve(count + 8);
  size_t index = 0;
  for (size_t pos = 0; pos < number.size(); ++index) {
    const size_t start = pos;
    NextCodePoint(number, pos);
    if (index < kKeepHead || index >= count - kKeepTail) {
      AppendVisible(number, start, pos, out);
    } else {
      out.push_back('*');
    }
  }
  return out;
}

}  // namespace bulkd::core
