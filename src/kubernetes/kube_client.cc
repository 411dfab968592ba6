#include "kubernetes/kube_client.h"

#include <algorithm>
#include <random>
#include <utility>

#include "http_client/url.h"
#include "kubernetes/kube_status.h"
#include "kubernetes/object_fields.h"

namespace pop::kubernetes {
namespace {

using http_client::Request;
using http_client::Response;
using std::chrono::milliseconds;

// Lists come in pages so that neither side holds thousands of Pods in one answer.
constexpr int kListPageSize = 500;
// Beyond the watch's own timeoutSeconds, before the transfer is given up as lost.
constexpr std::chrono::seconds kWatchMargin{30};

// The verb of a request as the API server's own metrics name it (watches are counted where
// they are streamed).
std::string_view verb_of(const Request& request) {
  if (request.method == "POST") return "create";
  if (request.method == "DELETE") return "delete";
  const std::string_view path =
      std::string_view(request.target).substr(0, request.target.find('?'));
  if (path.ends_with("/log")) return "log";
  return path.ends_with("/pods") ? "list" : "get";
}

// The API server's 500s are transient too (an apiserver restarting, etcd timing out), unlike a
// POP server's; the rest is http_client's list.
bool is_retryable_status(int status) {
  return status == 500 || http_client::is_retryable_status(status);
}

// The back-off before attempt `attempts_made + 1`, timed by http_client's policy (jitter,
// cap, Retry-After, bounds); what to repeat was decided here, so the outcome handed to it is
// one it always repeats.
std::optional<milliseconds> retry_delay(const http_client::RetryPolicy& policy, int attempts_made,
                                        milliseconds elapsed,
                                        std::optional<milliseconds> retry_after) {
  thread_local std::minstd_rand random{std::random_device{}()};
  const http_client::AttemptOutcome repeatable{.status = 503, .retry_after = retry_after};
  return http_client::next_retry_delay(policy, repeatable, attempts_made, elapsed,
                                       std::uniform_real_distribution<double>(0, 1)(random));
}

std::string pods_path(std::string_view name_space) {
  if (name_space.empty()) return "/api/v1/pods";
  return "/api/v1/namespaces/" + http_client::percent_encode(name_space) + "/pods";
}

std::string pod_path(std::string_view name_space, std::string_view name) {
  return pods_path(name_space) + "/" + http_client::percent_encode(name);
}

std::string pod_log_path(std::string_view name_space, std::string_view name, const LogQuery& query,
                         bool follow) {
  std::string target = pod_path(name_space, name) + "/log";
  char separator = '?';
  auto add = [&](std::string_view key, const std::string& value) {
    target += separator;
    target += key;
    target += '=';
    target += http_client::percent_encode(value);
    separator = '&';
  };
  if (!query.container.empty()) add("container", query.container);
  if (query.tail_lines) add("tailLines", std::to_string(*query.tail_lines));
  if (query.limit_bytes) add("limitBytes", std::to_string(*query.limit_bytes));
  if (follow) add("follow", "true");
  return target;
}

Request json_request(std::string method, std::string target, const Json* body = nullptr) {
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.headers["Accept"] = "application/json";
  if (body != nullptr) {
    request.body = body->dump(-1, ' ', false, Json::error_handler_t::replace);
    request.headers["Content-Type"] = "application/json";
  }
  return request;
}

Result<Json> parse_body(const Response& response) {
  if (response.body.empty()) return Json();
  Json parsed = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return fail(ErrorCode::kUnavailable, response.url + " answered " +
                                             std::to_string(response.status) +
                                             " with a body that is not JSON");
  }
  return parsed;
}

tl::unexpected<Error> cancelled(const Request& request) {
  return fail(ErrorCode::kUnavailable, request.method + " " + request.target + ": cancelled");
}

http_client::ClientOptions client_options_for(const KubeConfig& config,
                                              const KubeClientOptions& options) {
  http_client::ClientOptions client;
  client.base_url = config.server;
  client.ca_file = config.ca_file;
  client.ca_pem = config.ca_pem;
  client.client_certificate_file = config.client_certificate_file;
  client.client_certificate_pem = config.client_certificate_pem;
  client.client_key_file = config.client_key_file;
  client.client_key_pem = config.client_key_pem;
  client.verify_tls = !config.insecure_skip_tls_verify;
  client.proxy = config.proxy_url;
  client.connect_timeout = options.connect_timeout;
  client.request_timeout = options.request_timeout;
  client.user_agent = options.user_agent;
  return client;
}

}  // namespace

