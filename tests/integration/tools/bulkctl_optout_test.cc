// bulkctl optout against a real redis-server: the built binary is run as a child process
// and the sets are inspected with plain Redis commands.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/redis_server.h"

namespace bulkd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::BuiltBinary;
using testing::ChildProcess;
using testing::RedisServer;
using testing::TempDir;

constexpr std::chrono::seconds kDeadline{60};

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::set<std::string> Lines(const std::string& text) {
  std::set<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.insert(line);
  }
  return lines;
}

class BulkctlOptOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    prefix_ = std::string("test-") + info->name() + ":";
  }

  // Runs `bulkctl optout <action> --redis-port P --key-prefix X <args...>`, reads stdout
  // to EOF and waits for the exit; stderr goes to a file read afterwards.
  RunResult Run(const std::string& action, std::vector<std::string> args,
                int port = -1) {
    const std::string err_path = dir_.path() + "/stderr";
    std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$@\" 2>'" + err_path + "'",
                                     "sh", BuiltBinary("tools/bulkctl/bulkctl"), "optout",
                                     action, "--redis-port",
                                     std::to_string(port < 0 ? redis_.port() : port),
                                     "--key-prefix", prefix_};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess child(argv);
    child.WaitForLine("\x01 never printed", kDeadline);  // returns at EOF
    RunResult result;
    const auto code = child.WaitForExit(kDeadline);
    EXPECT_TRUE(code.has_value()) << "bulkctl optout " << action << " did not exit";
    result.code = code.value_or(-1);
    result.out = child.output();
    result.err = ReadFile(err_path);
    return result;
  }

  std::string Key(const std::string& tenant) const { return prefix_ + "optout:" + tenant; }
  std::string Redis(const std::vector<std::string>& args) { return redis_.Command(args); }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  RedisServer redis_;
  TempDir dir_;
  std::string prefix_;
};

TEST_F(BulkctlOptOutTest, AddsChecksAndRemovesNumbers) {
  RunResult add = Run("add", {"--tenant", "shop1", "--country-code", "82", "+821011112222",
                              "010-2222-3333"});
  EXPECT_EQ(add.code, 0) << add.err;
  EXPECT_THAT(add.out, HasSubstr("added 2 of 2"));
  EXPECT_EQ(Redis({"SCARD", Key("shop1")}), "2");
  EXPECT_EQ(Redis({"SISMEMBER", Key("shop1"), "+821022223333"}), "1");

  RunResult again = Run("add", {"--tenant", "shop1", "+821011112222"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("added 0 of 1"));

  RunResult check = Run("check", {"--tenant", "shop1", "+821011112222", "+821099990000"});
  EXPECT_EQ(check.code, 0) << check.err;
  EXPECT_EQ(check.out,
            "+821011112222\topted_out\ttenant\n+821099990000\tnot_opted_out\t-\n");

  RunResult remove = Run("remove", {"--tenant", "shop1", "+821011112222"});
  EXPECT_EQ(remove.code, 0) << remove.err;
  EXPECT_THAT(remove.out, HasSubstr("removed 1 of 1"));
  EXPECT_EQ(Redis({"SISMEMBER", Key("shop1"), "+821011112222"}), "0");

  RunResult after = Run("check", {"--tenant", "shop1", "+821011112222"});
  EXPECT_EQ(after.code, 0) << after.err;
  EXPECT_EQ(after.out, "+821011112222\tnot_opted_out\t-\n");
}

TEST_F(BulkctlOptOutTest, TheGlobalSetAppliesToEveryTenant) {
  RunResult add = Run("add", {"--tenant", "_global", "+821055556666"});
  EXPECT_EQ(add.code, 0) << add.err;
  EXPECT_EQ(Redis({"SISMEMBER", Key("_global"), "+821055556666"}), "1");

  RunResult check = Run("check", {"--tenant", "any-tenant", "+821055556666"});
  EXPECT_EQ(check.code, 0) << check.err;
  EXPECT_EQ(check.out, "+821055556666\topted_out\tglobal\n");
}

TEST_F(BulkctlOptOutTest, BadArgumentsAreNamedByPositionAndTheGoodOnesApplied) {
  RunResult add = Run("add", {"--tenant", "shop1", "+821011112222", "01033334444", "12ab"});
  EXPECT_EQ(add.code, 3);
  EXPECT_THAT(add.err, HasSubstr("number 2: domestic number"));
  EXPECT_THAT(add.err, HasSubstr("number 3: not an E.164 phone number"));
  EXPECT_THAT(add.err, Not(HasSubstr("01033334444")));
  EXPECT_THAT(add.err, Not(HasSubstr("12ab")));
  EXPECT_EQ(Redis({"SMEMBERS", Key("shop1")}), "+821011112222");
}

TEST_F(BulkctlOptOutTest, ImportReportsBadLinesByNumberAndExitsThree) {
  // A 080 rejection list as operators get it: header, domestic numbers, a comment, a
  // blank line and three bad lines (4, 7 and 10).
  const std::string csv =
      "수신거부번호,접수일\n"       // 1 header
      "010-1234-5678,2026-11-01\n"  // 2
      "01022223333,2026-11-01\n"    // 3
      "010-98,2026-11-02\n"         // 4 bad: too short
      "# 11월 2주차\n"              // 5 comment
      "\n"                          // 6 blank
      "전화번호없음,2026-11-03\n"   // 7 bad: not a number
      "+82 10 4444 5555,2026-11-03\r\n"  // 8 CRLF, international
      "\"010.6666.7777\",2026-11-04\n"   // 9 quoted
      ",2026-11-05\n"               // 10 bad: empty column
      "01088889999,2026-11-05\n";   // 11
  const std::string path = WriteFile("reject080.csv", csv);

  RunResult import = Run("import", {"--tenant", "shop1", "--file", path, "--country-code", "82"});
  EXPECT_EQ(import.code, 3) << import.err;
  EXPECT_THAT(import.err, HasSubstr("line 4:"));
  EXPECT_THAT(import.err, HasSubstr("line 7:"));
  EXPECT_THAT(import.err, HasSubstr("line 10: no value in column 1"));
  for (const char* good_line : {"line 2:", "line 3:", "line 8:", "line 9:", "line 11:"}) {
    EXPECT_THAT(import.err, Not(HasSubstr(good_line)));
  }
  EXPECT_THAT(import.err, Not(HasSubstr("010-98")));  // never the content of a bad line
  EXPECT_THAT(import.out, HasSubstr("5 added"));
  EXPECT_THAT(import.out, HasSubstr("3 bad"));
  EXPECT_EQ(Lines(Redis({"SMEMBERS", Key("shop1")})),
            (std::set<std::string>{"+821012345678", "+821022223333", "+821044445555",
                                   "+821066667777", "+821088889999"}));

  // All good: exit 0, and a re-import adds nothing.
  const std::string clean = WriteFile("clean.csv", "+821012345678\n+821000001111\n");
  RunResult ok = Run("import", {"--tenant", "shop1", "--file", clean});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("1 added, 1 already present, 0 bad"));
}

