// Admission against a real redis-server: buckets, segments, dedupe, opt-out, failure.
#include "ratelimit/admission.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/redis_server.h"

namespace bulkd::ratelimit {
namespace {

using namespace std::chrono_literals;
using core::JobKind;
using testing::RedisServer;

// Owns the strings an AdmissionRequest points to.
struct Msg {
  std::string tenant = "shop1";
  std::string id;
  std::string to = "+821012345678";
  JobKind kind = JobKind::kAd;
  uint32_t segments = 1;
  std::vector<std::pair<std::string, std::string>> buckets = {{"tenant", "shop1"}};
  uint32_t retry = 0;  // > 0: the job's k-th durable retry record
};

class AdmissionTest : public ::testing::Test {
 protected:
  AdmissionTest() : redis_(Options()) {}

  RedisOptions Options() {
    RedisOptions o;
    o.host = server_.host();
    o.port = server_.port();
    o.reconnect_backoff_min = 10ms;
    o.reconnect_backoff_max = 50ms;
    return o;
  }

  Admission& Make(std::vector<Rule> rules, AdmissionConfig config = {}) {
    admission_ = std::make_unique<Admission>(redis_, std::move(config), std::move(rules));
    return *admission_;
  }

  // Admits `msgs` as one batch; returns the decisions (all kUnavailable on error).
  std::vector<Decision> Run(const std::vector<Msg>& msgs, std::error_code* error = nullptr,
                            std::string_view batch_key = {}) {
    std::vector<std::vector<BucketRef>> refs(msgs.size());
    std::vector<AdmissionRequest> requests;
    for (size_t i = 0; i < msgs.size(); ++i) {
      for (const auto& [scope, name] : msgs[i].buckets) refs[i].push_back({scope, name});
      requests.push_back({msgs[i].tenant, msgs[i].id, msgs[i].to, msgs[i].kind,
                          msgs[i].segments, refs[i], msgs[i].retry});
    }
    std::vector<Decision> out(msgs.size());
    std::error_code ec = admission_->Admit(requests, out, batch_key);
    if (error) *error = ec;
    return out;
  }

  static std::vector<Msg> Jobs(const std::string& prefix, int n, Msg base = {}) {
    std::vector<Msg> msgs;
    for (int i = 0; i < n; ++i) {
      Msg m = base;
      m.id = prefix + std::to_string(i);
      msgs.push_back(m);
    }
    return msgs;
  }

  static int Count(const std::vector<Decision>& ds, Verdict v) {
    int n = 0;
    for (const Decision& d : ds) n += d.verdict == v;
    return n;
  }