Result<std::unique_ptr<KubeClient>> KubeClient::create(const KubeConfig& config,
                                                       KubeClientOptions options) {
  http_client::ClientOptions client_options = client_options_for(config, options);
  // Creating one connection validates the options once, with http_client's own messages.
  auto first = http_client::Client::create(client_options);
  if (!first) {
    Error error = first.error();
    error.message = config.origin + ": " + error.message;
    return fail(std::move(error));
  }
  std::unique_ptr<TokenSource> token =
      config.token.empty() && !config.token_file.empty()
          ? std::make_unique<TokenSource>(config.token_file, options.token_refresh, *options.clock)
          : std::make_unique<TokenSource>(config.token);
  auto client = std::unique_ptr<KubeClient>(
      new KubeClient(config, std::move(options), std::move(client_options), std::move(token)));
  client->return_connection(std::move(*first));
  return client;
}

KubeClient::KubeClient(KubeConfig config, KubeClientOptions options,
                       http_client::ClientOptions client_options,
                       std::unique_ptr<TokenSource> token)
    : config_(std::move(config)),
      options_(std::move(options)),
      client_options_(std::move(client_options)),
      token_(std::move(token)),
      limiter_(options_.rate_limit, *options_.clock) {}

KubeClient::~KubeClient() = default;

Result<http_client::Client> KubeClient::take_connection() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_.empty()) {
      http_client::Client client = std::move(idle_.back());
      idle_.pop_back();
      return client;
    }
  }
  return http_client::Client::create(client_options_);
}

void KubeClient::return_connection(http_client::Client client) {
  std::lock_guard lock(pool_mutex_);
  if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(client));
}

void KubeClient::authorize(Request& request) {
  const std::string token = token_->token();
  if (!token.empty()) request.headers["Authorization"] = "Bearer " + token;
}

Result<Response> KubeClient::send_once(
    Request& request, std::string_view verb,
    const std::function<Result<Response>(http_client::Client&)>& transfer, const StopSignal* stop) {
  if (!limiter_.acquire(stop)) return cancelled(request);
  auto connection = take_connection();
  if (!connection) return fail(std::move(connection).error());
  authorize(request);
  Result<Response> result;
  {
    const auto attachment = StopSignal::attach_if(stop, connection->canceller());
    requests_.fetch_add(1, std::memory_order_relaxed);
    result = transfer(*connection);
  }
  by_verb_.add(verb, result ? result->status : 0);
  // A cancelled connection stays cancelled: it is not reused.
  if (!connection->canceller().cancelled()) return_connection(std::move(*connection));
  if (stop != nullptr && stop->stop_requested()) return cancelled(request);
  return result;
}

Result<void> KubeClient::stream_once(Request request, std::string_view verb,
                                     const http_client::ChunkHandler& on_chunk,
                                     const StopSignal* stop) {
  auto result = send_once(
      request, verb,
      [&](http_client::Client& connection) { return connection.stream(request, on_chunk); }, stop);
  if (!result) return fail(std::move(result).error());
  if (!result->ok()) return fail(kubernetes::error_from_response(*result));
  return {};
}

Result<Response> KubeClient::send(Request request, const StopSignal* stop,
                                  bool* ambiguous_attempt) {
  const auto start = options_.clock->steady_now();
  for (int attempts = 1;; ++attempts) {
    Result<Response> result = send_once(
        request, verb_of(request),
        [&request](http_client::Client& connection) { return connection.send(request); }, stop);
    // Cancelled is kUnavailable, which is otherwise repeated.
    if (stop != nullptr && stop->stop_requested()) return cancelled(request);

    std::optional<milliseconds> retry_after;
    if (result) {
      if (!is_retryable_status(result->status)) return result;
      retry_after =
          http_client::parse_retry_after(result->header("Retry-After"), options_.clock->now());
      // Only a 429 is known not to have been processed.
      if (result->status != 429 && ambiguous_attempt != nullptr) *ambiguous_attempt = true;
    } else {
      // Only transport failures are worth repeating; a bad request stays bad.
      if (result.error().code != ErrorCode::kUnavailable) return result;
      if (ambiguous_attempt != nullptr) *ambiguous_attempt = true;
    }
    const auto elapsed =
        std::chrono::duration_cast<milliseconds>(options_.clock->steady_now() - start);
    const auto delay = retry_delay(options_.retry, attempts, elapsed, retry_after);
    if (!delay) {
      if (!result) {
        result.error().details.push_back("gave up after " + std::to_string(attempts) + " attempts");
      }
      return result;
    }
    retries_.fetch_add(1, std::memory_order_relaxed);
    if (!StopSignal::wait_for_if(stop, *options_.clock, *delay)) return cancelled(request);
  }
}

Result<Json> KubeClient::send_json(Request request, const StopSignal* stop) {
  auto response = send(std::move(request), stop);
  if (!response) return fail(std::move(response).error());
  if (!response->ok()) return fail(kubernetes::error_from_response(*response));
  return parse_body(*response);
}

