// The RCS code table and the RCS reply decoders: byte-level, no sockets.
#include "providers/http/rcs_result.h"

#include <gtest/gtest.h>

#include "providers/http/rcs_provider.h"

namespace bulkd::providers::http {
namespace {

using O = AttemptOutcome;

TEST(RcsResultTest, EveryClassMapsToOneOutcomeAtEachStage) {
  struct Row {
    int code;
    O submit;
    O final;
  };
  for (const Row& r : {Row{0, O::kAccepted, O::kFailed}, Row{10000, O::kAccepted, O::kDelivered},
                       Row{10001, O::kAccepted, O::kDelivered}, Row{41200, O::kFallback, O::kFallback},
                       Row{41201, O::kFallback, O::kFallback}, Row{41299, O::kFallback, O::kFallback},
                       Row{41301, O::kFallback, O::kFallback}, Row{50201, O::kRetry, O::kRetry},
                       Row{50000, O::kRetry, O::kRetry}, Row{50301, O::kRetry, O::kRetry},
                       Row{40401, O::kFailed, O::kFailed}, Row{41101, O::kFailed, O::kFailed},
                       Row{40101, O::kFailed, O::kFailed}, Row{40901, O::kUncertain, O::kUncertain},
                       Row{50401, O::kUncertain, O::kUncertain}, Row{50501, O::kUncertain, O::kUncertain},
                       Row{41300, O::kFailed, O::kFailed}, Row{99999, O::kFailed, O::kFailed}}) {
    SCOPED_TRACE(r.code);
    EXPECT_EQ(RcsOutcome(r.code, ResultStage::kSubmit), r.submit);
    EXPECT_EQ(RcsOutcome(r.code, ResultStage::kFinal), r.final);
  }
}

TEST(RcsResultTest, OnlyTpsExceededThrottles) {
  EXPECT_TRUE(IsRcsThrottle(50201));
  for (int code : {0, 10000, 41201, 50000, 50301, 429}) EXPECT_FALSE(IsRcsThrottle(code)) << code;
  EXPECT_EQ(ClassifyRcsCode(50201), RcsClass::kThrottled);
}

TEST(RcsResultTest, NamesHaveNoDigitsAndUnknownCodesHaveNone) {
  for (int code : {0, 10000, 41234, 41301, 50201, 40901, 50401}) {
    const std::string_view name = RcsCodeName(code);
    EXPECT_FALSE(name.empty()) << code;
    EXPECT_EQ(name.find_first_of("0123456789"), std::string_view::npos) << name;
  }
  EXPECT_TRUE(RcsCodeName(12345).empty());
  EXPECT_EQ(ClassifyRcsCode(12345), RcsClass::kUnknown);
}

TEST(RcsWireTest, ReadsASendReplyWithCodesAsNumbersOrStrings) {
  SendReply reply;
  ASSERT_TRUE(ParseRcsSendReply(
      R"({"header":{"resultCode":0,"resultMessage":"success","isSuccessful":true},
          "body":{"requestId":"r1","messages":[{"recipientSeq":1,"resultCode":"0"},
                                               {"recipientSeq":2,"resultCode":41201}]}})",
      reply));
  EXPECT_TRUE(reply.successful);
  EXPECT_EQ(reply.request_id, "r1");
  ASSERT_EQ(reply.results.size(), 2u);
  EXPECT_EQ(reply.results[1].seq, 2u);
  EXPECT_EQ(reply.results[1].code, 41201);
}

TEST(RcsWireTest, ReadsARefusedRequestHeader) {
  SendReply reply;
  ASSERT_TRUE(ParseRcsSendReply(R"({"header":{"resultCode":50201,"isSuccessful":false}})", reply));
  EXPECT_FALSE(reply.successful);
  EXPECT_EQ(reply.header_code, 50201);
}

TEST(RcsWireTest, RefusesWhatItCannotWhollyRead) {
  SendReply reply;
  for (const char* body : {
           "", "{", "<html>ok</html>", "[]", R"({"header":{}})",
           R"({"header":{"isSuccessful":"yes"}})",
           R"({"header":{"isSuccessful":true}})",
           R"({"header":{"isSuccessful":true},"body":{"messages":[]}})",
           R"({"header":{"isSuccessful":true},"body":{"requestId":"","messages":[]}})",
           R"({"header":{"isSuccessful":true},"body":{"requestId":"r","messages":[{"recipientSeq":0,"resultCode":0}]}})",
           R"({"header":{"isSuccessful":true},"body":{"requestId":"r","messages":[{"recipientSeq":1,"resultCode":"4x"}]}})",
           R"({"header":{"isSuccessful":true},"body":{"requestId":"r","messages":[{"recipientSeq":1}]}})",
           R"({"header":{"isSuccessful":true,"resultCode":"abc"},"body":{"requestId":"r","messages":[]}})",
       }) {
    SCOPED_TRACE(body);
    EXPECT_FALSE(ParseRcsSendReply(body, reply));
    EXPECT_TRUE(reply.results.empty());
  }
}

