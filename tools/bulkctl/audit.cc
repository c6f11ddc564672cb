#include "tools/bulkctl/audit.h"

#include <simdjson.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <compare>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string_view>

#include "core/event.h"
#include "core/json_escape.h"
#include "core/mask.h"
#include "dispatcher/durable/retry_state.h"
#include "dispatcher/kafka/kafka_config.h"
#include "tools/bulkctl/commands.h"
#include "tools/bulkctl/topic_reader.h"

namespace bulkd::tools {

AuditOptions::AuditOptions() {
  const dispatcher::KafkaConfig defaults;
  jobs_topic = defaults.jobs_topic;
  events_topic = defaults.events_topic;
  dlq_topic = defaults.dlq_topic;
  defer_topic_prefix = defaults.defer_topic_prefix;
  defer_tiers_s = defaults.defer_tiers_s;
}

namespace {

constexpr char kDueHeader[] = "bulkd-due-ms";  // dispatcher/pipeline/pipeline.cc writes it

// A job's identity, (tenant, id), as a 128-bit hash: every record is reduced to one of
// these and sorted, instead of keeping a map of strings per job.
struct Key {
  uint64_t hi = 0, lo = 0;
  auto operator<=>(const Key&) const = default;
};

// Where a job's tenant and id (or, for an unreadable record, its position) are kept.
struct IdRef {
  uint64_t offset = 0;
  uint32_t tenant_len = 0;
  uint32_t id_len = 0;  // with `unreadable`: the length of the position text
  bool unreadable = false;
};

struct JobEntry {
  Key key;
  uint64_t number = 0;  // hash of the recipient's digits; 0 when the job has no `to`
  IdRef ref;
};

enum DeferralCode : uint8_t { kNoCode, kNotBefore, kQuietHours };

struct EventEntry {
  Key key;
  uint32_t seq = 0;  // order of reading: one job's events share a partition (key = id)
  core::EventType type = core::EventType::kSubmitted;
  DeferralCode code = kNoCode;  // of a deferred event
};

struct TierEntry {
  Key key;
  uint32_t retry = 0;  // k of a bulkd-retry record; 0 for a deferral
  bool is_retry = false;
  int64_t timestamp_ms = 0;
  int32_t topic = 0;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t due_ms = 0;
};

// The latest delay-tier record of a job is the one that holds it now; it sorts last:
//  1. The higher retry number k wins. Retry record k+1 is written only after record k
//     was taken (the in-flight ledger lets only record k take the job), while a replay
//     of the original or of an older retry record may still hop to a tier later, with
//     a newer timestamp, only to be dropped as a duplicate when it comes back.
//  2. With the same k (a deferral, or one retry record's hops), the later Kafka
//     timestamp: bulkd writes a hop only after reading the record before it, once that
//     record's timestamp plus its tier's delay (at least a second) has passed. The hops
//     of one job go to different tier topics, whose offsets cannot be compared, but
//     their create times can.
//  3. Within one topic partition, the higher offset (equal milliseconds); across topics
//     with equal timestamps, which only a replayed duplicate can produce, either one
//     says the same: waiting.
bool TierOrder(const TierEntry& a, const TierEntry& b) {
  return std::tie(a.key, a.retry, a.timestamp_ms, a.topic, a.partition, a.offset) <
         std::tie(b.key, b.retry, b.timestamp_ms, b.topic, b.partition, b.offset);
}

struct DlqEntry {
  Key key;
};

// The job fields the audit needs from a job, tier or DLQ record, or from an event.
struct Fields {
  std::string_view id, tenant, campaign, to, event, code;
  bool has_id = false;
};

// Parses records with simdjson's DOM parser (full validation, as bulkd's job codec
// does, so "readable" means the same thing here and there), reusing one padded buffer.
class RecordParser {
 public:
  // False when `bytes` is not a JSON object with a string "id". Views stay valid until
  // the next call. A repeated key takes its last value; null counts as absent.
  bool Parse(std::string_view bytes, Fields& out) {
    out = Fields{};
    if (buffer_.size() < bytes.size() + simdjson::SIMDJSON_PADDING)
      buffer_.resize(bytes.size() + simdjson::SIMDJSON_PADDING);
    std::copy(bytes.begin(), bytes.end(), buffer_.begin());
    simdjson::dom::element root;
    if (parser_.parse(buffer_.data(), bytes.size(), false).get(root) != simdjson::SUCCESS)
      return false;
    simdjson::dom::object object;
    if (root.get_object().get(object) != simdjson::SUCCESS) return false;
    for (const auto field : object) {
      std::string_view* into = nullptr;
      const std::string_view name = field.key;
      if (name == "id") into = &out.id;
      else if (name == "tenant") into = &out.tenant;
      else if (name == "campaign") into = &out.campaign;
      else if (name == "to") into = &out.to;
      else if (name == "event") into = &out.event;
      else if (name == "code") into = &out.code;
      if (into == nullptr) continue;
      std::string_view text;
      const bool is_string = field.value.get_string().get(text) == simdjson::SUCCESS;
      *into = is_string ? text : std::string_view{};
      if (into == &out.id) out.has_id = is_string;
    }
    return out.has_id;
  }