  RedisServer server_;
  RedisConnection redis_;
  std::unique_ptr<Admission> admission_;
};

TEST_F(AdmissionTest, QuotaBucketGrantsExactlyItsBurst) {
  Make({{"tenant", "*", 0, 10}});
  auto first = Run(Jobs("a", 15));
  EXPECT_EQ(Count(first, Verdict::kAdmit), 10);
  EXPECT_EQ(Count(first, Verdict::kWait), 5);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(first[i].verdict, Verdict::kAdmit) << i;
  EXPECT_EQ(first[14].bucket, 0);
  EXPECT_EQ(first[14].retry_after_ms, 60'000u);  // rate 0: the max_wait cap
  EXPECT_EQ(Count(Run(Jobs("b", 5)), Verdict::kWait), 5);
  EXPECT_EQ(admission_->stats().admitted.load(), 10u);
  EXPECT_EQ(admission_->stats().waits.load(), 10u);
}

TEST_F(AdmissionTest, SegmentsAreChargedInEveryBucket) {
  Make({{"tenant", "*", 0, 10}, {"route", "*", 0, 100}});
  Msg three;
  three.segments = 3;
  three.buckets = {{"tenant", "shop1"}, {"route", "smpp-main"}};
  auto ds = Run(Jobs("a", 4, three));
  EXPECT_EQ(Count(ds, Verdict::kAdmit), 3);  // 9 of 10 tokens
  EXPECT_EQ(ds[3].verdict, Verdict::kWait);
  Msg one = three;
  one.segments = 1;
  EXPECT_EQ(Run(Jobs("b", 1, one))[0].verdict, Verdict::kAdmit);  // the 10th token
  EXPECT_EQ(server_.Command({"HGET", "bulkd:bucket:tenant:shop1", "v"}), "0");
  EXPECT_EQ(server_.Command({"HGET", "bulkd:bucket:route:smpp-main", "v"}), "90");
}

TEST_F(AdmissionTest, RefusalDoesNotChargeTheOtherBuckets) {
  Make({{"tenant", "*", 0, 100}, {"template", "order_shipped", 0, 2}});
  Msg m;
  m.buckets = {{"tenant", "shop1"}, {"template", "order_shipped"}};
  auto ds = Run(Jobs("a", 5, m));
  EXPECT_EQ(Count(ds, Verdict::kAdmit), 2);
  ASSERT_EQ(ds[4].verdict, Verdict::kWait);
  EXPECT_EQ(ds[4].bucket, 1);  // the template bucket refused
  EXPECT_EQ(server_.Command({"HGET", "bulkd:bucket:tenant:shop1", "v"}), "98");
  // A message for another template is not blocked by the empty one.
  Msg other;
  other.buckets = {{"tenant", "shop1"}, {"template", "welcome"}};
  EXPECT_EQ(Count(Run(Jobs("b", 98, other)), Verdict::kAdmit), 98);
}

TEST_F(AdmissionTest, BucketsWithoutARuleDoNotLimitAndRepeatsChargeOnce) {
  Make({{"tenant", "shop1", 0, 4}});
  Msg m;
  m.buckets = {{"sender", "0215881234"}, {"tenant", "shop1"}, {"tenant", "shop1"}};
  auto ds = Run(Jobs("a", 6, m));
  EXPECT_EQ(Count(ds, Verdict::kAdmit), 4);
  EXPECT_EQ(ds[5].bucket, 1);
  Msg other;
  other.tenant = "shop2";
  other.buckets = {{"tenant", "shop2"}};  // no exact rule, no default: unlimited
  EXPECT_EQ(Count(Run(Jobs("b", 50, other)), Verdict::kAdmit), 50);
}

TEST_F(AdmissionTest, WaitTellsWhenTheBucketRefills) {
  Make({{"tenant", "*", 10, 1}});
  auto ds = Run(Jobs("a", 2));
  EXPECT_EQ(ds[0].verdict, Verdict::kAdmit);
  ASSERT_EQ(ds[1].verdict, Verdict::kWait);
  EXPECT_GE(ds[1].retry_after_ms, 1u);
  EXPECT_LE(ds[1].retry_after_ms, 100u);  // one token at 10/s
}

TEST_F(AdmissionTest, OversizeMessagePassesOnAFullBucketAndLeavesDebt) {
  Make({{"tenant", "*", 1, 2}});
  Msg big;
  big.segments = 5;
  auto ds = Run(Jobs("a", 2, big));
  EXPECT_EQ(ds[0].verdict, Verdict::kAdmit);
  ASSERT_EQ(ds[1].verdict, Verdict::kWait);  // -3 tokens: 5 s until full again
  EXPECT_GT(ds[1].retry_after_ms, 4000u);
}

// Over a measured interval the bucket grants burst + rate * elapsed (server clock), with
// elapsed bounded from both sides by client timestamps around the first and last batch.
TEST_F(AdmissionTest, GrantsRateTimesElapsedPlusBurst) {
  constexpr double kRate = 200, kBurst = 20;
  Make({{"tenant", "*", kRate, kBurst}});
  using Clock = std::chrono::steady_clock;
  int admitted = 0, batches = 0;
  Clock::time_point first_start, first_end, last_start, last_end;
  const auto until = Clock::now() + 600ms;
  do {
    const auto start = Clock::now();
    auto ds = Run(Jobs(std::to_string(batches).append("-r"), 20));
    const auto end = Clock::now();
    if (batches++ == 0) first_start = start, first_end = end;
    last_start = start, last_end = end;
    admitted += Count(ds, Verdict::kAdmit);
  } while (Clock::now() < until);
  const auto secs = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  const double max_elapsed = secs(last_end - first_start);
  const double min_elapsed = secs(last_start - first_end);
  RecordProperty("admitted", admitted);
  RecordProperty("batches", batches);
  RecordProperty("max_elapsed_us", static_cast<int>(max_elapsed * 1e6));
  EXPECT_LE(admitted, kBurst + kRate * max_elapsed + 1e-6) << "batches=" << batches;
  EXPECT_GE(admitted, kBurst + kRate * min_elapsed - 1) << "batches=" << batches;
}

TEST_F(AdmissionTest, ReplayedJobIsADuplicateAcrossAndWithinBatches) {
  Make({});
  auto first = Run(Jobs("job-", 3));
  EXPECT_EQ(Count(first, Verdict::kAdmit), 3);
  auto replay = Run(Jobs("job-", 4));
  EXPECT_EQ(replay[0].verdict, Verdict::kDuplicate);
  EXPECT_EQ(replay[2].verdict, Verdict::kDuplicate);
  EXPECT_EQ(replay[3].verdict, Verdict::kAdmit);
  std::vector<Msg> twice = Jobs("x", 1);
  twice.push_back(twice[0]);
  auto in_batch = Run(twice);
  EXPECT_EQ(in_batch[0].verdict, Verdict::kAdmit);
  EXPECT_EQ(in_batch[1].verdict, Verdict::kDuplicate);
  EXPECT_EQ(admission_->stats().duplicates.load(), 4u);
}

TEST_F(AdmissionTest, LedgerKeepsReplaysOfUnfinishedJobsAndRecoversThoseOfDeadWorkers) {
  AdmissionConfig a_config;
  a_config.worker_id = "worker-a";
  Admission a(redis_, a_config, {});
  AdmissionConfig b_config;
  b_config.worker_id = "worker-b";
  Make({}, b_config);  // admission_ is worker b
  ASSERT_FALSE(a.Heartbeat(10s));
  ASSERT_FALSE(admission_->Heartbeat(10s));

  // Worker a claims three jobs and finishes one of them.
  const std::vector<Msg> jobs = Jobs("j", 3);
  std::vector<std::vector<BucketRef>> none(jobs.size());
  std::vector<AdmissionRequest> requests;
  for (size_t i = 0; i < jobs.size(); ++i)
    requests.push_back({jobs[i].tenant, jobs[i].id, jobs[i].to, jobs[i].kind, 1, none[i]});
  std::vector<Decision> out(jobs.size());
  ASSERT_FALSE(a.Admit(requests, out));
  for (const Decision& d : out) ASSERT_EQ(d.verdict, Verdict::kAdmit);
  const LedgerEntry finished{"shop1", Admission::LedgerHash("j0")};
  ASSERT_FALSE(a.Settle({&finished, 1}));

  // Replayed to b while a lives: j0 is done, j1 and j2 are a's to finish.
  auto ds = Run(jobs);
  EXPECT_EQ(ds[0].verdict, Verdict::kDuplicate);
  EXPECT_EQ(ds[1].verdict, Verdict::kInProgress);
  EXPECT_EQ(ds[2].verdict, Verdict::kInProgress);

  // a finishes j1, then dies: j2 becomes b's to end, exactly once.
  const LedgerEntry j1{"shop1", Admission::LedgerHash("j1")};
  ASSERT_FALSE(a.Settle({&j1, 1}));
  ASSERT_FALSE(a.Retire());
  ds = Run(jobs);
  EXPECT_EQ(ds[0].verdict, Verdict::kDuplicate);
  EXPECT_EQ(ds[1].verdict, Verdict::kDuplicate);
  EXPECT_EQ(ds[2].verdict, Verdict::kRecovered);
  ds = Run(jobs);  // b holds it now (alive): another replay waits for b
  EXPECT_EQ(ds[2].verdict, Verdict::kInProgress);
  const LedgerEntry j2{"shop1", Admission::LedgerHash("j2")};
  ASSERT_FALSE(admission_->Settle({&j2, 1}));
  EXPECT_EQ(Run(jobs)[2].verdict, Verdict::kDuplicate);
  // Nothing stays in the ledger once every job is settled.
  EXPECT_EQ(server_.Command({"EVAL", "return #redis.call('KEYS', ARGV[1])", "0", "bulkd:flight:*"}), "0");
}

TEST_F(AdmissionTest, LedgerEntryOfASuppressedJobIsKeptUntilSettled) {
  AdmissionConfig config;
  config.worker_id = "worker-b";
  Make({}, config);
  server_.Command({"SADD", "bulkd:optout:shop1", "+821012345678"});
  EXPECT_EQ(Run(Jobs("s", 1))[0].verdict, Verdict::kOptedOut);
  // Not settled and the worker is not alive (no heartbeat): a replay is recovered, so
  // the job still gets its one terminal event.
  EXPECT_EQ(Run(Jobs("s", 1))[0].verdict, Verdict::kInProgress);  // b itself holds it
  AdmissionConfig other;
  other.worker_id = "worker-c";
  Admission c(redis_, other, {});
  const std::vector<Msg> job = Jobs("s", 1);
  std::vector<BucketRef> none;
  const AdmissionRequest request{job[0].tenant, job[0].id, job[0].to, job[0].kind, 1, none};
  Decision d;
  ASSERT_FALSE(c.Admit({&request, 1}, {&d, 1}));
  EXPECT_EQ(d.verdict, Verdict::kRecovered);
}

// A job handed over as retry record 1: only that record may take it, once; replays of
// the original, of the retry record while it is held, and of a stale record are not sent.
TEST_F(AdmissionTest, RetryRecordTakesTheJobOnlyWhenTheLedgerHandedItOver) {
  AdmissionConfig config;
  config.worker_id = "worker-b";
  Make({{"tenant", "*", 0, 10}}, config);
  ASSERT_FALSE(admission_->Heartbeat(10s));
  const std::vector<Msg> original = Jobs("t", 1);
  std::vector<Msg> retry1 = original, retry2 = original;
  retry1[0].retry = 1;
  retry2[0].retry = 2;
  ASSERT_EQ(Run(original)[0].verdict, Verdict::kAdmit);
  // Consumed before the hand-over is recorded: held, not sent.
  EXPECT_EQ(Run(retry1)[0].verdict, Verdict::kInProgress);
  const LedgerEntry handed{"shop1", Admission::LedgerHash("t0"), 1};
  ASSERT_FALSE(admission_->Settle({&handed, 1}));
  EXPECT_EQ(Run(original)[0].verdict, Verdict::kDuplicate);  // the original's replay
  EXPECT_EQ(Run(retry2)[0].verdict, Verdict::kDuplicate);    // not the record handed over
  EXPECT_EQ(Run(retry1)[0].verdict, Verdict::kAdmit);
  EXPECT_EQ(Run(retry1)[0].verdict, Verdict::kInProgress);   // taken: b works on it
  // A retry is a new send: its tokens were charged again (10 - 2).
  EXPECT_EQ(server_.Command({"HGET", "bulkd:bucket:tenant:shop1", "v"}), "8");

  // b dies while sending retry 1: a later owner must end the job, not send it again.
  ASSERT_FALSE(admission_->Retire());
  AdmissionConfig c_config;
  c_config.worker_id = "worker-c";
  Admission c(redis_, c_config, {});
  ASSERT_FALSE(c.Heartbeat(10s));
  std::vector<BucketRef> none;
  const AdmissionRequest replay{retry1[0].tenant, retry1[0].id, retry1[0].to, retry1[0].kind, 1,
                                none, 1};
  Decision d;
  ASSERT_FALSE(c.Admit({&replay, 1}, {&d, 1}));
  EXPECT_EQ(d.verdict, Verdict::kRecovered);
  ASSERT_FALSE(c.Admit({&replay, 1}, {&d, 1}));
  EXPECT_EQ(d.verdict, Verdict::kInProgress);
}

// The owner wrote retry record 2 and died before recording the hand-over: the record is
// the job's only way on, and the owner was not sending it, so it is taken.
TEST_F(AdmissionTest, RetryRecordOfADeadOwnerAtAnEarlierAttemptIsTaken) {
  AdmissionConfig config;
  config.worker_id = "worker-b";
  Make({}, config);
  std::vector<Msg> job = Jobs("u", 1);
  ASSERT_EQ(Run(job)[0].verdict, Verdict::kAdmit);
  const uint64_t hash = Admission::LedgerHash("u0");
  const std::string key = "bulkd:flight:shop1:" + std::to_string((hash >> 32) % 64);
  const std::string field = std::to_string(static_cast<int64_t>(hash));
  server_.Command({"HSET", key, field, "worker-gone|1"});
  job[0].retry = 2;
  EXPECT_EQ(Run(job)[0].verdict, Verdict::kAdmit);
  EXPECT_EQ(server_.Command({"HGET", key, field}), "worker-b|2");
  // The job's original record replayed now waits for b.
  job[0].retry = 0;
  EXPECT_EQ(Run(job)[0].verdict, Verdict::kInProgress);
}

// A job a provider accepted is marked in the ledger; after its worker dies a replay is
// adopted (follow the receipt) instead of recovered; a settled job is not marked again.
TEST_F(AdmissionTest, AcceptedJobsOfADeadWorkerAreAdopted) {
  AdmissionConfig config;
  config.worker_id = "worker-b";
  Make({}, config);
  const std::vector<Msg> jobs = Jobs("m", 3);
  for (const Decision& d : Run(jobs)) ASSERT_EQ(d.verdict, Verdict::kAdmit);
  const LedgerEntry m0{"shop1", Admission::LedgerHash("m0")};
  const LedgerEntry m1{"shop1", Admission::LedgerHash("m1")};
  ASSERT_FALSE(admission_->Settle({&m1, 1}));  // m1 finished before its mark was written
  const LedgerEntry marks[] = {m0, m1};
  ASSERT_FALSE(admission_->MarkAccepted(marks));
  const std::string count = "local n = 0 for _, k in ipairs(redis.call('KEYS', 'bulkd:flight:*')) do "
                            "for _, v in ipairs(redis.call('HVALS', k)) do "
                            "if v == ARGV[1] then n = n + 1 end end end return n";
  EXPECT_EQ(server_.Command({"EVAL", count, "0", "@worker-b"}), "1");
  ASSERT_FALSE(admission_->Retire());

  AdmissionConfig c_config;
  c_config.worker_id = "worker-c";
  Admission c(redis_, c_config, {});
  std::vector<BucketRef> none;
  std::vector<AdmissionRequest> requests;
  for (const Msg& m : jobs) requests.push_back({m.tenant, m.id, m.to, m.kind, 1, none});
  std::vector<Decision> out(jobs.size());
  ASSERT_FALSE(c.Admit(requests, out));
  EXPECT_EQ(out[0].verdict, Verdict::kAdopted);    // accepted: follow its receipt
  EXPECT_EQ(out[1].verdict, Verdict::kDuplicate);  // finished
  EXPECT_EQ(out[2].verdict, Verdict::kRecovered);  // never accepted: may have been sent
  EXPECT_EQ(server_.Command({"EVAL", count, "0", "@worker-c"}), "1");  // still marked
}

TEST_F(AdmissionTest, DuplicateChargesNoBucket) {
  Make({{"tenant", "*", 0, 10}});
  EXPECT_EQ(Count(Run(Jobs("d", 3)), Verdict::kAdmit), 3);
  EXPECT_EQ(Count(Run(Jobs("d", 3)), Verdict::kDuplicate), 3);
  EXPECT_EQ(server_.Command({"HGET", "bulkd:bucket:tenant:shop1", "v"}), "7");
}

// With a 1 s window: a claim is found in the previous generation, and forgotten two
// generations later. Waits on the server clock, not on sleeps.
TEST_F(AdmissionTest, ClaimLastsAtLeastOneWindowAndAtMostTwo) {
  AdmissionConfig config;
  config.dedupe_window = 1s;
  Make({}, config);
  auto server_second = [&] {
    const std::string t = server_.Command({"TIME"});
    return std::stol(t.substr(0, t.find('\n')));
  };
  // Start just after a second boundary so the first claim lands in generation `gen`.
  const long start = server_second();
  ASSERT_TRUE(testing::WaitUntil([&] { return server_second() != start; }, 3s, 1ms));
  const long gen = server_second();
  ASSERT_EQ(Run(Jobs("g", 1))[0].verdict, Verdict::kAdmit);
  ASSERT_EQ(server_second(), gen);
  ASSERT_TRUE(testing::WaitUntil([&] { return server_second() == gen + 1; }, 3s));
  EXPECT_EQ(Run(Jobs("g", 1))[0].verdict, Verdict::kDuplicate);  // previous generation
  ASSERT_TRUE(testing::WaitUntil([&] { return server_second() >= gen + 2; }, 3s));
  EXPECT_EQ(Run(Jobs("g", 1))[0].verdict, Verdict::kAdmit);  // expired with its generation
}

TEST_F(AdmissionTest, SameIdInTwoTenantsIsAdmittedForEach) {
  Make({});
  Msg other;
  other.tenant = "shop2";
  auto ds = Run({Jobs("id-", 1)[0], Jobs("id-", 1, other)[0]});
  EXPECT_EQ(Count(ds, Verdict::kAdmit), 2);
}

TEST_F(AdmissionTest, WaitingJobIsNotClaimed) {
  Make({{"tenant", "*", 0, 1}});
  auto ds = Run(Jobs("w", 2));
  ASSERT_EQ(ds[1].verdict, Verdict::kWait);
  ASSERT_TRUE(admission_->SetRules({{"tenant", "*", 0, 1000}}));
  server_.Command({"DEL", "bulkd:bucket:tenant:shop1"});  // full again
  auto again = Run(Jobs("w", 2));
  EXPECT_EQ(again[0].verdict, Verdict::kDuplicate);
  EXPECT_EQ(again[1].verdict, Verdict::kAdmit);
}

TEST_F(AdmissionTest, OptOutAddedMidStreamSuppressesTheNextBatch) {
  Make({{"tenant", "*", 0, 100}});
  Msg a, b;
  b.to = "+821099998888";
  EXPECT_EQ(Count(Run({Jobs("a", 1, a)[0], Jobs("b", 1, b)[0]}), Verdict::kAdmit), 2);
  server_.Command({"SADD", "bulkd:optout:shop1", "+821099998888"});
  auto ds = Run({Jobs("a2-", 1, a)[0], Jobs("b2-", 1, b)[0]});
  EXPECT_EQ(ds[0].verdict, Verdict::kAdmit);
  EXPECT_EQ(ds[1].verdict, Verdict::kOptedOut);
  EXPECT_EQ(server_.Command({"HGET", "bulkd:bucket:tenant:shop1", "v"}), "97");  // not charged
  // The suppressed job is claimed: a replay stays unsent even after the opt-out goes.
  server_.Command({"SREM", "bulkd:optout:shop1", "+821099998888"});
  EXPECT_EQ(Run(Jobs("b2-", 1, b))[0].verdict, Verdict::kDuplicate);
  // Another tenant's set does not apply.
  Msg c = b;
  c.tenant = "shop2";
  server_.Command({"SADD", "bulkd:optout:shop1", "+821099998888"});
  EXPECT_EQ(Run(Jobs("c", 1, c))[0].verdict, Verdict::kAdmit);
}

TEST_F(AdmissionTest, GlobalOptOutAppliesToEveryTenant) {
  Make({});
  server_.Command({"SADD", "bulkd:optout:_global", "+821012345678"});
  Msg other;
  other.tenant = "shop2";
  auto ds = Run({Jobs("a", 1)[0], Jobs("b", 1, other)[0]});
  EXPECT_EQ(Count(ds, Verdict::kOptedOut), 2);
}

TEST_F(AdmissionTest, InfoJobsSkipOptOutWhenConfigured) {
  AdmissionConfig config;
  config.optout_applies_to_info = false;
  Make({}, config);
  server_.Command({"SADD", "bulkd:optout:shop1", "+821012345678"});
  Msg info;
  info.kind = JobKind::kInfo;
  auto ds = Run({Jobs("i", 1, info)[0], Jobs("a", 1)[0]});
  EXPECT_EQ(ds[0].verdict, Verdict::kAdmit);
  EXPECT_EQ(ds[1].verdict, Verdict::kOptedOut);
}

TEST_F(AdmissionTest, RulesChangeTakesEffectOnTheNextBatch) {
  Make({{"template", "*", 0, 100}});
  Msg m;
  m.buckets = {{"template", "promo"}};
  EXPECT_EQ(Count(Run(Jobs("a", 10, m)), Verdict::kAdmit), 10);
  std::string error;
  ASSERT_TRUE(admission_->SetRules({{"template", "*", 0, 3}}, &error)) << error;
  EXPECT_EQ(Count(Run(Jobs("b", 10, m)), Verdict::kAdmit), 3);  // 90 tokens clamp to 3
  ASSERT_TRUE(admission_->SetRules({{"template", "other", 0, 3}}));
  EXPECT_EQ(Count(Run(Jobs("c", 10, m)), Verdict::kAdmit), 10);  // no rule: unlimited
  EXPECT_FALSE(admission_->SetRules({{"template", "*", -1, 3}}, &error));
  EXPECT_NE(error.find("rate_per_sec"), std::string::npos) << error;
}

TEST_F(AdmissionTest, RedisDownIsUnavailableAndRecoversAfterRestart) {
  Make({});
  EXPECT_EQ(Run(Jobs("a", 2))[0].verdict, Verdict::kAdmit);
  server_.Kill();
  std::error_code ec;
  auto ds = Run(Jobs("b", 3), &ec);
  EXPECT_TRUE(ec);
  EXPECT_TRUE(IsRetryable(ec));
  EXPECT_EQ(Count(ds, Verdict::kUnavailable), 3);
  EXPECT_EQ(admission_->stats().unavailable.load(), 3u);
  server_.Start();
  std::vector<Decision> after;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        after = Run(Jobs("b", 3), &ec);
        return !ec;
      },
      5s));
  EXPECT_EQ(Count(after, Verdict::kAdmit), 3);  // nothing was claimed while down
}

