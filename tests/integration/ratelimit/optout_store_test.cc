// OptOutStore against a real redis-server, and the number checks it relies on.
#include "ratelimit/optout_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "tests/support/redis_server.h"

namespace bulkd::ratelimit {
namespace {

using testing::RedisServer;

class OptOutStoreTest : public ::testing::Test {
 protected:
  OptOutStoreTest() : redis_(Options()), store_(redis_, "t1:") {}
  RedisOptions Options() {
    RedisOptions o;
    o.host = server_.host();
    o.port = server_.port();
    return o;
  }
  RedisServer server_;
  RedisConnection redis_;
  OptOutStore store_;
};

TEST(NumberTest, NormalizesSeparatorsInternationalPrefixAndDomesticNumbers) {
  EXPECT_EQ(NormalizeNumber("+82 10-1234-5678"), "+821012345678");
  EXPECT_EQ(NormalizeNumber("0082 10 1234 5678"), "+821012345678");
  EXPECT_EQ(NormalizeNumber("010-1234-5678", "82"), "+821012345678");
  EXPECT_EQ(NormalizeNumber("010-1234-5678"), std::nullopt);
  EXPECT_EQ(NormalizeNumber("(02) 1588-1234", "82"), "+8221588123" "4");
  EXPECT_EQ(NormalizeNumber("hello"), std::nullopt);
  EXPECT_EQ(NormalizeNumber("+6831234"), std::nullopt);  // 7 digits: below core::IsE164
  EXPECT_EQ(NormalizeNumber("+1234567890123456"), std::nullopt);  // 16 digits
}

TEST_F(OptOutStoreTest, AddContainsRemoveAndGlobal) {
  const std::vector<std::string> numbers = {"+821011112222", "+821033334444"};
  auto added = store_.Add("shop1", numbers);
  ASSERT_TRUE(added);
  EXPECT_EQ(added.value(), 2u);
  EXPECT_EQ(store_.Add("shop1", numbers).value(), 0u);
  EXPECT_EQ(server_.Command({"SCARD", "t1:optout:shop1"}), "2");
  ASSERT_TRUE(store_.Add(kGlobalTenant, std::vector<std::string>{"+821055556666"}));

  const std::vector<std::string> probe = {"+821011112222", "+821055556666", "+821077778888"};
  auto in_shop1 = store_.Contains("shop1", probe);
  ASSERT_TRUE(in_shop1);
  EXPECT_EQ(in_shop1.value(), (std::vector<bool>{true, true, false}));
  auto in_shop2 = store_.Contains("shop2", probe);
  EXPECT_EQ(in_shop2.value(), (std::vector<bool>{false, true, false}));

  EXPECT_EQ(store_.Remove("shop1", probe).value(), 1u);
  EXPECT_EQ(store_.Count("shop1").value(), 1u);
  EXPECT_EQ(redis_.stats().round_trips.load(), 7u);  // one per call
}

TEST_F(OptOutStoreTest, AddRejectsInvalidNumbersWithoutAddingAny) {
  auto added = store_.Add("shop1", std::vector<std::string>{"+821011112222", "01012345678"});
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error(), std::errc::invalid_argument);
  EXPECT_EQ(store_.Count("shop1").value(), 0u);
}

TEST_F(OptOutStoreTest, LargeListsAreChunkedInOneRoundTrip) {
  std::vector<std::string> numbers;
  for (int i = 0; i < 2500; ++i) numbers.push_back("+8210" + std::to_string(10000000 + i));
  EXPECT_EQ(store_.Add("shop1", numbers).value(), 2500u);
  auto contains = store_.Contains("shop1", numbers);
  ASSERT_TRUE(contains);
  EXPECT_EQ(std::count(contains.value().begin(), contains.value().end(), true), 2500);
  EXPECT_EQ(redis_.stats().round_trips.load(), 2u);
}

TEST_F(OptOutStoreTest, ImportReportsBadLinesByNumberAndAddsTheRest) {
  std::istringstream csv(
      "\xEF\xBB\xBFphone,name\r\n"
      "010-1111-2222,kim\r\n"
      "\r\n"
      "# comment\n"
      "+82 10 3333 4444,lee\n"
      "not-a-number,park\n"
      ",empty\n"
      "010-1111-2222,dup\n"
      "12345,short\n");
  ImportOptions options;
  options.default_country_code = "82";
  options.batch_size = 2;
  auto report = store_.Import("shop1", csv, options);
  ASSERT_TRUE(report);
  EXPECT_EQ(report.value().lines, 9u);
  EXPECT_EQ(report.value().added, 2u);
  EXPECT_EQ(report.value().already_present, 1u);
  ASSERT_EQ(report.value().bad.size(), 3u);
  EXPECT_EQ(report.value().bad[0].line, 6u);
  EXPECT_EQ(report.value().bad[1].line, 7u);
  EXPECT_EQ(report.value().bad[2].line, 9u);
  EXPECT_EQ(report.value().bad[0].reason.find("park"), std::string::npos);
  EXPECT_EQ(server_.Command({"SISMEMBER", "t1:optout:shop1", "+821011112222"}), "1");
}

TEST_F(OptOutStoreTest, ImportWithoutCountryCodeExplainsDomesticNumbers) {
  std::istringstream csv("01011112222\n+821033334444\n");
  auto report = store_.Import("shop1", csv);
  ASSERT_TRUE(report);
  ASSERT_EQ(report.value().bad.size(), 1u);
  EXPECT_EQ(report.value().bad[0].line, 1u);
  EXPECT_NE(report.value().bad[0].reason.find("country code"), std::string::npos);
  EXPECT_EQ(report.value().added, 1u);
}

TEST_F(OptOutStoreTest, ExportWritesEveryNumber) {
  std::vector<std::string> numbers;
  for (int i = 0; i < 3000; ++i) numbers.push_back("+8210" + std::to_string(20000000 + i));
  ASSERT_TRUE(store_.Add("shop1", numbers));
  std::ostringstream out;
  auto written = store_.Export("shop1", out);
  ASSERT_TRUE(written);
  std::vector<std::string> lines;
  std::istringstream in(out.str());
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  std::sort(numbers.begin(), numbers.end());
  EXPECT_GE(written.value(), 3000u);  // SSCAN may repeat an element while rehashing
  EXPECT_EQ(lines, numbers);
}

TEST_F(OptOutStoreTest, RedisDownIsARetryableError) {
  server_.Kill();
  auto added = store_.Add("shop1", std::vector<std::string>{"+821011112222"});
  ASSERT_FALSE(added);
  EXPECT_TRUE(IsRetryable(added.error()));
}

}  // namespace
}  // namespace bulkd::ratelimit
