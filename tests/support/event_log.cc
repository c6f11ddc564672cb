#include "tests/support/event_log.h"

#include <chrono>

namespace bulkd::testing {

std::string EventField(std::string_view event, std::string_view name) {
  const std::string key = "\"" + std::string(name) + "\":\"";
  const auto at = event.find(key);
  if (at == std::string_view::npos) return "";
  const auto from = at + key.size();
  const auto to = event.find('"', from);
  return std::string(event.substr(from, to == std::string_view::npos ? to : to - from));
}

bool IsTerminalEvent(std::string_view type) {
  return type == "delivered" || type == "undelivered" || type == "failed" ||
         type == "suppressed" || type == "expired" || type == "dead";
}

std::map<std::string, std::vector<JobEvent>> JobHistories(const std::vector<std::string>& events) {
  std::map<std::string, std::vector<JobEvent>> out;
  for (const std::string& event : events) {
    JobEvent e{EventField(event, "event"), EventField(event, "code"), -1};
    const auto at = event.find("\"ts\":");
    if (at != std::string::npos) e.ts = std::stoll(event.substr(at + 5));
    out[EventField(event, "id")].push_back(std::move(e));
  }
  return out;
}

EndedTwice CountEndedTwice(const std::map<std::string, std::vector<JobEvent>>& histories,
                           int64_t kill_ms) {
  EndedTwice out;
  for (const auto& [id, events] : histories) {
    std::vector<const JobEvent*> terminals;
    for (const JobEvent& e : events)
      if (IsTerminalEvent(e.type)) terminals.push_back(&e);
    if (terminals.size() < 2) continue;
    ++out.jobs;
    out.in_crash_window += terminals.size() == 2 && terminals[0]->ts < kill_ms &&
                           terminals[1]->code == "WORKER_LOST";
  }
  return out;
}

int64_t NowEpochMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace bulkd::testing
