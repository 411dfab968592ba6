#include "puller/http_work_source.h"

#include "http_client/json_request.h"
#include "http_client/url.h"

namespace pop::puller {

Result<std::unique_ptr<HttpWorkSource>> HttpWorkSource::create(
    const http_client::ClientOptions& options, std::string resource_pool_id,
    std::string puller_id) {
  auto poll = http_client::Client::create(options);
  if (!poll) return tl::unexpected(poll.error());
  auto reports = http_client::Client::create(options);
  if (!reports) return tl::unexpected(reports.error());
  return std::unique_ptr<HttpWorkSource>(new HttpWorkSource(
      std::move(*poll), std::move(*reports), std::move(resource_pool_id), std::move(puller_id)));
}

HttpWorkSource::HttpWorkSource(http_client::Client poll, http_client::Client reports,
                               std::string resource_pool_id, std::string puller_id)
    : poll_(std::move(poll)),
      reports_(std::move(reports)),
      resource_pool_id_(std::move(resource_pool_id)),
      puller_id_(std::move(puller_id)) {}

Result<std::vector<Assignment>> HttpWorkSource::pull(std::size_t max,
                                                     std::chrono::milliseconds wait) {
  const Json body = {{"pullerId", puller_id_},
                     {"max", max},
                     {"waitSeconds", std::chrono::duration<double>(wait).count()}};
  auto request = http_client::json_request(
      "POST", "/v1/pools/" + http_client::percent_encode(resource_pool_id_) + "/pull", body);
  // The server answers by `wait`; the margin covers the network, not the poll.
  request.timeout = wait + std::chrono::seconds(15);
  auto answer = http_client::json_result(poll_.send(request));
  if (!answer) return tl::unexpected(answer.error());
  std::vector<Assignment> assignments;
  if (!answer->is_object())
    return fail(ErrorCode::kUnavailable, "pull answer is not a JSON object");
  const Json agendas = answer->value("agendas", Json::array());
  if (!agendas.is_array())
    return fail(ErrorCode::kUnavailable, "pull answer without an agendas array");
  for (const auto& item : agendas) {
    if (!item.is_object() || !item.contains("epoch") || !item["epoch"].is_number_unsigned())
      return fail(ErrorCode::kUnavailable, "pull answer with a malformed agenda entry");
    assignments.push_back({item.value("agenda", Json::object()),
                           item.value("progress", Json::object()),
                           item["epoch"].get<std::uint64_t>()});
  }
  return assignments;
}

Result<void> HttpWorkSource::send_progress(const std::string& method, const std::string& target,
                                           const Json& progress) {
  std::lock_guard lock(reports_mutex_);
  auto answer =
      http_client::json_result(reports_.send(http_client::json_request(method, target, progress)));
  if (!answer) return tl::unexpected(answer.error());
  return {};
}

Result<void> HttpWorkSource::report(const std::string& agenda_id, std::uint64_t epoch,
                                    const Json& progress) {
  return send_progress("PUT",
                       "/v1/agendas/" + http_client::percent_encode(agenda_id) + "/leases/" +
                           std::to_string(epoch) + "/progress",
                       progress);
}

Result<void> HttpWorkSource::complete(const std::string& agenda_id, std::uint64_t epoch,
                                      const Json& progress) {
  return send_progress("POST",
                       "/v1/agendas/" + http_client::percent_encode(agenda_id) + "/leases/" +
                           std::to_string(epoch) + "/complete",
                       progress);
}

void HttpWorkSource::wake() { poll_.cancel(); }

}  // namespace pop::puller
