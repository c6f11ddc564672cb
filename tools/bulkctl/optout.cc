// bulkctl optout: add, remove, check, import and export the opt-out sets in Redis
// (`{prefix}optout:{tenant}`, docs/contracts.md) through ratelimit::OptOutStore.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "ratelimit/optout_store.h"
#include "ratelimit/redis_connection.h"
#include "tools/bulkctl/commands.h"

namespace bulkd::tools {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRedis = 1;
constexpr int kExitUsage = 2;
constexpr int kExitSomeBad = 3;

using ratelimit::OptOutStore;

// Reports to stderr as "bulkctl optout <action>: <message>".
void Complain(const OptOutOptions& o, std::string_view message) {
  std::cerr << "bulkctl optout " << o.action << ": " << message << "\n";
}

// "redis 127.0.0.1:6379: SADD failed: redis command timed out".
int RedisFailure(const OptOutOptions& o, std::error_code ec, std::string_view doing) {
  Complain(o, "redis " + o.redis_host + ":" + std::to_string(o.redis_port) + ": " +
                  std::string(doing) + ": " + ec.message());
  return kExitRedis;
}

bool ValidTenant(std::string_view tenant) {
  if (tenant.empty() || tenant.size() > 200) return false;
  for (unsigned char c : tenant) {
    if (c <= ' ' || c == 0x7f) return false;  // no spaces or control bytes in a key
  }
  return true;
}

// "," ";" "|" or any one byte; "\t" or "tab" for TSV.
std::optional<char> ParseDelimiter(std::string_view d) {
  if (d == "\\t" || d == "tab" || d == "TAB") return '\t';
  if (d.size() == 1 && d[0] != '\n' && d[0] != '\r' && d[0] != '"') return d[0];
  return std::nullopt;
}

bool ValidCountryCode(std::string_view cc) {
  if (cc.empty()) return true;
  if (cc.size() > 3 || cc[0] == '0') return false;
  for (char c : cc) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Normalises the positional numbers; reports bad ones by position, never by content
// (phone numbers are personal data). Returns the good ones.
std::vector<std::string> NormalizeArgs(const OptOutOptions& o, size_t* bad) {
  std::vector<std::string> good;
  good.reserve(o.numbers.size());
  for (size_t i = 0; i < o.numbers.size(); ++i) {
    if (auto n = ratelimit::NormalizeNumber(o.numbers[i], o.country_code)) {
      good.push_back(std::move(*n));
      continue;
    }
    ++*bad;
    const bool domestic = o.country_code.empty() && o.numbers[i].size() > 1 &&
                          o.numbers[i][0] == '0' && o.numbers[i][1] != '0';
    Complain(o, "number " + std::to_string(i + 1) + ": " +
                    (domestic ? "domestic number: give --country-code (e.g. 82)"
                              : "not an E.164 phone number"));
  }
  return good;
}

int Modify(const OptOutOptions& o, OptOutStore& store, const std::string& key) {
  size_t bad = 0;
  const std::vector<std::string> numbers = NormalizeArgs(o, &bad);
  const bool add = o.action == "add";
  auto changed = add ? store.Add(o.tenant, numbers) : store.Remove(o.tenant, numbers);
  if (!changed) return RedisFailure(o, changed.error(), add ? "SADD failed" : "SREM failed");
  const size_t n = changed.value();
  if (add) {
    std::cout << "added " << n << " of " << numbers.size() << " numbers to " << key << " ("
              << numbers.size() - n << " already present";
  } else {
    std::cout << "removed " << n << " of " << numbers.size() << " numbers from " << key
              << " (" << numbers.size() - n << " were not present";
  }
  std::cout << ", " << bad << " bad)\n";
  return bad == 0 ? kExitOk : kExitSomeBad;
}

// One line per good number: "<number>\t<opted_out|not_opted_out>\t<global|tenant|->".
int Check(const OptOutOptions& o, OptOutStore& store) {
  size_t bad = 0;
  const std::vector<std::string> numbers = NormalizeArgs(o, &bad);
  auto any = store.Contains(o.tenant, numbers);  // tenant or global
  if (!any) return RedisFailure(o, any.error(), "SMISMEMBER failed");
  auto global = store.Contains(ratelimit::kGlobalTenant, numbers);
  if (!global) return RedisFailure(o, global.error(), "SMISMEMBER failed");
  for (size_t i = 0; i < numbers.size(); ++i) {
    const bool in_global = global.value()[i];
    const bool in_any = any.value()[i];
    std::cout << numbers[i] << '\t' << (in_any ? "opted_out" : "not_opted_out") << '\t'
              << (in_global ? "global" : in_any ? "tenant" : "-") << '\n';
  }
  return bad == 0 ? kExitOk : kExitSomeBad;
}

int Import(const OptOutOptions& o, OptOutStore& store, const std::string& key) {
  const auto delimiter = ParseDelimiter(o.delimiter);
  if (!delimiter) {
    Complain(o, "--delimiter must be one character (or \\t / tab)");
    return kExitUsage;
  }
  if (o.column < 1) {
    Complain(o, "--column is 1-based");
    return kExitUsage;
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  if (o.file != "-") {
    file.open(o.file, std::ios::binary);
    if (!file) {
      Complain(o, "cannot open --file " + o.file + ": " + std::strerror(errno));
      return kExitUsage;
    }
    in = &file;
  }
  ratelimit::ImportOptions options;
  options.delimiter = *delimiter;
  options.column = o.column - 1;
  options.default_country_code = o.country_code;
  auto report = store.Import(o.tenant, *in, options);
  if (!report) {
    return RedisFailure(o, report.error(),
                        "import stopped (numbers of earlier batches stay added; "
                        "re-running the import is harmless)");
  }
  if (in->bad()) {
    Complain(o, "read error on --file " + o.file + " after line " +
                    std::to_string(report.value().lines));
    return kExitUsage;
  }
  const ratelimit::ImportReport& r = report.value();
  bool domestic = false;
  for (const ratelimit::BadLine& b : r.bad) {
    Complain(o, "line " + std::to_string(b.line) + ": " + b.reason);
    domestic = domestic || b.reason.find("country code") != std::string::npos;
  }
  if (domestic) Complain(o, "hint: domestic numbers (010-...) need --country-code, e.g. 82");
  std::cout << "imported into " << key << ": " << r.lines << " lines read, " << r.added
            << " added, " << r.already_present << " already present, " << r.bad.size()
            << " bad\n";
  return r.bad.empty() ? kExitOk : kExitSomeBad;
}

// To stdout, or to --out through a temp file renamed on success (no half-written file).
int Export(const OptOutOptions& o, OptOutStore& store, const std::string& key) {
  if (o.out.empty() || o.out == "-") {
    auto written = store.Export(o.tenant, std::cout);
    std::cout.flush();
    if (!written && written.error() == std::errc::io_error) {
      Complain(o, "cannot write to stdout");
      return kExitRedis;
    }
    if (!written) return RedisFailure(o, written.error(), "SSCAN failed");
    std::cerr << "exported " << written.value() << " numbers from " << key << "\n";
    return kExitOk;
  }
  const std::string tmp = o.out + ".tmp." + std::to_string(getpid());
  std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
  if (!file) {
    Complain(o, "cannot create " + tmp + ": " + std::strerror(errno));
    return kExitUsage;
  }
  auto written = store.Export(o.tenant, file);
  file.close();
  std::error_code ignored;
  if (!written || !file) {
    std::filesystem::remove(tmp, ignored);
    if (!written && written.error() != std::errc::io_error) {
      return RedisFailure(o, written.error(), "SSCAN failed");
    }
    Complain(o, "cannot write " + o.out);
    return kExitRedis;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, o.out, ec);
  if (ec) {
    std::filesystem::remove(tmp, ignored);
    Complain(o, "cannot rename " + tmp + " to " + o.out + ": " + ec.message());
    return kExitRedis;
  }
  std::cerr << "exported " << written.value() << " numbers from " << key << " to " << o.out
            << "\n";
  return kExitOk;
}

}  // namespace

int OptOut(const OptOutOptions& o) {
  if (!ValidTenant(o.tenant)) {
    Complain(o, "--tenant must be a non-empty id without spaces (\"_global\" for the "
                "global set)");
    return kExitUsage;
  }
  if (!ValidCountryCode(o.country_code)) {
    Complain(o, "--country-code must be 1 to 3 digits without a leading 0 (e.g. 82)");
    return kExitUsage;
  }
  // Library logs go to stderr (stdout may carry the export) and only above WARN: the
  // connection's own warnings would repeat the message printed here.
  auto logger = spdlog::stderr_color_mt("bulkctl");
  logger->set_level(spdlog::level::err);
  spdlog::set_default_logger(logger);

  ratelimit::RedisOptions redis_options;
  redis_options.host = o.redis_host;
  redis_options.port = o.redis_port;
  redis_options.connect_timeout = std::chrono::milliseconds(o.redis_timeout_ms);
  redis_options.command_timeout = std::chrono::milliseconds(o.redis_timeout_ms);
  ratelimit::RedisConnection redis(redis_options);
  if (auto ec = redis.Connect()) {
    return RedisFailure(o, ec, "cannot connect (check --redis-host/--redis-port)");
  }
  OptOutStore store(redis, o.key_prefix);
  const std::string key = o.key_prefix + "optout:" + o.tenant;

  if (o.action == "add" || o.action == "remove") return Modify(o, store, key);
  if (o.action == "check") return Check(o, store);
  if (o.action == "import") return Import(o, store, key);
  if (o.action == "export") return Export(o, store, key);
  Complain(o, "unknown action");
  return kExitUsage;
}

}  // namespace bulkd::tools
