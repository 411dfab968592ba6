#include "puller/http_work_source.h"

#include <algorithm>

#include "http_client/json_request.h"
#include "http_client/url.h"
#include "model/assignment_json.h"
#include "model/report_token.h"
#include "util/base64url.h"
#include "util/json_fields.h"

namespace pop::puller {

Result<std::unique_ptr<HttpWorkSource>> HttpWorkSource::create(
    const http_client::ClientOptions& options, std::string resource_pool_id, std::string puller_id,
    const Clock& clock) {
  auto poll = http_client::Client::create(options);
  if (!poll) return fail(poll.error());
  auto reports = http_client::Client::create(options);
  if (!reports) return fail(reports.error());
  return std::unique_ptr<HttpWorkSource>(
      new HttpWorkSource(options, std::move(*poll), std::move(*reports),
                         std::move(resource_pool_id), std::move(puller_id), clock));
}

HttpWorkSource::HttpWorkSource(const http_client::ClientOptions& options, http_client::Client poll,
                               http_client::Client reports, std::string resource_pool_id,
                               std::string puller_id, const Clock& clock)
    : options_(options),
      poll_(std::move(poll)),
      reports_(std::move(reports)),
      resource_pool_id_(std::move(resource_pool_id)),
      puller_id_(std::move(puller_id)),
      clock_(clock) {}

namespace {

// A server that predates execution limits sends none: no insight has one then.
Result<std::map<std::string, std::size_t>> execution_limits(const Json& answer) {
  std::map<std::string, std::size_t> limits;
  const auto field = answer.find("executionLimits");
  if (field == answer.end()) return limits;
  if (!field->is_object())
    return fail(ErrorCode::kUnavailable, "pull answer with a malformed executionLimits");
  for (const auto& [insight_id, limit] : field->items()) {
    if (!limit.is_number_unsigned())
      return fail(ErrorCode::kUnavailable,
                  "pull answer with a malformed executionLimits entry for \"" + insight_id + "\"");
    limits[insight_id] = limit.get<std::size_t>();
  }
  return limits;
}

}  // namespace

Result<PullAnswer> HttpWorkSource::pull(std::size_t max, std::chrono::milliseconds wait,
                                        const std::optional<Resources>& available,
                                        const std::set<std::string>& skip_insight_ids) {
  Json body = {{"pullerId", puller_id_},
               {"max", max},
               {"waitSeconds", std::chrono::duration<double>(wait).count()}};
  if (available) body["resources"] = resources_to_json(*available);
  // Left out when empty: the body of a puller without limits stays what older servers know.
  if (!skip_insight_ids.empty()) body["skipInsightIds"] = skip_insight_ids;
  auto request = http_client::json_request(
      "POST", "/v1/pools/" + http_client::percent_encode(resource_pool_id_) + "/pull", body);
  // The server answers by `wait`; the margin covers the network, not the poll.
  request.timeout = wait + std::chrono::seconds(15);
  const auto asked = clock_.steady_now();
  auto answer = http_client::json_result(send_pull(request));
  if (!answer) return fail(answer.error());
  // Nothing, long before `wait`: the server held no poll for this puller (its bound of
  // waiting polls is reached, or it is stopping). Ask again after a pause, not at once.
  const auto waited = clock_.steady_now() - asked;
  if (answer->is_object() && answer->value("agendas", Json::array()).empty() && waited < wait / 2)
    pause(std::min<std::chrono::steady_clock::duration>(kEarlyAnswerPause, wait - waited));
  if (!answer->is_object())
    return fail(ErrorCode::kUnavailable, "pull answer is not a JSON object");
  PullAnswer pulled;
  auto limits = execution_limits(*answer);
  if (!limits) return fail(limits.error());
  pulled.execution_limits = std::move(*limits);
  const Json agendas = answer->value("agendas", Json::array());
  if (!agendas.is_array())
    return fail(ErrorCode::kUnavailable, "pull answer without an agendas array");
  for (const auto& item : agendas) {
    auto assignment = assignment_from_json(item);
    if (!assignment)
      return fail(ErrorCode::kUnavailable, "pull answer with " + assignment.error().message);
    pulled.assignments.push_back(std::move(*assignment));
  }
  return pulled;
}

Result<http_client::Response> HttpWorkSource::send_pull(const http_client::Request& request) {
  // Only this thread replaces owner_poll_; wake() only cancels it, under the lock.
  if (owner_poll_) {
    auto answer = owner_poll_->send(request);
    if (answer && answer->ok()) return answer;
    std::lock_guard lock(owner_mutex_);
    owner_poll_.reset();  // gone, or no longer the owner: ask the configured server again
  }
  auto answer = poll_.send(request);
  if (!answer || answer->status != 307) return answer;
  // Location is the owner's address followed by this very target.
  const std::string location(answer->header("Location"));
  if (location.size() <= request.target.size() || !location.ends_with(request.target) ||
      (options_.base_url.starts_with("https://") && !location.starts_with("https://"))) {
    return fail(ErrorCode::kUnavailable,
                "the server redirected the pull to an unexpected location \"" + location + "\"");
  }
  http_client::ClientOptions owner = options_;
  owner.base_url = location.substr(0, location.size() - request.target.size());
  owner.unix_socket.clear();  // the owner is reached at its address
  auto client = http_client::Client::create(owner);
  if (!client) return fail(client.error());
  {
    std::lock_guard lock(owner_mutex_);
    owner_poll_.emplace(std::move(*client));
  }
  return owner_poll_->send(request);
}

Result<Json> HttpWorkSource::send_report(const std::string& method, const std::string& target,
                                         const std::optional<Json>& body,
                                         const std::string& lease_key) {
  auto request = http_client::json_request(method, target, body);
  // A server that issued no key (an older one) expects none.
  if (!lease_key.empty()) request.headers[kLeaseKeyHeader] = base64url_encode(lease_key);
  std::lock_guard lock(reports_mutex_);
  return http_client::json_result(reports_.send(request));
}

std::string HttpWorkSource::lease_target(const std::string& agenda_id, std::uint64_t epoch) {
  return "/v1/agendas/" + http_client::percent_encode(agenda_id) + "/leases/" +
         std::to_string(epoch);
}

Result<void> HttpWorkSource::report(const std::string& agenda_id, std::uint64_t epoch,
                                    const std::string& lease_key, const Json& progress) {
  auto answer =
      send_report("PUT", lease_target(agenda_id, epoch) + "/progress", progress, lease_key);
  if (!answer) return fail(answer.error());
  return {};
}

Result<void> HttpWorkSource::complete(const std::string& agenda_id, std::uint64_t epoch,
                                      const std::string& lease_key, const Json& progress) {
  auto answer =
      send_report("POST", lease_target(agenda_id, epoch) + "/complete", progress, lease_key);
  if (!answer) return fail(answer.error());
  return {};
}

Result<ReportedProgress> HttpWorkSource::reported_progress(const std::string& agenda_id,
                                                           std::uint64_t epoch,
                                                           std::uint64_t after) {
  auto answer =
      send_report("GET", lease_target(agenda_id, epoch) + "/reports?after=" + std::to_string(after),
                  std::nullopt);
  if (!answer) return fail(answer.error());
  const Json attempts = answer->is_object() ? answer->value("attempts", Json()) : Json();
  if (!attempts.is_array() || !answer->value("cursor", Json()).is_number_unsigned())
    return fail(ErrorCode::kUnavailable, "reports answer without attempts and cursor");
  ReportedProgress progress;
  progress.cursor = (*answer)["cursor"].get<std::uint64_t>();
  for (const auto& item : attempts) {
    // An attempt number outside int is no attempt of ours, not one to wrap into range.
    const std::optional<int> number =
        item.is_object() ? int_value(item.value("attempt", Json())) : std::nullopt;
    if (!number || !item.value("operation", Json()).is_string())
      return fail(ErrorCode::kUnavailable, "reports answer with a malformed attempt");
    AttemptProgress attempt{string_field(item, "operation"), *number, std::nullopt, std::nullopt};
    if (auto percent = item.find("percentComplete"); percent != item.end() && percent->is_number())
      attempt.percent_complete = percent->get<double>();
    if (auto message = item.find("message"); message != item.end() && message->is_string())
      attempt.message = message->get<std::string>();
    progress.attempts.push_back(std::move(attempt));
  }
  return progress;
}

Result<std::optional<Json>> HttpWorkSource::reported_output(const std::string& agenda_id,
                                                            std::uint64_t epoch,
                                                            const std::string& operation,
                                                            int attempt) {
  auto answer =
      send_report("GET",
                  lease_target(agenda_id, epoch) + "/reports/" +
                      http_client::percent_encode(operation) + "/" + std::to_string(attempt),
                  std::nullopt);
  if (!answer) return fail(answer.error());
  if (!answer->is_object() || !answer->value("reported", Json()).is_boolean())
    return fail(ErrorCode::kUnavailable, "output answer without \"reported\"");
  if (!(*answer)["reported"].get<bool>()) return std::optional<Json>();
  return std::optional<Json>(answer->value("output", Json()));
}

Result<LogChunkAnswer> HttpWorkSource::append_log(const std::string& agenda_id, std::uint64_t epoch,
                                                  const std::string& lease_key,
                                                  const LogChunk& chunk) {
  http_client::Request request;
  request.method = "PUT";
  request.target = lease_target(agenda_id, epoch) + "/logs/" +
                   http_client::percent_encode(chunk.operation) + "/" +
                   std::to_string(chunk.attempt) + "?offset=" + std::to_string(chunk.offset) +
                   (chunk.ended ? "&end=true" : "");
  request.headers["Content-Type"] = "application/octet-stream";
  request.headers[kLeaseKeyHeader] = base64url_encode(lease_key);
  request.body = std::string(chunk.bytes);
  Result<Json> answer = [&] {
    std::lock_guard lock(reports_mutex_);
    return http_client::json_result(reports_.send(request));
  }();
  if (!answer) return fail(answer.error());
  if (!answer->is_object() || !answer->value("length", Json()).is_number_unsigned())
    return fail(ErrorCode::kUnavailable, "log chunk answer without \"length\"");
  return LogChunkAnswer{(*answer)["length"].get<std::uint64_t>(), answer->value("capped", false)};
}

void HttpWorkSource::pause(std::chrono::steady_clock::duration period) {
  std::unique_lock lock(wake_mutex_);
  clock_.wait_for(woken_changed_, lock, period, [this] { return woken_; });
}

void HttpWorkSource::wake() {
  {
    std::lock_guard lock(wake_mutex_);
    woken_ = true;
  }
  woken_changed_.notify_all();
  poll_.cancel();
  std::lock_guard lock(owner_mutex_);
  if (owner_poll_) owner_poll_->cancel();
}

}  // namespace pop::puller
