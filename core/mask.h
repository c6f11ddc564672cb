// core/mask.h — masks phone numbers for logs: "+821012345678" -> "+8210****5678".
#pragma once

#include <string>
#include <string_view>

namespace bulkd::core {

// Keeps the first 5 and the last 4 characters and stars the rest; short inputs are
// starred whole. Safe for any bytes.
std::string MaskNumber(std::string_view number);

}  // namespace bulkd::core
