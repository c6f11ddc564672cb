// bulkctl audit against a real dev-broker (embedded Kafka-protocol broker): hand-made job,
// event, delay-tier and DLQ records, one of each fate, audited in process (RunAudit) and
// through the built binary (exit codes, JSON, masked numbers, error messages); then a run
// through the real bulkd, whose deferral records the audit must read as waiting.
#include <librdkafka/rdkafka.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/audit.h"
#include "tests/support/child_process.h"
#include "tests/support/e2e.h"
#include "tests/support/event_log.h"
#include "tests/support/redis_server.h"
#include "tests/support/smsc_sim.h"
#include "tools/bulkctl/audit.h"

namespace bulkd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::BuiltBinary;
using testing::ChildProcess;
using testing::TempDir;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::chrono::seconds kDeadline{60};

// A producer that writes exactly what a test gives it: topic, partition, headers and
// Kafka timestamp included.
class Producer {
 public:
  explicit Producer(const std::string& bootstrap) {
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (rk_ == nullptr) throw std::runtime_error(error);
  }
  ~Producer() { rd_kafka_destroy(rk_); }

  // partition -1: by key. timestamp_ms 0: now.
  void Send(const std::string& topic, const std::string& key, const std::string& value,
            const Headers& headers = {}, int64_t timestamp_ms = 0, int32_t partition = -1) {
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(headers.size());
    for (const auto& [name, text] : headers)
      rd_kafka_header_add(hdrs, name.c_str(), -1, text.data(), static_cast<ssize_t>(text.size()));
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_headers_destroy(hdrs);
      ADD_FAILURE() << "produce to " << topic << ": " << rd_kafka_err2str(err);
    }
  }
  bool Flush() { return rd_kafka_flush(rk_, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR; }

 private:
  rd_kafka_t* rk_ = nullptr;
};

std::string Job(const std::string& id, const std::string& campaign, const std::string& to,
                const std::string& tenant = "shop1", const std::string& extra = "") {
  return R"({"id":")" + id + R"(","tenant":")" + tenant + R"(","campaign":")" + campaign +
         R"(","kind":"info","to":")" + to + R"(","channels":["sms"],"text":"audit")" + extra + "}";
}

std::string Event(const std::string& id, const std::string& campaign, const std::string& type,
                  const std::string& code = "", const std::string& tenant = "shop1") {
  return R"({"id":")" + id + R"(","tenant":")" + tenant + R"(","campaign":")" + campaign +
         R"(","event":")" + type + R"(","channel":"sms","provider":"smsc","attempt":1,"code":")" +
         code + R"(","detail":"","ts":)" + std::to_string(testing::NowEpochMs()) + "}";
}

std::string RetryHeader(int k, int64_t first_ms, int64_t due_ms) {
  return "v1 " + std::to_string(k) + " 0 " + std::to_string(k) + " " + std::to_string(k) + " " +
         std::to_string(first_ms) + " " + std::to_string(due_ms);
}

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

