// The Alimtalk dealer JSON (NHN v2.3 shape): send body, send reply, poll and webhook
// results, webhook signatures. Tables of bad inputs; no sockets.
#include "providers/http/alimtalk_wire.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

namespace bulkd::providers::http {
namespace {

core::Job MakeJob() {
  core::Job job;
  job.id = "cmp42-000001";
  job.tenant = "shop1";
  job.to = "+821012345678";
  job.channels = {core::Channel::kAlimtalk, core::Channel::kLms};
  job.template_code = "order_shipped";
  job.vars = {{"name", "홍길동"}, {"note", "say \"hi\"\nnow\\"}};
  return job;
}

TEST(KakaoWireTest, RecipientNumbersTakeTheDomesticFormForKorea) {
  EXPECT_EQ(DealerRecipientNo("+821012345678"), "01012345678");
  EXPECT_EQ(DealerRecipientNo("+14155550100"), "14155550100");
  for (const char* bad : {"", "01012345678", "+", "+82-10-1234", "821012345678", "+82 1012345678"}) {
    EXPECT_FALSE(DealerRecipientNo(bad)) << bad;
  }
}

TEST(KakaoWireTest, SendBodyIsValidJsonWithEveryField) {
  const core::Job job = MakeJob();
  std::string recipients;
  AppendRecipient("01012345678", job, recipients);
  recipients += ',';
  core::Job second = job;
  second.id = "cmp42-000002";
  second.vars.clear();
  AppendRecipient("01099998888", second, recipients);
  std::string body;
  AppendSendBody("sender\"key", "order_shipped", recipients, body);

  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(body).get(root), simdjson::SUCCESS) << body;
  std::string_view text;
  ASSERT_EQ(root["senderKey"].get_string().get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, "sender\"key");
  ASSERT_EQ(root["templateCode"].get_string().get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, "order_shipped");
  simdjson::dom::array list;
  ASSERT_EQ(root["recipientList"].get_array().get(list), simdjson::SUCCESS);
  ASSERT_EQ(list.size(), 2u);
  simdjson::dom::element first = list.at(0);
  ASSERT_EQ(first["recipientNo"].get_string().get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, "01012345678");
  ASSERT_EQ(first["templateParameter"]["name"].get_string().get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, "홍길동");
  ASSERT_EQ(first["templateParameter"]["note"].get_string().get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, "say \"hi\"\nnow\\");
  bool resend = true;
  ASSERT_EQ(first["resendParameter"]["isResend"].get_bool().get(resend), simdjson::SUCCESS);
  EXPECT_FALSE(resend) << "bulkd runs the fallback itself";
  ASSERT_EQ(first["recipientGroupingKey"].get_string().get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, "cmp42-000001");
  simdjson::dom::object params;
  ASSERT_EQ(list.at(1)["templateParameter"].get_object().get(params), simdjson::SUCCESS);
  EXPECT_EQ(params.size(), 0u);
}

TEST(KakaoWireTest, ReadsAnNhnShapedSendReply) {
  const std::string body = R"({"header":{"resultCode":0,"resultMessage":"SUCCESS","isSuccessful":true},
    "message":{"requestId":"20180810100630ReZQ6KZzAH0","senderGroupingKey":null,"sendResults":[
      {"recipientSeq":1,"recipientNo":"01000000000","resultCode":0,"resultMessage":"SUCCESS"},
      {"recipientSeq":2,"recipientNo":"01000000001","resultCode":"3018","resultMessage":"x"},
      {"recipientSeq":3,"recipientNo":"01000000002","resultCode":1000}]}})";
  SendReply reply;
  ASSERT_TRUE(ParseSendReply(body, reply));
  EXPECT_TRUE(reply.successful);
  EXPECT_EQ(reply.request_id, "20180810100630ReZQ6KZzAH0");
  ASSERT_EQ(reply.results.size(), 3u);
  EXPECT_EQ(reply.results[0].seq, 1u);
  EXPECT_EQ(reply.results[0].code, 0);
  EXPECT_EQ(reply.results[1].code, 3018);
  EXPECT_EQ(reply.results[2].code, 1000);
}

TEST(KakaoWireTest, AnUnsuccessfulHeaderIsARefusalNotAParseError) {
  SendReply reply;
  ASSERT_TRUE(ParseSendReply(
      R"({"header":{"resultCode":-1000,"resultMessage":"bad","isSuccessful":false}})", reply));
  EXPECT_FALSE(reply.successful);
  EXPECT_EQ(reply.header_code, -1000);
}

TEST(KakaoWireTest, RejectsSendRepliesItCannotReadInFull) {
  const std::vector<std::string> bad = {
      "",
      "not json",
      "<html>502 Bad Gateway</html>",
      R"({"header":{"resultCode":0,"isSuccessful":true})",  // truncated
      "[]",
      R"({"message":{}})",
      R"({"header":{"resultCode":0}})",
      R"({"header":{"isSuccessful":"yes"}})",
      R"({"header":{"isSuccessful":true}})",
      R"({"header":{"isSuccessful":true},"message":{"sendResults":[]}})",
      R"({"header":{"isSuccessful":true},"message":{"requestId":"","sendResults":[]}})",
      R"({"header":{"isSuccessful":true},"message":{"requestId":"r","sendResults":{}}})",
      R"({"header":{"isSuccessful":true},"message":{"requestId":"r","sendResults":[1]}})",
      R"({"header":{"isSuccessful":true},"message":{"requestId":"r","sendResults":[{"resultCode":1000}]}})",
      R"({"header":{"isSuccessful":true},"message":{"requestId":"r","sendResults":[{"recipientSeq":0,"resultCode":1000}]}})",
      R"({"header":{"isSuccessful":true},"message":{"requestId":"r","sendResults":[{"recipientSeq":-1,"resultCode":1000}]}})",
      R"({"header":{"isSuccessful":true},"message":{"requestId":"r","sendResults":[{"recipientSeq":1}]}})",
      R"({"header":{"isSuccessful":true},"message":{"requestId":"r","sendResults":[{"recipientSeq":1,"resultCode":"abc"}]}})",
      R"({"header":{"isSuccessful":true},"message":{"requestId":"r","sendResults":[{"recipientSeq":1,"resultCode":1000.5}]}})",
      R"({"header":{"isSuccessful":true},"message":{"requestId":"r","sendResults":[{"recipientSeq":1,"resultCode":99999999999}]}})",
      R"({"header":{"isSuccessful":true},"message":{"requestId":"r","sendResults":[{"recipientSeq":1,"resultCode":null}]}})",
      R"({"header":{"resultCode":"x","isSuccessful":false}})",
      std::string("{\"header\":{\"isSuccessful\":true},\"message\":{\"requestId\":\"\xff\"}}"),
  };
  for (const std::string& body : bad) {
    SendReply reply;
    EXPECT_FALSE(ParseSendReply(body, reply)) << body;
  }
}

