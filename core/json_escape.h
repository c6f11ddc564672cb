// core/json_escape.h — appends a string as a quoted JSON string literal.
#pragma once

#include <string>
#include <string_view>

namespace bulkd::core {

// Escapes quotes, backslashes and control characters, and keeps the output valid UTF-8:
// an ill-formed byte becomes U+FFFD (fields may carry bytes a provider or producer sent).
// Never throws except std::bad_alloc.
void AppendJsonString(std::string_view text, std::string& out);

}  // namespace bulkd::core
