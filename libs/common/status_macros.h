// RETURN_IF_ERROR and ASSIGN_OR_RETURN for absl::Status / absl::StatusOr.
// (Abseil 20220623, the Debian version, does not ship them.)
//
//   RETURN_IF_ERROR(db.Put(key, value));
//   ASSIGN_OR_RETURN(auto log, EventLog::Open(options));
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define DETENTE_CONCAT_INNER(a, b) a##b
#define DETENTE_CONCAT(a, b) DETENTE_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                \
  do {                                       \
    ::absl::Status detente_status_ = (expr); \
    if (!detente_status_.ok()) {             \
      return detente_status_;                \
    }                                        \
  } while (0)

#define DETENTE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  DETENTE_ASSIGN_OR_RETURN_IMPL(DETENTE_CONCAT(detente_sor_, __LINE__), lhs, expr)
