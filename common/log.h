// Logging: one JSON object a line on stderr, through spdlog. Every value is JSON-escaped by the
// formatter (quotes, backslashes, control characters, invalid UTF-8), so any text may be logged.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "spdlog/spdlog.h"

namespace hadron {

// Installs the JSON-lines formatter on the default logger. `component` names the process.
void InitLogging(std::string_view component);

// A JSON string body for `s` (no surrounding quotes): '"', '\\' and control characters escaped,
// bytes that are not valid UTF-8 replaced by U+FFFD, so the line always parses.
std::string JsonEscape(std::string_view s);

// The formatter InitLogging installs (exposed for tests): {"ts","level","component",<fields>,"msg"}.
std::unique_ptr<spdlog::formatter> NewJsonFormatter(std::string component);

using LogField = std::pair<std::string_view, std::string_view>;

namespace log_internal {
// Extra fields of the line being logged on this thread (set only around one spdlog call).
struct FieldScope {
  explicit FieldScope(std::initializer_list<LogField> fields);
  ~FieldScope();
  FieldScope(const FieldScope&) = delete;
  FieldScope& operator=(const FieldScope&) = delete;
  const std::initializer_list<LogField> fields;  // a view of the caller's array
  const std::initializer_list<LogField>* const previous;
};
}  // namespace log_internal

// Logs one line with extra JSON string fields, e.g. {{"session", id}}: every line about an IMAP
// session carries its "session" field.
template <typename... Args>
void LogWith(spdlog::level::level_enum level, std::initializer_list<LogField> fields,
             spdlog::format_string_t<Args...> fmt, Args&&... args) {
  log_internal::FieldScope scope(fields);
  spdlog::log(level, fmt, std::forward<Args>(args)...);
}

}  // namespace hadron
