#include "runner/local/progress_stream.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "util/json_limits.h"

namespace pop {
namespace {

// A report is two fields; a line of 64 KiB could otherwise hold 30,000 values.
constexpr JsonLimits kLineLimits{
    .max_bytes = ProgressStream::kMaxLineBytes, .max_depth = 8, .max_values = 64};

std::optional<ProgressStream::Report> parse_report(std::string_view line) {
  const auto json = parse_json_limited(line, kLineLimits);
  if (!json || !json->is_object()) return std::nullopt;
  const auto percent = json->find("percentComplete");
  if (percent == json->end() || !percent->is_number()) return std::nullopt;
  ProgressStream::Report report{std::clamp(percent->get<double>(), 0.0, 100.0), ""};
  if (const auto message = json->find("message"); message != json->end() && message->is_string()) {
    report.message = message->get<std::string>();
  }
  return report;
}

}  // namespace

std::vector<ProgressStream::Report> ProgressStream::feed(std::string_view data) {
  std::vector<Report> reports;
  while (!data.empty()) {
    const std::size_t newline = data.find('\n');
    const std::string_view piece = data.substr(0, newline);
    if (!overlong_) {
      if (line_.size() + piece.size() > kMaxLineBytes) {
        overlong_ = true;
        line_.clear();
      } else {
        line_.append(piece);
      }
    }
    if (newline == std::string_view::npos) break;
    end_line(reports);
    data.remove_prefix(newline + 1);
  }
  return reports;
}

std::vector<ProgressStream::Report> ProgressStream::finish() {
  std::vector<Report> reports;
  end_line(reports);
  return reports;
}

void ProgressStream::end_line(std::vector<Report>& reports) {
  if (!overlong_ && !line_.empty()) {
    if (auto report = parse_report(line_)) reports.push_back(std::move(*report));
  }
  line_.clear();
  overlong_ = false;
}

}  // namespace pop
