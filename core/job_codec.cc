#include "core/job_codec.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "core/time_parse.h"
#include "core/utf8.h"

namespace bulkd::core {
namespace {

namespace dom = simdjson::dom;

constexpr size_t kMaxIdBytes = 128;
constexpr size_t kMaxTenantBytes = 64;
constexpr size_t kMaxChannels = 7;
constexpr size_t kMaxCarrierBytes = 32;
// Kakao templates take at most 40 variables; 100 leaves headroom and keeps the
// last-value-wins lookup for duplicate names cheap on hostile input.
constexpr size_t kMaxVars = 100;
constexpr size_t kMinSenderDigits = 3;
constexpr size_t kMaxSenderDigits = 16;

enum class Field : uint8_t {
  kUnknown, kId, kTenant, kCampaign, kKind, kTo, kChannels, kTemplate, kVars, kText,
  kSubject, kSender, kNotBefore, kExpiresAt, kPriority, kNightConsent, kCarrier,
};

// Required fields, as bits of a "seen" mask, in the order missing ones are reported.
constexpr uint32_t Bit(Field f) { return 1u << static_cast<unsigned>(f); }
struct Required {
  Field field;
  const char* name;
};
constexpr Required kRequired[] = {{Field::kId, "id"},       {Field::kTenant, "tenant"},
                                  {Field::kTo, "to"},       {Field::kChannels, "channels"},
                                  {Field::kKind, "kind"}};

Field FieldFromKey(std::string_view key) {
  switch (key.size()) {
    case 2:
      if (key == "id") return Field::kId;
      if (key == "to") return Field::kTo;
      break;
    case 4:
      if (key == "kind") return Field::kKind;
      if (key == "vars") return Field::kVars;
      if (key == "text") return Field::kText;
      break;
    case 6:
      if (key == "tenant") return Field::kTenant;
      if (key == "sender") return Field::kSender;
      break;
    case 7:
      if (key == "subject") return Field::kSubject;
      if (key == "carrier") return Field::kCarrier;
      break;
    case 8:
      if (key == "campaign") return Field::kCampaign;
      if (key == "channels") return Field::kChannels;
      if (key == "template") return Field::kTemplate;
      if (key == "priority") return Field::kPriority;
      break;
    case 10:
      if (key == "not_before") return Field::kNotBefore;
      if (key == "expires_at") return Field::kExpiresAt;
      break;
    case 13:
      if (key == "night_consent") return Field::kNightConsent;
      break;
    default:
      break;
  }
  return Field::kUnknown;
}

bool IsTenantChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == '-';
}

std::string_view TypeName(dom::element_type type) {
  switch (type) {
    case dom::element_type::ARRAY: return "an array";
    case dom::element_type::OBJECT: return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: return "a number";
    case dom::element_type::STRING: return "a string";
    case dom::element_type::BOOL: return "a boolean";
    case dom::element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence, so that a
// quoted value in a reason stays valid UTF-8 and short.
std::string_view Clip(std::string_view text, size_t max = 32) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

void AppendInt(std::string& out, uint64_t value) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
}

}  // namespace

struct JobDecoder::Impl {
  // Kafka payloads are not padded: copy into this buffer, grown to the largest message
  // seen (at most kMaxJobBytes + padding) and reused.
  std::unique_ptr<char[]> buffer;
  size_t buffer_size = 0;
  dom::parser parser{kMaxJobBytes + simdjson::SIMDJSON_PADDING};
  size_t vars_used = 0;  // live prefix of job.vars; the rest is reused capacity

