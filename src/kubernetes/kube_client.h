// The part of the Kubernetes REST API that POP uses (core/v1 Pods), on the libcurl-based
// http_client. No kubectl, no client library: requests are built here and answers read as
// JSON.
//
// Respecting the API server: every request, retries included, first takes a token from the
// client's rate limiter. 429 (after its Retry-After), 500, 502, 503, 504 and transport
// failures are retried with exponential back-off and jitter up to the retry policy's bounds.
// Every request here may be repeated: reads and deletes are idempotent, and a Pod is created
// under a name unique to its attempt, so a create that may have been processed before a 5xx
// or a timeout counts as done when the repeat finds the name taken (409 AlreadyExists).
// Failed answers become pop::Errors carrying the API server's Status message
// (kube_status.h).
//
// Thread-safety: every method may be called from any number of threads at once. Each call
// borrows a connection from a small pool (a connection serves one request at a time), so
// concurrent calls run in parallel; a watch holds its connection for as long as it runs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http_client/client.h"
#include "http_client/retry_policy.h"
#include "kubernetes/kube_config.h"
#include "kubernetes/rate_limiter.h"
#include "kubernetes/stop_signal.h"
#include "kubernetes/token_source.h"
#include "kubernetes/watch_decoder.h"
#include "util/call_counts.h"
#include "util/clock.h"
#include "util/result.h"

namespace pop::kubernetes {

using Json = nlohmann::json;

struct KubeClientOptions {
  RateLimit rate_limit{};
  // Bounds on repeating one call; max_attempts counts the first.
  http_client::RetryPolicy retry{.max_attempts = 8,
                                 .initial_delay = std::chrono::milliseconds(250),
                                 .max_delay = std::chrono::milliseconds(8000),
                                 .max_elapsed = std::chrono::milliseconds(60000)};
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};  // per attempt; not for watches
  std::size_t max_idle_connections = 8;
  std::chrono::seconds token_refresh{60};  // how often a token file is re-read
  std::string user_agent = "pop";
  // Borrowed: the rate limit, retry back-offs and Retry-After dates, token file refreshes.
  const Clock* clock = &system_clock();
};

struct PodList {
  std::vector<Json> items{};
  std::string resource_version{};  // where a watch that follows this list starts
};

struct WatchQuery {
  std::string label_selector{};
  std::string resource_version{};  // empty: the server's current state, then changes
  bool allow_bookmarks = true;
  // The server ends the watch after this long (a normal end; watch again from the last
  // resourceVersion). The transfer is given this plus a margin before it counts as lost.
  std::chrono::seconds timeout{300};
};

struct LogQuery {
  std::string container{};
  std::optional<std::int64_t> tail_lines{};
  std::optional<std::int64_t> limit_bytes{};
};

// Counters for measurements and diagnostics.
struct KubeClientStats {
  std::uint64_t requests = 0;  // attempts sent, retries included
  std::uint64_t retries = 0;
  std::chrono::nanoseconds rate_limit_wait{0};  // summed over all callers
  // Every attempt by verb (create, get, list, watch, delete, log, follow: a followed log) and
  // status (0: no answer).
  std::vector<CallCounts::Count> by_verb{};
};

class KubeClient {
 public:
  // Checks the configuration (kInvalidArgument for a bad server URL or TLS material); does
  // not contact the server.
  static Result<std::unique_ptr<KubeClient>> create(const KubeConfig& config,
                                                    KubeClientOptions options = {});

  KubeClient(const KubeClient&) = delete;
  KubeClient& operator=(const KubeClient&) = delete;
  ~KubeClient();

  // Every call takes an optional `stop`: once it is stopped, a call in progress (waiting for
  // the rate limiter, backing off, or waiting for the server) ends promptly with
  // kUnavailable "... cancelled".

