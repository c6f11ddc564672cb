#include "core/ad_format.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace bulkd::core {
namespace {

constexpr std::string_view kLine = "무료수신거부 0801234567";

struct CheckCase {
  std::string_view name;
  std::string_view text;
  std::string_view prefix;
  std::string_view optout_line;
  AdCheck want;
};

TEST(AdFormatTest, ChecksPrefixThenOptOutLine) {
  const CheckCase cases[] = {
      {"compliant", "(광고)오늘만 50% 할인\n무료수신거부 0801234567", "(광고)", kLine,
       AdCheck::kOk},
      {"opt-out line on the same line", "(광고)할인 무료수신거부 0801234567", "(광고)", kLine,
       AdCheck::kOk},
      {"leading and trailing whitespace", " \n\t(광고)할인\n무료수신거부 0801234567\r\n ",
       "(광고)", kLine, AdCheck::kOk},
      {"BOM, ideographic space and NBSP", "\xEF\xBB\xBF\xE3\x80\x80(광고)할인\n"
       "무료수신거부 0801234567\xC2\xA0", "(광고)", kLine, AdCheck::kOk},
      {"empty prefix means (광고)", "(광고)할인\n무료수신거부 0801234567", "", kLine,
       AdCheck::kOk},
      {"policy values are trimmed", "(광고)할인\n무료수신거부 0801234567", " (광고) ",
       " 무료수신거부 0801234567\n", AdCheck::kOk},
      {"custom prefix", "[광고]할인\n무료수신거부 0801234567", "[광고]", kLine, AdCheck::kOk},
      {"no prefix", "할인\n무료수신거부 0801234567", "(광고)", kLine,
       AdCheck::kMissingPrefix},
      {"prefix not at the start", "할인 (광고)\n무료수신거부 0801234567", "(광고)", kLine,
       AdCheck::kMissingPrefix},
      {"prefix variant is not the prefix", "( 광고 )할인\n무료수신거부 0801234567", "(광고)",
       kLine, AdCheck::kMissingPrefix},
      {"both missing reports the prefix", "할인", "(광고)", kLine, AdCheck::kMissingPrefix},
      {"empty text", "", "(광고)", kLine, AdCheck::kMissingPrefix},
      {"no opt-out line", "(광고)할인", "(광고)", kLine, AdCheck::kMissingOptOutLine},
      {"opt-out line not at the end", "(광고)무료수신거부 0801234567\n할인", "(광고)", kLine,
       AdCheck::kMissingOptOutLine},
      {"different opt-out number", "(광고)할인\n무료수신거부 0809999999", "(광고)", kLine,
       AdCheck::kMissingOptOutLine},
      {"policy without opt-out line", "(광고)할인\n무료수신거부 0801234567", "(광고)", "",
       AdCheck::kOptOutLineUnset},
      {"policy opt-out line of whitespace", "(광고)할인", "(광고)", " \n",
       AdCheck::kOptOutLineUnset},
  };
  for (const CheckCase& c : cases) {
    EXPECT_EQ(CheckAdText(c.text, c.prefix, c.optout_line), c.want) << c.name;
  }
}

struct ApplyCase {
  std::string_view name;
  std::string_view text;
  std::string_view prefix;
  std::string_view optout_line;
  std::string_view want;
};

TEST(AdFormatTest, ApplyAddsWhatIsMissingExactlyOnce) {
  const ApplyCase cases[] = {
      {"adds both", "오늘만 50% 할인", "(광고)", kLine,
       "(광고)오늘만 50% 할인\n무료수신거부 0801234567"},
      {"keeps an existing prefix", "(광고)할인", "(광고)", kLine,
       "(광고)할인\n무료수신거부 0801234567"},
      {"keeps an existing prefix after whitespace", "  \n(광고) 할인", "(광고)", kLine,
       "(광고) 할인\n무료수신거부 0801234567"},
      {"keeps an existing opt-out line", "할인\n무료수신거부 0801234567\n\n", "(광고)", kLine,
       "(광고)할인\n무료수신거부 0801234567"},
      {"keeps an opt-out line on the same line", "(광고)할인 무료수신거부 0801234567",
       "(광고)", kLine, "(광고)할인 무료수신거부 0801234567"},
      {"already compliant is unchanged", "(광고)할인\n무료수신거부 0801234567", "(광고)",
       kLine, "(광고)할인\n무료수신거부 0801234567"},
      {"trailing CRLF is dropped before the line", "할인\r\n", "(광고)", kLine,
       "(광고)할인\n무료수신거부 0801234567"},
      {"empty text", "", "(광고)", kLine, "(광고)\n무료수신거부 0801234567"},
      {"empty prefix means (광고)", "할인", "", kLine, "(광고)할인\n무료수신거부 0801234567"},
      {"prefix is trimmed", "할인", " (광고) ", kLine, "(광고)할인\n무료수신거부 0801234567"},
      {"an opt-out line in the middle is not the end", "무료수신거부 0801234567 할인",
       "(광고)", kLine, "(광고)무료수신거부 0801234567 할인\n무료수신거부 0801234567"},
      {"no opt-out line configured adds only the prefix", "할인", "(광고)", "",
       "(광고)할인"},
  };
  for (const ApplyCase& c : cases) {
    const std::string once = ApplyAdFormat(c.text, c.prefix, c.optout_line);
    EXPECT_EQ(once, c.want) << c.name;
    EXPECT_EQ(ApplyAdFormat(once, c.prefix, c.optout_line), once) << c.name << " (twice)";
    if (!c.optout_line.empty()) {
      EXPECT_EQ(CheckAdText(once, c.prefix, c.optout_line), AdCheck::kOk) << c.name;
    }
  }
}

struct FormatCase {
  std::string_view name;
  AdPolicyMode mode;
  std::string_view text;
  std::string_view optout_line;
  std::string_view want_text;
  std::string_view want_error;
};

TEST(AdFormatTest, FormatAdBodyAddsOrVerifiesPerPolicy) {
  const FormatCase cases[] = {
      {"add fixes a bare body", AdPolicyMode::kAdd, "할인", kLine,
       "(광고)할인\n무료수신거부 0801234567", ""},
      {"add without opt-out line fails", AdPolicyMode::kAdd, "(광고)할인", "", "",
       "AD_OPTOUT_LINE_UNSET"},
      {"verify passes a compliant body, trimmed", AdPolicyMode::kVerify,
       " (광고)할인\n무료수신거부 0801234567\n", kLine, "(광고)할인\n무료수신거부 0801234567",
       ""},
      {"verify refuses a body without prefix", AdPolicyMode::kVerify,
       "할인\n무료수신거부 0801234567", kLine, "", "AD_PREFIX_MISSING"},
      {"verify refuses a body without opt-out line", AdPolicyMode::kVerify, "(광고)할인",
       kLine, "", "AD_OPTOUT_LINE_MISSING"},
      {"verify without opt-out line fails", AdPolicyMode::kVerify,
       "(광고)할인\n무료수신거부 0801234567", "", "", "AD_OPTOUT_LINE_UNSET"},
      {"verify without opt-out line fails before the prefix check", AdPolicyMode::kVerify,
       "할인", "", "", "AD_OPTOUT_LINE_UNSET"},
  };
  for (const FormatCase& c : cases) {
    const AdFormatResult r = FormatAdBody(c.mode, c.text, "(광고)", c.optout_line);
    EXPECT_EQ(r.ok(), c.want_error.empty()) << c.name;
    EXPECT_EQ(r.error, c.want_error) << c.name;
    if (r.ok()) {
      EXPECT_EQ(r.text, c.want_text) << c.name;
    }
  }
}

TEST(AdFormatTest, EveryFailedCheckHasAStableCode) {
  EXPECT_EQ(AdCheckCode(AdCheck::kOk), "");
  EXPECT_EQ(AdCheckCode(AdCheck::kMissingPrefix), "AD_PREFIX_MISSING");
  EXPECT_EQ(AdCheckCode(AdCheck::kOptOutLineUnset), "AD_OPTOUT_LINE_UNSET");
  EXPECT_EQ(AdCheckCode(AdCheck::kMissingOptOutLine), "AD_OPTOUT_LINE_MISSING");
}

TEST(AdFormatTest, ThePrefixIsExactlyTheLegalOne) {
  EXPECT_EQ(kAdPrefix, "(광고)");
  EXPECT_EQ(kAdPrefix, "\x28\xEA\xB4\x91\xEA\xB3\xA0\x29");  // UTF-8 of "(광고)"
}

}  // namespace
}  // namespace bulkd::core
