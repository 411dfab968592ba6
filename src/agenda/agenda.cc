#include "agenda/agenda.h"

#include <utility>

#include "util/text.h"

namespace pop {
namespace {

// Built by appending: `"#" + std::to_string(i)` trips GCC 12's false -Wrestrict at -O3.
std::string index_label(std::size_t index) {
  std::string label = "#";
  label += std::to_string(index);
  return label;
}

std::string got(const Json& value) { return std::string(", got ") + value.type_name(); }

// null counts as absent: clients of the original POP serialise unset fields as null.
void read_string(const Json& value, const std::string& operation, const std::string& field,
                 std::string& out, IssueList& issues) {
  if (value.is_string()) {
    out = value.get<std::string>();
  } else if (!value.is_null()) {
    issues.add(operation, field, "must be a string" + got(value));
  }
}

Json read_params(Json& value, const std::string& operation, IssueList& issues) {
  if (value.is_object()) return std::move(value);
  if (!value.is_null()) issues.add(operation, "params", "must be an object" + got(value));
  return Json::object();
}

// Moves what it keeps out of `value`.
Operation read_operation(Json& value, std::size_t index, IssueList& issues) {
  Operation operation;
  operation.params = Json::object();
  operation.extra = Json::object();
  std::string position = index_label(index);
  if (!value.is_object()) {
    // Kept as an empty placeholder so that "#<index>" labels match positions in the document.
    issues.add(position, "", "an operation must be a JSON object" + got(value));
    return operation;
  }
  // The name first: it is how every later issue names this operation.
  if (auto name = value.find("name"); name != value.end()) {
    read_string(*name, position, "name", operation.name, issues);
  }
  std::string label = operation_label(operation, index);
  for (auto& [key, field] : value.items()) {
    if (key == "name") continue;
    if (key == "type") {
      read_string(field, label, key, operation.type, issues);
    } else if (key == "payload") {
      operation.payload = std::move(field);
    } else if (key == "params") {
      operation.params = read_params(field, label, issues);
    } else {
      operation.extra[key] = std::move(field);
    }
  }
  return operation;
}

std::vector<Operation> read_operations(Json& value, IssueList& issues) {
  std::vector<Operation> operations;
  if (value.is_null()) return operations;
  if (!value.is_array()) {
    issues.add("", "operations", "must be an array" + got(value));
    return operations;
  }
  operations.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    operations.push_back(read_operation(value[i], i, issues));
  }
  return operations;
}

void put_if_set(Json& out, const char* key, const std::string& value) {
  if (!value.empty()) out[key] = value;
}

// Starts from `extra` so unknown fields survive; known fields are written over it.
Json with_extra(const Json& extra) { return extra.is_object() ? extra : Json::object(); }

}  // namespace

Agenda parse_agenda(const Json& document, IssueList& issues) {
  return parse_agenda(Json(document), issues);
}

Agenda parse_agenda(Json&& document, IssueList& issues) {
  Agenda agenda;
  agenda.params = Json::object();
  agenda.extra = Json::object();
  if (!document.is_object()) {
    issues.add("", "", "an agenda must be a JSON object" + got(document));
    return agenda;
  }
  for (auto& [key, value] : document.items()) {
    if (key == "id") {
      read_string(value, "", key, agenda.id, issues);
    } else if (key == "customerId") {
      read_string(value, "", key, agenda.customer_id, issues);
    } else if (key == "linkId") {
      read_string(value, "", key, agenda.link_id, issues);
    } else if (key == "title") {
      read_string(value, "", key, agenda.title, issues);
    } else if (key == "operations") {
      agenda.operations = read_operations(value, issues);
    } else if (key == "params") {
      agenda.params = read_params(value, "", issues);
    } else {
      agenda.extra[key] = std::move(value);
    }
  }
  return agenda;
}

Json operation_to_json(const Operation& operation) {
  Json out = with_extra(operation.extra);
  put_if_set(out, "name", operation.name);
  put_if_set(out, "type", operation.type);
  if (!operation.payload.is_null()) out["payload"] = operation.payload;
  if (operation.params.is_object() && !operation.params.empty()) out["params"] = operation.params;
  return out;
}

Json agenda_to_json(const Agenda& agenda) {
  Json out = with_extra(agenda.extra);
  put_if_set(out, "id", agenda.id);
  put_if_set(out, "customerId", agenda.customer_id);
  put_if_set(out, "linkId", agenda.link_id);
  put_if_set(out, "title", agenda.title);
  Json operations = Json::array();
  for (const auto& operation : agenda.operations)
    operations.push_back(operation_to_json(operation));
  out["operations"] = std::move(operations);
  if (agenda.params.is_object() && !agenda.params.empty()) out["params"] = agenda.params;
  return out;
}

std::string fold_name(std::string_view name) {
  std::string folded(name);
  for (char& c : folded) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return folded;
}

std::string operation_label(const Operation& operation, std::size_t index) {
  if (operation.name.empty()) return index_label(index);
  // Messages quote the label on every line: a huge or hostile name must not flood them.
  constexpr std::size_t kMaxLabelBytes = 80;
  std::string label = valid_utf8(operation.name.substr(0, kMaxLabelBytes));
  for (char& c : label) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  if (operation.name.size() > kMaxLabelBytes) label += "...";
  return label;
}

}  // namespace pop
