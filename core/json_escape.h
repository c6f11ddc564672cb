// core/json_escape.h — appends a string as a quoted JSON string literal.
#pragma once

#include <string>
#include <string_view>

namespace bulkd::core {

// Escapes quotes, backslashes and control characters; other bytes (UTF-8) pass as they
// are. The caller guarantees valid UTF-8 if the output must be valid JSON.
inline void AppendJsonString(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out.push_back(kHex[(c >> 4) & 0xF]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

}  // namespace bulkd::core
