#include "agenda/agenda_validator.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "util/duration_limits.h"
#include "util/json_limits.h"
#include "util/json_size.h"

namespace pop {
namespace {

tl::unexpected<Error> invalid(const IssueList& issues) {
  std::size_t count = issues.issues().size() + issues.dropped();
  return fail(
      ErrorCode::kInvalidAgenda,
      "agenda is invalid: " + std::to_string(count) + (count == 1 ? " problem" : " problems"),
      issues.lines());
}

// Checked before anything else so that a huge agenda is rejected before it is walked.
Result<void> check_operation_count(std::size_t count, const AgendaLimits& limits) {
  if (count <= limits.max_operations) return {};
  return fail(ErrorCode::kTooLarge, "agenda has " + std::to_string(count) +
                                        " operations, over the limit of " +
                                        std::to_string(limits.max_operations));
}

// parse_agenda already reported a name or type of the wrong JSON type, or an operation that is
// not an object (field ""); saying "required" as well would count one problem twice.
bool already_reported(const IssueList& issues, const std::string& operation,
                      const std::string& field) {
  for (const auto& issue : issues.issues()) {
    if (issue.operation == operation && (issue.field == field || issue.field.empty())) return true;
  }
  return false;
}

// Containers and long strings are named by type only: echoing them could flood the message.
std::string describe(const Json& value) {
  constexpr std::size_t kLongString = 64;
  if (value.is_structured()) return std::string("an ") + value.type_name();
  if (value.is_string() && value.get_ref<const std::string&>().size() > kLongString) {
    return "a long string";
  }
  return value.dump();
}

using ParamOk = bool (*)(const Json& value);

// An absent param means "use the default", so only present ones are checked.
void check_param(const Json& params, const std::string& operation, const char* key, ParamOk ok,
                 const char* expectation, IssueList& issues) {
  auto value = params.find(key);
  if (value == params.end() || ok(*value)) return;
  issues.add(operation, std::string("params.") + key,
             std::string("must be ") + expectation + ", got " + describe(*value));
}

// Comparing as double is exact enough: no rounding carries a huge integer into a small range.
template <int kLow, int kHigh>
bool integer_in(const Json& value) {
  return value.is_number_integer() && value.get<double>() >= kLow && value.get<double>() <= kHigh;
}

bool timeout(const Json& value) {
  return value.is_number() && value.get<double>() > 0 && value.get<double>() <= kMaxTimeoutSeconds;
}
bool backoff(const Json& value) {
  return value.is_number() && value.get<double>() >= 0 &&
         value.get<double>() <= kMaxRetryBackoffSeconds;
}
bool boolean(const Json& value) { return value.is_boolean(); }

// Unknown fields are kept for POP's clients (cid, externalId, ...) but not as a store for bulk
// data: every read of the agenda serves them back.
void check_extra_fields(const Agenda& agenda, const AgendaLimits& limits, IssueList& issues) {
  const std::size_t size = json_size(agenda.extra).bytes;
  if (size <= limits.max_extra_bytes) return;
  issues.add("", "",
             "its fields other than id, customerId, linkId, title, operations and params are " +
                 std::to_string(size) + " bytes together (serialised), over the limit of " +
                 std::to_string(limits.max_extra_bytes));
}

// Listings show both in each agenda's summary, a thousand to a page.
void check_summary_fields(const Agenda& agenda, const AgendaLimits& limits, IssueList& issues) {
  auto check = [&](const char* field, const std::string& text, std::size_t limit) {
    if (text.size() <= limit) return;
    issues.add("", field,
               "is " + std::to_string(text.size()) + " bytes long, over the limit of " +
                   std::to_string(limit));
  };
  check("title", agenda.title, limits.max_title_bytes);
  check("linkId", agenda.link_id, limits.max_link_id_bytes);
}

void check_agenda_params(const Agenda& agenda, IssueList& issues) {
  const Json& params = agenda.params;
  check_param(params, "", "maximumAttempts", integer_in<1, 20>, "an integer from 1 to 20", issues);
  check_param(params, "", "doNotRun", boolean, "true or false", issues);
}

void check_operation_params(const Operation& operation, const std::string& label,
                            IssueList& issues) {
  const Json& params = operation.params;
  check_param(params, label, "timeoutSeconds", timeout, "a number > 0 and <= 2592000 (30 days)",
              issues);
  static_assert(kMaxOperationAttempts == 100, "the expectation below names the bound");
  check_param(params, label, "maximumAttempts", integer_in<1, kMaxOperationAttempts>,
              "an integer from 1 to 100", issues);
  check_param(params, label, "retryBackoffSeconds", backoff, "a number from 0 to 86400", issues);
}

class OperationChecker {
 public:
  OperationChecker(const TypeKnown& type_known, const AgendaLimits& limits, IssueList& issues)
      : type_known_(type_known), limits_(limits), issues_(issues) {}

  void check(const Operation& operation, std::size_t index) {
    std::string label = operation_label(operation, index);
    check_name(operation, index, label);
    check_type(operation, label);
    check_payload_size(operation, label);
    check_operation_params(operation, label, issues_);
  }

