#include "core/event.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

namespace bulkd::core {
namespace {

constexpr EventType kAllEventTypes[] = {
    EventType::kSubmitted, EventType::kDelivered, EventType::kUndelivered, EventType::kDeferred,
    EventType::kRetrying,  EventType::kFallback,  EventType::kSuppressed,  EventType::kExpired,
    EventType::kFailed,    EventType::kDead,
};

// Parses `json` with simdjson and returns the string member `key` ("<error>" if absent).
std::string StringMember(const std::string& json, const char* key) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json).get(root) != simdjson::SUCCESS) return "<invalid JSON>";
  std::string_view value;
  if (root[key].get_string().get(value) != simdjson::SUCCESS) return "<error>";
  return std::string(value);
}

TEST(EventTest, EventTypesUseTheContractSpelling) {
  const char* expected[] = {"submitted", "delivered", "undelivered", "deferred", "retrying",
                            "fallback",  "suppressed", "expired",    "failed",   "dead"};
  for (size_t i = 0; i < std::size(kAllEventTypes); ++i) {
    EXPECT_EQ(ToString(kAllEventTypes[i]), expected[i]);
  }
}

TEST(EventTest, ExactlyTheContractsTerminalEventsAreTerminal) {
  for (EventType type : kAllEventTypes) {
    const std::string_view name = ToString(type);
    const bool terminal = name == "delivered" || name == "undelivered" || name == "failed" ||
                          name == "suppressed" || name == "expired" || name == "dead";
    EXPECT_EQ(IsTerminal(type), terminal) << name;
  }
}

TEST(EventTest, WritesEveryFieldInContractOrderWithAnIntegerTimestamp) {
  Event event;
  event.id = "cmp42-000001";
  event.tenant = "shop1";
  event.campaign = "cmp42";
  event.type = EventType::kDelivered;
  event.channel = "sms";
  event.provider = "smpp-a";
  event.attempt = 2;
  event.code = "DELIVRD";
  event.detail = "ok";
  event.ts_ms = 1795392000123;
  std::string out;
  AppendEventJson(event, out);
  EXPECT_EQ(out,
            R"({"id":"cmp42-000001","tenant":"shop1","campaign":"cmp42","event":"delivered",)"
            R"("channel":"sms","provider":"smpp-a","attempt":2,"code":"DELIVRD","detail":"ok",)"
            R"("ts":1795392000123})");
}

TEST(EventTest, AppendsToExistingContentWithoutANewline) {
  std::string out = "prefix|";
  AppendEventJson(Event{}, out);
  EXPECT_EQ(out.rfind("prefix|{", 0), 0u);
  EXPECT_EQ(out.back(), '}');
}

TEST(EventTest, EscapesQuotesBackslashesAndControlCharacters) {
  Event event;
  event.detail = std::string_view("a\"b\\c\nd\re\tf\bg\fh\x01i\x1fj\0k", 21);
  std::string out;
  AppendEventJson(event, out);
  EXPECT_NE(out.find(R"("detail":"a\"b\\c\nd\re\tf\bg\fh\u0001i\u001fj\u0000k")"), std::string::npos)
      << out;
}

TEST(EventTest, RoundTripsThroughAJsonParser) {
  const std::string detail = std::string("line1\nline2 \"quoted\" \\ tab\t ") + '\0' +
                             " \x7f 한글 \xF0\x9F\x98\x80 </script>";
  Event event;
  event.id = "id-\"1\"";
  event.tenant = "t";
  event.detail = detail;
  event.code = "0x00000058";
  event.ts_ms = -1;
  std::string out;
  AppendEventJson(event, out);
  EXPECT_EQ(StringMember(out, "detail"), detail);
  EXPECT_EQ(StringMember(out, "id"), "id-\"1\"");
  EXPECT_EQ(StringMember(out, "code"), "0x00000058");
  EXPECT_EQ(StringMember(out, "event"), "submitted");

  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(out).get(root), simdjson::SUCCESS);
  int64_t ts = 0;
  uint64_t attempt = 99;
  ASSERT_EQ(root["ts"].get_int64().get(ts), simdjson::SUCCESS);
  ASSERT_EQ(root["attempt"].get_uint64().get(attempt), simdjson::SUCCESS);
  EXPECT_EQ(ts, -1);
  EXPECT_EQ(attempt, 0u);
}

TEST(EventTest, ReplacesInvalidUtf8SoTheOutputStaysValidJson) {
  Event event;
  event.detail = "bad \xff byte \xc3 and \xed\xa0\x80 surrogate";
  std::string out;
  AppendEventJson(event, out);
  EXPECT_TRUE(simdjson::validate_utf8(out.data(), out.size()));
  EXPECT_EQ(StringMember(out, "detail"),
            "bad \xEF\xBF\xBD byte \xEF\xBF\xBD and \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD surrogate");
}

TEST(EventTest, WritesExtremeNumbersExactly) {
  Event event;
  event.attempt = UINT32_MAX;
  event.ts_ms = INT64_MAX;
  std::string out;
  AppendEventJson(event, out);
  EXPECT_NE(out.find(R"("attempt":4294967295,)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("ts":9223372036854775807})"), std::string::npos) << out;
}

}  // namespace
}  // namespace bulkd::core