class BulkctlAuditTest : public ::testing::Test {
 protected:
  // Runs `bulkctl audit <args...>`, reads stdout to EOF and waits for the exit; stderr
  // goes to a file read afterwards.
  RunResult Run(std::vector<std::string> args) {
    const std::string err_path = dir_.path() + "/stderr";
    std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$@\" 2>'" + err_path + "'", "sh",
                                     BuiltBinary("tools/bulkctl/bulkctl"), "audit"};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess child(argv);
    child.WaitForLine("\x01 never printed", kDeadline);  // returns at EOF
    RunResult result;
    const auto code = child.WaitForExit(kDeadline);
    EXPECT_TRUE(code.has_value()) << "bulkctl audit did not exit";
    result.code = code.value_or(-1);
    result.out = child.output();
    std::ifstream in(err_path);
    std::ostringstream s;
    s << in.rdbuf();
    result.err = s.str();
    return result;
  }

  tools::AuditReport Audit(std::optional<std::string> campaign,
                           std::optional<std::string> tenant = std::nullopt,
                           const std::string& record = "") {
    tools::AuditOptions options;
    options.brokers = broker_.bootstrap();
    options.campaign = std::move(campaign);
    options.tenant = std::move(tenant);
    options.smsc_record = record;
    options.now_ms = now_ms_;
    options.timeout_s = 60;
    return tools::RunAudit(options);
  }

  // One job of each fate in campaign "aud" (tenant shop1), one missing job of campaign
  // "other", two records of bulkd.jobs that are not JSON (one dead-lettered, one not),
  // a campaign "fine" of tenant shop2 with nothing wrong, and an smsc-sim record.
  void ProduceFates() {
    Producer p(broker_.bootstrap());
    // Unreadable records first, to partition 0 of a fresh topic: offsets 0 and 1.
    p.Send("bulkd.jobs", "u", "not json at all", {}, 0, 0);
    p.Send("bulkd.jobs", "u", "{\"id\":", {}, 0, 0);
    ASSERT_TRUE(p.Flush());
    p.Send("bulkd.dlq", "u", "not json at all",
           {{"reason", "invalid JSON"}, {"field", ""}, {"source_topic", "bulkd.jobs"},
            {"source_partition", "0"}, {"source_offset", "0"}});

    const int64_t now = now_ms_;
    // Delivered: submitted, then delivered.
    p.Send("bulkd.jobs", "1", Job("aud-delivered", "aud", "+821000000001"));
    p.Send("bulkd.events", "aud-delivered", Event("aud-delivered", "aud", "submitted"));
    p.Send("bulkd.events", "aud-delivered", Event("aud-delivered", "aud", "delivered", "DELIVRD"));
    // Two terminal events.
    p.Send("bulkd.jobs", "2", Job("aud-twice", "aud", "+821000000002"));
    p.Send("bulkd.events", "aud-twice", Event("aud-twice", "aud", "delivered", "DELIVRD"));
    p.Send("bulkd.events", "aud-twice", Event("aud-twice", "aud", "failed", "WORKER_LOST"));
    // Waiting for not_before: deferred, then two hops; the later one (a newer timestamp
    // in another tier) holds it.
    p.Send("bulkd.jobs", "3", Job("aud-later", "aud", "+821000000003"));
    p.Send("bulkd.events", "aud-later", Event("aud-later", "aud", "deferred", "NOT_BEFORE"));
    p.Send("bulkd.defer.3600s", "3", Job("aud-later", "aud", "+821000000003"),
           {{"bulkd-due-ms", std::to_string(now + 7'200'000)}}, now - 5000);
    p.Send("bulkd.defer.600s", "3", Job("aud-later", "aud", "+821000000003"),
           {{"bulkd-due-ms", std::to_string(now + 3'600'000)}}, now - 1000);
    // Waiting for retry 2; a replay of retry record 1 hopped later (newer timestamp) but
    // retry 2 is the one that holds the job.
    p.Send("bulkd.jobs", "4", Job("aud-retry", "aud", "+821000000004"));
    p.Send("bulkd.events", "aud-retry", Event("aud-retry", "aud", "retrying", "0x00000058"));
    p.Send("bulkd.defer.1s", "+821000000004", Job("aud-retry", "aud", "+821000000004"),
           {{"bulkd-retry", RetryHeader(1, now - 4000, now - 2000)},
            {"bulkd-due-ms", std::to_string(now - 2000)}},
           now - 3000);
    p.Send("bulkd.defer.10s", "+821000000004", Job("aud-retry", "aud", "+821000000004"),
           {{"bulkd-retry", RetryHeader(2, now - 4000, now + 5000)},
            {"bulkd-due-ms", std::to_string(now + 5000)}},
           now - 2000);
    p.Send("bulkd.defer.60s", "+821000000004", Job("aud-retry", "aud", "+821000000004"),
           {{"bulkd-retry", RetryHeader(1, now - 4000, now - 2000)},
            {"bulkd-due-ms", std::to_string(now + 60000)}},
           now - 500);
    // Parked: a deferral with no deferred event, already due.
    p.Send("bulkd.jobs", "5", Job("aud-parked", "aud", "+821000000005"));
    p.Send("bulkd.defer.1s", "5", Job("aud-parked", "aud", "+821000000005"),
           {{"bulkd-due-ms", std::to_string(now - 100)}}, now - 1100);
    // Deferred, then delivered: ended, not waiting.
    p.Send("bulkd.jobs", "6", Job("aud-quiet", "aud", "+821000000006"));
    p.Send("bulkd.events", "aud-quiet", Event("aud-quiet", "aud", "deferred", "QUIET_HOURS"));
    p.Send("bulkd.defer.60s", "6", Job("aud-quiet", "aud", "+821000000006"),
           {{"bulkd-due-ms", std::to_string(now - 60000)}}, now - 120000);
    p.Send("bulkd.events", "aud-quiet", Event("aud-quiet", "aud", "delivered", "DELIVRD"));
    // Missing: submitted, nothing after.
    p.Send("bulkd.jobs", "7", Job("aud-missing", "aud", "+821000000007"));
    p.Send("bulkd.events", "aud-missing", Event("aud-missing", "aud", "submitted"));
    // Dead-lettered: a bad number.
    const std::string bad = Job("aud-dlq", "aud", "+0");
    p.Send("bulkd.jobs", "8", bad);
    p.Send("bulkd.dlq", "8", bad,
           {{"reason", "field 'to': not an E.164 number"}, {"field", "to"},
            {"source_topic", "bulkd.jobs"}, {"source_partition", "1"}, {"source_offset", "0"}});
    // A terminal event of a job that is not on bulkd.jobs.
    p.Send("bulkd.events", "aud-ghost", Event("aud-ghost", "aud", "delivered", "DELIVRD"));
    // Another campaign: missing.
    p.Send("bulkd.jobs", "9", Job("other-missing", "other", "+821000000009"));
    // Campaign "fine", tenant shop2: one delivered, one waiting.
    p.Send("bulkd.jobs", "10", Job("fine-1", "fine", "+821000000010", "shop2"));
    p.Send("bulkd.events", "fine-1", Event("fine-1", "fine", "delivered", "DELIVRD", "shop2"));
    p.Send("bulkd.jobs", "11", Job("fine-2", "fine", "+821000000011", "shop2"));
    p.Send("bulkd.events", "fine-2", Event("fine-2", "fine", "deferred", "NOT_BEFORE", "shop2"));
    p.Send("bulkd.defer.60s", "11", Job("fine-2", "fine", "+821000000011", "shop2"),
           {{"bulkd-due-ms", std::to_string(now + 90000)}}, now);
    ASSERT_TRUE(p.Flush());

    // aud-delivered's number accepted twice, aud-twice's once, a stranger's twice.
    record_ = dir_.path() + "/submits.tsv";
    std::ofstream(record_) << "821000000001\t1\n821000000001\t2\n821000000002\t3\n"
                           << "821099999999\t4\n821099999999\t5\n";
  }

  TempDir dir_;
  testing::DevBroker broker_{2};
  int64_t now_ms_ = testing::NowEpochMs();
  std::string record_;
};