TEST_F(AdmissionTest, ScriptFlushIsRecoveredTransparently) {
  Make({});
  EXPECT_EQ(Run(Jobs("a", 1))[0].verdict, Verdict::kAdmit);
  server_.Command({"SCRIPT", "FLUSH"});
  std::error_code ec;
  auto ds = Run(Jobs("b", 1), &ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(ds[0].verdict, Verdict::kAdmit);
  EXPECT_EQ(redis_.stats().script_loads.load(), 2u);  // first use, then after the flush
}

TEST_F(AdmissionTest, ReleaseLetsAJobBeAdmittedAgain) {
  Make({});
  EXPECT_EQ(Run(Jobs("r", 1))[0].verdict, Verdict::kAdmit);
  auto released = admission_->Release("shop1", "r0");
  ASSERT_TRUE(released);
  EXPECT_TRUE(released.value());
  EXPECT_EQ(Run(Jobs("r", 1))[0].verdict, Verdict::kAdmit);
  auto unknown = admission_->Release("shop1", "never-claimed");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown.value());
}

TEST_F(AdmissionTest, BatchKeyReplaysTheFirstDecisions) {
  Make({{"tenant", "*", 0, 2}});
  auto first = Run(Jobs("k", 3), nullptr, "worker1-p3-o100");
  auto replay = Run(Jobs("k", 3), nullptr, "worker1-p3-o100");
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(replay[i].verdict, first[i].verdict) << i;
  }
  EXPECT_EQ(replay[0].verdict, Verdict::kAdmit);
  EXPECT_EQ(replay[2].verdict, Verdict::kWait);
  // Under another key the claims count: a replay that meets an empty bucket waits, and
  // is a duplicate once it could go.
  EXPECT_EQ(Run(Jobs("k", 1), nullptr, "another")[0].verdict, Verdict::kWait);
  server_.Command({"DEL", "bulkd:bucket:tenant:shop1"});
  auto later = Run(Jobs("k", 3), nullptr, "third");
  EXPECT_EQ(later[0].verdict, Verdict::kDuplicate);
  EXPECT_EQ(later[1].verdict, Verdict::kDuplicate);
  EXPECT_EQ(later[2].verdict, Verdict::kAdmit);
}

