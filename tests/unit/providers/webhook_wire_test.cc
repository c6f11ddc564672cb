// The webhook channel's body, signature and outcome table: no sockets.
#include "providers/http/webhook_wire.h"

#include <gtest/gtest.h>

#include "providers/http/http_client.h"

namespace bulkd::providers::http {
namespace {

using O = AttemptOutcome;

core::Job SampleJob() {
  core::Job job;
  job.id = "cb-1";
  job.tenant = "callcentre";
  job.campaign = "c1";
  job.to = "+821012345678";
  job.template_code = "callback";
  job.vars = {{"name", "홍\"길동"}, {"slot", "10:00"}};
  job.text = "line1\nline2";
  return job;
}

TEST(WebhookWireTest, BodyCarriesEveryFieldInOrderEscaped) {
  std::string body;
  AppendWebhookBody(SampleJob(), body);
  EXPECT_EQ(body,
            R"({"id":"cb-1","tenant":"callcentre","campaign":"c1","to":"+821012345678",)"
            R"("template":"callback","vars":{"name":"홍\"길동","slot":"10:00"},)"
            R"("text":"line1\nline2","subject":""})");
  std::string empty;
  AppendWebhookBody(core::Job{}, empty);
  EXPECT_EQ(empty,
            R"({"id":"","tenant":"","campaign":"","to":"","template":"","vars":{},"text":"","subject":""})");
}

TEST(WebhookWireTest, IdempotencyKeyIsTenantColonId) {
  EXPECT_EQ(WebhookIdempotencyKey(SampleJob()), "callcentre:cb-1");
}

TEST(WebhookWireTest, SignatureIsHexHmacSha256OfTheBody) {
  // RFC 4231 test case 2.
  EXPECT_EQ(WebhookSignature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const std::string sig = WebhookSignature("k", "body");
  EXPECT_TRUE(VerifyWebhookRequestSignature("body", "k", sig));
  std::string upper = sig;
  for (size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_TRUE(VerifyWebhookRequestSignature("body", "k", upper));
  EXPECT_FALSE(VerifyWebhookRequestSignature("body!", "k", sig));
  EXPECT_FALSE(VerifyWebhookRequestSignature("body", "k2", sig));
  EXPECT_FALSE(VerifyWebhookRequestSignature("body", "k", sig.substr(7)));
  EXPECT_FALSE(VerifyWebhookRequestSignature("body", "k", sig.substr(0, sig.size() - 1)));
  EXPECT_FALSE(VerifyWebhookRequestSignature("body", "k", ""));
}

TEST(WebhookWireTest, StatusesMapThroughOneTable) {
  for (unsigned s : {200u, 201u, 202u, 204u, 299u}) EXPECT_EQ(WebhookOutcome({}, s), O::kDelivered) << s;
  for (unsigned s : {408u, 429u, 500u, 502u, 503u, 599u}) EXPECT_EQ(WebhookOutcome({}, s), O::kRetry) << s;
  for (unsigned s : {100u, 301u, 400u, 401u, 403u, 404u, 409u, 410u, 422u}) {
    EXPECT_EQ(WebhookOutcome({}, s), O::kFailed) << s;
  }
}

TEST(WebhookWireTest, ErrorsBeforeWritingRetryAfterWritingAreUncertain) {
  for (HttpErrc e : {HttpErrc::kStopped, HttpErrc::kQueueTimeout, HttpErrc::kResolveFailed,
                     HttpErrc::kConnectFailed, HttpErrc::kTlsFailed}) {
    EXPECT_EQ(WebhookOutcome(make_error_code(e), 0), O::kRetry) << make_error_code(e).message();
  }
  for (HttpErrc e : {HttpErrc::kConnectionLost, HttpErrc::kTimeout, HttpErrc::kBadResponse,
                     HttpErrc::kResponseTooLarge}) {
    EXPECT_EQ(WebhookOutcome(make_error_code(e), 0), O::kUncertain) << make_error_code(e).message();
  }
}

}  // namespace
}  // namespace bulkd::providers::http
