#include "scheduler/queues/insight_binding.h"

#include <algorithm>

namespace pop::scheduler {
namespace {

bool equal_folded(std::string_view a, std::string_view b) { return fold_name(a) == fold_name(b); }

bool any_equal(const std::vector<std::string>& accepted, std::string_view value) {
  return std::any_of(accepted.begin(), accepted.end(),
                     [&](const std::string& candidate) { return equal_folded(candidate, value); });
}

// A scalar param as the text a paramMap "key=value" compares with; objects and arrays never match.
std::optional<std::string> param_text(const Json& params, const std::string& key) {
  if (!params.is_object()) return std::nullopt;
  auto it = params.find(key);
  if (it == params.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number() || it->is_boolean()) return it->dump();
  return std::nullopt;
}

bool param_matches(const Agenda& agenda, const std::string& entry) {
  const auto equals = entry.find('=');
  const std::string key = entry.substr(0, equals);
  const std::string value = entry.substr(equals + 1);
  auto matches = [&](const Json& params) {
    auto text = param_text(params, key);
    return text && equal_folded(*text, value);
  };
  return matches(agenda.params) ||
         std::any_of(agenda.operations.begin(), agenda.operations.end(),
                     [&](const Operation& operation) { return matches(operation.params); });
}

bool label_matches(const Agenda& agenda, const std::vector<std::string>& accepted) {
  auto labels = agenda.extra.find("labels");
  if (labels == agenda.extra.end() || !labels->is_array()) return false;
  return std::any_of(labels->begin(), labels->end(), [&](const Json& label) {
    return label.is_string() && any_equal(accepted, label.get<std::string>());
  });
}

bool mapper_matches(const Agenda& agenda, const std::string& kind,
                    const std::vector<std::string>& accepted) {
  if (kind == kMapperOperationType || kind == kMapperOperationName) {
    return std::any_of(
        agenda.operations.begin(), agenda.operations.end(), [&](const Operation& operation) {
          return any_equal(accepted,
                           kind == kMapperOperationType ? operation.type : operation.name);
        });
  }
  if (kind == kMapperParamMap) {
    return std::any_of(accepted.begin(), accepted.end(),
                       [&](const std::string& entry) { return param_matches(agenda, entry); });
  }
  return kind == kMapperLabels && label_matches(agenda, accepted);
}

bool matches(const Agenda& agenda, const Insight& insight) {
  return std::any_of(insight.mappers.begin(), insight.mappers.end(), [&](const auto& mapper) {
    return mapper_matches(agenda, mapper.first, mapper.second);
  });
}

}  // namespace

Result<const Insight*> bind_insight(const Agenda& agenda, std::string_view customer_id,
                                    std::string_view resource_pool_id,
                                    const std::vector<Insight>& pool_insights) {
  const std::string pool(resource_pool_id);
  auto usable = [&](const Insight& insight) {
    return insight.resource_pool_id == resource_pool_id && visible_to(insight, customer_id);
  };
  if (auto preferred = agenda.params.find("defaultInsight");
      preferred != agenda.params.end() && !preferred->is_null()) {
    if (!preferred->is_string()) {
      return fail(ErrorCode::kInvalidAgenda,
                  "params.defaultInsight must be an insight id (a string)");
    }
    const std::string id = preferred->get<std::string>();
    for (const Insight& insight : pool_insights) {
      if (insight.id == id && usable(insight)) return &insight;
    }
    // Invisible and missing read the same, so the answer does not reveal other customers' insights.
    return fail(ErrorCode::kInvalidAgenda, "params.defaultInsight \"" + id +
                                               "\" is not an insight of resource pool \"" + pool +
                                               "\" available to you");
  }
  const Insight* catch_all = nullptr;
  std::size_t usable_count = 0;
  for (const Insight& insight : pool_insights) {
    if (!usable(insight)) continue;
    ++usable_count;
    if (insight.mappers.empty()) {
      if (catch_all == nullptr) catch_all = &insight;
    } else if (matches(agenda, insight)) {
      return &insight;
    }
  }
  if (catch_all != nullptr) return catch_all;
  if (usable_count == 0) {
    return fail(ErrorCode::kInvalidAgenda,
                "resource pool \"" + pool +
                    "\" has no insight available to you; ask an administrator for one");
  }
  return fail(
      ErrorCode::kInvalidAgenda,
      "no insight of resource pool \"" + pool +
          "\" matches this agenda (by operation type or name, params, or labels) and the pool has "
          "no catch-all insight; name one in params.defaultInsight or add a mapper");
}

}  // namespace pop::scheduler