TEST_F(AdmissionTest, DedupeSetsAreCompactAndExpireAfterTheirGeneration) {
  AdmissionConfig config;
  config.dedupe_window = 1s;
  Make({}, config);
  auto server_second = [&] {
    const std::string t = server_.Command({"TIME"});
    return std::stol(t.substr(0, t.find('\n')));
  };
  const long start = server_second();
  ASSERT_TRUE(testing::WaitUntil([&] { return server_second() != start; }, 3s, 1ms));
  const long gen = server_second();
  Run(Jobs("e", 100));
  const std::string keys = server_.Command({"KEYS", "bulkd:dedupe:shop1:" + std::to_string(gen) + ":*"});
  ASSERT_FALSE(keys.empty());
  const std::string key = keys.substr(0, keys.find('\n'));
  EXPECT_EQ(server_.Command({"OBJECT", "ENCODING", key}), "intset");
  EXPECT_EQ(server_.Command({"PTTL", key}), "-1");  // swept once the generation ends
  ASSERT_TRUE(testing::WaitUntil([&] { return server_second() > gen; }, 3s));
  // Batches in a later generation run the sweep, 128 sets per batch (256 shards here).
  int batches = 0;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        Run(Jobs("f" + std::to_string(batches++), 1));
        return server_.Command({"LLEN", "bulkd:dedupe:sweep"}) == "1";
      },
      3s));
  EXPECT_EQ(batches, 2);
  const long pttl = std::stol(server_.Command({"PTTL", key}));
  EXPECT_GT(pttl, 0);
  EXPECT_LE(pttl, 2000);
  ASSERT_TRUE(testing::WaitUntil([&] { return server_.Command({"EXISTS", key}) == "0"; }, 4s));
}

