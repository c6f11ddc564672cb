#include "core/ad_format.h"

namespace bulkd::core {
namespace {

// Byte length of the whitespace character at the start of `s`, 0 if none.
size_t LeadingSpace(std::string_view s) {
  if (s.empty()) return 0;
  switch (s[0]) {
    case ' ': case '\t': case '\n': case '\r': case '\v': case '\f': return 1;
    default: break;
  }
  if (s.starts_with("\xC2\xA0")) return 2;      // U+00A0 no-break space
  if (s.starts_with("\xE3\x80\x80")) return 3;  // U+3000 ideographic space
  if (s.starts_with("\xEF\xBB\xBF")) return 3;  // U+FEFF byte order mark
  return 0;
}

// Byte length of the whitespace character at the end of `s`, 0 if none.
size_t TrailingSpace(std::string_view s) {
  if (s.empty()) return 0;
  switch (s.back()) {
    case ' ': case '\t': case '\n': case '\r': case '\v': case '\f': return 1;
    default: break;
  }
  if (s.ends_with("\xC2\xA0")) return 2;
  if (s.ends_with("\xE3\x80\x80")) return 3;
  if (s.ends_with("\xEF\xBB\xBF")) return 3;
  return 0;
}

std::string_view Trim(std::string_view s) {
  for (size_t n; (n = LeadingSpace(s)) != 0;) s.remove_prefix(n);
  for (size_t n; (n = TrailingSpace(s)) != 0;) s.remove_suffix(n);
  return s;
}

std::string_view PrefixOrDefault(std::string_view prefix) {
  prefix = Trim(prefix);
  return prefix.empty() ? kAdPrefix : prefix;
}

}  // namespace

AdCheck CheckAdText(std::string_view text, std::string_view prefix,
                    std::string_view optout_line) {
  const std::string_view body = Trim(text);
  const std::string_view line = Trim(optout_line);
  if (!body.starts_with(PrefixOrDefault(prefix))) return AdCheck::kMissingPrefix;
  if (line.empty()) return AdCheck::kOptOutLineUnset;
  if (!body.ends_with(line)) return AdCheck::kMissingOptOutLine;
  return AdCheck::kOk;
}

std::string_view AdCheckCode(AdCheck check) {
  switch (check) {
    case AdCheck::kOk: return {};
    case AdCheck::kMissingPrefix: return kAdPrefixMissing;
    case AdCheck::kMissingOptOutLine: return kAdOptOutLineMissing;
    case AdCheck::kOptOutLineUnset: return kAdOptOutLineUnset;
  }
  return kAdPrefixMissing;  // unreachable; fail closed
}

std::string ApplyAdFormat(std::string_view text, std::string_view prefix,
                          std::string_view optout_line) {
  const std::string_view head = PrefixOrDefault(prefix);
  const std::string_view line = Trim(optout_line);
  const std::string_view body = Trim(text);
  const bool has_prefix = body.starts_with(head);
  const bool has_line = line.empty() || body.ends_with(line);
  std::string out;
  out.reserve(head.size() + body.size() + 1 + line.size());
  if (!has_prefix) out.append(head);
  out.append(body);
  if (!has_line) {
    // The prefix alone is a line of its own too: "(광고)\n무료수신거부 ...".
    out.push_back('\n');
    out.append(line);
  }
  return out;
}

AdFormatResult FormatAdBody(AdPolicyMode mode, std::string_view text,
                            std::string_view prefix, std::string_view optout_line) {
  if (Trim(optout_line).empty()) return {{}, kAdOptOutLineUnset};
  if (mode == AdPolicyMode::kAdd) return {ApplyAdFormat(text, prefix, optout_line), {}};
  const AdCheck check = CheckAdText(text, prefix, optout_line);
  if (check != AdCheck::kOk) return {{}, AdCheckCode(check)};
  return {std::string(Trim(text)), {}};
}

}  // namespace bulkd::core