Result<Json> KubeClient::create_pod(std::string_view name_space, const Json& pod,
                                    const StopSignal* stop) {
  bool ambiguous = false;
  auto response = send(json_request("POST", pods_path(name_space), &pod), stop, &ambiguous);
  if (!response) return fail(std::move(response).error());
  if (response->ok()) return parse_body(*response);
  Error error = kubernetes::error_from_response(*response);
  if (ambiguous && is_already_exists(error)) {
    // An earlier attempt created it; what is there now is that Pod.
    std::string name;
    if (auto metadata = pod.find("metadata"); metadata != pod.end() && metadata->is_object()) {
      name = metadata->value("name", "");
    }
    return get_pod(name_space, name, stop);
  }
  return fail(std::move(error));
}

Result<Json> KubeClient::get_pod(std::string_view name_space, std::string_view name,
                                 const StopSignal* stop) {
  return send_json(json_request("GET", pod_path(name_space, name)), stop);
}

Result<PodList> KubeClient::list_pods(std::string_view name_space, std::string_view label_selector,
                                      const StopSignal* stop) {
  PodList list;
  std::string continue_token;
  do {
    std::string target = pods_path(name_space) + "?limit=" + std::to_string(kListPageSize);
    if (!label_selector.empty()) {
      target += "&labelSelector=" + http_client::percent_encode(label_selector);
    }
    if (!continue_token.empty()) {
      target += "&continue=" + http_client::percent_encode(continue_token);
    }
    auto page = send_json(json_request("GET", target), stop);
    if (!page) return fail(std::move(page).error());
    if (!page->is_object()) {
      return fail(ErrorCode::kUnavailable,
                  "the pod list of " + std::string(name_space) + " is not a JSON object");
    }
    // Every page carries the resourceVersion of the first: the list is one snapshot.
    if (list.resource_version.empty()) {
      list.resource_version = metadata_text(*page, "resourceVersion");
    }
    continue_token = metadata_text(*page, "continue");
    if (auto items = page->find("items"); items != page->end() && items->is_array()) {
      for (auto& item : *items) list.items.push_back(std::move(item));
    }
  } while (!continue_token.empty());
  return list;
}

Result<void> KubeClient::watch_pods(std::string_view name_space, const WatchQuery& query,
                                    const std::function<bool(WatchEvent)>& on_event,
                                    const StopSignal* stop) {
  std::string target = pods_path(name_space) + "?watch=1";
  if (!query.label_selector.empty()) {
    target += "&labelSelector=" + http_client::percent_encode(query.label_selector);
  }
  if (!query.resource_version.empty()) {
    target += "&resourceVersion=" + http_client::percent_encode(query.resource_version);
  }
  if (query.allow_bookmarks) target += "&allowWatchBookmarks=true";
  target += "&timeoutSeconds=" + std::to_string(query.timeout.count());
  Request request = json_request("GET", std::move(target));
  request.timeout = std::chrono::duration_cast<milliseconds>(query.timeout + kWatchMargin);
  WatchDecoder decoder(on_event);
  auto streamed = stream_once(
      std::move(request), "watch",
      [&decoder](std::string_view chunk) { return decoder.feed(chunk); }, stop);
  if (!streamed) return streamed;
  decoder.finish();
  if (decoder.failure()) return fail(*decoder.failure());
  return {};
}

Result<void> KubeClient::delete_pod(std::string_view name_space, std::string_view name,
                                    std::optional<std::int64_t> grace_period_seconds,
                                    const StopSignal* stop) {
  std::string target = pod_path(name_space, name);
  Json options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (grace_period_seconds) {
    const std::int64_t grace = std::max<std::int64_t>(*grace_period_seconds, 0);
    target += "?gracePeriodSeconds=" + std::to_string(grace);
    options["gracePeriodSeconds"] = grace;
  }
  auto response = send(json_request("DELETE", std::move(target), &options), stop);
  if (!response) return fail(std::move(response).error());
  if (response->ok() || response->status == 404) return {};
  return fail(kubernetes::error_from_response(*response));
}

Result<std::string> KubeClient::pod_log(std::string_view name_space, std::string_view name,
                                        const LogQuery& query, const StopSignal* stop) {
  Request request;
  request.target = pod_log_path(name_space, name, query, false);
  auto response = send(std::move(request), stop);
  if (!response) return fail(std::move(response).error());
  if (!response->ok()) return fail(kubernetes::error_from_response(*response));
  return std::move(response->body);
}

Result<void> KubeClient::follow_pod_log(std::string_view name_space, std::string_view name,
                                        const LogQuery& query,
                                        const std::function<bool(std::string_view)>& on_chunk,
                                        const StopSignal* stop) {
  Request request;
  request.target = pod_log_path(name_space, name, query, true);
  return stream_once(std::move(request), "follow", on_chunk, stop);
}

KubeClientStats KubeClient::stats() const {
  return {.requests = requests_.load(std::memory_order_relaxed),
          .retries = retries_.load(std::memory_order_relaxed),
          .rate_limit_wait = limiter_.total_wait(),
          .by_verb = by_verb_.snapshot()};
}

}  // namespace pop::kubernetes
