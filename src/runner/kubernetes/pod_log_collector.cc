#include "runner/kubernetes/pod_log_collector.h"

#include <cstdint>
#include <string_view>
#include <utility>

#include "runner/kubernetes/handler_pod_spec.h"
#include "runner/log_sink.h"

namespace pop::kubernetes_runner {
namespace {

// Lines asked for when only the end of a log is wanted; the tail is cut to bytes after.
constexpr std::int64_t kTailLines = 200;

}  // namespace

std::string PodLogCollector::tail_of(const Result<std::string>& text) const {
  auto sink = LogSink::open({}, 0, tail_bytes_);
  if (!sink || !text) return std::string();
  sink->append(*text);
  return sink->tail();
}

std::string PodLogCollector::collect(const PodAttempt& attempt,
                                     std::optional<FollowedLog> followed) const {
  const kubernetes::LogQuery tail_query{.container = kubernetes_runner::kHandlerContainer,
                                        .tail_lines = kTailLines,
                                        .limit_bytes = std::nullopt};
  const auto fetch_tail = [&] {
    return tail_of(client_.pod_log(attempt.name_space, attempt.pod_name, tail_query, &abandon_));
  };
  if (attempt.log_path.empty()) return fetch_tail();
  if (!followed) {
    auto sink = LogSink::open(attempt.log_path, attempt.log_limit_bytes, tail_bytes_);
    if (!sink) return fetch_tail();
    followed.emplace(FollowedLog{.sink = std::move(*sink), .received = 0});
  }
  // How long the log is, as far as is known.
  std::size_t length = followed->received;
  if (followed->received <= attempt.log_limit_bytes) {
    // One byte over the limit tells whether the log goes on beyond it.
    const kubernetes::LogQuery head_query{
        .container = kubernetes_runner::kHandlerContainer,
        .tail_lines = std::nullopt,
        .limit_bytes = static_cast<std::int64_t>(attempt.log_limit_bytes) + 1};
    auto head = client_.pod_log(attempt.name_space, attempt.pod_name, head_query, &abandon_);
    // The follow wrote the log's first `received` bytes (pod_log_follower.cc says why a byte
    // count is exact); the rest is what it had not seen yet.
    if (head && head->size() > followed->received) {
      followed->sink.append(std::string_view(*head).substr(followed->received));
      length = head->size();
    }
  }
  followed->sink.close();
  if (length <= attempt.log_limit_bytes) return followed->sink.tail();
  return fetch_tail();
}

std::string PodLogCollector::keep(const PodAttempt& attempt, std::optional<FollowedLog> followed) {
  if (followed) {
    followed->sink.close();
    return followed->sink.tail();
  }
  if (attempt.log_path.empty()) return {};
  if (auto sink = LogSink::open(attempt.log_path, attempt.log_limit_bytes, 0)) sink->close();
  return {};
}

}  // namespace pop::kubernetes_runner
