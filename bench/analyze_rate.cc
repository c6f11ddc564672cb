// bench/analyze_rate.cc — rate accuracy of the submits a smsc-sim recorded with
// `--record FILE --record-times` (lines `dest \t message_id \t receive_us \t source_addr`).
//
// For the lines that match the filters, windows start at the first matching submit (so a
// consumer-group warm-up is excluded) and only full windows before the last one count:
//   - rate per `--window` seconds (default 10) against `--rate`: min, median, max and the
//     worst relative deviation;
//   - the largest number of submits in any 1 s interval (sliding, to the microsecond) and
//     in any aligned 1 s window, against rate + burst (what a token bucket allows).
// The measured span can be cut with --skip-s (after the first submit) and --max-s.
//
//   analyze_rate --record submits.tsv --label carrier --rate 500 --burst 50
//   analyze_rate --record submits.tsv --label template --rate 50 --burst 10 --source 0215880050
// --header prints the column names first; the row is tab-separated. --per-second writes
// the count of every aligned second to stderr. When the largest 1 s window exceeds
// rate + burst, stderr says where it starts.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Options {
  std::string record, label = "all", dest_prefix, source, exclude_source;
  double rate = 0, burst = 0, window_s = 10, skip_s = 0, max_s = 0;
  bool header = false, per_second = false;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "analyze_rate: %s\nusage: analyze_rate --record FILE --rate R --burst B "
               "[--label L] [--dest-prefix P] [--source S] [--exclude-source S] [--window S] "
               "[--skip-s S] [--max-s S] [--header] [--per-second]\n",
               why);
  std::exit(2);
}

// Splits a line into at most 4 tab-separated fields.
size_t Split(std::string_view line, std::string_view* fields) {
  size_t n = 0;
  while (n < 4) {
    const size_t tab = line.find('\t');
    fields[n++] = line.substr(0, tab);
    if (tab == std::string_view::npos) break;
    line.remove_prefix(tab + 1);
  }
  return n;
}

