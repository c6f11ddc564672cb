#include "core/job_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bulkd::core {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A job with every field set; the contract example from DESIGN.md.
constexpr std::string_view kFullJob = R"({"id":"cmp42-000001","tenant":"shop1","campaign":"cmp42","kind":"ad",
 "to":"+821012345678","channels":["alimtalk","lms"],
 "template":"order_shipped","vars":{"name":"홍길동","count":3,"price":12.5},
 "text":"fallback or SMS body","subject":"LMS subject","sender":"0215881234",
 "not_before":"2026-11-23T09:00:00+09:00","expires_at":"2026-11-24T00:00:00+09:00",
 "priority":7,"night_consent":true})";

// The smallest valid job.
constexpr std::string_view kMinimalJob =
    R"({"id":"j1","tenant":"t1","to":"+821012345678","channels":["sms"],"kind":"info","text":"hi"})";

// kMinimalJob with `"key":value` replacing the field (or added when absent).
std::string WithField(std::string_view key, std::string_view value) {
  std::string json(kMinimalJob);
  std::string quoted = "\"";
  quoted.append(key).append("\":");
  const size_t at = json.find(quoted);
  if (at == std::string::npos) {
    std::string member = ",";
    member.append(quoted).append(value);
    json.insert(json.size() - 1, member);
    return json;
  }
  const size_t start = at + quoted.size();
  size_t end = start;
  int depth = 0;
  bool in_string = false;
  for (; end < json.size(); ++end) {
    const char c = json[end];
    if (in_string) {
      if (c == '\\') ++end;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') ++depth;
    else if ((c == ']' || c == '}') && depth > 0) --depth;
    else if ((c == ',' || c == '}') && depth == 0) break;
  }
  json.replace(start, end - start, value);
  return json;
}

// kMinimalJob with an unknown string field that makes it exactly `size` bytes.
std::string PaddedTo(size_t size) {
  std::string json(kMinimalJob);
  json.insert(json.size() - 1, R"(,"pad":"")");
  json.insert(json.size() - 2, size - json.size(), 'p');
  return json;
}

// kMinimalJob without the field `key`.
std::string WithoutField(std::string_view key) {
  std::string json = WithField(key, "0");  // normalise to a known value first
  std::string member = "\"";
  member.append(key).append("\":0");
  const size_t at = json.find(member);
  const bool first = json[at - 1] == '{';
  json.erase(first ? at : at - 1, member.size() + 1);
  return json;
}

class JobDecoderTest : public ::testing::Test {
 protected:
  bool Decode(std::string_view bytes) { return decoder_.Decode(bytes, job_, error_); }

  JobDecoder decoder_;
  Job job_;
  JobError error_;
};

TEST_F(JobDecoderTest, DecodesEveryFieldOfTheContractExample) {
  ASSERT_TRUE(Decode(kFullJob)) << error_.reason;
  EXPECT_EQ(job_.id, "cmp42-000001");
  EXPECT_EQ(job_.tenant, "shop1");
  EXPECT_EQ(job_.campaign, "cmp42");
  EXPECT_EQ(job_.kind, JobKind::kAd);
  EXPECT_EQ(job_.to, "+821012345678");
  EXPECT_EQ(job_.channels, (std::vector<Channel>{Channel::kAlimtalk, Channel::kLms}));
  EXPECT_EQ(job_.template_code, "order_shipped");
  using Var = std::pair<std::string, std::string>;
  EXPECT_EQ(job_.vars, (std::vector<Var>{{"name", "홍길동"}, {"count", "3"}, {"price", "12.5"}}));
  EXPECT_EQ(job_.text, "fallback or SMS body");
  EXPECT_EQ(job_.subject, "LMS subject");
  EXPECT_EQ(job_.sender, "0215881234");
  EXPECT_EQ(job_.not_before_ms, 1795392000000);  // 2026-11-23T00:00:00Z
  EXPECT_EQ(job_.expires_at_ms, 1795446000000);  // 2026-11-23T15:00:00Z
  EXPECT_EQ(job_.priority, 7);
  EXPECT_TRUE(job_.night_consent);
}

TEST_F(JobDecoderTest, DecodesTheMinimalJobWithDefaultsForOptionalFields) {
  ASSERT_TRUE(Decode(kMinimalJob)) << error_.reason;
  EXPECT_EQ(job_.id, "j1");
  EXPECT_EQ(job_.kind, JobKind::kInfo);
  EXPECT_EQ(job_.channels, std::vector<Channel>{Channel::kSms});
  EXPECT_EQ(job_.text, "hi");
  EXPECT_TRUE(job_.campaign.empty());
  EXPECT_TRUE(job_.template_code.empty());
  EXPECT_TRUE(job_.vars.empty());
  EXPECT_TRUE(job_.subject.empty());
  EXPECT_TRUE(job_.sender.empty());
  EXPECT_FALSE(job_.not_before_ms.has_value());
  EXPECT_FALSE(job_.expires_at_ms.has_value());
  EXPECT_EQ(job_.priority, 0);
  EXPECT_FALSE(job_.night_consent);
}

TEST_F(JobDecoderTest, KeepsKoreanTextAndEscapesExactly) {
  const std::string json = WithField("text", R"("(광고) 안녕하세요 \"고객\"님\n무료수신거부 0801234567 \ud83d\ude00")");
  ASSERT_TRUE(Decode(json)) << error_.reason;
  EXPECT_EQ(job_.text, "(광고) 안녕하세요 \"고객\"님\n무료수신거부 0801234567 \xF0\x9F\x98\x80");
}

TEST_F(JobDecoderTest, ResetsEveryFieldBetweenMessages) {
  ASSERT_TRUE(Decode(kFullJob)) << error_.reason;
  ASSERT_TRUE(Decode(kMinimalJob)) << error_.reason;
  EXPECT_TRUE(job_.campaign.empty());
  EXPECT_TRUE(job_.vars.empty());
  EXPECT_TRUE(job_.subject.empty());
  EXPECT_FALSE(job_.not_before_ms.has_value());
  EXPECT_EQ(job_.priority, 0);
  EXPECT_FALSE(job_.night_consent);
  EXPECT_EQ(job_.kind, JobKind::kInfo);
}

TEST_F(JobDecoderTest, IgnoresUnknownFieldsOfAnyShape) {
  const std::string json = WithField("x_trace", R"({"deep":[1,2,{"a":null}],"s":"\u00e9"})");
  ASSERT_TRUE(Decode(json)) << error_.reason;
  EXPECT_EQ(job_.id, "j1");
}

TEST_F(JobDecoderTest, TakesTheLastValueOfADuplicateKey) {
  std::string json(kMinimalJob);
  json.insert(json.size() - 1, R"(,"id":"second","vars":{"a":"1","a":"2"})");
  ASSERT_TRUE(Decode(json)) << error_.reason;
  EXPECT_EQ(job_.id, "second");
  ASSERT_EQ(job_.vars.size(), 1u);
  EXPECT_EQ(job_.vars[0].second, "2");
}

TEST_F(JobDecoderTest, TreatsNullOptionalFieldsAsAbsent) {
  for (std::string_view key : {"campaign", "template", "vars", "subject", "sender", "not_before",
                               "expires_at", "priority", "night_consent", "carrier"}) {
    ASSERT_TRUE(Decode(WithField(key, "null"))) << key << ": " << error_.reason;
  }
}

TEST_F(JobDecoderTest, AcceptsEveryChannelCombinationWithItsContent) {
  const std::string json =
      R"({"id":"j","tenant":"t","to":"+821012345678","kind":"ad","template":"tpl","text":"t",)"
      R"("channels":["friendtalk","alimtalk","rcs","mms","lms","sms"]})";
  ASSERT_TRUE(Decode(json)) << error_.reason;
  EXPECT_EQ(job_.channels.size(), 6u);
  EXPECT_EQ(job_.channels.front(), Channel::kFriendtalk);
  EXPECT_EQ(job_.channels.back(), Channel::kSms);
}

TEST_F(JobDecoderTest, AcceptsWebhookChannelAndCarrierHint) {
  ASSERT_TRUE(Decode(R"({"id":"j","tenant":"t","to":"+821012345678","kind":"info",)"
                     R"("channels":["webhook"],"carrier":"lgu_plus-2"})"))
      << error_.reason;
  ASSERT_EQ(job_.channels.size(), 1u);
  EXPECT_EQ(job_.channels[0], Channel::kWebhook);
  EXPECT_EQ(job_.carrier, "lgu_plus-2");
  // The decoder is reused: a later job without the hint must not inherit it.
  ASSERT_TRUE(Decode(R"({"id":"k","tenant":"t","to":"+821012345678","kind":"info",)"
                     R"("channels":["webhook"]})"))
      << error_.reason;
  EXPECT_EQ(job_.carrier, "");
}

TEST_F(JobDecoderTest, AcceptsAlimtalkAloneWithoutText) {
  ASSERT_TRUE(Decode(R"({"id":"j","tenant":"t","to":"+821012345678","kind":"info",)"
                     R"("channels":["alimtalk"],"template":"tpl"})"))
      << error_.reason;
}

TEST_F(JobDecoderTest, AcceptsBoundaryLengthsOfIdAndTenant) {
  EXPECT_TRUE(Decode(WithField("id", "\"" + std::string(128, 'x') + "\""))) << error_.reason;
  EXPECT_TRUE(Decode(WithField("tenant", "\"" + std::string(64, 'a') + "\""))) << error_.reason;
  EXPECT_TRUE(Decode(WithField("tenant", R"("Shop_1.kr-x")"))) << error_.reason;
}

TEST_F(JobDecoderTest, AcceptsPriorityAcrossTheInt32Range) {
  ASSERT_TRUE(Decode(WithField("priority", "-2147483648"))) << error_.reason;
  EXPECT_EQ(job_.priority, INT32_MIN);
  ASSERT_TRUE(Decode(WithField("priority", "2147483647"))) << error_.reason;
  EXPECT_EQ(job_.priority, INT32_MAX);
}

TEST_F(JobDecoderTest, TurnsNumericVarsIntoTheirText) {
  ASSERT_TRUE(Decode(WithField("vars", R"({"a":-5,"b":18446744073709551615,"c":0.25,"d":1e3})")))
      << error_.reason;
  ASSERT_EQ(job_.vars.size(), 4u);
  EXPECT_EQ(job_.vars[0].second, "-5");
  EXPECT_EQ(job_.vars[1].second, "18446744073709551615");
  EXPECT_EQ(job_.vars[2].second, "0.25");
  EXPECT_EQ(job_.vars[3].second, "1000");
}

TEST_F(JobDecoderTest, AcceptsTimestampsInUtcAndWithFractions) {
  ASSERT_TRUE(Decode(WithField("not_before", R"("2026-11-23T00:00:00.250Z")"))) << error_.reason;
  EXPECT_EQ(job_.not_before_ms, 1795392000250);
}

TEST_F(JobDecoderTest, AcceptsAMessageOfExactlyTheSizeLimit) {
  const std::string json = PaddedTo(kMaxJobBytes);
  ASSERT_EQ(json.size(), kMaxJobBytes);
  EXPECT_TRUE(Decode(json)) << error_.reason;
}

TEST_F(JobDecoderTest, DecodesWithoutReadingPastTheGivenBytes) {
  // The payload is a slice of a larger buffer; the bytes after it must not matter.
  std::string buffer = std::string(kMinimalJob) + "} garbage";
  ASSERT_TRUE(Decode(std::string_view(buffer).substr(0, kMinimalJob.size()))) << error_.reason;
}

struct BadCase {
  std::string name;
  std::string json;
  std::string field;        // expected JobError::field
  std::string reason_part;  // a part of the reason
};

std::vector<BadCase> BadCases() {
  std::vector<BadCase> cases = {
      // The message as a whole.
      {"empty", "", "", "empty"},
      {"null", "null", "", "not a JSON object"},
      {"array", R"([{"id":"j1"}])", "", "not a JSON object, found an array"},
      {"string", R"("job")", "", "not a JSON object"},
      {"number", "42", "", "not a JSON object"},
      {"whitespace", "   ", "", "invalid JSON"},
      {"trailing garbage", std::string(kMinimalJob) + "x", "", "invalid JSON"},
      {"two objects", std::string(kMinimalJob) + std::string(kMinimalJob), "", "invalid JSON"},
      {"single quotes", "{'id':'j1'}", "", "invalid JSON"},
      {"trailing comma", R"({"id":"j1",})", "", "invalid JSON"},
      {"unquoted key", R"({id:"j1"})", "", "invalid JSON"},
      {"raw control char in string", WithField("text", "\"a\x01z\""), "", "invalid JSON"},
      {"lone high surrogate escape", WithField("text", R"("\ud800")"), "", "invalid JSON"},
      {"lone low surrogate escape", WithField("text", R"("\udc00")"), "", "invalid JSON"},
      {"bad escape", WithField("text", R"("\x41")"), "", "invalid JSON"},
      {"huge number", WithField("x", "1e999"), "", "invalid JSON"},
      // Invalid UTF-8, in strings and outside them.
      {"0xff in a string", WithField("text", "\"a\xff\""), "", "not valid UTF-8"},
      {"truncated 2-byte sequence", WithField("text", "\"\xc3\""), "", "not valid UTF-8"},
      {"truncated 3-byte sequence", WithField("text", "\"\xec\x95\""), "", "not valid UTF-8"},
      {"stray continuation byte", WithField("text", "\"\x80\""), "", "not valid UTF-8"},
      {"overlong slash", WithField("text", "\"\xc0\xaf\""), "", "not valid UTF-8"},
      {"overlong 3-byte", WithField("text", "\"\xe0\x80\xaf\""), "", "not valid UTF-8"},
      {"encoded surrogate", WithField("text", "\"\xed\xa0\x80\""), "", "not valid UTF-8"},
      {"above U+10FFFF", WithField("text", "\"\xf4\x90\x80\x80\""), "", "not valid UTF-8"},
      {"5-byte form", WithField("text", "\"\xf8\x88\x80\x80\x80\""), "", "not valid UTF-8"},
      {"invalid byte in a key", WithField("\xfe", "1"), "", "not valid UTF-8"},
      {"invalid byte outside strings", std::string(kMinimalJob) + "\xff", "", "not valid UTF-8"},
      {"64 KiB + 1", PaddedTo(kMaxJobBytes + 1), "", "message is 65537 bytes, over the limit of 65536 bytes"},
      {"1 MiB", PaddedTo(1 << 20), "", "over the limit of 65536 bytes"},
      // id
      {"id as number", WithField("id", "1"), "id", "field 'id': expected a string"},
      {"id as null", WithField("id", "null"), "id", "field 'id': expected a string"},
      {"id empty", WithField("id", R"("")"), "id", "field 'id': must not be empty"},
      {"id 129 bytes", WithField("id", "\"" + std::string(129, 'x') + "\""), "id",
       "field 'id': longer than 128 bytes"},
      // tenant
      {"tenant as array", WithField("tenant", R"(["t"])"), "tenant", "field 'tenant': expected a string"},
      {"tenant empty", WithField("tenant", R"("")"), "tenant", "field 'tenant': must not be empty"},
      {"tenant 65 bytes", WithField("tenant", "\"" + std::string(65, 'a') + "\""), "tenant",
       "field 'tenant': longer than 64 bytes"},
      {"tenant with space", WithField("tenant", R"("shop 1")"), "tenant", "field 'tenant': only"},
      {"tenant with slash", WithField("tenant", R"("shop/1")"), "tenant", "field 'tenant': only"},
      {"tenant with colon", WithField("tenant", R"("a:b")"), "tenant", "field 'tenant': only"},
      {"tenant in Hangul", WithField("tenant", R"("상점")"), "tenant", "field 'tenant': only"},
      // to
      {"to as number", WithField("to", "821012345678"), "to", "field 'to': expected a string"},
      {"to without plus", WithField("to", R"("821012345678")"), "to", "field 'to': not an E.164 number"},
      {"to national format", WithField("to", R"("010-1234-5678")"), "to", "not an E.164 number"},
      {"to with leading zero", WithField("to", R"("+0821012345678")"), "to", "not an E.164 number"},
      {"to too short", WithField("to", R"("+8210123")"), "to", "not an E.164 number"},
      {"to too long", WithField("to", R"("+8210123456789012")"), "to", "not an E.164 number"},
      {"to with spaces", WithField("to", R"("+82 10 1234 5678")"), "to", "not an E.164 number"},
      {"to with dashes", WithField("to", R"("+82-10-1234-5678")"), "to", "not an E.164 number"},
      {"to with letters", WithField("to", R"("+82101234567a")"), "to", "not an E.164 number"},
      {"to plus only", WithField("to", R"("+")"), "to", "not an E.164 number"},
      {"to empty", WithField("to", R"("")"), "to", "not an E.164 number"},
      {"to with full-width digits", WithField("to", R"("+８２１０１２３４５６７８")"), "to",
       "not an E.164 number"},
      {"to with NUL", WithField("to", R"("+821012345678\u0000")"), "to", "not an E.164 number"},
      // channels
      {"channels as string", WithField("channels", R"("sms")"), "channels",
       "field 'channels': expected an array of strings"},
      {"channels as object", WithField("channels", R"({"sms":1})"), "channels",
       "field 'channels': expected an array of strings"},
      {"channels with a number", WithField("channels", R"(["sms",1])"), "channels",
       "field 'channels': expected an array of strings"},
      {"channels with nested array", WithField("channels", R"([["sms"]])"), "channels",
       "field 'channels': expected an array of strings"},
      {"channels empty", WithField("channels", "[]"), "channels", "field 'channels': must not be empty"},
      {"channels unknown", WithField("channels", R"(["sms","fax"])"), "channels",
       "field 'channels': unknown channel \"fax\""},
      {"channels upper case", WithField("channels", R"(["SMS"])"), "channels", "unknown channel \"SMS\""},
      {"channels duplicate", WithField("channels", R"(["sms","lms","sms"])"), "channels",
       "field 'channels': channel \"sms\" appears twice"},
      {"channels eight", WithField("channels", R"(["sms","lms","mms","rcs","alimtalk","friendtalk","webhook","sms"])"),
       "channels", "field 'channels': more than 7 channels"},
      // carrier hint
      {"carrier upper case", WithField("carrier", R"("SKT")"), "carrier", "field 'carrier': expected 1 to 32"},
      {"carrier empty", WithField("carrier", R"("")"), "carrier", "field 'carrier'"},
      {"carrier as number", WithField("carrier", "5"), "carrier", "field 'carrier': expected a string"},
      {"carrier too long", WithField("carrier", R"("abcdefghijklmnopqrstuvwxyz0123456")"), "carrier",
       "field 'carrier'"},
      // kind
      {"kind unknown", WithField("kind", R"("promo")"), "kind", "field 'kind': expected \"info\" or \"ad\""},
      {"kind upper case", WithField("kind", R"("AD")"), "kind", "field 'kind'"},
      {"kind as bool", WithField("kind", "true"), "kind", "field 'kind'"},
      {"friendtalk with info",
       R"({"id":"j","tenant":"t","to":"+821012345678","channels":["friendtalk"],"kind":"info","template":"t"})",
       "channels", "friendtalk is allowed only for kind \"ad\""},
      // content the channels need
      {"sms without text", WithoutField("text"), "text", "field 'text': required (non-empty) by channel 'sms'"},
      {"sms with empty text", WithField("text", R"("")"), "text", "field 'text'"},
      {"lms without text", R"({"id":"j","tenant":"t","to":"+821012345678","channels":["lms"],"kind":"info"})",
       "text", "channel 'lms'"},
      {"alimtalk without template", WithField("channels", R"(["alimtalk"])"), "template",
       "field 'template': required (non-empty) by channel 'alimtalk'"},
      {"rcs with empty template",
       R"({"id":"j","tenant":"t","to":"+821012345678","channels":["rcs"],"kind":"info","template":""})",
       "template", "channel 'rcs'"},
      {"alimtalk then sms without text",
       R"({"id":"j","tenant":"t","to":"+821012345678","channels":["alimtalk","sms"],"kind":"info","template":"t"})",
       "text", "channel 'sms'"},
      // optional fields with the wrong type
      {"text as number", WithField("text", "5"), "text", "field 'text': expected a string"},
      {"template as object", WithField("template", "{}"), "template", "field 'template': expected a string"},
      {"campaign as number", WithField("campaign", "42"), "campaign", "field 'campaign': expected a string"},
      {"subject as bool", WithField("subject", "false"), "subject", "field 'subject': expected a string"},
      {"sender as number", WithField("sender", "215881234"), "sender", "field 'sender': expected a string"},
      {"sender with dashes", WithField("sender", R"("02-1588-1234")"), "sender", "field 'sender': expected 3 to 16 digits"},
      {"sender too short", WithField("sender", R"("12")"), "sender", "field 'sender'"},
      {"sender too long", WithField("sender", R"("12345678901234567")"), "sender", "field 'sender'"},
      {"sender with plus", WithField("sender", R"("+8215881234")"), "sender", "field 'sender'"},
      {"vars as array", WithField("vars", R"(["a"])"), "vars", "field 'vars': expected an object of strings"},
      {"vars as string", WithField("vars", R"("a")"), "vars", "field 'vars': expected an object"},
      {"vars with bool", WithField("vars", R"({"a":true})"), "vars",
       "field 'vars': value of \"a\" must be a string or a number, found a boolean"},
      {"vars with null", WithField("vars", R"({"a":null})"), "vars", "field 'vars'"},
      {"vars with object", WithField("vars", R"({"a":{}})"), "vars", "field 'vars'"},
      {"priority as string", WithField("priority", R"("1")"), "priority", "field 'priority': expected an integer"},
      {"priority as fraction", WithField("priority", "1.5"), "priority", "field 'priority': expected an integer"},
      {"priority as 1.0", WithField("priority", "1.0"), "priority", "field 'priority': expected an integer"},
      {"priority too big", WithField("priority", "2147483648"), "priority", "field 'priority': out of range"},
      {"priority too small", WithField("priority", "-2147483649"), "priority", "out of range"},
      {"priority above int64", WithField("priority", "18446744073709551615"), "priority", "out of range"},
      {"night_consent as string", WithField("night_consent", R"("true")"), "night_consent",
       "field 'night_consent': expected true or false"},
      {"night_consent as 1", WithField("night_consent", "1"), "night_consent", "field 'night_consent'"},
  };
  // Each required field missing.
  for (std::string_view key : {"id", "tenant", "to", "channels", "kind"}) {
    cases.push_back({"missing " + std::string(key), WithoutField(key), std::string(key),
                     "field '" + std::string(key) + "': required but missing"});
  }
  // Bad timestamps, for both timestamp fields.
  for (std::string_view key : {"not_before", "expires_at"}) {
    const std::string prefix = "field '" + std::string(key) + "': not an RFC 3339 timestamp";
    for (std::string_view bad : {
             R"("2026-11-23T09:00:00")",        // no offset
             R"("2026-11-23 09:00")",           // no seconds
             R"("2026-11-23")",                 // date only
             R"("2026-13-01T00:00:00Z")",       // month 13
             R"("2026-02-29T00:00:00Z")",       // not a leap year
             R"("2026-04-31T00:00:00Z")",       // 30-day month
             R"("2026-11-23T24:00:00Z")",       // hour 24
             R"("2026-11-23T09:60:00Z")",       // minute 60
             R"("2026-11-23T09:00:61Z")",       // second 61
             R"("2026-11-23T09:00:00+0900")",   // offset without colon
             R"("2026-11-23T09:00:00+09")",     // short offset
             R"("2026-11-23T09:00:00.Z")",      // fraction without digits
             R"("2026-11-23T09:00:00Zjunk")",   // trailing bytes
             R"("26-11-23T09:00:00Z")",         // two-digit year
             R"("２026-11-23T09:00:00Z")",      // full-width digit
             R"("")",                           // empty
             R"("1795392000000")",              // epoch ms as a string
         }) {
      cases.push_back({std::string(key) + " " + std::string(bad), WithField(key, bad),
                       std::string(key), prefix});
    }
    cases.push_back({std::string(key) + " as number", WithField(key, "1795392000000"),
                     std::string(key), "field '" + std::string(key) + "': expected a string"});
  }
  return cases;
}

TEST_F(JobDecoderTest, RejectsEveryBadInputWithAReasonNamingTheField) {
  for (const BadCase& c : BadCases()) {
    SCOPED_TRACE(c.name + ": " + c.json.substr(0, 200));
    error_ = {};
    EXPECT_FALSE(Decode(c.json));
    EXPECT_EQ(error_.field, c.field);
    EXPECT_THAT(error_.reason, HasSubstr(c.reason_part));
    if (!c.field.empty()) {
      EXPECT_THAT(error_.reason, StartsWith("field '" + c.field + "': "));
    }
  }
}

TEST_F(JobDecoderTest, ReportsTheByteOffsetOfInvalidUtf8) {
  const std::string json = R"({"id":"j)" "\xff" R"("})";
  ASSERT_FALSE(Decode(json));
  EXPECT_EQ(error_.reason, "message is not valid UTF-8 at byte 8");
}

TEST_F(JobDecoderTest, RejectsEveryTruncationOfAGoodJob) {
  for (size_t length = 0; length < kFullJob.size(); ++length) {
    error_ = {};
    EXPECT_FALSE(Decode(kFullJob.substr(0, length))) << "prefix of " << length << " bytes";
    EXPECT_FALSE(error_.reason.empty()) << length;
  }
  // A truncation in the middle of a multi-byte character is a UTF-8 error, not a crash.
  const size_t hangul = kFullJob.find("홍");
  ASSERT_FALSE(Decode(kFullJob.substr(0, hangul + 1)));
}

TEST_F(JobDecoderTest, RejectsEveryTruncationOfAGoodJobThatEndsInItsPadding) {
  // Truncations whose buffer is followed by more bytes of the job: the decoder must
  // parse only the given length.
  std::string buffer(kFullJob);
  for (size_t length = 1; length < kFullJob.size(); length += 7) {
    EXPECT_FALSE(Decode(std::string_view(buffer).substr(0, length))) << length;
  }
}

TEST_F(JobDecoderTest, ReturnsTheFirstErrorInDocumentOrder) {
  ASSERT_FALSE(Decode(R"({"id":1,"tenant":2})"));
  EXPECT_EQ(error_.field, "id");
}

TEST_F(JobDecoderTest, NeverCrashesOnArbitraryBytes) {
  // A cheap deterministic sweep; the fuzz target in tests/fuzz goes much further.
  uint32_t state = 12345;
  std::string bytes;
  for (int round = 0; round < 2000; ++round) {
    bytes.assign(kFullJob);
    for (int flips = 0; flips < 4; ++flips) {
      state = state * 1664525u + 1013904223u;
      bytes[(state >> 8) % bytes.size()] = static_cast<char>(state >> 24);
    }
    (void)Decode(bytes);
  }
}

TEST(IsE164Test, AcceptsPlusAndEightToFifteenDigitsStartingNonZero) {
  EXPECT_TRUE(IsE164("+821012345678"));
  EXPECT_TRUE(IsE164("+12025550123"));
  EXPECT_TRUE(IsE164("+12345678"));         // 8 digits
  EXPECT_TRUE(IsE164("+123456789012345"));  // 15 digits
  EXPECT_FALSE(IsE164("+1234567"));         // 7 digits
  EXPECT_FALSE(IsE164("+1234567890123456"));
  EXPECT_FALSE(IsE164("+0123456789"));
  EXPECT_FALSE(IsE164("821012345678"));
  EXPECT_FALSE(IsE164(""));
  EXPECT_FALSE(IsE164("++821012345678"));
}

}  // namespace
}  // namespace bulkd::core
