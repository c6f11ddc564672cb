#include "core/time_parse.h"

#include <gtest/gtest.h>

namespace bulkd::core {
namespace {

TEST(ParseRfc3339MsTest, ConvertsOffsetsToUtcEpochMilliseconds) {
  EXPECT_EQ(ParseRfc3339Ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339Ms("2026-11-23T09:00:00+09:00"), 1795392000000);
  EXPECT_EQ(ParseRfc3339Ms("2026-11-23T00:00:00Z"), 1795392000000);
  EXPECT_EQ(ParseRfc3339Ms("2026-11-22T19:00:00-05:00"), 1795392000000);
  EXPECT_EQ(ParseRfc3339Ms("2026-11-23T05:30:00+05:30"), 1795392000000);
  EXPECT_EQ(ParseRfc3339Ms("2026-11-23T00:00:00+00:00"), 1795392000000);
  EXPECT_EQ(ParseRfc3339Ms("2026-11-23T00:00:00-00:00"), 1795392000000);
}

TEST(ParseRfc3339MsTest, AcceptsLowerCaseSeparatorsAndASpace) {
  EXPECT_EQ(ParseRfc3339Ms("2026-11-23t00:00:00z"), 1795392000000);
  EXPECT_EQ(ParseRfc3339Ms("2026-11-23 00:00:00Z"), 1795392000000);
}

TEST(ParseRfc3339MsTest, TruncatesFractionalSecondsToMilliseconds) {
  EXPECT_EQ(ParseRfc3339Ms("1970-01-01T00:00:00.5Z"), 500);
  EXPECT_EQ(ParseRfc3339Ms("1970-01-01T00:00:00.25Z"), 250);
  EXPECT_EQ(ParseRfc3339Ms("1970-01-01T00:00:00.123Z"), 123);
  EXPECT_EQ(ParseRfc3339Ms("1970-01-01T00:00:00.123999999Z"), 123);
  EXPECT_EQ(ParseRfc3339Ms("1970-01-01T09:00:00.001+09:00"), 1);
}

TEST(ParseRfc3339MsTest, HandlesLeapYearsAndDatesBeforeTheEpoch) {
  EXPECT_EQ(ParseRfc3339Ms("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_EQ(ParseRfc3339Ms("2000-02-29T00:00:00Z"), 951782400000);
  EXPECT_FALSE(ParseRfc3339Ms("1900-02-29T00:00:00Z"));
  EXPECT_EQ(ParseRfc3339Ms("1969-12-31T23:59:59Z"), -1000);
  EXPECT_EQ(ParseRfc3339Ms("9999-12-31T23:59:59Z"), 253402300799000);
}

TEST(ParseRfc3339MsTest, CountsALeapSecondAsTheNextSecond) {
  EXPECT_EQ(ParseRfc3339Ms("2016-12-31T23:59:60Z"), ParseRfc3339Ms("2017-01-01T00:00:00Z"));
}

TEST(ParseRfc3339MsTest, RejectsMalformedTimestamps) {
  for (std::string_view bad : {
           "", "2026", "2026-11-23", "2026-11-23T09:00:00", "2026-11-23T09:00Z",
           "2026-11-23T09:00:00+09", "2026-11-23T09:00:00+0900", "2026-11-23T09:00:00+24:00",
           "2026-11-23T09:00:00+09:60", "2026-00-10T00:00:00Z", "2026-13-10T00:00:00Z",
           "2026-11-00T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-23T24:00:00Z",
           "2026-11-23T23:60:00Z", "2026-11-23T23:59:61Z", "2026-11-23T09:00:00.Z",
           "2026-11-23T09:00:00Z ", " 2026-11-23T09:00:00Z", "2026/11/23T09:00:00Z",
           "2026-11-23X09:00:00Z", "+2026-11-23T09:00:00Z", "2026-1-23T09:00:00Z",
           "2026-11-23T09:00:00UTC", "2026-11-23T09:00:00+09:00:00", "abcd-ef-ghTij:kl:mnZ",
       }) {
    EXPECT_FALSE(ParseRfc3339Ms(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(DaysFromCivilTest, CountsDaysFromTheUnixEpoch) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1970, 1, 2), 1);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
}

}  // namespace
}  // namespace bulkd::core