  // POST the Pod (its metadata.name must be set); returns the created Pod.
  Result<Json> create_pod(std::string_view name_space, const Json& pod,
                          const StopSignal* stop = nullptr);
  Result<Json> get_pod(std::string_view name_space, std::string_view name,
                       const StopSignal* stop = nullptr);
  // Pods of one namespace, or of all namespaces when `name_space` is empty.
  Result<PodList> list_pods(std::string_view name_space, std::string_view label_selector,
                            const StopSignal* stop = nullptr);
  // Streams the namespace's Pod events to `on_event` until the server ends the watch (a
  // success), `on_event` returns false (a success), or it fails. A 410 (as the answer or as
  // an ERROR event) is an error for which is_expired() holds. Sent once, never retried:
  // the caller resumes from the last resourceVersion it saw.
  Result<void> watch_pods(std::string_view name_space, const WatchQuery& query,
                          const std::function<bool(WatchEvent)>& on_event,
                          const StopSignal* stop = nullptr);
  // Asks for the Pod's deletion with the given grace period (nullopt: the Pod's own). A Pod
  // that is already gone counts as deleted.
  Result<void> delete_pod(std::string_view name_space, std::string_view name,
                          std::optional<std::int64_t> grace_period_seconds,
                          const StopSignal* stop = nullptr);
  // The container's log (the end of it with tail_lines / limit_bytes).
  Result<std::string> pod_log(std::string_view name_space, std::string_view name,
                              const LogQuery& query, const StopSignal* stop = nullptr);
  // Streams the container's log (follow=true) to `on_chunk` as the kubelet sends it, from
  // its start (or tail_lines from its end, up to limit_bytes), until the stream ends (the
  // container ended, or the API server or kubelet closed it: a success either way, as is
  // `on_chunk` returning false) or fails. No time limit: a handler may be silent for long.
  // Sent once, never retried (like a watch): only the caller knows how much it already has.
  Result<void> follow_pod_log(std::string_view name_space, std::string_view name,
                              const LogQuery& query,
                              const std::function<bool(std::string_view)>& on_chunk,
                              const StopSignal* stop = nullptr);

  const KubeConfig& config() const { return config_; }
  KubeClientStats stats() const;

 private:
  KubeClient(KubeConfig config, KubeClientOptions options,
             http_client::ClientOptions client_options, std::unique_ptr<TokenSource> token);

  Result<http_client::Client> take_connection();
  void return_connection(http_client::Client client);
  // Sends `request` under the rate limit, repeating it as the retry policy allows. Returns
  // the last response (2xx or not); an error only when no response ended it.
  // `ambiguous_attempt` is set when an earlier attempt may have been processed although it
  // failed (a 5xx or a transport failure).
  Result<http_client::Response> send(http_client::Request request, const StopSignal* stop,
                                     bool* ambiguous_attempt = nullptr);
  // One attempt of `request` under the rate limit, on a pooled connection that `stop`
  // cancels, counted under `verb`: `transfer` sends it on the connection.
  Result<http_client::Response> send_once(
      http_client::Request& request, std::string_view verb,
      const std::function<Result<http_client::Response>(http_client::Client&)>& transfer,
      const StopSignal* stop);
  // send_once() streaming a 2xx body to `on_chunk`; a non-2xx answer is an error.
  Result<void> stream_once(http_client::Request request, std::string_view verb,
                           const http_client::ChunkHandler& on_chunk, const StopSignal* stop);
  Result<Json> send_json(http_client::Request request, const StopSignal* stop);
  void authorize(http_client::Request& request);

  const KubeConfig config_;
  const KubeClientOptions options_;
  const http_client::ClientOptions client_options_;
  const std::unique_ptr<TokenSource> token_;
  RateLimiter limiter_;
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> retries_{0};
  CallCounts by_verb_;

  std::mutex pool_mutex_;
  std::vector<http_client::Client> idle_;  // guarded by pool_mutex_
};

}  // namespace pop::kubernetes