TEST_F(BulkctlAuditTest, AccountsForEveryFateOfACampaign) {
  ASSERT_NO_FATAL_FAILURE(ProduceFates());
  const tools::AuditReport r = Audit("aud", std::nullopt, record_);
  EXPECT_EQ(r.job_records, 8u);
  EXPECT_EQ(r.jobs, 8u);
  EXPECT_EQ(r.unreadable_job_records, 0u);
  EXPECT_EQ(r.unattributed_job_records, 2u);  // not JSON: belong to no campaign
  EXPECT_EQ(r.ended_once, 2u);
  EXPECT_EQ(r.ended_once_by_state, (std::map<std::string, uint64_t>{{"delivered", 2}}));
  EXPECT_EQ(r.ended_more_than_once, 1u);
  EXPECT_EQ(r.extra_terminal_events, 1u);
  ASSERT_EQ(r.ended_more_than_once_ids.size(), 1u);
  EXPECT_EQ(r.ended_more_than_once_ids[0].id, "aud-twice");
  EXPECT_EQ(r.ended_more_than_once_ids[0].tenant, "shop1");
  EXPECT_EQ(r.dead_lettered, 1u);
  EXPECT_EQ(r.waiting.jobs, 3u);
  EXPECT_EQ(r.waiting.by_reason, (std::map<std::string, uint64_t>{
                                     {"not_before", 1}, {"parked", 1}, {"retry", 1}}));
  EXPECT_EQ(r.waiting.earliest_due_ms, now_ms_ - 100);       // the parked one
  EXPECT_EQ(r.waiting.latest_due_ms, now_ms_ + 3'600'000);   // aud-later's latest hop
  EXPECT_EQ(r.waiting.due_already, 1u);
  EXPECT_EQ(r.missing, 1u);
  EXPECT_EQ(r.missing_by_last_event, (std::map<std::string, uint64_t>{{"submitted", 1}}));
  ASSERT_EQ(r.missing_ids.size(), 1u);
  EXPECT_EQ(r.missing_ids[0].id, "aud-missing");
  EXPECT_EQ(r.ended_not_on_jobs_topic, 1u);
  ASSERT_TRUE(r.smsc_record_read);
  EXPECT_EQ(r.smsc_submits, 3u);  // the campaign's numbers only
  EXPECT_EQ(r.numbers_accepted_twice, 1u);
  EXPECT_THAT(r.numbers_accepted_twice_masked, ElementsAre("+8210****0001"));
  EXPECT_EQ(tools::AuditExitCode(r), 1);
}