TEST(KakaoWireTest, ReadsPollRepliesWithFinalAndInProgressEntries) {
  const std::string body = R"({"header":{"resultCode":0,"isSuccessful":true},"message":{
    "requestId":"R1","recipientList":[
      {"recipientSeq":1,"recipientNo":"010","messageStatus":"COMPLETED","resultCode":"1000"},
      {"recipientSeq":2,"recipientNo":"010","messageStatus":"IN_PROGRESS"},
      {"recipientSeq":3,"recipientNo":"010","messageStatus":"FAILED","resultCode":3019},
      {"recipientSeq":4,"messageStatus":"COMPLETED"},
      {"recipientSeq":5,"requestId":"R2","messageStatus":"READY","resultCode":null}]}})";
  std::vector<FinalResult> results;
  ASSERT_TRUE(ParsePollReply(body, results));
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[0].request_id, "R1");
  EXPECT_TRUE(results[0].final);
  EXPECT_EQ(results[0].code, 1000);
  EXPECT_FALSE(results[1].final);
  EXPECT_TRUE(results[2].final);
  EXPECT_EQ(results[2].code, 3019);
  EXPECT_TRUE(results[3].final);
  EXPECT_EQ(results[3].code, 1000);
  EXPECT_FALSE(results[4].final);
  EXPECT_EQ(results[4].request_id, "R2");
}

TEST(KakaoWireTest, RejectsPollRepliesItCannotReadInFull) {
  const std::vector<std::string> bad = {
      "", "{", "null", R"({"header":{"isSuccessful":false}})",
      R"({"header":{"isSuccessful":true}})",
      R"({"header":{"isSuccessful":true},"message":{"requestId":"R","recipientList":{}}})",
      R"({"header":{"isSuccessful":true},"message":{"requestId":"R","recipientList":[{"messageStatus":"COMPLETED"}]}})",
      R"({"header":{"isSuccessful":true},"message":{"requestId":"R","recipientList":[{"recipientSeq":1,"messageStatus":"FAILED"}]}})",
      R"({"header":{"isSuccessful":true},"message":{"requestId":"R","recipientList":[{"recipientSeq":1,"messageStatus":"FAILED","resultCode":"x"}]}})",
      R"({"header":{"isSuccessful":true},"message":{"recipientList":[{"recipientSeq":1,"messageStatus":"COMPLETED"}]}})",
  };
  for (const std::string& body : bad) {
    std::vector<FinalResult> results;
    EXPECT_FALSE(ParsePollReply(body, results)) << body;
    EXPECT_TRUE(results.empty());
  }
}

TEST(KakaoWireTest, ReadsWebhookResultsEachWithItsRequest) {
  std::vector<FinalResult> results;
  ASSERT_TRUE(ParseWebhookResults(
      R"({"messageType":"ALIMTALK_RESULT","results":[
        {"requestId":"A","recipientSeq":2,"messageStatus":"FAILED","resultCode":"3005"},
        {"requestId":"B","recipientSeq":1,"messageStatus":"COMPLETED","resultCode":"1000"}]})",
      results));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].request_id, "A");
  EXPECT_EQ(results[0].seq, 2u);
  EXPECT_EQ(results[0].code, 3005);
  EXPECT_EQ(results[1].request_id, "B");
  EXPECT_FALSE(ParseWebhookResults(R"({"results":[{"recipientSeq":1,"messageStatus":"COMPLETED"}]})", results))
      << "an entry without its requestId cannot be matched";
  EXPECT_FALSE(ParseWebhookResults("{}", results));
}

TEST(KakaoWireTest, WebhookSignatureIsHexHmacSha256) {
  // RFC 4231, test case 2.
  const std::string mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  EXPECT_TRUE(VerifyWebhookSignature("what do ya want for nothing?", "Jefe", mac));
  std::string upper = mac;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(VerifyWebhookSignature("what do ya want for nothing?", "Jefe", upper));
  EXPECT_FALSE(VerifyWebhookSignature("what do ya want for nothing!", "Jefe", mac));
  EXPECT_FALSE(VerifyWebhookSignature("what do ya want for nothing?", "jefe", mac));
  EXPECT_FALSE(VerifyWebhookSignature("what do ya want for nothing?", "Jefe", mac.substr(2)));
  EXPECT_FALSE(VerifyWebhookSignature("what do ya want for nothing?", "Jefe", ""));
  std::string bad_hex = mac;
  bad_hex[0] = 'g';
  EXPECT_FALSE(VerifyWebhookSignature("what do ya want for nothing?", "Jefe", bad_hex));
}

}  // namespace
}  // namespace bulkd::providers::http