 private:
  void check_name(const Operation& operation, std::size_t index, const std::string& label) {
    if (operation.name.empty()) {
      if (!already_reported(issues_, label, "name")) issues_.add(label, "name", "is required");
      return;
    }
    if (operation.name.size() > limits_.max_name_length) {
      issues_.add(label, "name",
                  "is " + std::to_string(operation.name.size()) +
                      " bytes long, over the limit of " + std::to_string(limits_.max_name_length));
    }
    // Such a name could not be referenced (">" ends a token, "::" starts a pointer), listed
    // in a dependsOn string (","), or passed safely through an environment or a terminal.
    const bool unusable = operation.name.find_first_of("<>,") != std::string::npos ||
                          operation.name.find("::") != std::string::npos ||
                          std::any_of(operation.name.begin(), operation.name.end(), [](char c) {
                            return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
                          });
    if (unusable) {
      issues_.add(label, "name",
                  "must not contain control characters, \"<\", \">\", \",\" or \"::\"");
    }
    auto [first, inserted] = first_with_name_.emplace(fold_name(operation.name), index);
    if (!inserted) {
      issues_.add(label, "name",
                  "duplicates the name of operation #" + std::to_string(first->second) +
                      " (names are compared case-insensitively)");
    }
  }

  void check_type(const Operation& operation, const std::string& label) {
    if (operation.type.empty()) {
      if (!already_reported(issues_, label, "type")) issues_.add(label, "type", "is required");
    } else if (type_known_ && !type_known_(operation.type)) {
      issues_.add(label, "type", "no handler for operation type \"" + operation.type + "\"");
    }
  }

  void check_payload_size(const Operation& operation, const std::string& label) {
    const JsonSize size = json_size(operation.payload);
    if (size.bytes > limits_.max_payload_bytes) {
      issues_.add(label, "payload",
                  "is " + std::to_string(size.bytes) + " bytes, over the limit of " +
                      std::to_string(limits_.max_payload_bytes));
    }
    if (size.values > limits_.max_payload_values) {
      issues_.add(label, "payload",
                  "holds " + std::to_string(size.values) + " JSON values, over the limit of " +
                      std::to_string(limits_.max_payload_values));
    }
  }

  const TypeKnown& type_known_;
  const AgendaLimits& limits_;
  IssueList& issues_;
  std::unordered_map<std::string, std::size_t> first_with_name_;
};

std::string join_cycle(const std::vector<std::string>& cycle) {
  std::string out;
  for (const auto& name : cycle) {
    if (!out.empty()) out += " -> ";
    out += name;
  }
  return out;
}

}  // namespace

namespace {

JsonLimits agenda_document_limits(const AgendaLimits& limits) {
  return {.max_bytes = limits.max_document_bytes,
          .max_depth = limits.max_depth,
          .max_values = limits.max_values};
}

}  // namespace

Result<Json> parse_agenda_text(std::string_view text, const AgendaLimits& limits) {
  return parse_json_limited(text, agenda_document_limits(limits));
}

Result<void> check_agenda_document(const Json& document, const AgendaLimits& limits) {
  return check_json_limits(document, agenda_document_limits(limits));
}

Result<ValidatedAgenda> load_agenda_document(Json document, const TypeKnown& type_known,
                                             const AgendaLimits& limits) {
  IssueList issues(limits.max_issues);
  if (!document.is_object()) {
    parse_agenda(document, issues);
    return invalid(issues);
  }
  auto operations = document.find("operations");
  if (operations != document.end() && operations->is_array()) {
    if (auto counted = check_operation_count(operations->size(), limits); !counted) {
      return fail(counted.error());
    }
  }
  Agenda agenda = parse_agenda(std::move(document), issues);
  return validate_agenda(std::move(agenda), type_known, limits, std::move(issues));
}

Result<ValidatedAgenda> load_agenda(std::string_view text, const TypeKnown& type_known,
                                    const AgendaLimits& limits) {
  auto document = parse_agenda_text(text, limits);
  if (!document) return fail(document.error());
  return load_agenda_document(std::move(*document), type_known, limits);
}

Result<ValidatedAgenda> validate_agenda(Agenda agenda, const TypeKnown& type_known,
                                        const AgendaLimits& limits, IssueList issues) {
  if (auto counted = check_operation_count(agenda.operations.size(), limits); !counted) {
    return fail(counted.error());
  }
  if (agenda.operations.empty() && !already_reported(issues, "", "operations")) {
    issues.add("", "operations", "an agenda needs at least one operation");
  }
  check_agenda_params(agenda, issues);
  check_summary_fields(agenda, limits, issues);
  check_extra_fields(agenda, limits, issues);
  OperationChecker checker(type_known, limits, issues);
  for (std::size_t i = 0; i < agenda.operations.size(); ++i) checker.check(agenda.operations[i], i);

  AgendaGraph graph = build_agenda_graph(agenda, issues);
  for (const auto& cycle : find_cycles(agenda, graph)) {
    issues.add(cycle.front(), "", "dependency cycle: " + join_cycle(cycle));
  }
  if (!issues.empty()) return invalid(issues);
  return ValidatedAgenda{std::move(agenda), std::move(graph)};
}

}  // namespace pop