// The latest delay-tier record of a job holds it: the highest retry number, then the
// newest timestamp across tiers, then the higher offset within one partition.
TEST_F(BulkctlAuditTest, LatestTierRecordDecidesTheDueTime) {
  const int64_t now = now_ms_;
  Producer p(broker_.bootstrap());
  // Retry 2 holds the job, though a replay of retry 1 hopped later (newer timestamp).
  const std::string retry = Job("r", "hops-retry", "+821000000020");
  p.Send("bulkd.jobs", "r", retry);
  p.Send("bulkd.defer.1s", "r", retry,
         {{"bulkd-retry", RetryHeader(1, now - 4000, now - 2000)},
          {"bulkd-due-ms", std::to_string(now - 2000)}},
         now - 3000);
  p.Send("bulkd.defer.10s", "r", retry,
         {{"bulkd-retry", RetryHeader(2, now - 4000, now + 5000)},
          {"bulkd-due-ms", std::to_string(now + 5000)}},
         now - 2000);
  p.Send("bulkd.defer.60s", "r", retry,
         {{"bulkd-retry", RetryHeader(1, now - 4000, now - 2000)},
          {"bulkd-due-ms", std::to_string(now + 60000)}},
         now - 500);
  // Deferral hops in two tiers: the newer timestamp holds it, whatever the tier.
  const std::string hop = Job("d", "hops-deferral", "+821000000021");
  p.Send("bulkd.jobs", "d", hop);
  p.Send("bulkd.defer.600s", "d", hop, {{"bulkd-due-ms", std::to_string(now + 3'600'000)}},
         now - 1000);
  p.Send("bulkd.defer.3600s", "d", hop, {{"bulkd-due-ms", std::to_string(now + 7'200'000)}},
         now - 5000);
  // Two records in one partition with the same timestamp: the higher offset holds it.
  const std::string same = Job("o", "hops-offset", "+821000000022");
  p.Send("bulkd.jobs", "o", same);
  p.Send("bulkd.defer.60s", "o", same, {{"bulkd-due-ms", std::to_string(now + 1000)}}, now, 0);
  p.Send("bulkd.defer.60s", "o", same, {{"bulkd-due-ms", std::to_string(now + 2000)}}, now, 0);
  // Written without bulkd-due-ms: due when its tier releases it.
  const std::string bare = Job("b", "hops-bare", "+821000000023");
  p.Send("bulkd.jobs", "b", bare);
  p.Send("bulkd.defer.10s", "b", bare, {}, now - 3000);
  ASSERT_TRUE(p.Flush());

  const auto due = [&](const std::string& campaign) {
    const tools::AuditReport r = Audit(campaign);
    EXPECT_EQ(r.waiting.jobs, 1u) << campaign;
    EXPECT_EQ(r.waiting.earliest_due_ms, r.waiting.latest_due_ms) << campaign;
    return r.waiting.earliest_due_ms;
  };
  EXPECT_EQ(due("hops-retry"), now + 5000);
  EXPECT_EQ(due("hops-deferral"), now + 3'600'000);
  EXPECT_EQ(due("hops-offset"), now + 2000);
  EXPECT_EQ(due("hops-bare"), now + 7000);
  EXPECT_EQ(Audit("hops-retry").waiting.by_reason.count("retry"), 1u);
}

