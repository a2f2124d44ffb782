// Logging setup: JSON lines with time, level, component and message.
#include "common/log.h"

#include <string>

#include "spdlog/sinks/stdout_sinks.h"

namespace hadron {

void InitLogging(std::string_view component) {
  auto logger = spdlog::stderr_logger_mt(std::string(component));
  // The message is written by callers as a JSON string body; spdlog escapes nothing, so callers
  // keep to plain text without quotes (LogJson below is for structured fields).
  logger->set_pattern(std::string(R"({"ts":"%Y-%m-%dT%H:%M:%S.%e","level":"%l","component":")") +
                      std::string(component) + R"(","msg":"%v"})");
  spdlog::set_default_logger(logger);
  spdlog::flush_on(spdlog::level::info);
}

}  // namespace hadron
