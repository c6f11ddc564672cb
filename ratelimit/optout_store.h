// ratelimit/optout_store.h — the opt-out sets in Redis: `optout:{tenant}` and the global
// `optout:_global` (sets of E.164 numbers), for bulkctl and the inbound opt-out path.
// Admission reads the same sets inside its batch script; this class writes and inspects.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ratelimit/redis_connection.h"

namespace bulkd::ratelimit {

// The tenant name of the global set (an opt-out there applies to every tenant).
inline constexpr std::string_view kGlobalTenant = "_global";

// Strips spaces, '-', '.', '(', ')'; "00" -> "+"; a leading single '0' is replaced by
// "+<default_country_code>" when one is given ("010-1234-5678", "82" -> "+821012345678").
// nullopt if the result is not E.164 (core::IsE164: '+', 8 to 15 digits, first not 0).
std::optional<std::string> NormalizeNumber(std::string_view raw,
                                           std::string_view default_country_code = {});

struct ImportOptions {
  char delimiter = ',';              // CSV field separator
  size_t column = 0;                 // 0-based field holding the number
  std::string default_country_code;  // e.g. "82" for domestic Korean lists; empty = none
  size_t batch_size = 1000;          // numbers per pipelined round trip
};

struct BadLine {
  size_t line = 0;     // 1-based line number in the input
  std::string reason;  // never contains the number itself
};

struct ImportReport {
  size_t lines = 0;            // lines read
  size_t added = 0;            // numbers new to the set
  size_t already_present = 0;  // valid numbers that were already opted out
  std::vector<BadLine> bad;    // rejected lines; the rest were imported
};

// Not thread-safe (uses the caller's connection). Blocking; never throws. Errors are
// connection-level (see redis_connection.h) or std::errc::invalid_argument.
class OptOutStore {
 public:
  explicit OptOutStore(RedisConnection& redis, std::string key_prefix = "bulkd:");

  // Adds numbers to `tenant`'s set (kGlobalTenant for the global set); returns how many
  // were new. Every number must be E.164 (core::IsE164), else nothing is added and
  // invalid_argument is returned. One round trip.
  Result<size_t> Add(std::string_view tenant, std::span<const std::string> numbers);
  // Removes numbers; returns how many were present. One round trip.
  Result<size_t> Remove(std::string_view tenant, std::span<const std::string> numbers);
  // Per number: opted out for `tenant` or globally. One round trip (two SMISMEMBER).
  Result<std::vector<bool>> Contains(std::string_view tenant,
                                     std::span<const std::string> numbers);
  // Size of one set (not including the global one).
  Result<size_t> Count(std::string_view tenant);

  // Reads a CSV of numbers (a 080 rejection list...) and adds the valid ones, one round
  // trip per batch_size numbers. Blank lines and lines starting with '#' are skipped; a
  // first line without any digit is taken as a header. Other lines that do not hold a
  // valid number are reported by line number and skipped. On a Redis error the numbers of
  // earlier batches stay added (re-running the import is harmless).
  Result<ImportReport> Import(std::string_view tenant, std::istream& csv,
                              const ImportOptions& options = {});
  // Writes the set, one number per line, in no particular order, one round trip per
  // ~1000 (SSCAN: numbers added or removed meanwhile may or may not appear, and a number
  // may rarely appear twice). Returns how many lines were written.
  Result<size_t> Export(std::string_view tenant, std::ostream& out);

 private:
  std::string Key(std::string_view tenant) const;
  Result<size_t> Modify(std::string_view command, std::string_view tenant,
                        std::span<const std::string> numbers);

  RedisConnection& redis_;
  std::string prefix_;
};

}  // namespace bulkd::ratelimit