TEST_F(BulkctlAuditTest, WithoutAFilterUnreadableRecordsAreJobsOfTheirOwn) {
  ASSERT_NO_FATAL_FAILURE(ProduceFates());
  const tools::AuditReport r = Audit(std::nullopt, std::nullopt, record_);
  EXPECT_EQ(r.job_records, 13u);
  EXPECT_EQ(r.jobs, 13u);
  EXPECT_EQ(r.unreadable_job_records, 2u);
  EXPECT_EQ(r.unattributed_job_records, 0u);
  EXPECT_EQ(r.ended_once, 3u);  // aud-delivered, aud-quiet, fine-1
  EXPECT_EQ(r.dead_lettered, 2u);  // aud-dlq, the record at offset 0
  EXPECT_EQ(r.waiting.jobs, 4u);
  EXPECT_EQ(r.missing, 3u);  // aud-missing, other-missing, the record at offset 1
  EXPECT_EQ(r.missing_by_last_event,
            (std::map<std::string, uint64_t>{{"none", 2}, {"submitted", 1}}));
  ASSERT_EQ(r.missing_ids.size(), 3u);
  EXPECT_EQ(r.missing_ids[0].id, "aud-missing");
  EXPECT_EQ(r.missing_ids[1].id, "other-missing");
  EXPECT_EQ(r.missing_ids[2].where, "bulkd.jobs[0]@1");
  EXPECT_EQ(r.smsc_submits, 5u);
  EXPECT_EQ(r.numbers_accepted_twice, 2u);

  const tools::AuditReport shop2 = Audit(std::nullopt, std::string("shop2"));
  EXPECT_EQ(shop2.jobs, 2u);
  EXPECT_EQ(shop2.ended_once, 1u);
  EXPECT_EQ(shop2.waiting.jobs, 1u);
  EXPECT_EQ(tools::AuditExitCode(shop2), 0);
}

TEST_F(BulkctlAuditTest, CommandExitsOneOnProblemsZeroWhenAccountedForAndMasksNumbers) {
  ASSERT_NO_FATAL_FAILURE(ProduceFates());
  const RunResult bad = Run({"--brokers", broker_.bootstrap(), "--campaign", "aud",
                             "--smsc-record", record_});
  EXPECT_EQ(bad.code, 1) << bad.err;
  EXPECT_THAT(bad.out, HasSubstr("missing jobs"));
  EXPECT_THAT(bad.out, HasSubstr("shop1/aud-missing"));
  EXPECT_THAT(bad.out, HasSubstr("shop1/aud-twice"));
  EXPECT_THAT(bad.out, HasSubstr("+8210****0001"));
  EXPECT_THAT(bad.out, Not(HasSubstr("1000000001")));
  EXPECT_THAT(bad.out, HasSubstr("result: 1 missing, 1 ended more than once"));

  const RunResult json = Run({"--brokers", broker_.bootstrap(), "--campaign", "aud", "--json",
                              "--smsc-record", record_});
  EXPECT_EQ(json.code, 1) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"jobs\":8,"));
  EXPECT_THAT(json.out, HasSubstr("\"missing\":1,"));
  EXPECT_THAT(json.out, HasSubstr("\"ended_more_than_once\":1,"));
  EXPECT_THAT(json.out, HasSubstr("\"dead_lettered\":1,"));
  EXPECT_THAT(json.out, HasSubstr("\"by_reason\":{\"not_before\":1,\"parked\":1,\"retry\":1}"));
  EXPECT_THAT(json.out, HasSubstr("\"numbers\":[\"+8210****0001\"]"));
  EXPECT_THAT(json.out, HasSubstr("\"ok\":false"));
  EXPECT_THAT(json.out, Not(HasSubstr("1000000001")));

  const RunResult fine = Run({"--brokers", broker_.bootstrap(), "--campaign", "fine"});
  EXPECT_EQ(fine.code, 0) << fine.err;
  EXPECT_THAT(fine.out, HasSubstr("OK, every job is accounted for"));
  const RunResult tenant = Run({"--brokers", broker_.bootstrap(), "--tenant", "shop2", "--json"});
  EXPECT_EQ(tenant.code, 0) << tenant.err;
  EXPECT_THAT(tenant.out, HasSubstr("\"tenant\":\"shop2\""));
}

TEST_F(BulkctlAuditTest, CommandExitsTwoNamingWhatIsWrong) {
  const std::string unreachable = "127.0.0.1:" + std::to_string(testing::FreeTcpPort());
  const RunResult down = Run({"--brokers", unreachable, "--timeout", "2"});
  EXPECT_EQ(down.code, 2);
  EXPECT_THAT(down.err, HasSubstr("cannot reach Kafka at " + unreachable));

  const RunResult no_topic = Run({"--brokers", broker_.bootstrap(), "--defer-tiers", "1,10,61"});
  EXPECT_EQ(no_topic.code, 2);
  EXPECT_THAT(no_topic.err, HasSubstr("topic bulkd.defer.61s does not exist"));

  const RunResult no_events = Run({"--brokers", broker_.bootstrap(), "--events-topic", "nope"});
  EXPECT_EQ(no_events.code, 2);
  EXPECT_THAT(no_events.err, HasSubstr("topic nope does not exist"));

  const RunResult no_file = Run({"--brokers", broker_.bootstrap(), "--smsc-record",
                                 dir_.path() + "/absent.tsv"});
  EXPECT_EQ(no_file.code, 2);
  EXPECT_THAT(no_file.err, HasSubstr("cannot read --smsc-record file"));

  const RunResult tiers = Run({"--brokers", broker_.bootstrap(), "--defer-tiers", "10,1"});
  EXPECT_EQ(tiers.code, 2);
  EXPECT_THAT(tiers.err, HasSubstr("--defer-tiers must be increasing"));

  const RunResult usage = Run({"--campaign", "x"});
  EXPECT_EQ(usage.code, 2);
  EXPECT_THAT(usage.err, HasSubstr("--brokers is required"));
}

