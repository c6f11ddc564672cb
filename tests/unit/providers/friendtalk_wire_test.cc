// The Friendtalk v2.4 wire: body bytes, checks, target. No sockets.
#include <gtest/gtest.h>

#include "providers/http/friendtalk_provider.h"

namespace bulkd::providers::http {
namespace {

FriendtalkConfig Config() {
  FriendtalkConfig c;
  c.appkey = "app1";
  c.secret_key = "s";
  c.sender_key = "sk";
  return c;
}

TEST(FriendtalkWireTest, EveryRecipientIsAnAdWithItsTextAndNoDealerResend) {
  const auto wire = MakeFriendtalkWire(Config());
  core::Job job;
  job.id = "ad-1";
  job.kind = core::JobKind::kInfo;  // the channel is ad-only whatever the job says
  job.to = "+821012345678";
  job.text = "주말 \"특가\"";
  ASSERT_FALSE(wire->Check(job));
  std::string recipients;
  wire->AppendRecipient(job, recipients);
  recipients += ',';
  job.to = "+15551234567";
  wire->AppendRecipient(job, recipients);
  std::string body;
  wire->AppendSendBody(wire->BatchKey(job), recipients, body);
  EXPECT_EQ(body,
            R"({"senderKey":"sk","recipientList":[)"
            R"({"recipientNo":"01012345678","content":"주말 \"특가\"","isAd":true,)"
            R"("resendParameter":{"isResend":false},"recipientGroupingKey":"ad-1"},)"
            R"({"recipientNo":"15551234567","content":"주말 \"특가\"","isAd":true,)"
            R"("resendParameter":{"isResend":false},"recipientGroupingKey":"ad-1"}]})");
  EXPECT_EQ(wire->SendTarget("/x"), "/x/friendtalk/v2.4/appkeys/app1/messages");
  EXPECT_EQ(wire->channel(), core::Channel::kFriendtalk);
  EXPECT_EQ(wire->BatchKey(job), "");
}

TEST(FriendtalkWireTest, ChecksTextAndNumber) {
  const auto wire = MakeFriendtalkWire(Config());
  core::Job job;
  job.to = "+821012345678";
  EXPECT_EQ(wire->Check(job)->code, "NO_TEXT");
  job.text = std::string(1000, 'a');
  EXPECT_FALSE(wire->Check(job));
  job.text += 'a';
  EXPECT_EQ(wire->Check(job)->code, "TEXT_TOO_LONG");
  job.text = "ok";
  job.to = "01012345678";
  EXPECT_EQ(wire->Check(job)->code, "BAD_NUMBER");
}

TEST(FriendtalkWireTest, Kakao3022IsAFailureNotARetry) {
  const auto wire = MakeFriendtalkWire(Config());
  EXPECT_EQ(wire->Outcome(3022, ResultStage::kSubmit), AttemptOutcome::kFailed);
  EXPECT_EQ(wire->Outcome(3022, ResultStage::kFinal), AttemptOutcome::kFailed);
  EXPECT_EQ(wire->Outcome(1000, ResultStage::kFinal), AttemptOutcome::kDelivered);
}

TEST(FriendtalkWireTest, Utf8LengthCountsCodePoints) {
  EXPECT_EQ(Utf8Length(""), 0u);
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("가나"), 2u);
  EXPECT_EQ(Utf8Length("😀a"), 2u);
}

}  // namespace
}  // namespace bulkd::providers::http
