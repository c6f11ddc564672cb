// The Kakao result-code table (DOMAIN.md): every listed code at both stages, HTTP
// statuses, unknown codes.
#include "providers/http/kakao_result.h"

#include <gtest/gtest.h>

#include <string>

namespace bulkd::providers::http {
namespace {

using O = AttemptOutcome;

struct Row {
  int code;
  KakaoClass cls;
  O at_submit;
  O at_final;
};

constexpr Row kRows[] = {
    {1000, KakaoClass::kSuccess, O::kAccepted, O::kDelivered},
    {3018, KakaoClass::kFallback, O::kFallback, O::kFallback},
    {3019, KakaoClass::kFallback, O::kFallback, O::kFallback},
    {3020, KakaoClass::kFallback, O::kFallback, O::kFallback},
    {3021, KakaoClass::kFallback, O::kFallback, O::kFallback},
    {3008, KakaoClass::kFallback, O::kFallback, O::kFallback},
    {1003, KakaoClass::kFailed, O::kFailed, O::kFailed},
    {3015, KakaoClass::kFailed, O::kFailed, O::kFailed},
    {3016, KakaoClass::kFailed, O::kFailed, O::kFailed},
    {3025, KakaoClass::kFailed, O::kFailed, O::kFailed},
    {3022, KakaoClass::kFailed, O::kFailed, O::kFailed},
    {2001, KakaoClass::kRetry, O::kRetry, O::kRetry},
    {3000, KakaoClass::kRetry, O::kRetry, O::kRetry},
    {3006, KakaoClass::kRetry, O::kRetry, O::kRetry},
    {3010, KakaoClass::kRetry, O::kRetry, O::kRetry},
    {3012, KakaoClass::kRetry, O::kRetry, O::kRetry},
    {4000, KakaoClass::kRetry, O::kRetry, O::kRetry},
    {4001, KakaoClass::kRetry, O::kRetry, O::kRetry},
    {3005, KakaoClass::kSentUncertain, O::kUncertain, O::kUncertain},
};

class KakaoResultTableTest : public ::testing::TestWithParam<Row> {};

TEST_P(KakaoResultTableTest, MapsTheCodeAtBothStages) {
  const Row& row = GetParam();
  EXPECT_EQ(ClassifyKakaoCode(row.code), row.cls);
  EXPECT_EQ(KakaoOutcome(row.code, ResultStage::kSubmit), row.at_submit);
  EXPECT_EQ(KakaoOutcome(row.code, ResultStage::kFinal), row.at_final);
  const std::string_view name = KakaoCodeName(row.code);
  EXPECT_FALSE(name.empty());
  EXPECT_EQ(name.find_first_of("0123456789"), std::string_view::npos) << name;
}

INSTANTIATE_TEST_SUITE_P(EveryDomainCode, KakaoResultTableTest, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<Row>& info) {
                           return "Code" + std::to_string(info.param.code);
                         });

TEST(KakaoResultTest, SentUncertainNeverFallsBackNorRetries) {
  for (ResultStage stage : {ResultStage::kSubmit, ResultStage::kFinal}) {
    const O outcome = KakaoOutcome(3005, stage);
    EXPECT_NE(outcome, O::kFallback);
    EXPECT_NE(outcome, O::kRetry);
    EXPECT_EQ(outcome, O::kUncertain);
  }
}

TEST(KakaoResultTest, UnknownCodesFail) {
  for (int code : {-1, 1, 999, 1001, 2999, 3001, 3099, 5000, 9999, 123456}) {
    EXPECT_EQ(ClassifyKakaoCode(code), KakaoClass::kUnknown) << code;
    EXPECT_EQ(KakaoOutcome(code, ResultStage::kSubmit), O::kFailed) << code;
    EXPECT_EQ(KakaoOutcome(code, ResultStage::kFinal), O::kFailed) << code;
    EXPECT_TRUE(KakaoCodeName(code).empty()) << code;
  }
}

TEST(KakaoResultTest, DealerZeroIsAcceptanceAtSubmitOnly) {
  EXPECT_EQ(KakaoOutcome(0, ResultStage::kSubmit), O::kAccepted);
  EXPECT_EQ(KakaoOutcome(0, ResultStage::kFinal), O::kFailed);
}

TEST(KakaoResultTest, HttpStatusesRetryOnThrottleAndServerErrors) {
  for (unsigned s : {200u, 201u, 204u}) EXPECT_EQ(HttpStatusOutcome(s), O::kAccepted) << s;
  for (unsigned s : {429u, 408u, 500u, 502u, 503u, 504u, 599u}) {
    EXPECT_EQ(HttpStatusOutcome(s), O::kRetry) << s;
  }
  for (unsigned s : {400u, 401u, 403u, 404u, 405u, 409u, 413u, 422u, 301u, 302u, 100u, 600u}) {
    EXPECT_EQ(HttpStatusOutcome(s), O::kFailed) << s;
  }
}

}  // namespace
}  // namespace bulkd::providers::http