  bool Run(std::string_view bytes, Job& job, JobError& error);
  bool DecodeField(Field field, std::string_view key, dom::element value, Job& job,
                   JobError& error);
  bool DecodeVars(dom::element value, Job& job, JobError& error);
  bool DecodeTimestamp(std::string_view name, dom::element value, std::optional<int64_t>& out,
                       JobError& error);
};

namespace {

bool Fail(JobError& error, std::string_view field, std::string_view detail) {
  error.field.assign(field);
  error.reason.assign("field '").append(field).append("': ").append(detail);
  return false;
}

bool FailMessage(JobError& error, std::string_view reason) {
  error.field.clear();
  error.reason.assign(reason);
  return false;
}

bool FailType(JobError& error, std::string_view field, std::string_view expected,
              dom::element_type found) {
  error.field.assign(field);
  error.reason.assign("field '")
      .append(field)
      .append("': expected ")
      .append(expected)
      .append(", found ")
      .append(TypeName(found));
  return false;
}

// Reads a string value or fails naming the field.
bool GetString(dom::element value, std::string_view field, std::string_view& out,
               JobError& error) {
  if (value.get_string().get(out) != simdjson::SUCCESS)
    return FailType(error, field, "a string", value.type());
  return true;
}

void ResetJob(Job& job) {
  job.id.clear();
  job.tenant.clear();
  job.campaign.clear();
  job.kind = JobKind::kInfo;
  job.to.clear();
  job.channels.clear();
  job.template_code.clear();
  job.text.clear();
  job.subject.clear();
  job.sender.clear();
  job.carrier.clear();
  job.not_before_ms.reset();
  job.expires_at_ms.reset();
  job.priority = 0;
  job.night_consent = false;
  // job.vars is trimmed by the caller to the entries this message filled.
}

}  // namespace

JobDecoder::JobDecoder() : impl_(std::make_unique<Impl>()) {}
JobDecoder::~JobDecoder() = default;

bool JobDecoder::Decode(std::string_view bytes, Job& job, JobError& error) {
  impl_->vars_used = 0;
  const bool ok = impl_->Run(bytes, job, error);
  job.vars.resize(impl_->vars_used);
  return ok;
}

bool JobDecoder::Impl::Run(std::string_view bytes, Job& job, JobError& error) {
  ResetJob(job);
  if (bytes.empty()) return FailMessage(error, "message is empty");
  if (bytes.size() > kMaxJobBytes) {
    error.field.clear();
    error.reason.assign("message is ");
    AppendInt(error.reason, bytes.size());
    error.reason.append(" bytes, over the limit of ");
    AppendInt(error.reason, kMaxJobBytes);
    error.reason.append(" bytes");
    return false;
  }

  const size_t needed = bytes.size() + simdjson::SIMDJSON_PADDING;
  if (needed > buffer_size) {
    size_t size = std::max<size_t>(buffer_size * 2, 4096);
    while (size < needed) size *= 2;
    size = std::min(size, kMaxJobBytes + simdjson::SIMDJSON_PADDING);
    buffer = std::make_unique<char[]>(size);
    buffer_size = size;
  }
  std::memcpy(buffer.get(), bytes.data(), bytes.size());
  std::memset(buffer.get() + bytes.size(), 0, simdjson::SIMDJSON_PADDING);

  dom::element root;
  const simdjson::error_code parse_error = parser.parse(buffer.get(), bytes.size(), false).get(root);
  if (parse_error != simdjson::SUCCESS) {
    if (parse_error == simdjson::UTF8_ERROR) {
      error.field.clear();
      error.reason.assign("message is not valid UTF-8");
      const size_t at = FindInvalidUtf8(bytes);
      if (at != std::string_view::npos) {
        error.reason.append(" at byte ");
        AppendInt(error.reason, at);
      }
      return false;
    }
    if (parse_error == simdjson::MEMALLOC) return FailMessage(error, "out of memory decoding the message");
    error.field.clear();
    error.reason.assign("invalid JSON: ").append(simdjson::error_message(parse_error));
    return false;
  }

  dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    error.field.clear();
    error.reason.assign("message is not a JSON object, found ").append(TypeName(root.type()));
    return false;
  }

  uint32_t seen = 0;
  for (dom::key_value_pair member : object) {
    const Field field = FieldFromKey(member.key);
    if (field == Field::kUnknown) continue;  // unknown fields are ignored by contract
    if (!DecodeField(field, member.key, member.value, job, error)) return false;
    seen |= Bit(field);
  }

  for (const Required& required : kRequired) {
    if ((seen & Bit(required.field)) == 0) return Fail(error, required.name, "required but missing");
  }

  bool friendtalk = false;
  for (Channel channel : job.channels) {
    switch (channel) {
      case Channel::kSms:
      case Channel::kLms:
      case Channel::kMms:
        if (job.text.empty()) {
          error.field = "text";
          error.reason.assign("field 'text': required (non-empty) by channel '")
              .append(ToString(channel))
              .append("'");
          return false;
        }
        break;
      case Channel::kFriendtalk:
        friendtalk = true;
        [[fallthrough]];
      case Channel::kAlimtalk:
      case Channel::kRcs:
        if (job.template_code.empty()) {
          error.field = "template";
          error.reason.assign("field 'template': required (non-empty) by channel '")
              .append(ToString(channel))
              .append("'");
          return false;
        }
        break;
      case Channel::kWebhook:  // the endpoint takes the job as it is
        break;
    }
  }
  if (friendtalk && job.kind != JobKind::kAd) {
    return Fail(error, "channels", "friendtalk is allowed only for kind \"ad\"");
  }
  return true;
}

