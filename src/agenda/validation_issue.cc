#include "agenda/validation_issue.h"

namespace pop {

std::string ValidationIssue::to_string() const {
  std::string out = operation.empty() ? "agenda" : "operation \"" + operation + "\"";
  if (!field.empty()) out += ", field " + field;
  out += ": ";
  out += message;
  return out;
}

void IssueList::add(std::string operation, std::string field, std::string message) {
  if (full()) {
    ++dropped_;
    return;
  }
  issues_.push_back({std::move(operation), std::move(field), std::move(message)});
}

std::vector<std::string> IssueList::lines() const {
  std::vector<std::string> out;
  out.reserve(issues_.size() + 1);
  for (const auto& issue : issues_) out.push_back(issue.to_string());
  if (dropped_ > 0) out.push_back("... and " + std::to_string(dropped_) + " more problems");
  return out;
}

}  // namespace pop