std::string Rfc3339Utc(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

// Through the real bulkd: 20 jobs sent, 5 held for a not_before an hour ahead in bulkd's
// own delay-tier records, 1 malformed. The audit must see 20 ended, 5 waiting with their
// due time, 1 dead-lettered, nothing missing, and no number accepted twice.
TEST_F(BulkctlAuditTest, AuditsACampaignRunThroughBulkd) {
  testing::RedisServer redis;
  const std::string record = dir_.path() + "/live-submits.tsv";
  ChildProcess smsc({BuiltBinary("tools/smsc_sim/smsc-sim"), "--port", "0", "--record", record});
  auto smsc_line = smsc.WaitForLine("listening on", std::chrono::seconds(20));
  ASSERT_TRUE(smsc_line);
  const std::string smsc_port = testing::TextAfter(*smsc_line, "127.0.0.1:");

  const int64_t not_before_ms = (now_ms_ / 1000 + 3600) * 1000;
  {
    Producer p(broker_.bootstrap());
    for (int i = 0; i < 25; ++i) {
      char to[20];
      std::snprintf(to, sizeof to, "+8210%08d", 5000 + i);
      const std::string extra =
          i < 20 ? "" : R"(,"not_before":")" + Rfc3339Utc(not_before_ms) + "\"";
      p.Send("bulkd.jobs", to, Job("live-" + std::to_string(i), "live", to, "shop1", extra));
    }
    p.Send("bulkd.jobs", "bad", Job("live-bad", "live", "12345"));
    ASSERT_TRUE(p.Flush());
  }
  const std::string config_file = dir_.path() + "/bulkd.yaml";
  std::ofstream(config_file) << "kafka: {brokers: \"" << broker_.bootstrap()
                             << "\", group_id: audit}\n"
                             << "redis: {port: " << redis.port() << "}\n"
                             << "smpp: {port: " << smsc_port << ", receipt_timeout_s: 5}\n"
                             << "admin: {port: 0}\n";
  ChildProcess bulkd({BuiltBinary("dispatcher/bulkd"), "--config", config_file});
  ASSERT_TRUE(bulkd.WaitForLine("admin listening on", std::chrono::seconds(20)));

  tools::AuditReport r;
  const bool settled = testing::WaitUntil(
      [&] {
        r = testing::AuditCampaign(broker_.bootstrap(), "live", record);
        return r.ended_once == 20 && r.waiting.jobs == 5 && r.dead_lettered == 1;
      },
      kDeadline, std::chrono::milliseconds(250));
  ASSERT_TRUE(settled) << tools::AuditTable(r);
  EXPECT_EQ(r.jobs, 26u);
  EXPECT_EQ(r.ended_once_by_state, (std::map<std::string, uint64_t>{{"delivered", 20}}));
  EXPECT_EQ(r.waiting.by_reason, (std::map<std::string, uint64_t>{{"not_before", 5}}));
  EXPECT_EQ(r.waiting.earliest_due_ms, not_before_ms);
  EXPECT_EQ(r.waiting.latest_due_ms, not_before_ms);
  EXPECT_EQ(r.waiting.due_already, 0u);
  EXPECT_EQ(r.missing, 0u);
  EXPECT_EQ(r.ended_more_than_once, 0u);
  EXPECT_EQ(r.smsc_submits, 20u);
  EXPECT_EQ(r.numbers_accepted_twice, 0u);
  EXPECT_EQ(tools::AuditExitCode(r), 0);

  bulkd.Signal(SIGTERM);
  EXPECT_EQ(bulkd.WaitForExit(std::chrono::seconds(40)), 0);
}

}  // namespace
}  // namespace bulkd
