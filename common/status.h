// Status helpers: Debian's Abseil 20220623 has no RETURN_IF_ERROR/ASSIGN_OR_RETURN.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define HADRON_CONCAT_INNER_(a, b) a##b
#define HADRON_CONCAT_(a, b) HADRON_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::absl::Status hadron_status_ = (expr);    \
    if (!hadron_status_.ok()) return hadron_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, FunctionReturningStatusOr());`
#define ASSIGN_OR_RETURN(lhs, expr) \
  HADRON_ASSIGN_OR_RETURN_IMPL_(HADRON_CONCAT_(hadron_statusor_, __LINE__), lhs, expr)

#define HADRON_ASSIGN_OR_RETURN_IMPL_(var, lhs, expr) \
  auto var = (expr);                                  \
  if (!var.ok()) return std::move(var).status();      \
  lhs = std::move(var).value()
