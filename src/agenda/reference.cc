#include "agenda/reference.h"

#include <array>
#include <utility>

#include "agenda/substitution.h"

namespace pop {
namespace {

constexpr std::string_view kOutSuffix = ".out";
constexpr std::string_view kPopPrefix = "pop.";
constexpr std::array<std::string_view, 3> kPopValues = {"agendaId", "operationName", "payload"};
constexpr std::string_view kAllowedSources =
    R"(expected "<operation>.out", "pop.agendaId", "pop.operationName" or "pop.payload")";

tl::unexpected<Error> unresolvable(const Reference& reference, const std::string& reason) {
  return fail(ErrorCode::kInvalidAgenda,
              "reference " + quote_token(reference.text) + ": " + reason);
}

// Returns why `source` is malformed, or nothing when it was read into `reference`.
std::optional<std::string> read_source(std::string_view source, Reference& reference) {
  if (source.ends_with(kOutSuffix)) {
    if (source.size() == kOutSuffix.size()) return "the operation name before \".out\" is empty";
    reference.source = Reference::Source::kOperationOutput;
    reference.name = source.substr(0, source.size() - kOutSuffix.size());
    return std::nullopt;
  }
  if (source.starts_with(kPopPrefix)) {
    std::string_view value = source.substr(kPopPrefix.size());
    for (std::string_view known : kPopValues) {
      if (value != known) continue;
      reference.source = Reference::Source::kPopValue;
      reference.name = value;
      return std::nullopt;
    }
  }
  if (source.empty()) return "the source is empty; " + std::string(kAllowedSources);
  return "unknown source \"" + std::string(source) + "\"; " + std::string(kAllowedSources);
}

// Returns why `text` is not a pointer, or nothing when it was read into `reference`.
std::optional<std::string> read_pointer(std::string_view text, Reference& reference) {
  // POP's pointers omit the leading "/", and "/" alone means the whole value, not key "".
  if (text.empty() || text == "/") return std::nullopt;
  std::string pointer(text);
  if (!pointer.starts_with('/')) pointer.insert(0, 1, '/');
  try {
    reference.pointer = Json::json_pointer(pointer);
  } catch (const Json::exception&) {
    return "bad \"~\" escape in pointer \"" + std::string(text) +
           "\"; \"~\" must be followed by 0 or 1";
  }
  return std::nullopt;
}

// `token` runs from "@<" through ">".
Result<Reference> read_token(std::string_view token) {
  Reference reference;
  reference.text = token;
  std::string_view body =
      token.substr(kReferenceOpen.size(), token.size() - kReferenceOpen.size() - 1);
  std::size_t separator = body.find("::");
  if (auto reason = read_source(body.substr(0, separator), reference)) {
    return malformed_reference(token, *reason);
  }
  if (separator == std::string_view::npos) return reference;
  std::string_view rest = body.substr(separator + 2);
  std::size_t question = rest.find('?');
  if (auto reason = read_pointer(rest.substr(0, question), reference)) {
    return malformed_reference(token, *reason);
  }
  if (question != std::string_view::npos) {
    reference.has_fallback = true;
    std::string_view fallback = rest.substr(question + 1);
    if (!fallback.empty()) reference.fallback_text = std::string(fallback);
  }
  return reference;
}

std::string escape_pointer_token(const std::string& key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

using StringVisitor = std::function<void(const std::string& path, const std::string&)>;

void visit_strings(const Json& value, std::string& path, const StringVisitor& visit) {
  std::size_t length = path.size();
  if (value.is_string()) {
    visit(path, value.get_ref<const std::string&>());
  } else if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      path += '/' + escape_pointer_token(key);
      visit_strings(item, path, visit);
      path.resize(length);
    }
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      path += '/' + std::to_string(i);
      visit_strings(value[i], path, visit);
      path.resize(length);
    }
  }
}

// The value a reference's source names, before its pointer is applied. pop.* strings are
// built in `scratch` because the context holds them as std::string.
Result<const Json*> source_value(const Reference& reference, const ReferenceContext& context,
                                 Json& scratch) {
  if (reference.source == Reference::Source::kOperationOutput) {
    const Json* output =
        context.operation_output ? context.operation_output(reference.name) : nullptr;
    if (output == nullptr) {
      return unresolvable(reference,
                          "the output of operation \"" + reference.name + "\" is not available");
    }
    return output;
  }
  if (reference.name == "payload") {
    if (context.payload == nullptr) {
      return unresolvable(reference, "pop.payload is bound only when running a template");
    }
    return context.payload;
  }
  scratch = reference.name == "agendaId" ? context.agenda_id : context.operation_name;
  return &scratch;
}

