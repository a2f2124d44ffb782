// Logging setup: JSON lines with time, level, component, optional fields and message.
#include "common/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "spdlog/sinks/stdout_sinks.h"

namespace hadron {
namespace {

thread_local const std::initializer_list<LogField>* t_fields = nullptr;

// Length of the valid UTF-8 sequence at s[i], or 0 if there is none.
size_t Utf8Length(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
      (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    return 0;
  }
  return n;
}

void AppendEscaped(std::string_view s, spdlog::memory_buf_t& dest) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    const char* rep = nullptr;
    switch (c) {
      case '"': rep = "\\\""; break;
      case '\\': rep = "\\\\"; break;
      case '\n': rep = "\\n"; break;
      case '\r': rep = "\\r"; break;
      case '\t': rep = "\\t"; break;
      case '\b': rep = "\\b"; break;
      case '\f': rep = "\\f"; break;
      default: break;
    }
    if (rep != nullptr) {
      dest.append(std::string_view(rep));
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      dest.append(u, u + 6);
      ++i;
    } else if (c < 0x80) {
      dest.push_back(static_cast<char>(c));
      ++i;
    } else if (size_t n = Utf8Length(s, i); n > 0) {
      dest.append(s.data() + i, s.data() + i + n);
      i += n;
    } else {
      dest.append(std::string_view("\xEF\xBF\xBD"));  // U+FFFD
      ++i;
    }
  }
}

class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string component) : component_(std::move(component)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto since_epoch = msg.time.time_since_epoch();
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - secs);
    std::time_t t = static_cast<std::time_t>(secs.count());
    std::tm tm;
    gmtime_r(&t, &tm);
    char ts[40];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(millis.count()));
    dest.append(std::string_view(R"({"ts":")"));
    dest.append(std::string_view(ts));
    dest.append(std::string_view(R"(","level":")"));
    auto level = spdlog::level::to_string_view(msg.level);
    dest.append(level.data(), level.data() + level.size());
    dest.append(std::string_view(R"(","component":")"));
    AppendEscaped(component_, dest);
    dest.push_back('"');
    if (t_fields != nullptr) {
      for (const auto& [k, v] : *t_fields) {
        dest.append(std::string_view(",\""));
        AppendEscaped(k, dest);
        dest.append(std::string_view("\":\""));
        AppendEscaped(v, dest);
        dest.push_back('"');
      }
    }
    dest.append(std::string_view(R"(,"msg":")"));
    AppendEscaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
    dest.append(std::string_view("\"}\n"));
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(component_);
  }

 private:
  const std::string component_;
};

}  // namespace

namespace log_internal {
FieldScope::FieldScope(std::initializer_list<LogField> f) : fields(f), previous(t_fields) {
  t_fields = &fields;
}
FieldScope::~FieldScope() { t_fields = previous; }
}  // namespace log_internal

std::string JsonEscape(std::string_view s) {
  spdlog::memory_buf_t buf;
  AppendEscaped(s, buf);
  return std::string(buf.data(), buf.size());
}

std::unique_ptr<spdlog::formatter> NewJsonFormatter(std::string component) {
  return std::make_unique<JsonFormatter>(std::move(component));
}

void InitLogging(std::string_view component) {
  auto logger = spdlog::stderr_logger_mt(std::string(component));
  logger->set_formatter(NewJsonFormatter(std::string(component)));
  spdlog::set_default_logger(logger);
  spdlog::flush_on(spdlog::level::info);
}

}  // namespace hadron
