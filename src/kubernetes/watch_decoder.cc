#include "kubernetes/watch_decoder.h"

#include <utility>

#include "kubernetes/kube_status.h"

namespace pop::kubernetes {
using Json = nlohmann::json;

namespace {

// A Pod is at most etcd's 1.5 MiB object limit; the margin covers JSON escaping.
constexpr std::size_t kMaxEventBytes = std::size_t{16} << 20;

std::optional<WatchEvent::Type> event_type(std::string_view name) {
  if (name == "ADDED") return WatchEvent::Type::kAdded;
  if (name == "MODIFIED") return WatchEvent::Type::kModified;
  if (name == "DELETED") return WatchEvent::Type::kDeleted;
  if (name == "BOOKMARK") return WatchEvent::Type::kBookmark;
  return std::nullopt;
}

}  // namespace

WatchDecoder::WatchDecoder(std::function<bool(WatchEvent)> on_event)
    : on_event_(std::move(on_event)),
      splitter_([this](std::string_view line) { return on_line(line); }, kMaxEventBytes) {}

bool WatchDecoder::feed(std::string_view chunk) {
  const bool going_on = splitter_.feed(chunk);
  if (splitter_.overflowed() && !failure_) {
    failure_ = Error{ErrorCode::kUnavailable,
                     "a watch event is longer than " + std::to_string(kMaxEventBytes) + " bytes",
                     {}};
  }
  return going_on;
}

bool WatchDecoder::finish() { return splitter_.finish(); }

bool WatchDecoder::on_line(std::string_view line) {
  if (line.find_first_not_of(" \t") == std::string_view::npos) return true;
  Json event = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  const Json* type = event.is_object() ? &event["type"] : nullptr;
  if (type == nullptr || !type->is_string() || !event.contains("object")) {
    failure_ =
        Error{ErrorCode::kUnavailable,
              "the watch sent something that is not an event: " + std::string(line.substr(0, 200)),
              {}};
    return false;
  }
  const std::string name = type->get<std::string>();
  if (name == "ERROR") {
    failure_ = error_from_status(0, event["object"], "watch");
    return false;
  }
  const auto known = event_type(name);
  if (!known) return true;  // a type added by a newer server: nothing this client acts on
  return on_event_(WatchEvent{*known, std::move(event["object"])});
}

}  // namespace pop::kubernetes