TEST_F(BulkctlOptOutTest, ImportTakesAColumnAndADelimiter) {
  const std::string path =
      WriteFile("list.tsv", "name\tphone\nkim\t010-1111-2222\nlee\t+8210-3333-4444\n");
  RunResult import = Run("import", {"--tenant", "shop1", "--file", path, "--column", "2",
                                    "--delimiter", "tab", "--country-code", "82"});
  EXPECT_EQ(import.code, 0) << import.err;
  EXPECT_EQ(Lines(Redis({"SMEMBERS", Key("shop1")})),
            (std::set<std::string>{"+821011112222", "+821033334444"}));
}

TEST_F(BulkctlOptOutTest, DomesticNumbersWithoutCountryCodeAreBadWithAHint) {
  const std::string path = WriteFile("domestic.csv", "01011112222\n");
  RunResult import = Run("import", {"--tenant", "shop1", "--file", path});
  EXPECT_EQ(import.code, 3);
  EXPECT_THAT(import.err, HasSubstr("line 1: domestic number"));
  EXPECT_THAT(import.err, HasSubstr("--country-code"));
  EXPECT_EQ(Redis({"EXISTS", Key("shop1")}), "0");
}

TEST_F(BulkctlOptOutTest, ExportRoundTripsThroughImport) {
  // 2,500 numbers: more than one import batch and several SSCAN pages.
  std::string csv;
  std::set<std::string> numbers;
  for (int i = 0; i < 2500; ++i) {
    char n[32];
    std::snprintf(n, sizeof n, "+8210%08d", 10000000 + i * 7);
    numbers.insert(n);
    csv += std::string(n) + "\n";
  }
  RunResult import = Run("import", {"--tenant", "src", "--file", WriteFile("in.csv", csv)});
  ASSERT_EQ(import.code, 0) << import.err;

  RunResult to_stdout = Run("export", {"--tenant", "src"});
  EXPECT_EQ(to_stdout.code, 0) << to_stdout.err;
  EXPECT_EQ(Lines(to_stdout.out), numbers);
  EXPECT_EQ(std::count(to_stdout.out.begin(), to_stdout.out.end(), '\n'), 2500);
  EXPECT_THAT(to_stdout.err, HasSubstr("exported 2500 numbers"));

  const std::string out_path = dir_.path() + "/export.txt";
  RunResult to_file = Run("export", {"--tenant", "src", "--out", out_path});
  EXPECT_EQ(to_file.code, 0) << to_file.err;
  EXPECT_EQ(to_file.out, "");
  EXPECT_EQ(Lines(ReadFile(out_path)), numbers);

  RunResult back = Run("import", {"--tenant", "dst", "--file", out_path});
  EXPECT_EQ(back.code, 0) << back.err;
  EXPECT_EQ(Redis({"SCARD", Key("dst")}), "2500");
  EXPECT_EQ(Redis({"SDIFF", Key("src"), Key("dst")}), "");
}

TEST_F(BulkctlOptOutTest, RedisDownExitsOneWithAClearMessage) {
  const int port = redis_.port();
  redis_.Stop();
  RunResult add = Run("add", {"--tenant", "shop1", "+821011112222"}, port);
  EXPECT_EQ(add.code, 1);
  EXPECT_THAT(add.err, HasSubstr("redis 127.0.0.1:" + std::to_string(port)));
  EXPECT_THAT(add.err, HasSubstr("cannot connect"));
  EXPECT_THAT(add.err, Not(HasSubstr("+821011112222")));

  const std::string out_path = dir_.path() + "/never.txt";
  RunResult exp = Run("export", {"--tenant", "shop1", "--out", out_path}, port);
  EXPECT_EQ(exp.code, 1);
  EXPECT_FALSE(std::ifstream(out_path).good()) << "no half-written export";
}

TEST_F(BulkctlOptOutTest, AnUnreadableFileIsAUsageError) {
  RunResult import = Run("import", {"--tenant", "shop1", "--file", dir_.path() + "/nope.csv"});
  EXPECT_EQ(import.code, 2);
  EXPECT_THAT(import.err, HasSubstr("cannot open --file"));
}

}  // namespace
}  // namespace bulkd
