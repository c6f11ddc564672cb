// providers/http/dealer_json.h — small simdjson readers shared by the dealer reply
// decoders (alimtalk_wire.cc, rcs_provider.cc). Internal to providers/http.
// Pure; thread-safe (the parser is thread_local); never throw.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <vector>

#include "providers/http/alimtalk_wire.h"

namespace bulkd::providers::http {

// This thread's parser.
simdjson::dom::parser& DealerJsonParser();
// A result code as a JSON integer or a numeric string ("1000"); false otherwise.
bool ReadDealerCode(simdjson::dom::element value, int& code);
// entry.recipientSeq as a positive 32-bit integer; false otherwise.
bool ReadRecipientSeq(simdjson::dom::object entry, uint32_t& seq);
// A send reply's per-recipient list: [{"recipientSeq":n,"resultCode":c}, ...]. False at
// the first entry that lacks either.
bool ReadSubmitResults(simdjson::dom::array list, std::vector<SubmitResult>& out);

}  // namespace bulkd::providers::http
