#include "agenda/template_binding.h"

#include <optional>
#include <string>

#include "agenda/reference.h"

namespace pop {
namespace {

constexpr std::string_view kOpen = "@<";
constexpr std::string_view kPayloadSource = "pop.payload";

tl::unexpected<Error> malformed(std::string_view token, const std::string& reason) {
  return fail(ErrorCode::kInvalidAgenda,
              "malformed reference \"" + std::string(token) + "\": " + reason);
}

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

// The value a bound token stands for; nothing for a token the executor resolves.
//
// Pointer, fallback and lookup are the engine's own: the token is presented to it with the
// source rewritten to pop.payload and the bound value as that payload, so both places
// read `::ptr?fallback` alike. Messages are given back the token as written.
Result<std::optional<Json>> token_value(std::string_view token, const TemplateValues& values) {
  const std::string_view body = token.substr(kOpen.size(), token.size() - kOpen.size() - 1);
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
    if (auto checked = find_references(token); !checked) return tl::unexpected(checked.error());
    return std::nullopt;
  } else {
    return malformed(token, "unknown source \"" + std::string(source) +
                                "\"; a template may use \"<operation>.out\", \"pop.agendaId\", "
                                "\"pop.operationName\", \"pop.payload\" and its "
                                "staticParameters (" +
                                known_names(*values.static_parameters) + ")");
  }
  std::string rewritten = std::string(kOpen) + std::string(kPayloadSource) + std::string(rest);
  const bool lenient = values.lenient_payload && source == kPayloadSource && !rest.empty() &&
                       rest.find('?') == std::string_view::npos;
  rewritten += lenient ? "?>" : ">";
  ReferenceContext context;
  context.payload = base;
  auto value = resolve_references(Json(rewritten), context);
  if (!value) {
    std::string& message = value.error().message;
    const std::string shown = std::string(kOpen) + std::string(kPayloadSource);
    if (auto at = message.find(shown); at != std::string::npos)
      message.replace(at, shown.size(), std::string(kOpen) + std::string(source));
    return tl::unexpected(value.error());
  }
  return std::optional<Json>(std::move(*value));
}

// As a bound token's text inside a longer string (agenda/reference.h's composite rule).
Result<std::string> embedded_text(std::string_view token, const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return std::string();
  if (value.is_structured()) {
    return fail(ErrorCode::kInvalidAgenda, "reference \"" + std::string(token) + "\": yields an " +
                                               value.type_name() +
                                               ", which cannot be embedded in a longer string");
  }
  return value.dump();
}

// The string with its bound tokens replaced: a JSON value when the whole string is one
// bound token, else a string.
Result<Json> bind_string(const std::string& text, const TemplateValues& values) {
  std::string out;
  std::size_t copied = 0;
  for (std::size_t begin = text.find(kOpen); begin != std::string::npos;) {
    const std::size_t close = text.find('>', begin + kOpen.size());
    if (close == std::string::npos) return malformed(text.substr(begin), "no closing \">\"");
    const std::string_view token(text.data() + begin, close + 1 - begin);
    auto value = token_value(token, values);
    if (!value) return tl::unexpected(value.error());
    if (*value) {
      if (begin == 0 && close + 1 == text.size()) return std::move(**value);
      auto piece = embedded_text(token, **value);
      if (!piece) return tl::unexpected(piece.error());
      out.append(text, copied, begin - copied);
      out += *piece;
      copied = close + 1;
    }
    begin = text.find(kOpen, close + 1);
  }
  if (copied == 0) return Json(text);
  out.append(text, copied);
  return Json(std::move(out));
}

}  // namespace

Result<Json> bind_template(const Json& document, const TemplateValues& values) {
  Json bound = document;
  std::optional<Error> error;
  for_each_string(document, [&](const std::string& path, const std::string& text) {
    if (error || text.find(kOpen) == std::string::npos) return;
    auto value = bind_string(text, values);
    if (!value) {
      error = std::move(value.error());
      if (!path.empty()) error->message.insert(0, "at " + path + ": ");
      return;
    }
    bound[Json::json_pointer(path)] = std::move(*value);
  });
  if (error) return tl::unexpected(std::move(*error));
  return bound;
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
