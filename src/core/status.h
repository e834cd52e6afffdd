// Status: the one error type of the core.
//
// The core is built without C++ exceptions (they cost code size and call
// overhead in WebAssembly), so every fallible function returns a Status or a
// Result<T>. Messages are written for the user: they name the file section,
// operator, node or tensor involved, e.g.
//   "tflite: node 12 'conv1' (CONV_2D): filter tensor has 3 dims, expected 4".
#pragma once

#include <string>
#include <utility>

namespace qwasm {

class Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status Error(std::string message) {
    Status s;
    s.ok_ = false;
    s.message_ = std::move(message);
    return s;
  }

  bool ok() const { return ok_; }
  const std::string& message() const { return message_; }

  // Prefixes context ("while reading tensor 5: ...") to an error.
  Status With(const std::string& context) const {
    if (ok_) return *this;
    return Error(context + ": " + message_);
  }

 private:
  bool ok_ = true;
  std::string message_;
};

// A value or an error. T must be default-constructible and movable.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T&& take() { return std::move(value_); }

 private:
  Status status_;
  T value_{};
};

}  // namespace qwasm

// Propagates an error Status from an expression returning Status.
#define QW_RETURN_IF_ERROR(expr)           \
  do {                                     \
    ::qwasm::Status qw_status_ = (expr);   \
    if (!qw_status_.ok()) return qw_status_; \
  } while (0)

// Declares `var` from an expression returning Result<T>, or returns its error
// with `context` prefixed ("context: message").
#define QW_ASSIGN_OR_RETURN(var, expr, context)                          \
  auto var##_result = (expr);                                          \
  if (!var##_result.ok()) return var##_result.status().With(context);  \
  auto var = var##_result.take()