bool JobDecoder::Impl::DecodeField(Field field, std::string_view key, dom::element value,
                                   Job& job, JobError& error) {
  std::string_view text;
  // Optional fields may be null, which means absent.
  const bool is_null = value.is_null();
  switch (field) {
    case Field::kId:
      if (!GetString(value, key, text, error)) return false;
      if (text.empty()) return Fail(error, key, "must not be empty");
      if (text.size() > kMaxIdBytes) return Fail(error, key, "longer than 128 bytes");
      job.id.assign(text);
      return true;

    case Field::kTenant:
      if (!GetString(value, key, text, error)) return false;
      if (text.empty()) return Fail(error, key, "must not be empty");
      if (text.size() > kMaxTenantBytes) return Fail(error, key, "longer than 64 bytes");
      for (char c : text) {
        if (!IsTenantChar(c)) return Fail(error, key, "only A-Z, a-z, 0-9, '_', '.' and '-' are allowed");
      }
      job.tenant.assign(text);
      return true;

    case Field::kTo:
      if (!GetString(value, key, text, error)) return false;
      if (!IsE164(text)) return Fail(error, key, "not an E.164 number (\"+\" and 8 to 15 digits)");
      job.to.assign(text);
      return true;

    case Field::kKind:
      if (value.get_string().get(text) == simdjson::SUCCESS) {
        if (text == "info") {
          job.kind = JobKind::kInfo;
          return true;
        }
        if (text == "ad") {
          job.kind = JobKind::kAd;
          return true;
        }
      }
      return Fail(error, key, "expected \"info\" or \"ad\"");

    case Field::kChannels: {
      dom::array array;
      if (value.get_array().get(array) != simdjson::SUCCESS)
        return FailType(error, key, "an array of strings", value.type());
      job.channels.clear();
      if (array.size() == 0) return Fail(error, key, "must not be empty");
      if (array.size() > kMaxChannels) return Fail(error, key, "more than 7 channels");
      for (dom::element item : array) {
        if (item.get_string().get(text) != simdjson::SUCCESS)
          return Fail(error, key, "expected an array of strings");
        const std::optional<Channel> channel = ChannelFromString(text);
        if (!channel) {
          error.field.assign(key);
          error.reason.assign("field 'channels': unknown channel \"")
              .append(Clip(text))
              .append("\"");
          return false;
        }
        for (Channel earlier : job.channels) {
          if (earlier == *channel) {
            error.field.assign(key);
            error.reason.assign("field 'channels': channel \"")
                .append(text)
                .append("\" appears twice");
            return false;
          }
        }
        job.channels.push_back(*channel);
      }
      return true;
    }

    case Field::kCampaign:
      if (is_null) return job.campaign.clear(), true;
      if (!GetString(value, key, text, error)) return false;
      job.campaign.assign(text);
      return true;

    case Field::kTemplate:
      if (is_null) return job.template_code.clear(), true;
      if (!GetString(value, key, text, error)) return false;
      job.template_code.assign(text);
      return true;

    case Field::kText:
      if (is_null) return job.text.clear(), true;
      if (!GetString(value, key, text, error)) return false;
      job.text.assign(text);
      return true;

    case Field::kSubject:
      if (is_null) return job.subject.clear(), true;
      if (!GetString(value, key, text, error)) return false;
      job.subject.assign(text);
      return true;

    case Field::kSender:
      if (is_null) return job.sender.clear(), true;
      if (!GetString(value, key, text, error)) return false;
      if (text.size() < kMinSenderDigits || text.size() > kMaxSenderDigits)
        return Fail(error, key, "expected 3 to 16 digits");
      for (char c : text) {
        if (c < '0' || c > '9') return Fail(error, key, "expected 3 to 16 digits");
      }
      job.sender.assign(text);
      return true;

    case Field::kCarrier:
      if (is_null) return job.carrier.clear(), true;
      if (!GetString(value, key, text, error)) return false;
      if (text.empty() || text.size() > kMaxCarrierBytes)
        return Fail(error, key, "expected 1 to 32 of a-z, 0-9, '-', '_'");
      for (char c : text) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
          return Fail(error, key, "expected 1 to 32 of a-z, 0-9, '-', '_'");
      }
      job.carrier.assign(text);
      return true;

    case Field::kVars:
      return DecodeVars(value, job, error);

    case Field::kNotBefore:
      return DecodeTimestamp(key, value, job.not_before_ms, error);

    case Field::kExpiresAt:
      return DecodeTimestamp(key, value, job.expires_at_ms, error);

    case Field::kPriority: {
      if (is_null) return job.priority = 0, true;
      int64_t number;
      if (value.type() != dom::element_type::INT64 && value.type() != dom::element_type::UINT64)
        return FailType(error, key, "an integer", value.type());
      if (value.get_int64().get(number) != simdjson::SUCCESS || number < INT32_MIN ||
          number > INT32_MAX) {
        return Fail(error, key, "out of range for a 32-bit integer");
      }
      job.priority = static_cast<int32_t>(number);
      return true;
    }

    case Field::kNightConsent: {
      if (is_null) return job.night_consent = false, true;
      bool flag;
      if (value.get_bool().get(flag) != simdjson::SUCCESS)
        return FailType(error, key, "true or false", value.type());
      job.night_consent = flag;
      return true;
    }

    case Field::kUnknown:
      return true;
  }
  return true;
}

