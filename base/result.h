// Result<T>: either a value of T or a non-OK Status (like absl::StatusOr).
// Invariant: a Result never holds an OK status without a value.
// Thread-safety: as for T.
#pragma once

#include <cassert>
#include <optional>
#include <utility>

#include "base/status.h"

namespace caseledger {

template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit from a value or from an error status, so functions can
  // `return value;` or `return NotFound("…");`.
  Result(T value)
      : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status)
      : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.ok() &&
           "Result constructed from an OK status without value");
    if (status_.ok())
      status_ = Status(StatusCode::kInternal, "OK status without value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const& { return status_; }
  Status status() && { return std::move(status_); }

  // Precondition: ok().
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;  // OK iff value_ is set
};

}  // namespace caseledger
