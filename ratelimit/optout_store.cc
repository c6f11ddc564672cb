#include "ratelimit/optout_store.h"

#include <algorithm>
#include <istream>
#include <ostream>

#include "core/job_codec.h"

namespace bulkd::ratelimit {
namespace {

constexpr size_t kChunk = 1000;  // arguments per SADD/SREM/SMISMEMBER

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

// Field `column` of a delimited line, or nullopt if the line has fewer fields.
std::optional<std::string_view> Field(std::string_view line, char delimiter, size_t column) {
  for (size_t i = 0; i < column; ++i) {
    const size_t pos = line.find(delimiter);
    if (pos == std::string_view::npos) return std::nullopt;
    line.remove_prefix(pos + 1);
  }
  return Trim(line.substr(0, line.find(delimiter)));
}

}  // namespace

std::optional<std::string> NormalizeNumber(std::string_view raw,
                                           std::string_view default_country_code) {
  std::string n;
  n.reserve(raw.size() + 4);
  for (char c : raw) {
    if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '\t') continue;
    n.push_back(c);
  }
  if (n.rfind("00", 0) == 0) {
    n.replace(0, 2, "+");
  } else if (!n.empty() && n[0] == '0' && !default_country_code.empty()) {
    std::string international = "+";
    international.append(default_country_code).append(n, 1);
    n = std::move(international);
  }
  if (!core::IsE164(n)) return std::nullopt;
  return n;
}

OptOutStore::OptOutStore(RedisConnection& redis, std::string key_prefix)
    : redis_(redis), prefix_(std::move(key_prefix)) {}

std::string OptOutStore::Key(std::string_view tenant) const {
  std::string key = prefix_;
  key.append("optout:").append(tenant);
  return key;
}

Result<size_t> OptOutStore::Modify(std::string_view command, std::string_view tenant,
                                   std::span<const std::string> numbers) {
  if (tenant.empty()) return std::make_error_code(std::errc::invalid_argument);
  if (numbers.empty()) return size_t{0};
  const std::string key = Key(tenant);
  RedisBatch batch;
  for (size_t from = 0; from < numbers.size(); from += kChunk) {
    const size_t to = std::min(numbers.size(), from + kChunk);
    batch.BeginCommand(2 + to - from);
    batch.AddArg(command);
    batch.AddArg(key);
    for (size_t i = from; i < to; ++i) batch.AddArg(numbers[i]);
  }
  std::vector<RedisReply> replies;
  if (auto ec = redis_.Execute(batch, &replies)) return ec;
  size_t changed = 0;
  for (const RedisReply& r : replies) {
    if (r.is_error()) return r.error();
    if (r.type != RedisReply::Type::kInteger) return Errc::kUnexpectedReply;
    changed += static_cast<size_t>(r.integer);
  }
  return changed;
}

Result<size_t> OptOutStore::Add(std::string_view tenant, std::span<const std::string> numbers) {
  for (const std::string& n : numbers) {
    if (!core::IsE164(n)) return std::make_error_code(std::errc::invalid_argument);
  }
  return Modify("SADD", tenant, numbers);
}

Result<size_t> OptOutStore::Remove(std::string_view tenant,
                                   std::span<const std::string> numbers) {
  return Modify("SREM", tenant, numbers);
}

