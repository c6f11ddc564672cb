#include "core/job.h"

#include <gtest/gtest.h>

namespace bulkd::core {
namespace {

TEST(JobTest, EveryChannelNameRoundTrips) {
  for (Channel channel : kAllChannels) {
    auto parsed = ChannelFromString(ToString(channel));
    ASSERT_TRUE(parsed.has_value()) << ToString(channel);
    EXPECT_EQ(*parsed, channel);
  }
}

TEST(JobTest, ChannelNamesUseTheContractSpelling) {
  EXPECT_EQ(ToString(Channel::kSms), "sms");
  EXPECT_EQ(ToString(Channel::kLms), "lms");
  EXPECT_EQ(ToString(Channel::kMms), "mms");
  EXPECT_EQ(ToString(Channel::kAlimtalk), "alimtalk");
  EXPECT_EQ(ToString(Channel::kFriendtalk), "friendtalk");
  EXPECT_EQ(ToString(Channel::kRcs), "rcs");
}

TEST(JobTest, UnknownOrMiscasedChannelNamesAreRejected) {
  using namespace std::string_view_literals;
  for (std::string_view name : {""sv, "SMS"sv, "Sms"sv, "sms "sv, " sms"sv, "kakao"sv, "alimtalk2"sv, "fax"sv,
                                "sms\0"sv}) {
    EXPECT_FALSE(ChannelFromString(name).has_value()) << name;
  }
}

TEST(JobTest, KindNamesUseTheContractSpelling) {
  EXPECT_EQ(ToString(JobKind::kInfo), "info");
  EXPECT_EQ(ToString(JobKind::kAd), "ad");
}

}  // namespace
}  // namespace bulkd::core
