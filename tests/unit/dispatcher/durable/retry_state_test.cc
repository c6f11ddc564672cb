#include "dispatcher/durable/retry_state.h"

#include <gtest/gtest.h>

#include <string>

namespace bulkd::dispatcher {
namespace {

TEST(RetryStateTest, EncodesAndParsesBack) {
  RetryState s;
  s.retry = 3;
  s.channel_index = 1;
  s.attempt = 2;
  s.total_attempts = 7;
  s.first_attempt_ms = 1796405533388;
  s.due_ms = 1796405535388;
  const std::string header = EncodeRetryHeader(s);
  EXPECT_EQ(header, "v1 3 1 2 7 1796405533388 1796405535388");
  const auto parsed = ParseRetryHeader(header);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->retry, 3u);
  EXPECT_EQ(parsed->channel_index, 1u);
  EXPECT_EQ(parsed->attempt, 2u);
  EXPECT_EQ(parsed->total_attempts, 7u);
  EXPECT_EQ(parsed->first_attempt_ms, 1796405533388);
  EXPECT_EQ(parsed->due_ms, 1796405535388);
}

TEST(RetryStateTest, RefusesEverythingElse) {
  for (const char* bad : {
           "",
           "v1",
           "v1 ",
           "v2 1 0 1 1 0 0",             // unknown version
           "v1 0 0 1 1 0 0",             // retry 0 is the original record, never a header
           "v1 1 0 1 1 0",               // a field missing
           "v1 1 0 1 1 0 0 0",           // one too many
           "v1 1 0 1 1 0 0 ",            // trailing space
           "v1  1 0 1 1 0 0",            // double space
           "v1 1 0 1 1 -5 0",            // negative time
           "v1 -1 0 1 1 0 0",            // negative retry
           "v1 +1 0 1 1 0 0",            // sign
           "v1 1 0 1 1 0 x",             // not a number
           "v1 1 0 1 1 0 000",           // leading zeros: another spelling of 0
           "v1 1 0 1 1 0 -0",            // a sign: another spelling of 0
           "v1 4294967296 0 1 1 0 0",    // over 32 bits
           "v1 1 0 1 1 0 99999999999999999999",  // over 64 bits
       }) {
    EXPECT_FALSE(ParseRetryHeader(bad)) << '"' << bad << '"';
  }
  EXPECT_FALSE(ParseRetryHeader(std::string("v1 1 0 1 1 0 0\0", 15)));  // embedded NUL
  EXPECT_FALSE(ParseRetryHeader("v1 1 0 1 1 0 " + std::string(200, '1')));  // too long
}

}  // namespace
}  // namespace bulkd::dispatcher