TEST(RcsWireTest, ReadsPollStatesFinalAndInProgress) {
  std::vector<FinalResult> out;
  ASSERT_TRUE(ParseRcsPollReply(
      R"({"header":{"isSuccessful":true},"body":{"requestId":"r1","messages":[
          {"recipientSeq":1,"messageStatus":"DELIVERED"},
          {"recipientSeq":2,"messageStatus":"READ","resultCode":"10001"},
          {"recipientSeq":3,"messageStatus":"FAILED","resultCode":"41201"},
          {"recipientSeq":4,"messageStatus":"SENDING"},
          {"recipientSeq":5,"messageStatus":"READY"}]}})",
      out));
  ASSERT_EQ(out.size(), 5u);
  EXPECT_TRUE(out[0].final);
  EXPECT_EQ(out[0].code, 10000);
  EXPECT_EQ(out[1].code, 10001);
  EXPECT_EQ(out[2].code, 41201);
  EXPECT_FALSE(out[3].final);
  EXPECT_FALSE(out[4].final);
  for (const FinalResult& r : out) EXPECT_EQ(r.request_id, "r1");
}

TEST(RcsWireTest, RefusesBadPollsAndWebhooks) {
  std::vector<FinalResult> out;
  for (const char* body : {
           R"({"header":{"isSuccessful":false},"body":{"requestId":"r","messages":[]}})",
           R"({"header":{"isSuccessful":true},"body":{"requestId":"r","messages":[{"recipientSeq":1,"messageStatus":"FAILED"}]}})",
           R"({"header":{"isSuccessful":true},"body":{"requestId":"r","messages":[{"recipientSeq":1,"messageStatus":"LOST"}]}})",
           R"({"header":{"isSuccessful":true},"body":{"messages":[{"recipientSeq":1,"messageStatus":"SENDING"}]}})",
       }) {
    SCOPED_TRACE(body);
    EXPECT_FALSE(ParseRcsPollReply(body, out));
    EXPECT_TRUE(out.empty());
  }
  EXPECT_FALSE(ParseRcsWebhookResults(R"({"messages":[{"recipientSeq":1,"messageStatus":"READ"}]})", out))
      << "a webhook entry needs its own requestId";
  EXPECT_FALSE(ParseRcsWebhookResults(R"({"results":[]})", out));
  ASSERT_TRUE(ParseRcsWebhookResults(
      R"({"messages":[{"requestId":"a","recipientSeq":2,"messageStatus":"FAILED","resultCode":50401}]})", out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].request_id, "a");
  EXPECT_EQ(out[0].code, 50401);
}

TEST(RcsWireTest, EncodesTemplateVariablesAdsAndNoDealerFallback) {
  RcsConfig config;
  config.app_key = "k";
  config.secret_key = "s";
  config.brand_id = "BR.1";
  config.chatbot_id = "15881234";
  config.unsubscribe_number = "0801234567";
  const auto wire = MakeRcsWire(config);
  core::Job job;
  job.id = "j\"1";
  job.tenant = "t";
  job.to = "+821012345678";
  job.kind = core::JobKind::kAd;
  job.template_code = "SS000001";
  job.vars = {{"name", "홍길동"}};
  std::string recipients;
  wire->AppendRecipient(job, recipients);
  std::string body;
  wire->AppendSendBody(wire->BatchKey(job), recipients, body);
  EXPECT_EQ(body,
            R"({"brandId":"BR.1","chatbotId":"15881234","messagebaseId":"SS000001","recipientList":[)"
            R"({"recipientNumber":"01012345678","templateParameter":{"name":"홍길동"},"isAd":true,)"
            R"("unsubscribeNumber":"0801234567","isFallback":false,"clientMsgId":"j\"1"}]})");
  EXPECT_EQ(wire->SendTarget("/p"), "/p/rcs/v1.0/messages");
  EXPECT_EQ(wire->PollTarget("/p/rcs/v1.0/messages", "a b"), "/p/rcs/v1.0/messages/a%20b");
  EXPECT_EQ(wire->AuthHeaders().size(), 2u);
}

}  // namespace
}  // namespace bulkd::providers::http