bool JobDecoder::Impl::DecodeVars(dom::element value, Job& job, JobError& error) {
  vars_used = 0;  // a repeated "vars" key replaces the earlier object
  if (value.is_null()) return true;
  dom::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS)
    return FailType(error, "vars", "an object of strings", value.type());
  for (dom::key_value_pair member : object) {
    // A repeated name keeps its first position and takes the last value.
    size_t slot = vars_used;
    for (size_t i = 0; i < vars_used; ++i) {
      if (job.vars[i].first == member.key) {
        slot = i;
        break;
      }
    }
    if (slot == vars_used) {
      if (vars_used == kMaxVars) return Fail(error, "vars", "more than 100 variables");
      if (slot == job.vars.size()) job.vars.emplace_back();
      job.vars[slot].first.assign(member.key);
      ++vars_used;
    }
    std::string& out = job.vars[slot].second;
    char buffer[32];
    std::string_view text;
    int64_t signed_number;
    uint64_t unsigned_number;
    double real_number;
    const dom::element v = member.value;
    if (v.get_string().get(text) == simdjson::SUCCESS) {
      out.assign(text);
    } else if (v.get_int64().get(signed_number) == simdjson::SUCCESS) {
      out.assign(buffer, std::to_chars(buffer, buffer + sizeof buffer, signed_number).ptr);
    } else if (v.get_uint64().get(unsigned_number) == simdjson::SUCCESS) {
      out.assign(buffer, std::to_chars(buffer, buffer + sizeof buffer, unsigned_number).ptr);
    } else if (v.get_double().get(real_number) == simdjson::SUCCESS) {
      // Shortest text that reads back as the same double: 12.5 -> "12.5", 1e3 -> "1000".
      out.assign(buffer, std::to_chars(buffer, buffer + sizeof buffer, real_number).ptr);
    } else {
      error.field = "vars";
      error.reason.assign("field 'vars': value of \"")
          .append(Clip(member.key))
          .append("\" must be a string or a number, found ")
          .append(TypeName(v.type()));
      return false;
    }
  }
  return true;
}

bool JobDecoder::Impl::DecodeTimestamp(std::string_view name, dom::element value,
                                       std::optional<int64_t>& out, JobError& error) {
  out.reset();
  if (value.is_null()) return true;
  std::string_view text;
  if (!GetString(value, name, text, error)) return false;
  out = ParseRfc3339Ms(text);
  if (!out) {
    return Fail(error, name,
                "not an RFC 3339 timestamp with offset, e.g. \"2026-11-23T09:00:00+09:00\"");
  }
  return true;
}

bool IsE164(std::string_view number) {
  if (number.size() < 9 || number.size() > 16 || number[0] != '+') return false;
  if (number[1] < '1' || number[1] > '9') return false;
  for (size_t i = 2; i < number.size(); ++i) {
    if (number[i] < '0' || number[i] > '9') return false;
  }
  return true;
}

}  // namespace bulkd::core
