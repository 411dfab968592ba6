// Errors as values across module boundaries. Each ErrorCode maps to exactly one HTTP
// status at the API edge, so the code is chosen for what the caller did wrong, not for
// where the failure happened.
#pragma once

#include <string>
#include <tl/expected.hpp>
#include <utility>
#include <vector>

namespace pop {

enum class ErrorCode {
  kInvalidArgument,     // malformed input (400)
  kUnauthenticated,     // no credentials, or credentials that do not hold (401)
  kForbidden,           // authenticated, but the action is not the caller's to take (403)
  kNotFound,            // unknown or invisible object (404)
  kConflict,            // state does not allow it (409)
  kPreconditionFailed,  // a conditional request's version no longer matches (412)
  kTooLarge,            // a documented size limit was exceeded (413)
  kInvalidAgenda,       // well-formed but semantically invalid agenda (422)
  kInvalidDocument,     // well-formed but invalid configuration document (422)
  kResourceExhausted,   // over quota (429)
  kUnavailable,         // an external system (process table, file system) refused (503)
  kInternal,            // a bug or an unexpected environment failure (500)
};

const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // One line per individual problem when there are several (validation issues).
  std::vector<std::string> details;
};

template <typename T>
using Result = tl::expected<T, Error>;

// Shorthand for building the error side of a Result: `return fail(code, "...")`.
inline tl::unexpected<Error> fail(ErrorCode code, std::string message,
                                  std::vector<std::string> details = {}) {
  return tl::unexpected<Error>(Error{code, std::move(message), std::move(details)});
}

// The error side of a Result from an Error at hand: `return fail(other.error())`.
inline tl::unexpected<Error> fail(Error error) { return tl::unexpected<Error>(std::move(error)); }

}  // namespace pop