Result<std::vector<bool>> OptOutStore::Contains(std::string_view tenant,
                                                std::span<const std::string> numbers) {
  std::vector<bool> out(numbers.size(), false);
  if (numbers.empty()) return out;
  const std::string keys[] = {Key(tenant), Key(kGlobalTenant)};
  RedisBatch batch;
  for (const std::string& key : keys) {
    for (size_t from = 0; from < numbers.size(); from += kChunk) {
      const size_t to = std::min(numbers.size(), from + kChunk);
      batch.BeginCommand(2 + to - from);
      batch.AddArg("SMISMEMBER");
      batch.AddArg(key);
      for (size_t i = from; i < to; ++i) batch.AddArg(numbers[i]);
    }
  }
  std::vector<RedisReply> replies;
  if (auto ec = redis_.Execute(batch, &replies)) return ec;
  const size_t chunks = replies.size() / 2;
  for (size_t c = 0; c < replies.size(); ++c) {
    const RedisReply& r = replies[c];
    if (r.is_error()) return r.error();
    const size_t from = (c % chunks) * kChunk;
    if (r.type != RedisReply::Type::kArray ||
        r.elements.size() != std::min(kChunk, numbers.size() - from)) {
      return Errc::kUnexpectedReply;
    }
    for (size_t i = 0; i < r.elements.size(); ++i) {
      if (r.elements[i].integer == 1) out[from + i] = true;
    }
  }
  return out;
}

Result<size_t> OptOutStore::Count(std::string_view tenant) {
  auto reply = redis_.Command({"SCARD", Key(tenant)});
  if (!reply) return reply.error();
  if (reply.value().is_error()) return reply.value().error();
  return static_cast<size_t>(reply.value().integer);
}

Result<ImportReport> OptOutStore::Import(std::string_view tenant, std::istream& csv,
                                         const ImportOptions& options) {
  if (tenant.empty() || options.batch_size == 0) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  ImportReport report;
  std::vector<std::string> pending;
  auto flush = [&]() -> std::error_code {
    if (pending.empty()) return {};
    auto added = Modify("SADD", tenant, pending);
    if (!added) return added.error();
    report.added += added.value();
    report.already_present += pending.size() - added.value();
    pending.clear();
    return {};
  };
  std::string line;
  bool seen_content = false;
  while (std::getline(csv, line)) {
    ++report.lines;
    std::string_view view = line;
    if (report.lines == 1 && view.rfind("\xEF\xBB\xBF", 0) == 0) view.remove_prefix(3);  // BOM
    const std::string_view trimmed = Trim(view);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    const bool first = !seen_content;
    seen_content = true;
    const auto field = Field(view, options.delimiter, options.column);
    if (!field || field->empty()) {
      if (first && std::none_of(view.begin(), view.end(), IsDigit)) continue;  // header
      report.bad.push_back({report.lines, "no value in column " +
                                              std::to_string(options.column + 1)});
      continue;
    }
    auto number = NormalizeNumber(*field, options.default_country_code);
    if (!number) {
      if (first && std::none_of(view.begin(), view.end(), IsDigit)) continue;  // header
      const bool domestic = !field->empty() && (*field)[0] == '0' && field->size() > 1 &&
                            (*field)[1] != '0' && options.default_country_code.empty();
      report.bad.push_back({report.lines, domestic
                                              ? "domestic number: no default country code set"
                                              : "not an E.164 phone number"});
      continue;
    }
    pending.push_back(std::move(*number));
    if (pending.size() >= options.batch_size) {
      if (auto ec = flush()) return ec;
    }
  }
  if (auto ec = flush()) return ec;
  return report;
}

Result<size_t> OptOutStore::Export(std::string_view tenant, std::ostream& out) {
  const std::string key = Key(tenant);
  std::string cursor = "0";
  size_t written = 0;
  do {
    auto reply = redis_.Command({"SSCAN", key, cursor, "COUNT", "1000"});
    if (!reply) return reply.error();
    const RedisReply& r = reply.value();
    if (r.is_error()) return r.error();
    if (r.type != RedisReply::Type::kArray || r.elements.size() != 2) {
      return Errc::kUnexpectedReply;
    }
    cursor = r.elements[0].str;
    for (const RedisReply& member : r.elements[1].elements) {
      out << member.str << '\n';
      ++written;
    }
    if (!out) return std::make_error_code(std::errc::io_error);
  } while (cursor != "0");
  return written;
}

}  // namespace bulkd::ratelimit
