// core/time_parse.h — RFC 3339 timestamps (as used by the job's not_before/expires_at).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace bulkd::core {

// Parses an RFC 3339 date-time with a mandatory offset into Unix epoch milliseconds
// (UTC): "2026-11-23T09:00:00+09:00", "2026-11-23T00:00:00Z", "...00.250-05:30".
// Accepts 't' or ' ' for 'T' and 'z' for 'Z'; fractional seconds of any length are
// truncated to milliseconds; second 60 (a leap second) counts as the next second.
// Years 0000-9999 only. Returns nullopt on anything else (missing offset, day 31 in a
// 30-day month, Feb 29 outside leap years, trailing bytes). Pure; never throws.
std::optional<int64_t> ParseRfc3339Ms(std::string_view text);

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31, no
// checks). Exposed for tests and for other calendar arithmetic.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

}  // namespace bulkd::core
