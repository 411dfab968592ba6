#include "runner/kubernetes/pod_log_follower.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "runner/kubernetes/handler_pod_spec.h"

namespace pop::kubernetes_runner {

Result<std::unique_ptr<PodLogFollower>> PodLogFollower::start(kubernetes::KubeClient& client,
                                                              const PodAttempt& attempt,
                                                              std::function<bool()> keep_following,
                                                              Options options) {
  auto sink = LogSink::open(attempt.log_path, attempt.log_limit_bytes, options.tail_bytes);
  if (!sink) return fail(std::move(sink).error());
  try {
    return std::unique_ptr<PodLogFollower>(new PodLogFollower(
        client, attempt, std::move(*sink), std::move(keep_following), std::move(options)));
  } catch (const std::system_error& error) {
    // Out of threads: the log still arrives at the attempt's end (PodLogCollector).
    return fail(ErrorCode::kUnavailable,
                std::string("cannot start a thread to follow the log: ") + error.what());
  }
}

PodLogFollower::PodLogFollower(kubernetes::KubeClient& client, const PodAttempt& attempt,
                               LogSink sink, std::function<bool()> keep_following, Options options)
    : client_(client),
      name_space_(attempt.name_space),
      pod_name_(attempt.pod_name),
      limit_bytes_(attempt.log_limit_bytes),
      keep_following_(std::move(keep_following)),
      options_(std::move(options)),
      followed_{.sink = std::move(sink), .received = 0},
      thread_([this] { run(); }) {}

PodLogFollower::~PodLogFollower() { stop(); }

void PodLogFollower::stop() {
  stop_.request_stop();
  if (thread_.joinable()) thread_.join();
}

FollowedLog PodLogFollower::finish() {
  stop();
  return std::move(followed_);
}

void PodLogFollower::run() {
  // One byte over the limit tells whether the log goes on beyond it; past that the file is
  // complete and only its end (the diagnostic tail) remains, fetched by PodLogCollector.
  const kubernetes::LogQuery query{.container = kHandlerContainer,
                                   .tail_lines = std::nullopt,
                                   .limit_bytes = static_cast<std::int64_t>(limit_bytes_) + 1};
  auto delay = options_.retry_delay;
  while (!stop_.stop_requested() && followed_.received <= limit_bytes_) {
    // The log API has no byte offset, so a stream that ended early is resumed by following
    // again from the start and skipping the bytes already written: exact, since the kubelet
    // serves the same file from its start (a rotation would make the log start later, but the
    // kubelet rotates at containerLogMaxSize, 10 MiB by default, beyond the usual limit).
    // sinceTime is not exact: it has whole seconds, so lines of the second it names would be
    // written twice or lost.
    std::size_t skip = followed_.received;
    const std::size_t before = followed_.received;
    client_.follow_pod_log(
        name_space_, pod_name_, query,
        [this, &skip](std::string_view chunk) {
          const std::size_t skipped = std::min(skip, chunk.size());
          chunk.remove_prefix(skipped);
          skip -= skipped;
          followed_.sink.append(chunk);
          followed_.received += chunk.size();
          return followed_.received <= limit_bytes_;
        },
        &stop_);
    // Whether it ended or failed (the Pod deleted, the API server unreachable), the end of
    // the attempt decides and PodLogCollector reads what is left.
    if (!keep_following_()) return;
    delay = followed_.received > before ? options_.retry_delay
                                        : std::min(delay * 2, options_.retry_delay * 16);
    if (!stop_.wait_for(*options_.clock, delay)) return;
  }
}

}  // namespace pop::kubernetes_runner
