#include "runner/kubernetes/pod_log_collector.h"

#include <cstdint>
#include <optional>

#include "kubernetes/pod_status.h"
#include "runner/kubernetes/handler_pod_spec.h"
#include "runner/log_sink.h"

namespace pop::kubernetes_runner {
namespace {

// Lines asked for when only the end of a log is wanted; the tail is cut to bytes after.
constexpr std::int64_t kTailLines = 200;

}  // namespace

std::string PodLogCollector::collect(const PodAttempt& attempt) const {
  const kubernetes::LogQuery tail_query{.container = kubernetes_runner::kHandlerContainer,
                                        .tail_lines = kTailLines,
                                        .limit_bytes = std::nullopt};
  auto tail_of = [&](const Result<std::string>& text) {
    auto sink = LogSink::open({}, 0, tail_bytes_);
    if (!sink || !text) return std::string();
    sink->append(*text);
    return sink->tail();
  };
  if (attempt.log_path.empty()) {
    return tail_of(client_.pod_log(attempt.name_space, attempt.pod_name, tail_query, &abandon_));
  }
  auto sink = LogSink::open(attempt.log_path, attempt.log_limit_bytes, tail_bytes_);
  // One byte over the limit tells whether the log goes on beyond it.
  const kubernetes::LogQuery head_query{
      .container = kubernetes_runner::kHandlerContainer,
      .tail_lines = std::nullopt,
      .limit_bytes = static_cast<std::int64_t>(attempt.log_limit_bytes) + 1};
  auto head = client_.pod_log(attempt.name_space, attempt.pod_name, head_query, &abandon_);
  if (!sink) return tail_of(head);
  if (head) sink->append(*head);
  sink->close();
  if (!head || head->size() <= attempt.log_limit_bytes) return sink->tail();
  return tail_of(client_.pod_log(attempt.name_space, attempt.pod_name, tail_query, &abandon_));
}

void PodLogCollector::write_empty_log(const PodAttempt& attempt) {
  if (attempt.log_path.empty()) return;
  if (auto sink = LogSink::open(attempt.log_path, attempt.log_limit_bytes, 0)) sink->close();
}

}  // namespace pop::kubernetes_runner