double Median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--header" || a == "--per-second") {
      (a == "--header" ? o.header : o.per_second) = true;
      continue;
    }
    if (i + 1 >= argc) Usage("missing value");
    const char* v = argv[++i];
    if (a == "--record") o.record = v;
    else if (a == "--label") o.label = v;
    else if (a == "--dest-prefix") o.dest_prefix = v;
    else if (a == "--source") o.source = v;
    else if (a == "--exclude-source") o.exclude_source = v;
    else if (a == "--rate") o.rate = std::atof(v);
    else if (a == "--burst") o.burst = std::atof(v);
    else if (a == "--window") o.window_s = std::atof(v);
    else if (a == "--skip-s") o.skip_s = std::atof(v);
    else if (a == "--max-s") o.max_s = std::atof(v);
    else Usage("unknown option");
  }
  if (o.record.empty() || o.rate <= 0 || o.window_s <= 0) Usage("--record and --rate are required");
  // Filters compare the destination without a leading '+'.
  if (!o.dest_prefix.empty() && o.dest_prefix[0] == '+') o.dest_prefix.erase(0, 1);

  std::ifstream in(o.record);
  if (!in) Usage("cannot read --record");
  std::vector<int64_t> t;  // receive times, µs
  uint64_t lines = 0, untimed = 0;
  std::string_view f[4];
  for (std::string line; std::getline(in, line);) {
    ++lines;
    const size_t n = Split(line, f);
    if (n < 3) {
      ++untimed;
      continue;
    }
    if (!o.dest_prefix.empty() && f[0].substr(0, o.dest_prefix.size()) != o.dest_prefix) continue;
    const std::string_view src = n >= 4 ? f[3] : std::string_view{};
    if (!o.source.empty() && src != o.source) continue;
    if (!o.exclude_source.empty() && src == o.exclude_source) continue;
    t.push_back(std::strtoll(std::string(f[2]).c_str(), nullptr, 10));
  }
  if (untimed > 0) {
    std::fprintf(stderr, "analyze_rate: %llu of %llu lines have no time (run smsc-sim with --record-times)\n",
                 (unsigned long long)untimed, (unsigned long long)lines);
  }
  // Records are flushed per io thread, so lines are only roughly in time order.
  std::sort(t.begin(), t.end());
  if (!t.empty()) {
    const int64_t from = t.front() + static_cast<int64_t>(o.skip_s * 1e6);
    const int64_t to = o.max_s > 0 ? from + static_cast<int64_t>(o.max_s * 1e6) : INT64_MAX;
    t.erase(std::remove_if(t.begin(), t.end(), [&](int64_t x) { return x < from || x >= to; }),
            t.end());
  }

  const int64_t window_us = static_cast<int64_t>(o.window_s * 1e6);
  std::vector<double> rates;
  int64_t max_sliding = 0, max_aligned = 0, max_sliding_at = 0;
  double span_s = 0;
  if (!t.empty()) {
    const int64_t start = t.front();
    span_s = (t.back() - start) / 1e6;
    const size_t full = static_cast<size_t>((t.back() - start) / window_us);
    std::vector<int64_t> per_window(full, 0);
    std::vector<int64_t> per_second(static_cast<size_t>((t.back() - start) / 1'000'000) + 1, 0);
    for (int64_t x : t) {
      const size_t w = static_cast<size_t>((x - start) / window_us);
      if (w < full) ++per_window[w];
      ++per_second[static_cast<size_t>((x - start) / 1'000'000)];
    }
    for (int64_t c : per_window) rates.push_back(c / o.window_s);
    // The last aligned second is partial; it can only be lower, so it does not matter.
    for (int64_t c : per_second) max_aligned = std::max(max_aligned, c);
    for (size_t lo = 0, hi = 0; hi < t.size(); ++hi) {
      while (t[hi] - t[lo] >= 1'000'000) ++lo;
      if (static_cast<int64_t>(hi - lo + 1) > max_sliding) {
        max_sliding = static_cast<int64_t>(hi - lo + 1);
        max_sliding_at = t[lo] - start;
      }
    }
    if (o.per_second) {
      for (size_t s = 0; s < per_second.size(); ++s)
        std::fprintf(stderr, "%s\t+%zu s\t%lld\n", o.label.c_str(), s, (long long)per_second[s]);
    }
  }
  double worst = 0;
  for (double r : rates) {
    if (std::fabs(r - o.rate) > std::fabs(worst)) worst = r - o.rate;
  }
  const double worst_pct = 100.0 * worst / o.rate;
  if (o.per_second || max_sliding > o.rate + o.burst) {
    std::fprintf(stderr, "%s: largest 1 s window (%lld) starts %.3f s after the first submit\n",
                 o.label.c_str(), (long long)max_sliding, max_sliding_at / 1e6);
  }
  const double limit = o.rate + o.burst;
  const bool rate_ok = !rates.empty() && std::fabs(worst_pct) <= 2.0;
  const bool burst_ok = max_sliding <= limit;
  if (o.header) {
    std::printf("label\trate\tburst\tsubmits\tspan_s\twindows\tmin_rate\tmedian_rate\tmax_rate\t"
                "worst_dev_pct\trate_within_2pct\tmax_1s_sliding\tmax_1s_aligned\trate+burst\t"
                "max_1s_ok\n");
  }
  auto min_max = std::minmax_element(rates.begin(), rates.end());
  std::printf("%s\t%.0f\t%.0f\t%zu\t%.1f\t%zu\t%.1f\t%.1f\t%.1f\t%+.2f\t%s\t%lld\t%lld\t%.0f\t%s\n",
              o.label.c_str(), o.rate, o.burst, t.size(), span_s, rates.size(),
              rates.empty() ? NAN : *min_max.first, Median(rates),
              rates.empty() ? NAN : *min_max.second, rates.empty() ? NAN : worst_pct,
              rate_ok ? "yes" : "NO", (long long)max_sliding, (long long)max_aligned, limit,
              burst_ok ? "yes" : "NO");
  return 0;
}
