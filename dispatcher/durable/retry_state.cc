#include "dispatcher/durable/retry_state.h"

#include <charconv>

namespace bulkd::dispatcher {
namespace {

constexpr std::string_view kVersion = "v1";

// Reads the decimal field of `s` at `pos` into `out`: followed by one space, or (last)
// by the end of `s`.
template <class T>
bool ReadField(std::string_view s, size_t& pos, T& out, bool last) {
  const char* begin = s.data() + pos;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(begin, end, out);
  if (ec != std::errc() || ptr == begin) return false;
  // One spelling per number: no sign (every field is >= 0), no leading zeros.
  if (*begin == '-' || (*begin == '0' && ptr - begin > 1)) return false;
  if (last) {
    if (ptr != end) return false;
  } else {
    if (ptr == end || *ptr != ' ') return false;
    ++ptr;
  }
  pos = static_cast<size_t>(ptr - s.data());
  return true;
}

}  // namespace

std::string EncodeRetryHeader(const RetryState& s) {
  std::string out(kVersion);
  for (int64_t v : {int64_t{s.retry}, int64_t{s.channel_index}, int64_t{s.attempt},
                    int64_t{s.total_attempts}, s.first_attempt_ms, s.due_ms}) {
    out.push_back(' ');
    out.append(std::to_string(v));
  }
  return out;
}

std::optional<RetryState> ParseRetryHeader(std::string_view value) {
  if (value.size() > 128 || value.size() <= kVersion.size() ||
      value.substr(0, kVersion.size()) != kVersion || value[kVersion.size()] != ' ') {
    return std::nullopt;
  }
  size_t pos = kVersion.size() + 1;
  RetryState s;
  if (!ReadField(value, pos, s.retry, false) || !ReadField(value, pos, s.channel_index, false) ||
      !ReadField(value, pos, s.attempt, false) ||
      !ReadField(value, pos, s.total_attempts, false) ||
      !ReadField(value, pos, s.first_attempt_ms, false) || !ReadField(value, pos, s.due_ms, true)) {
    return std::nullopt;
  }
  if (s.retry == 0) return std::nullopt;
  return s;
}

}  // namespace bulkd::dispatcher
