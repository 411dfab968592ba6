#include "docker/docker_engine.h"

#include <cstdlib>

#include "docker/engine_answers.h"
#include "docker/log_frames.h"
#include "http_client/json_request.h"
#include "http_client/url.h"

namespace pop::docker {
namespace {

// Pinned so that an engine upgrade cannot change the shapes read here; podman's
// Docker-compatible service answers it too.
constexpr std::string_view kApiPrefix = "/v1.41";

std::string container_path(const std::string& id, std::string_view rest = {}) {
  return std::string(kApiPrefix) + "/containers/" + http_client::percent_encode(id) +
         std::string(rest);
}

}  // namespace

std::string DockerEngine::default_host() {
  const char* host = std::getenv("DOCKER_HOST");
  return host != nullptr && *host != '\0' ? host : "unix:///var/run/docker.sock";
}

Result<DockerEngine> DockerEngine::connect(std::string_view host, CallCounts* counts) {
  std::string socket(host);
  if (socket.starts_with("unix://")) socket.erase(0, 7);
  if (socket.empty() || socket.front() != '/')
    return fail(ErrorCode::kInvalidArgument,
                "container engine address \"" + std::string(host) +
                    "\" is not a Unix socket (unix:///path/to/docker.sock)");
  http_client::ClientOptions options;
  options.base_url = "http://docker";
  options.unix_socket = socket;
  options.user_agent = "pop-docker-runner";
  // Container logs are capped by the reader, not here; inspect answers are small.
  options.max_response_bytes = std::size_t{16} << 20;
  auto client = http_client::Client::create(std::move(options));
  if (!client) return fail(std::move(client).error());
  return DockerEngine(std::move(*client), std::move(socket), counts);
}

Result<http_client::Response> DockerEngine::call(std::string_view operation, std::string method,
                                                 std::string target,
                                                 const std::optional<Json>& body,
                                                 std::optional<std::chrono::milliseconds> timeout) {
  http_client::Request request =
      http_client::json_request(std::move(method), std::move(target), body);
  request.timeout = timeout;
  auto response = client_.send(request);
  if (counts_ != nullptr) counts_->add(operation, response ? response->status : 0);
  if (!response)
    return fail(ErrorCode::kUnavailable,
                "container engine at " + socket_path_ + ": " + response.error().message);
  return response;
}

Result<void> DockerEngine::ping() {
  auto response = call("ping", "GET", std::string(kApiPrefix) + "/_ping");
  if (!response) return fail(std::move(response).error());
  if (!response->ok()) return fail(engine_error(*response, "ping"));
  return {};
}

Result<std::string> DockerEngine::create_container(const std::string& name, const Json& config) {
  auto response =
      call("create", "POST",
           std::string(kApiPrefix) + "/containers/create?name=" + http_client::percent_encode(name),
           config);
  if (!response) return fail(std::move(response).error());
  if (!response->ok()) return fail(engine_error(*response, "create container " + name));
  auto body = parse_answer(*response, "create container " + name);
  if (!body) return fail(std::move(body).error());
  return created_container_id(*body, "create container " + name);
}

Result<void> DockerEngine::start_container(const std::string& id) {
  auto response = call("start", "POST", container_path(id, "/start"));
  if (!response) return fail(std::move(response).error());
  // 304: already started.
  if (!response->ok() && response->status != 304)
    return fail(engine_error(*response, "start container"));
  return {};
}

Result<ContainerExit> DockerEngine::wait_container(const std::string& id) {
  // No time limit: a handler may run for hours; cancellation ends the wait.
  auto response =
      call("wait", "POST", container_path(id, "/wait"), std::nullopt, std::chrono::milliseconds(0));
  if (!response) return fail(std::move(response).error());
  if (!response->ok()) return fail(engine_error(*response, "wait for container"));
  auto body = parse_answer(*response, "wait for container");
  if (!body) return fail(std::move(body).error());
  return container_exit(*body);
}

Result<Json> DockerEngine::inspect_container(const std::string& id) {
  auto response = call("inspect", "GET", container_path(id, "/json"));
  if (!response) return fail(std::move(response).error());
  if (!response->ok()) return fail(engine_error(*response, "inspect container"));
  return parse_answer(*response, "inspect container");
}

Result<void> DockerEngine::kill_container(const std::string& id, std::string_view signal) {
  auto response = call("kill", "POST",
                       container_path(id, "/kill?signal=" + http_client::percent_encode(signal)));
  if (!response) return fail(std::move(response).error());
  // 409: not running (already ended) — the wanted state.
  if (!response->ok() && response->status != 409)
    return fail(engine_error(*response, "signal container"));
  return {};
}

Result<void> DockerEngine::remove_container(const std::string& id) {
  auto response = call("remove", "DELETE", container_path(id, "?force=1&v=1"));
  if (!response) return fail(std::move(response).error());
  // 404: already gone; 409: removal already in progress.
  if (!response->ok() && response->status != 404 && response->status != 409)
    return fail(engine_error(*response, "remove container"));
  return {};
}

Result<void> DockerEngine::read_logs(const std::string& id, LogRead how,
                                     const std::function<void(std::string_view)>& on_data) {
  LogFrameDecoder decoder(on_data);
  http_client::Request request;
  request.target = container_path(
      id, how == LogRead::kFollow ? "/logs?follow=1&stdout=1&stderr=1" : "/logs?stdout=1&stderr=1");
  auto response = client_.stream(request, [&](std::string_view chunk) {
    decoder.feed(chunk);
    return true;
  });
  if (counts_ != nullptr) counts_->add("logs", response ? response->status : 0);
  if (!response)
    return fail(ErrorCode::kUnavailable,
                "container engine at " + socket_path_ + ": " + response.error().message);
  if (!response->ok()) return fail(engine_error(*response, "read container logs"));
  return {};
}

Result<std::vector<std::string>> DockerEngine::list_containers(
    const std::vector<std::string>& labels, const std::vector<std::string>& statuses) {
  Json filters = {{"label", labels}};
  if (!statuses.empty()) filters["status"] = statuses;
  auto response = call("list", "GET",
                       std::string(kApiPrefix) + "/containers/json?all=1&filters=" +
                           http_client::percent_encode(filters.dump()));
  if (!response) return fail(std::move(response).error());
  if (!response->ok()) return fail(engine_error(*response, "list containers"));
  auto body = parse_answer(*response, "list containers");
  if (!body) return fail(std::move(body).error());
  return listed_container_ids(*body);
}

Result<void> DockerEngine::pull_image(const std::string& image) {
  // A pull answers 200 at once and reports progress, and failures, as JSON lines.
  auto response = call(
      "pull", "POST",
      std::string(kApiPrefix) + "/images/create?fromImage=" + http_client::percent_encode(image),
      std::nullopt, std::chrono::minutes(10));
  if (!response) return fail(std::move(response).error());
  if (!response->ok()) return fail(engine_error(*response, "pull image " + image));
  return pull_outcome(response->body, image);
}

}  // namespace pop::docker
