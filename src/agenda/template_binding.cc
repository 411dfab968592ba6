#include "agenda/template_binding.h"

#include <optional>
#include <string>
#include <vector>

#include "agenda/agenda.h"
#include "agenda/reference.h"
#include "agenda/substitution.h"

namespace pop {
namespace {

constexpr std::string_view kPayloadSource = "pop.payload";

// The sources the executor resolves later; anything else must be bound here.
bool executor_source(std::string_view source) {
  return source.ends_with(".out") || source == "pop.agendaId" || source == "pop.operationName";
}

std::string known_names(const Json& static_parameters) {
  std::string names;
  for (const auto& [name, value] : static_parameters.items()) {
    names += names.empty() ? "" : ", ";
    names += "\"" + name + "\"";
  }
  return names.empty() ? "none" : names;
}

// The value a bound token stands for, without copying it (it may be in `scratch`); null for
// a token the executor resolves.
//
// Pointer, fallback and lookup are the engine's own: the token is presented to it with the
// source rewritten to pop.payload and the bound value as that payload, so both places
// read `::ptr?fallback` alike. Messages are given back the token as written.
Result<const Json*> token_value(std::string_view token, const TemplateValues& values,
                                Json& scratch) {
  const std::string_view body =
      token.substr(kReferenceOpen.size(), token.size() - kReferenceOpen.size() - 1);
  const std::size_t separator = body.find("::");
  const std::string_view source = body.substr(0, separator);
  const std::string_view rest = separator == std::string_view::npos ? "" : body.substr(separator);
  const Json* base = nullptr;
  if (source == kPayloadSource) {
    base = values.payload;
  } else if (auto found = values.static_parameters->find(std::string(source));
             found != values.static_parameters->end()) {
    base = &*found;
  } else if (executor_source(source)) {
    if (auto checked = find_references(token); !checked) return fail(checked.error());
    return nullptr;
  } else {
    return malformed_reference(token,
                               "unknown source \"" + std::string(source) +
                                   "\"; a template may use \"<operation>.out\", \"pop.agendaId\", "
                                   "\"pop.operationName\", \"pop.payload\" and its "
                                   "staticParameters (" +
                                   known_names(*values.static_parameters) + ")");
  }
  std::string rewritten =
      std::string(kReferenceOpen) + std::string(kPayloadSource) + std::string(rest);
  const bool lenient = values.lenient_payload && source == kPayloadSource && !rest.empty() &&
                       rest.find('?') == std::string_view::npos;
  rewritten += lenient ? "?>" : ">";
  auto references = find_references(rewritten);
  ReferenceContext context;
  context.payload = base;
  auto value = references ? referenced_value(references->front(), context, scratch)
                          : fail(references.error());
  if (!value) {
    std::string& message = value.error().message;
    const std::string shown = std::string(kReferenceOpen) + std::string(kPayloadSource);
    if (auto at = message.find(shown); at != std::string::npos)
      message.replace(at, shown.size(), std::string(kReferenceOpen) + std::string(source));
  }
  return value;
}

// The string with its bound tokens replaced: a JSON value when the whole string is one
// bound token, else a string.
Result<Json> bind_string(const std::string& text, const TemplateValues& values,
                         JsonBudget& budget) {
  Substitution substitution(text, budget);
  std::string_view last_token;
  for (std::size_t begin = text.find(kReferenceOpen); begin != std::string::npos;) {
    const std::size_t close = text.find('>', begin + kReferenceOpen.size());
    if (close == std::string::npos)
      return malformed_reference(text.substr(begin), "no closing \">\"");
    const std::string_view token(text.data() + begin, close + 1 - begin);
    Json scratch;
    auto value = token_value(token, values, scratch);
    if (!value) return fail(value.error());
    if (*value != nullptr) {
      if (begin == 0 && close + 1 == text.size()) return substitution.whole(token, **value);
      auto embedded = substitution.embed(begin, close + 1, token, **value);
      if (!embedded) return fail(embedded.error());
      last_token = token;
    }
    begin = text.find(kReferenceOpen, close + 1);
  }
  return substitution.finish(last_token);
}

// How messages name an operation of a template's agenda: by its name when that is written
// out, else by its position.
std::string label_of(const Json& operation, std::size_t index) {
  Operation named;
  const auto name = operation.find("name");
  if (name != operation.end() && name->is_string() &&
      name->get_ref<const std::string&>().find(kReferenceOpen) == std::string::npos)
    named.name = name->get<std::string>();
  return operation_label(named, index);
}

}  // namespace

Result<Json> bind_template(const Json& document, const TemplateValues& values) {
  JsonBudget budget(values.limit, json_size(document));
  if (!budget.fits({}, {})) {
    return fail(ErrorCode::kTooLarge,
                "before any token is bound, it is over " + budget.passed_limit({}, {}));
  }
  Json bound = document;
  std::optional<Error> error;
  for_each_string(document, [&](const std::string& path, const std::string& text) {
    if (error || text.find(kReferenceOpen) == std::string::npos) return;
    auto value = bind_string(text, values, budget);
    if (!value) {
      error = std::move(value.error());
      if (!path.empty()) error->message.insert(0, "at " + path + ": ");
      return;
    }
    bound[Json::json_pointer(path)] = std::move(*value);
  });
  if (error) return fail(std::move(*error));
  return bound;
}

Result<void> check_literal_names_and_types(const Json& agenda) {
  const auto operations = agenda.is_object() ? agenda.find("operations") : agenda.end();
  if (!agenda.is_object() || operations == agenda.end() || !operations->is_array()) return {};
  std::vector<std::string> details;
  for (std::size_t i = 0; i < operations->size(); ++i) {
    const Json& operation = (*operations)[i];
    if (!operation.is_object()) continue;
    const std::string label = label_of(operation, i);
    for (const char* field : {"name", "type"}) {
      const auto value = operation.find(field);
      if (value == operation.end() || !value->is_string()) continue;
      const std::string& text = value->get_ref<const std::string&>();
      if (text.find(kReferenceOpen) == std::string::npos) continue;
      details.push_back(
          "operation \"" + label + "\", field " + field +
          ": must be written out in a template, not bound from a reference: " + quote_token(text));
    }
  }
  if (details.empty()) return {};
  return fail(ErrorCode::kInvalidAgenda, "an operation's name or type comes from a reference",
              std::move(details));
}

Result<void> check_static_parameter_name(std::string_view name) {
  const auto invalid = [name](const char* reason) {
    return fail(ErrorCode::kInvalidAgenda,
                "staticParameters: name \"" + std::string(name) + "\" " + reason);
  };
  if (name.empty()) return invalid("is empty");
  if (name.find('>') != std::string_view::npos || name.find("::") != std::string_view::npos)
    return invalid("must not contain \">\" or \"::\"");
  if (name.starts_with("pop.") || name.ends_with(".out"))
    return invalid("must not start with \"pop.\" or end with \".out\" (the executor's sources)");
  return {};
}

}  // namespace pop