 private:
  simdjson::dom::parser parser_;
  std::vector<char> buffer_;
};

class Hasher {
 public:
  Key Job(std::string_view tenant, std::string_view id) {
    scratch_.assign(tenant).push_back('\0');
    scratch_.append(id);
    return Of(scratch_);
  }
  // A record of the jobs topic without a readable id, by its position.
  Key Position(std::string_view topic, int64_t partition, int64_t offset) {
    scratch_.assign("\x01").append(topic).push_back('\0');
    scratch_.append(std::to_string(partition)).push_back(':');
    scratch_.append(std::to_string(offset));
    return Of(scratch_);
  }

 private:
  static Key Of(std::string_view bytes) {
    const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
    return Key{h.high64, h.low64};
  }
  std::string scratch_;
};

// A recipient's number as digits only ("+821012345678" and smsc-sim's "821012345678"
// are the same number), hashed; 0 stands for "none".
uint64_t NumberHash(std::string_view number) {
  if (!number.empty() && number.front() == '+') number.remove_prefix(1);
  if (number.empty()) return 0;
  const uint64_t h = XXH3_64bits(number.data(), number.size());
  return h == 0 ? 1 : h;
}

class IdArena {
 public:
  IdRef Add(std::string_view tenant, std::string_view id) {
    constexpr size_t kMax = 256;  // longer (malformed) ids are listed cut short
    tenant = tenant.substr(0, kMax);
    id = id.substr(0, kMax);
    IdRef ref{bytes_.size(), static_cast<uint32_t>(tenant.size()),
              static_cast<uint32_t>(id.size()), false};
    bytes_.append(tenant).append(id);
    return ref;
  }
  IdRef AddPosition(std::string_view where) {
    IdRef ref{bytes_.size(), 0, static_cast<uint32_t>(where.size()), true};
    bytes_.append(where);
    return ref;
  }
  AuditJobRef Get(const IdRef& ref) const {
    const std::string_view all(bytes_);
    AuditJobRef out;
    if (ref.unreadable) {
      out.where = all.substr(ref.offset, ref.id_len);
    } else {
      out.tenant = all.substr(ref.offset, ref.tenant_len);
      out.id = all.substr(ref.offset + ref.tenant_len, ref.id_len);
    }
    return out;
  }