// With AOF (appendfsync always) claims and bucket state survive a Redis crash and a
// restart: replays stay duplicates and spent tokens stay spent.
TEST(AdmissionDurabilityTest, ClaimsSurviveRedisRestartAndCrashWithAof) {
  testing::RedisServerOptions server_options;
  server_options.appendonly = true;
  RedisServer server(server_options);
  RedisOptions options;
  options.host = server.host();
  options.port = server.port();
  options.reconnect_backoff_min = 10ms;
  RedisConnection redis(options);
  Admission admission(redis, {}, {{"tenant", "*", 0, 5}});
  std::vector<std::string> ids = {"j1", "j2", "j3"};
  std::vector<AdmissionRequest> batch;
  const BucketRef bucket[] = {{"tenant", "shop1"}};
  for (const auto& id : ids) batch.push_back({"shop1", id, "+821012345678", JobKind::kAd, 1, bucket});
  std::vector<Decision> out(batch.size());
  ASSERT_FALSE(admission.Admit(batch, out));
  EXPECT_EQ(out[2].verdict, Verdict::kAdmit);

  for (bool crash : {false, true}) {
    if (crash) {
      server.Kill();
      server.Start();
    } else {
      server.Restart();
    }
    std::error_code ec;
    ASSERT_TRUE(testing::WaitUntil([&] { return !(ec = admission.Admit(batch, out)); }, 5s))
        << ec.message();
    for (const Decision& d : out) EXPECT_EQ(d.verdict, Verdict::kDuplicate) << crash;
  }
  EXPECT_EQ(server.Command({"HGET", "bulkd:bucket:tenant:shop1", "v"}), "2");
  EXPECT_GE(redis.stats().reconnects.load(), 2u);
}

TEST(AdmissionRulesTest, ValidateNamesTheOffendingRule) {
  EXPECT_EQ(Admission::ValidateRules(std::vector<Rule>{{"tenant", "*", 10, 5}}), "");
  EXPECT_NE(Admission::ValidateRules(std::vector<Rule>{{"tenant", "*", 10, 5},
                                                       {"tenant", "*", 1, 1}})
                .find("rules[1]"),
            std::string::npos);
  EXPECT_NE(Admission::ValidateRules(std::vector<Rule>{{"", "x", 1, 1}}), "");
  EXPECT_NE(Admission::ValidateRules(std::vector<Rule>{{"a:b", "x", 1, 1}}), "");
}

}  // namespace
}  // namespace bulkd::ratelimit