// A string that is exactly one token becomes the value; tokens inside a longer one, their
// text. What a substitution inserts is not scanned again.
Result<Json> resolve_string(const std::string& text, const ReferenceContext& context,
                            JsonBudget& budget) {
  auto references = find_references(text);
  if (!references) return fail(references.error());
  Substitution substitution(text, budget);
  for (const auto& reference : *references) {
    Json scratch;
    auto value = referenced_value(reference, context, scratch);
    if (!value) return fail(value.error());
    if (reference.begin == 0 && reference.end == text.size()) {
      return substitution.whole(reference.text, **value);
    }
    auto embedded = substitution.embed(reference.begin, reference.end, reference.text, **value);
    if (!embedded) return fail(embedded.error());
  }
  return substitution.finish(references->back().text);
}

Result<void> resolve_in_place(Json& value, std::string& path, const ReferenceContext& context,
                              JsonBudget& budget) {
  std::size_t length = path.size();
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (text.find(kReferenceOpen) == std::string::npos) return {};
    auto resolved = resolve_string(text, context, budget);
    if (!resolved) {
      if (!path.empty()) resolved.error().message.insert(0, "at " + path + ": ");
      return fail(resolved.error());
    }
    value = std::move(*resolved);
  } else if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      path += '/' + escape_pointer_token(it.key());
      auto done = resolve_in_place(it.value(), path, context, budget);
      if (!done) return done;
      path.resize(length);
    }
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      path += '/' + std::to_string(i);
      auto done = resolve_in_place(value[i], path, context, budget);
      if (!done) return done;
      path.resize(length);
    }
  }
  return {};
}

}  // namespace

Result<std::vector<Reference>> find_references(std::string_view value) {
  std::vector<Reference> references;
  std::size_t begin = value.find(kReferenceOpen);
  while (begin != std::string_view::npos) {
    std::size_t close = value.find('>', begin + kReferenceOpen.size());
    if (close == std::string_view::npos) {
      return malformed_reference(value.substr(begin), "no closing \">\"");
    }
    auto reference = read_token(value.substr(begin, close + 1 - begin));
    if (!reference) return fail(reference.error());
    reference->begin = begin;
    reference->end = close + 1;
    references.push_back(std::move(*reference));
    begin = value.find(kReferenceOpen, close + 1);
  }
  return references;
}

void for_each_string(const Json& document, const StringVisitor& visit) {
  std::string path;
  visit_strings(document, path, visit);
}

Result<const Json*> referenced_value(const Reference& reference, const ReferenceContext& context,
                                     Json& scratch) {
  auto base = source_value(reference, context, scratch);
  if (!base || reference.pointer.empty()) return base;
  try {
    return &(*base)->at(reference.pointer);
  } catch (const Json::exception&) {
    // A missing key, an index out of range or not a number: all mean "no such path".
  }
  if (!reference.has_fallback) {
    return unresolvable(reference, "path \"" + reference.pointer.to_string() + "\" does not exist");
  }
  scratch = reference.fallback_text ? Json(*reference.fallback_text) : Json(nullptr);
  return &scratch;
}

Result<Json> resolve_references(const Json& document, const ReferenceContext& context,
                                JsonSize limit) {
  JsonBudget budget(limit, json_size(document));
  if (!budget.fits({}, {})) {
    return fail(ErrorCode::kTooLarge,
                "before any reference is resolved, it is over " + budget.passed_limit({}, {}));
  }
  Json resolved = document;
  std::string path;
  auto done = resolve_in_place(resolved, path, context, budget);
  if (!done) return fail(done.error());
  return resolved;
}

tl::unexpected<Error> malformed_reference(std::string_view token, const std::string& reason) {
  return fail(ErrorCode::kInvalidAgenda,
              "malformed reference " + quote_token(token) + ": " + reason);
}

std::string quote_token(std::string_view token) {
  constexpr std::size_t kMaxQuoted = 100;
  if (token.size() <= kMaxQuoted) return "\"" + std::string(token) + "\"";
  std::size_t cut = kMaxQuoted;
  // Back up to the start of a UTF-8 sequence so the message stays valid UTF-8.
  while (cut > 0 && (static_cast<unsigned char>(token[cut]) & 0xC0) == 0x80) --cut;
  return "\"" + std::string(token.substr(0, cut)) + "...\"";
}

}  // namespace pop
