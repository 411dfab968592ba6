#include "api/attempt_log_routes.h"

#include <cstdint>
#include <optional>
#include <string>

#include "api/api_error.h"
#include "api/authentication_gate.h"
#include "api/request_values.h"
#include "http/error_response.h"

namespace pop::api {

using http::HttpRequest;
using http::HttpResponse;
using Json = nlohmann::json;

namespace {

// Attempt numbers are small; this bounds what a path may name.
constexpr std::uint64_t kMaxAttempt = 1000000;

Result<bool> flag(const HttpRequest& request, std::string_view name) {
  const auto value = request.query.get(name);
  if (!value || *value == "false") return false;
  if (*value == "true") return true;
  return fail(ErrorCode::kInvalidArgument,
              std::string(name) + " must be true or false, not \"" + std::string(*value) + "\"");
}

HttpResponse put_chunk(service::AttemptLogs& logs, const HttpRequest& request) {
  auto epoch = integer_value(request.path_param("epoch"), "lease epoch", 1, UINT64_MAX);
  auto attempt = epoch ? integer_value(request.path_param("attempt"), "attempt", 1, kMaxAttempt)
                       : fail(epoch.error());
  auto offset =
      attempt ? integer_value(request.query.get("offset").value_or(""), "offset", 0, INT64_MAX)
              : fail(attempt.error());
  auto ended = offset ? flag(request, "end") : fail(offset.error());
  auto key = ended ? lease_key(request) : fail(ended.error());
  if (!key) return api_error(key.error(), request);
  auto state = logs.append(caller_of(request), request.path_param("id"), *epoch, *key,
                           request.path_param("operation"), static_cast<int>(*attempt), *offset,
                           request.body, *ended);
  if (!state) return api_error(state.error(), request);
  return http::json_response(200, {{"length", state->length},
                                   {"keptBytes", state->kept_bytes},
                                   {"capped", state->length > state->kept_bytes},
                                   {"ended", state->ended}});
}

void get_log(service::AttemptLogs& logs, LogFollowers& followers, const HttpRequest& request,
             http::Responder responder) {
  std::optional<int> attempt;
  Result<void> valid;
  if (auto text = request.query.get("attempt")) {
    auto number = integer_value(*text, "attempt", 1, kMaxAttempt);
    if (number) {
      attempt = static_cast<int>(*number);
    } else {
      valid = fail(number.error());
    }
  }
  auto follow = valid ? flag(request, "follow") : fail(valid.error());
  auto target = follow ? logs.find(caller_of(request), request.path_param("id"),
                                   request.path_param("name"), attempt)
                       : fail(follow.error());
  if (target && *follow) {
    auto following = followers.follow(caller_of(request).name, *target, responder);
    if (following) return;
    target = fail(following.error());
  }
  auto state = target ? logs.state(*target) : fail(target.error());
  // Bounded by the cap: a log is read whole for an answer that is not followed.
  auto read = state ? logs.read(*target, 0, SIZE_MAX) : fail(state.error());
  if (!read) {
    responder.send(api_error(read.error(), request));
    return;
  }
  HttpResponse response;
  response.headers.set("Content-Type", "text/plain; charset=utf-8");
  const char end = read->text.empty() ? '\n' : read->text.back();
  response.body = std::move(read->text) + service::truncation_marker(*state, end);
  responder.send(std::move(response));
}

}  // namespace

Result<void> add_attempt_log_routes(http::Router& router, service::AttemptLogs& logs,
                                    LogFollowers& followers) {
  using Add = Result<void>;
  for (Add added :
       {router.add(
            "PUT", "/v1/agendas/{id}/leases/{epoch}/logs/{operation}/{attempt}",
            [&logs](const HttpRequest&request) { return put_chunk(logs, request); },
            http::BodyLimit{kMaxLogChunkBytes}),
        router.add_async("GET", "/v1/agendas/{id}/operations/{name}/logs",
                         [&logs, &followers](HttpRequest request, http::Responder responder) {
                           get_log(logs, followers, request, std::move(responder));
                         })}) {
    if (!added) return added;
  }
  return {};
}

}  // namespace pop::api
