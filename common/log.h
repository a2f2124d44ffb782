// Logging: one JSON object a line on stderr, through spdlog.
#pragma once

#include <string_view>

#include "spdlog/spdlog.h"

namespace hadron {

// Installs the JSON-lines formatter on the default logger. `component` names the process.
void InitLogging(std::string_view component);

}  // namespace hadron
