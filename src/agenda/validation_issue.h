// One problem found in an agenda, and a bounded list of them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace pop {

struct ValidationIssue {
  std::string operation;  // the operation's name, "#<index>" when it has none, "" for the agenda
  std::string field;      // path in the operation or agenda: "payload/input", "params.dependsOn"
  std::string message;    // what is wrong, in words

  // `operation "b", field payload/input: reference ...` or `agenda, field operations: ...`.
  std::string to_string() const;
};

class IssueList {
 public:
  explicit IssueList(std::size_t cap = 50) : cap_(cap) {}

  void add(std::string operation, std::string field, std::string message);

  bool empty() const { return issues_.empty() && dropped_ == 0; }
  bool full() const { return issues_.size() >= cap_; }
  const std::vector<ValidationIssue>& issues() const { return issues_; }
  std::size_t dropped() const { return dropped_; }

  // One line per issue, plus "... and N more problems" when the cap was reached.
  std::vector<std::string> lines() const;

 private:
  std::size_t cap_;
  std::size_t dropped_ = 0;
  std::vector<ValidationIssue> issues_;
};

}  // namespace pop
