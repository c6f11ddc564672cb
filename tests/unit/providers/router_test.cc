// The provider router: smooth weighted round robin per channel, skipping unavailable
// providers, carrier-tagged providers first for a matching carrier, default ones else.
#include "providers/router.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bulkd::providers {
namespace {

using core::Channel;

// A provider that is only a name: the router never calls anything else on it.
class NamedProvider final : public Provider {
 public:
  explicit NamedProvider(std::string name) : name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  bool Serves(Channel) const override { return true; }
  void Start(ReportHandler) override {}
  void Stop() override {}
  bool Send(uint64_t, const core::Job&, Channel) override { return true; }
  bool ready() const override { return true; }
  size_t inflight() const override { return 0; }

 private:
  std::string name_;
};

const auto kAll = [](const Provider&) { return true; };

std::map<std::string, int> Count(Router& router, Channel channel, std::string_view carrier,
                                 int picks, Router::AvailableFn available) {
  std::map<std::string, int> counts;
  for (int i = 0; i < picks; ++i) {
    Provider* p = router.Pick(channel, carrier, available);
    counts[p ? std::string(p->name()) : "<none>"]++;
  }
  return counts;
}

TEST(RouterTest, WeightsThreeToOneGiveSeventyFiveToTwentyFiveOverAThousandPicks) {
  NamedProvider a("a"), b("b");
  Router router;
  router.Add(a, {Channel::kSms}, "", 3);
  router.Add(b, {Channel::kSms}, "", 1);
  auto counts = Count(router, Channel::kSms, "", 1000, kAll);
  EXPECT_EQ(counts["a"], 750);
  EXPECT_EQ(counts["b"], 250);
  EXPECT_EQ(counts.count("<none>"), 0u);
}

TEST(RouterTest, SpreadsPicksInsteadOfBursts) {
  NamedProvider a("a"), b("b");
  Router router;
  router.Add(a, {Channel::kSms}, "", 3);
  router.Add(b, {Channel::kSms}, "", 1);
  // Smooth WRR for 3:1 is a a b a, repeating: b never waits more than three picks.
  std::string sequence;
  for (int i = 0; i < 8; ++i) sequence += router.Pick(Channel::kSms, "", kAll)->name();
  EXPECT_EQ(sequence, "aabaaaba");
}

TEST(RouterTest, IsDeterministic) {
  NamedProvider a("a"), b("b"), c("c");
  auto run = [&] {
    Router router;
    router.Add(a, {Channel::kSms}, "", 5);
    router.Add(b, {Channel::kSms}, "", 2);
    router.Add(c, {Channel::kSms}, "", 2);
    std::string sequence;
    for (int i = 0; i < 90; ++i) sequence += router.Pick(Channel::kSms, "", kAll)->name();
    return sequence;
  };
  const std::string first = run();
  EXPECT_EQ(first, run());
  EXPECT_EQ(std::count(first.begin(), first.end(), 'a'), 50);
  EXPECT_EQ(std::count(first.begin(), first.end(), 'b'), 20);
  EXPECT_EQ(std::count(first.begin(), first.end(), 'c'), 20);
}

TEST(RouterTest, SkipsUnavailableProvidersAndSharesAmongTheRest) {
  NamedProvider a("a"), b("b"), c("c");
  Router router;
  router.Add(a, {Channel::kSms}, "", 1);
  router.Add(b, {Channel::kSms}, "", 1);
  router.Add(c, {Channel::kSms}, "", 2);
  auto not_c = [&](const Provider& p) { return &p != &c; };
  auto counts = Count(router, Channel::kSms, "", 1000, not_c);
  EXPECT_EQ(counts["a"], 500);
  EXPECT_EQ(counts["b"], 500);
  EXPECT_EQ(counts.count("c"), 0u);
  // Back up: c gets its share again, within one pick.
  counts = Count(router, Channel::kSms, "", 1000, kAll);
  EXPECT_NEAR(counts["c"], 500, 1);
  EXPECT_NEAR(counts["a"], 250, 1);
  EXPECT_NEAR(counts["b"], 250, 1);
}

TEST(RouterTest, KeepsChannelsApart) {
  NamedProvider smpp("smpp"), kakao("kakao"), both("both");
  Router router;
  router.Add(smpp, {Channel::kSms, Channel::kLms});
  router.Add(kakao, {Channel::kAlimtalk});
  router.Add(both, {Channel::kSms, Channel::kAlimtalk});
  std::set<std::string> lms, alimtalk;
  for (int i = 0; i < 10; ++i) {
    lms.insert(std::string(router.Pick(Channel::kLms, "", kAll)->name()));
    alimtalk.insert(std::string(router.Pick(Channel::kAlimtalk, "", kAll)->name()));
  }
  EXPECT_EQ(lms, (std::set<std::string>{"smpp"}));
  EXPECT_EQ(alimtalk, (std::set<std::string>{"kakao", "both"}));
  // Picks on one channel do not shift the rotation of another.
  auto counts = Count(router, Channel::kSms, "", 100, kAll);
  EXPECT_EQ(counts["smpp"], 50);
  EXPECT_EQ(counts["both"], 50);
}

TEST(RouterTest, PrefersCarrierTaggedProvidersForAMatchingCarrier) {
  NamedProvider skt("skt-bind"), kt("kt-bind"), shared("aggregator");
  Router router;
  router.Add(skt, {Channel::kSms}, "skt", 1);
  router.Add(kt, {Channel::kSms}, "kt", 1);
  router.Add(shared, {Channel::kSms}, "", 10);
  auto counts = Count(router, Channel::kSms, "skt", 100, kAll);
  EXPECT_EQ(counts["skt-bind"], 100);
  counts = Count(router, Channel::kSms, "KT", 100, kAll);  // case does not matter
  EXPECT_EQ(counts["kt-bind"], 100);
}

TEST(RouterTest, FallsBackToDefaultProvidersWhenNoTaggedOneCanTakeIt) {
  NamedProvider skt("skt-bind"), shared("aggregator");
  Router router;
  router.Add(skt, {Channel::kSms}, "skt", 1);
  router.Add(shared, {Channel::kSms}, "", 1);
  // Another carrier, or no hint: the default route; a tagged bind never takes them.
  EXPECT_EQ(Count(router, Channel::kSms, "lgu", 50, kAll)["aggregator"], 50);
  EXPECT_EQ(Count(router, Channel::kSms, "", 50, kAll)["aggregator"], 50);
  // The tagged bind is down: its carrier's jobs take the default route.
  auto not_skt = [&](const Provider& p) { return &p != &skt; };
  EXPECT_EQ(Count(router, Channel::kSms, "skt", 50, not_skt)["aggregator"], 50);
}

TEST(RouterTest, ReturnsNullWhenNoProviderCanTakeIt) {
  NamedProvider skt("skt-bind"), kakao("kakao");
  Router router;
  EXPECT_EQ(router.Pick(Channel::kSms, "", kAll), nullptr);  // nothing registered
  router.Add(skt, {Channel::kSms}, "skt", 1);
  router.Add(kakao, {Channel::kAlimtalk}, "", 1);
  EXPECT_EQ(router.Pick(Channel::kRcs, "", kAll), nullptr);    // no route for the channel
  EXPECT_EQ(router.Pick(Channel::kSms, "kt", kAll), nullptr);  // only another carrier's
  EXPECT_EQ(router.Pick(Channel::kSms, "", kAll), nullptr);    // tagged needs a hint
  auto none = [](const Provider&) { return false; };
  EXPECT_EQ(router.Pick(Channel::kSms, "skt", none), nullptr);  // all unavailable
  EXPECT_EQ(router.Pick(Channel::kAlimtalk, "", none), nullptr);
}

TEST(RouterTest, HasRouteTellsNoRouteFromNoneAvailable) {
  NamedProvider skt("skt-bind"), kakao("kakao");
  Router router;
  router.Add(skt, {Channel::kSms}, "skt", 1);
  router.Add(kakao, {Channel::kAlimtalk}, "", 1);
  EXPECT_TRUE(router.HasRoute(Channel::kAlimtalk));
  EXPECT_TRUE(router.HasRoute(Channel::kSms, "SKT"));
  EXPECT_FALSE(router.HasRoute(Channel::kSms, "kt"));
  EXPECT_FALSE(router.HasRoute(Channel::kSms));
  EXPECT_FALSE(router.HasRoute(Channel::kRcs));
}

TEST(RouterTest, RefusesRegistrationsThatCanNeverBePicked) {
  NamedProvider a("a");
  Router router;
  EXPECT_THROW(router.Add(a, {}, "", 1), std::invalid_argument);
  EXPECT_THROW(router.Add(a, {Channel::kSms}, "", 0), std::invalid_argument);
  EXPECT_EQ(router.size(), 0u);
}

}  // namespace
}  // namespace bulkd::providers
