#include "core/time_parse.h"

namespace bulkd::core {
namespace {

// Reads exactly `n` ASCII digits at text[pos]; false if any is not a digit.
bool Digits(std::string_view text, size_t pos, size_t n, int& value) {
  if (pos + n > text.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const unsigned d = static_cast<unsigned char>(text[pos + i]) - '0';
    if (d > 9) return false;
    v = v * 10 + static_cast<int>(d);
  }
  value = v;
  return true;
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

}  // namespace

// Howard Hinnant's days_from_civil (public domain algorithm).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<int64_t> ParseRfc3339Ms(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS is 19 bytes; the shortest valid form adds "Z".
  if (t.size() < 20 || t.size() > 64) return std::nullopt;
  int year, month, day, hour, minute, second;
  if (!Digits(t, 0, 4, year) || t[4] != '-' || !Digits(t, 5, 2, month) || t[7] != '-' ||
      !Digits(t, 8, 2, day) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
      !Digits(t, 11, 2, hour) || t[13] != ':' || !Digits(t, 14, 2, minute) || t[16] != ':' ||
      !Digits(t, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  int millis = 0;
  if (t[pos] == '.') {
    ++pos;
    const size_t first = pos;
    int scale = 100;
    while (pos < t.size() && static_cast<unsigned>(static_cast<unsigned char>(t[pos]) - '0') <= 9u) {
      millis += (t[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == first) return std::nullopt;  // "." needs at least one digit
  }
  if (pos >= t.size()) return std::nullopt;  // the offset is mandatory
  int offset_minutes = 0;
  const char zone = t[pos];
  if (zone == 'Z' || zone == 'z') {
    ++pos;
  } else if (zone == '+' || zone == '-') {
    int oh, om;
    if (!Digits(t, pos + 1, 2, oh) || pos + 3 >= t.size() || t[pos + 3] != ':' ||
        !Digits(t, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (oh * 60 + om) * (zone == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;

  const int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

}  // namespace bulkd::core