 private:
  std::string bytes_;
};

std::optional<core::EventType> EventTypeOf(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(core::EventType::kDead); ++i) {
    const auto type = static_cast<core::EventType>(i);
    if (core::ToString(type) == name) return type;
  }
  return std::nullopt;
}

bool ParseInt(std::string_view text, int64_t& out) {
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

void CheckOptions(const AuditOptions& o) {
  if (o.brokers.empty()) throw AuditError("usage: --brokers is required");
  if (o.defer_tiers_s.empty() || o.defer_tiers_s.size() > 7)
    throw AuditError("usage: --defer-tiers needs 1 to 7 tiers");
  for (size_t i = 0; i < o.defer_tiers_s.size(); ++i) {
    if (o.defer_tiers_s[i] < 1 || o.defer_tiers_s[i] > 86400 ||
        (i > 0 && o.defer_tiers_s[i] <= o.defer_tiers_s[i - 1]))
      throw AuditError("usage: --defer-tiers must be increasing, each 1 to 86400 seconds");
  }
  if (o.timeout_s < 1) throw AuditError("usage: --timeout must be at least 1 second");
}

// One job's records: [begin, end) of each sorted stream.
template <typename Entry>
struct Span {
  const Entry* begin = nullptr;
  const Entry* end = nullptr;
  bool empty() const { return begin == end; }
  size_t size() const { return static_cast<size_t>(end - begin); }
};

template <typename Entry>
Span<Entry> Take(const std::vector<Entry>& v, size_t& cursor, const Key& key) {
  Span<Entry> s{v.data() + cursor, v.data() + cursor};
  while (cursor < v.size() && v[cursor].key == key) ++cursor;
  s.end = v.data() + cursor;
  return s;
}

template <typename Entry>
void LowerKey(const std::vector<Entry>& v, size_t cursor, std::optional<Key>& key) {
  if (cursor < v.size() && (!key || v[cursor].key < *key)) key = v[cursor].key;
}

// Everything read, before the accounting.
struct Collected {
  std::vector<JobEntry> jobs;
  std::vector<EventEntry> events;
  std::vector<TierEntry> tiers;
  std::vector<DlqEntry> dlq;
  IdArena arena;
};

class Collector {
 public:
  Collector(const AuditOptions& o, AuditReport& report, Collected& c)
      : o_(o), report_(report), c_(c) {}

  bool Selected(const Fields& f) const {
    return (!o_.campaign || f.campaign == *o_.campaign) && (!o_.tenant || f.tenant == *o_.tenant);
  }
  bool Filtered() const { return o_.campaign || o_.tenant; }

  void Job(const TopicRecord& r) {
    Fields f;
    if (!parser_.Parse(r.value, f)) {
      if (Filtered()) {
        ++report_.unattributed_job_records;
        return;
      }
      const std::string where = o_.jobs_topic + "[" + std::to_string(r.partition) + "]@" +
                                std::to_string(r.offset);
      c_.jobs.push_back({hasher_.Position(o_.jobs_topic, r.partition, r.offset), 0,
                         c_.arena.AddPosition(where)});
      ++report_.job_records;
      return;
    }
    if (!Selected(f)) return;
    c_.jobs.push_back({hasher_.Job(f.tenant, f.id), NumberHash(f.to), c_.arena.Add(f.tenant, f.id)});
    ++report_.job_records;
  }

  void Event(const TopicRecord& r) {
    Fields f;
    if (!parser_.Parse(r.value, f) || !Selected(f)) return;
    const auto type = EventTypeOf(f.event);
    if (!type) return;
    DeferralCode code = kNoCode;
    if (*type == core::EventType::kDeferred) {
      code = f.code == "NOT_BEFORE" ? kNotBefore : f.code == "QUIET_HOURS" ? kQuietHours : kNoCode;
    }
    c_.events.push_back({hasher_.Job(f.tenant, f.id), seq_++, *type, code});
  }

  void Tier(const TopicRecord& r, int tier_index) {
    Fields f;
    if (!parser_.Parse(r.value, f) || !Selected(f)) return;  // bulkd dead-letters it
    TierEntry t;
    t.key = hasher_.Job(f.tenant, f.id);
    t.timestamp_ms = r.timestamp_ms;
    t.topic = r.topic;
    t.partition = r.partition;
    t.offset = r.offset;
    std::string_view header;
    std::optional<dispatcher::RetryState> retry;
    if (r.Header(dispatcher::kRetryHeader, header)) {
      t.is_retry = true;
      retry = dispatcher::ParseRetryHeader(header);  // malformed: bulkd dead-letters it
      if (retry) t.retry = retry->retry;
    }
    if (!r.Header(kDueHeader, header) || !ParseInt(header, t.due_ms)) {
      // Not written by bulkd as documented; the tier releases it after its delay.
      t.due_ms = retry ? retry->due_ms
                       : r.timestamp_ms + int64_t{o_.defer_tiers_s[static_cast<size_t>(tier_index)]} * 1000;
    }
    c_.tiers.push_back(t);
  }

  void Dlq(const TopicRecord& r) {
    Fields f;
    if (parser_.Parse(r.value, f)) {
      if (Selected(f)) c_.dlq.push_back({hasher_.Job(f.tenant, f.id)});
      return;
    }
    // The bytes of a record without a readable id: matched to it by its position.
    std::string_view topic, partition, offset;
    int64_t p = 0, off = 0;
    if (Filtered() || !r.Header("source_topic", topic) || topic != o_.jobs_topic ||
        !r.Header("source_partition", partition) || !r.Header("source_offset", offset) ||
        !ParseInt(partition, p) || !ParseInt(offset, off)) {
      return;
    }
    c_.dlq.push_back({hasher_.Position(o_.jobs_topic, p, off)});
  }

 private:
  const AuditOptions& o_;
  AuditReport& report_;
  Collected& c_;
  RecordParser parser_;
  Hasher hasher_;
  uint32_t seq_ = 0;
};

template <typename T>
void AddListed(std::vector<T>& list, size_t limit, T item) {
  if (list.size() < limit) list.push_back(std::move(item));
}

void Account(const AuditOptions& o, Collected& c, AuditReport& report,
             std::vector<uint64_t>& job_numbers) {
  std::sort(c.jobs.begin(), c.jobs.end(),
            [](const JobEntry& a, const JobEntry& b) { return a.key < b.key; });
  std::sort(c.events.begin(), c.events.end(), [](const EventEntry& a, const EventEntry& b) {
    return std::tie(a.key, a.seq) < std::tie(b.key, b.seq);
  });
  std::sort(c.tiers.begin(), c.tiers.end(), TierOrder);
  std::sort(c.dlq.begin(), c.dlq.end(),
            [](const DlqEntry& a, const DlqEntry& b) { return a.key < b.key; });
  size_t ji = 0, ei = 0, ti = 0, di = 0;
  for (;;) {
    std::optional<Key> key;
    LowerKey(c.jobs, ji, key);
    LowerKey(c.events, ei, key);
    LowerKey(c.tiers, ti, key);
    LowerKey(c.dlq, di, key);
    if (!key) break;
    const auto jobs = Take(c.jobs, ji, *key);
    const auto events = Take(c.events, ei, *key);
    const auto tiers = Take(c.tiers, ti, *key);
    const auto dlq = Take(c.dlq, di, *key);
    uint64_t terminals = 0;
    const EventEntry* first_terminal = nullptr;
    for (const EventEntry* e = events.begin; e != events.end; ++e) {
      if (!core::IsTerminal(e->type)) continue;
      if (terminals++ == 0) first_terminal = e;
    }
    if (jobs.empty()) {
      if (terminals > 0 || !dlq.empty()) ++report.ended_not_on_jobs_topic;
      continue;
    }
    ++report.jobs;
    const JobEntry& job = *jobs.begin;
    if (job.ref.unreadable) ++report.unreadable_job_records;
    if (job.number != 0) job_numbers.push_back(job.number);
    if (terminals == 1) {
      ++report.ended_once;
      ++report.ended_once_by_state[std::string(core::ToString(first_terminal->type))];
    } else if (terminals > 1) {
      ++report.ended_more_than_once;
      report.extra_terminal_events += terminals - 1;
      AddListed(report.ended_more_than_once_ids, o.list_limit, c.arena.Get(job.ref));
    } else if (!dlq.empty()) {
      ++report.dead_lettered;
    } else if (!tiers.empty()) {
      const TierEntry& latest = *(tiers.end - 1);
      std::string reason = "retry";
      if (!latest.is_retry) {
        DeferralCode code = kNoCode;
        for (const EventEntry* e = events.begin; e != events.end; ++e) {
          if (e->type == core::EventType::kDeferred && e->code != kNoCode) code = e->code;
        }
        reason = code == kNotBefore ? "not_before" : code == kQuietHours ? "quiet_hours" : "parked";
      }
      auto& w = report.waiting;
      w.earliest_due_ms = w.jobs == 0 ? latest.due_ms : std::min(w.earliest_due_ms, latest.due_ms);
      w.latest_due_ms = w.jobs == 0 ? latest.due_ms : std::max(w.latest_due_ms, latest.due_ms);
      ++w.jobs;
      if (latest.due_ms <= report.now_ms) ++w.due_already;
      ++w.by_reason[reason];
    } else {
      ++report.missing;
      const std::string last =
          events.empty() ? "none" : std::string(core::ToString((events.end - 1)->type));
      ++report.missing_by_last_event[last];
      AddListed(report.missing_ids, o.list_limit, c.arena.Get(job.ref));
    }
  }
  const auto by_name = [](const AuditJobRef& a, const AuditJobRef& b) {
    return std::tie(a.where, a.tenant, a.id) < std::tie(b.where, b.tenant, b.id);
  };
  std::sort(report.missing_ids.begin(), report.missing_ids.end(), by_name);
  std::sort(report.ended_more_than_once_ids.begin(), report.ended_more_than_once_ids.end(),
            by_name);
}

// smsc-sim's record: one line per accepted submit, the destination first, then a tab.
// A number counts when it was accepted more often than the audited jobs addressed it
// (twice for a number with one job). With a filter, only the audited jobs' numbers
// count. A multi-part SMS is one submit per part: audit single-part texts.
void CountSmscRecord(const AuditOptions& o, const std::string& content,
                     std::vector<uint64_t>& job_numbers, AuditReport& report) {
  std::sort(job_numbers.begin(), job_numbers.end());
  std::vector<std::pair<uint64_t, std::string_view>> submits;
  const std::string_view all(content);
  for (size_t pos = 0; pos < all.size();) {
    size_t end = all.find('\n', pos);
    if (end == std::string_view::npos) end = all.size();
    std::string_view line = all.substr(pos, end - pos);
    pos = end + 1;
    const std::string_view number = line.substr(0, line.find('\t'));
    if (const uint64_t h = NumberHash(number)) submits.emplace_back(h, number);
  }
  std::sort(submits.begin(), submits.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  const bool filtered = o.campaign || o.tenant;
  for (size_t i = 0; i < submits.size();) {
    size_t j = i;
    while (j < submits.size() && submits[j].first == submits[i].first) ++j;
    const uint64_t accepted = j - i;
    const auto [lo, hi] = std::equal_range(job_numbers.begin(), job_numbers.end(), submits[i].first);
    const uint64_t jobs_for = static_cast<uint64_t>(hi - lo);
    if (!filtered || jobs_for > 0) {
      report.smsc_submits += accepted;
      if (accepted > std::max<uint64_t>(jobs_for, 1)) {
        ++report.numbers_accepted_twice;
        std::string_view number = submits[i].second;
        if (!number.empty() && number.front() == '+') number.remove_prefix(1);
        AddListed(report.numbers_accepted_twice_masked, o.list_limit,
                  core::MaskNumber("+" + std::string(number)));
      }
    }
    i = j;
  }
  std::sort(report.numbers_accepted_twice_masked.begin(), report.numbers_accepted_twice_masked.end());
  report.smsc_record_read = true;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw AuditError("cannot read --smsc-record file " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string UtcTime(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(((ms % 1000) + 1000) % 1000));
  return buffer;
}

}  // namespace

AuditReport RunAudit(const AuditOptions& o) {
  CheckOptions(o);
  const auto started = std::chrono::steady_clock::now();
  AuditReport report;
  report.campaign = o.campaign;
  report.tenant = o.tenant;
  report.now_ms = o.now_ms != 0 ? o.now_ms
                                : std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
  if (!o.smsc_record.empty() && !std::ifstream(o.smsc_record))
    throw AuditError("cannot read --smsc-record file " + o.smsc_record);

  std::vector<std::string> topics = {o.jobs_topic, o.events_topic, o.dlq_topic};
  constexpr int kJobs = 0, kEvents = 1, kDlq = 2, kFirstTier = 3;
  dispatcher::KafkaConfig names;
  names.defer_topic_prefix = o.defer_topic_prefix;
  for (int tier : o.defer_tiers_s) topics.push_back(dispatcher::DeferTopic(names, tier));

  Collected collected;
  Collector collector(o, report, collected);
  std::vector<uint64_t> counts(topics.size(), 0);
  try {
    TopicReader reader(o.brokers);
    reader.Assign(topics, TopicReader::Until::kHighWatermark, std::min(o.timeout_s, 10) * 1000);
    const auto deadline = started + std::chrono::seconds(o.timeout_s);
    std::vector<TopicRecord> batch;
    while (!reader.AtEnd()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        throw AuditError("timed out after " + std::to_string(o.timeout_s) +
                         " s before reading every topic to its high watermark: " +
                         reader.Progress());
      }
      reader.Poll(batch, 8192, 100);
      for (const TopicRecord& r : batch) {
        ++counts[static_cast<size_t>(r.topic)];
        if (r.topic == kJobs) collector.Job(r);
        else if (r.topic == kEvents) collector.Event(r);
        else if (r.topic == kDlq) collector.Dlq(r);
        else collector.Tier(r, r.topic - kFirstTier);
      }
    }
  } catch (const KafkaReadError& e) {
    throw AuditError(e.what());
  }
  for (size_t t = 0; t < topics.size(); ++t) report.records_read.emplace_back(topics[t], counts[t]);

  std::vector<uint64_t> job_numbers;
  job_numbers.reserve(collected.jobs.size());
  Account(o, collected, report, job_numbers);
  if (!o.smsc_record.empty())
    CountSmscRecord(o, ReadWholeFile(o.smsc_record), job_numbers, report);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

int AuditExitCode(const AuditReport& report) {
  return report.missing == 0 && report.ended_more_than_once == 0 ? 0 : 1;
}

namespace {

std::string RefText(const AuditJobRef& ref) {
  return ref.where.empty() ? ref.tenant + "/" + ref.id : "(unreadable record " + ref.where + ")";
}

void Row(std::string& out, const char* label, uint64_t value, const std::string& note = "") {
  char line[160];
  std::snprintf(line, sizeof line, "  %-34s %10llu", label, static_cast<unsigned long long>(value));
  out.append(line);
  if (!note.empty()) out.append("  ").append(note);
  out.push_back('\n');
}

void Rows(std::string& out, const std::map<std::string, uint64_t>& counts, const char* prefix) {
  for (const auto& [name, n] : counts) Row(out, (std::string("    ") + prefix + name).c_str(), n);
}

template <typename Counts>
void JsonCounts(std::string& out, const Counts& counts) {
  out.push_back('{');
  bool first = true;
  for (const auto& [name, n] : counts) {
    if (!first) out.push_back(',');
    first = false;
    core::AppendJsonString(name, out);
    out.append(":").append(std::to_string(n));
  }
  out.push_back('}');
}

void JsonRefs(std::string& out, const std::vector<AuditJobRef>& refs) {
  out.push_back('[');
  for (size_t i = 0; i < refs.size(); ++i) {
    if (i) out.push_back(',');
    out.append("{\"tenant\":");
    core::AppendJsonString(refs[i].tenant, out);
    out.append(",\"id\":");
    core::AppendJsonString(refs[i].id, out);
    if (!refs[i].where.empty()) {
      out.append(",\"unreadable_record\":");
      core::AppendJsonString(refs[i].where, out);
    }
    out.push_back('}');
  }
  out.push_back(']');
}

void JsonOptional(std::string& out, const std::optional<std::string>& value) {
  if (value) core::AppendJsonString(*value, out);
  else out.append("null");
}

}  // namespace

std::string AuditTable(const AuditReport& r) {
  std::string out = "\n  bulkd accounting audit";
  if (r.campaign) out.append(", campaign '").append(*r.campaign).append("'");
  if (r.tenant) out.append(", tenant '").append(*r.tenant).append("'");
  out.append("\n  ------------------------------------------------------------\n");
  std::string read;
  for (const auto& [topic, n] : r.records_read) {
    if (!read.empty()) read.append(", ");
    read.append(topic).append(" ").append(std::to_string(n));
  }
  char timing[64];
  std::snprintf(timing, sizeof timing, " (%.2f s)", r.seconds);
  out.append("  records read: ").append(read).append(timing).append("\n\n");
  Row(out, "jobs produced (distinct ids)", r.jobs,
      r.job_records != r.jobs ? std::to_string(r.job_records) + " records" : "");
  if (r.unreadable_job_records)
    Row(out, "  of them without a readable id", r.unreadable_job_records);
  Row(out, "ended by one terminal event", r.ended_once);
  Rows(out, r.ended_once_by_state, "");
  Row(out, "ended by two or more", r.ended_more_than_once,
      r.extra_terminal_events ? std::to_string(r.extra_terminal_events) + " extra terminal events"
                              : "");
  Row(out, "dead-lettered (bulkd.dlq)", r.dead_lettered);
  std::string due;
  if (r.waiting.jobs) {
    due = "due " + UtcTime(r.waiting.earliest_due_ms) + " .. " + UtcTime(r.waiting.latest_due_ms);
    if (r.waiting.due_already) due += ", " + std::to_string(r.waiting.due_already) + " due already";
  }
  Row(out, "waiting durably in a delay tier", r.waiting.jobs, due);
  Rows(out, r.waiting.by_reason, "");
  Row(out, "missing", r.missing);
  Rows(out, r.missing_by_last_event, "last event: ");
  if (r.ended_not_on_jobs_topic)
    Row(out, "ended, but not on the jobs topic", r.ended_not_on_jobs_topic);
  if (r.unattributed_job_records)
    Row(out, "unreadable job records (not audited)", r.unattributed_job_records,
        "no campaign or tenant to filter by");
  if (r.smsc_record_read) {
    Row(out, "numbers accepted twice (smsc)", r.numbers_accepted_twice,
        "of " + std::to_string(r.smsc_submits) + " accepted submits");
  }
  const auto list = [&](const char* title, uint64_t total, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out.append("\n  ").append(title);
    if (total > items.size()) out.append(" (first ").append(std::to_string(items.size())).append(" of ").append(std::to_string(total)).append(")");
    out.append(":\n");
    for (const std::string& item : items) out.append("    ").append(item).append("\n");
  };
  std::vector<std::string> items;
  for (const AuditJobRef& ref : r.missing_ids) items.push_back(RefText(ref));
  list("missing jobs", r.missing, items);
  items.clear();
  for (const AuditJobRef& ref : r.ended_more_than_once_ids) items.push_back(RefText(ref));
  list("jobs ended more than once", r.ended_more_than_once, items);
  list("numbers accepted twice", r.numbers_accepted_twice, r.numbers_accepted_twice_masked);
  out.append("\n  result: ");
  if (AuditExitCode(r) == 0) {
    out.append("OK, every job is accounted for\n");
  } else {
    if (r.missing) out.append(std::to_string(r.missing)).append(" missing");
    if (r.missing && r.ended_more_than_once) out.append(", ");
    if (r.ended_more_than_once)
      out.append(std::to_string(r.ended_more_than_once)).append(" ended more than once");
    out.append("\n");
  }
  return out;
}

std::string AuditJson(const AuditReport& r) {
  std::string out = "{\"campaign\":";
  JsonOptional(out, r.campaign);
  out.append(",\"tenant\":");
  JsonOptional(out, r.tenant);
  const auto num = [&](const char* name, auto value) {
    out.append(",\"").append(name).append("\":").append(std::to_string(value));
  };
  num("job_records", r.job_records);
  num("jobs", r.jobs);
  num("unreadable_job_records", r.unreadable_job_records);
  num("unattributed_job_records", r.unattributed_job_records);
  num("ended_once", r.ended_once);
  out.append(",\"ended_once_by_state\":");
  JsonCounts(out, r.ended_once_by_state);
  num("ended_more_than_once", r.ended_more_than_once);
  num("extra_terminal_events", r.extra_terminal_events);
  out.append(",\"ended_more_than_once_ids\":");
  JsonRefs(out, r.ended_more_than_once_ids);
  num("dead_lettered", r.dead_lettered);
  out.append(",\"waiting\":{\"jobs\":").append(std::to_string(r.waiting.jobs));
  out.append(",\"due_already\":").append(std::to_string(r.waiting.due_already));
  out.append(",\"earliest_due_ms\":").append(std::to_string(r.waiting.earliest_due_ms));
  out.append(",\"latest_due_ms\":").append(std::to_string(r.waiting.latest_due_ms));
  out.append(",\"by_reason\":");
  JsonCounts(out, r.waiting.by_reason);
  out.push_back('}');
  num("missing", r.missing);
  out.append(",\"missing_by_last_event\":");
  JsonCounts(out, r.missing_by_last_event);
  out.append(",\"missing_ids\":");
  JsonRefs(out, r.missing_ids);
  num("ended_not_on_jobs_topic", r.ended_not_on_jobs_topic);
  out.append(",\"smsc\":");
  if (r.smsc_record_read) {
    out.append("{\"submits\":").append(std::to_string(r.smsc_submits));
    out.append(",\"numbers_accepted_twice\":").append(std::to_string(r.numbers_accepted_twice));
    out.append(",\"numbers\":[");
    for (size_t i = 0; i < r.numbers_accepted_twice_masked.size(); ++i) {
      if (i) out.push_back(',');
      core::AppendJsonString(r.numbers_accepted_twice_masked[i], out);
    }
    out.append("]}");
  } else {
    out.append("null");
  }
  out.append(",\"records_read\":");
  JsonCounts(out, r.records_read);
  num("now_ms", r.now_ms);
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3f", r.seconds);
  out.append(",\"seconds\":").append(seconds);
  out.append(",\"ok\":").append(AuditExitCode(r) == 0 ? "true" : "false");
  out.append("}\n");
  return out;
}

int Audit(const AuditOptions& options, bool json) {
  try {
    const AuditReport report = RunAudit(options);
    const std::string text = json ? AuditJson(report) : AuditTable(report);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return AuditExitCode(report);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bulkctl audit: %s\n", e.what());
    return 2;
  }
}

}  // namespace bulkd::tools
