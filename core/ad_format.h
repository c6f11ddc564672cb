// core/ad_format.h — the Korean ad-message rules (정보통신망법 제50조, docs/domain.md): an `ad`
// SMS/LMS body starts with exactly "(광고)" and ends with the tenant's free opt-out line
// ("무료수신거부 080XXXXXXX"). Pure functions on UTF-8 bytes; no I/O, thread-safe, no
// exceptions but std::bad_alloc. The caller recounts bytes afterwards (the additions may
// turn an SMS into an LMS).
#pragma once

#include <string>
#include <string_view>

namespace bulkd::core {

// The prefix the law prescribes; used whenever a policy leaves its prefix empty.
inline constexpr std::string_view kAdPrefix = "(광고)";

// Error codes of FormatAdBody (the job fails with this code instead of being sent).
inline constexpr std::string_view kAdPrefixMissing = "AD_PREFIX_MISSING";
inline constexpr std::string_view kAdOptOutLineMissing = "AD_OPTOUT_LINE_MISSING";
inline constexpr std::string_view kAdOptOutLineUnset = "AD_OPTOUT_LINE_UNSET";

// "Whitespace" below: ASCII space, \t, \n, \r, \v, \f, U+00A0, U+3000 and a BOM; the
// prefix and the opt-out line given by a policy are trimmed of it, and an empty prefix
// means kAdPrefix. The prefix is present when the text, after leading whitespace, starts
// with it; the opt-out line is present when the text, before trailing whitespace, ends
// with it (on its own line or not).
enum class AdCheck {  // the first failing rule, in this order
  kOk,
  kMissingPrefix,
  kOptOutLineUnset,    // the policy's opt-out line is empty: nothing to check against
  kMissingOptOutLine,
};

// Checks a body against the rules.
AdCheck CheckAdText(std::string_view text, std::string_view prefix,
                    std::string_view optout_line);

// The error code of a failed check ("AD_PREFIX_MISSING"...); empty for kOk.
std::string_view AdCheckCode(AdCheck check);

// Returns the body with leading and trailing whitespace removed, `prefix` (empty means
// kAdPrefix) put at the very start unless already there, directly followed by the text,
// and `optout_line` appended after a '\n' unless the text already ends with it. Never
// doubles either part; idempotent. An empty or whitespace `optout_line` adds no line.
std::string ApplyAdFormat(std::string_view text, std::string_view prefix,
                          std::string_view optout_line);

// What the tenant policy asks for `ad` SMS/LMS bodies.
enum class AdPolicyMode {
  kAdd,     // add what is missing (ApplyAdFormat)
  kVerify,  // send only bodies that already comply; never edit beyond trimming
};

// The body to send, or an error code. Exactly one of `text`/`error` is meaningful.
struct AdFormatResult {
  std::string text;        // when ok(): the body to send
  std::string_view error;  // otherwise one of the kAd... codes above (static storage)
  bool ok() const { return error.empty(); }
};

// kAdd: ApplyAdFormat. kVerify: the body trimmed of leading and trailing whitespace if
// CheckAdText passes, else its code. Both fail with AD_OPTOUT_LINE_UNSET when the policy
// has no opt-out line (an ad must never go out without one).
AdFormatResult FormatAdBody(AdPolicyMode mode, std::string_view text,
                            std::string_view prefix, std::string_view optout_line);

}  // namespace bulkd::core
