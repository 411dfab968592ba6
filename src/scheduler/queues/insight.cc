#include "scheduler/queues/insight.h"

#include <algorithm>

namespace pop::scheduler {
namespace {

constexpr int kMaxQueueSize = 10000;
constexpr int kMaxExecutionLimit = 100000;

Result<std::string> optional_string(const Json& document, const char* key) {
  auto it = document.find(key);
  if (it == document.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return fail(ErrorCode::kInvalidArgument, std::string(key) + " must be a string");
  return it->get<std::string>();
}

Result<std::vector<std::string>> string_array(const Json& value, const std::string& where) {
  if (!value.is_array())
    return fail(ErrorCode::kInvalidArgument, where + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& item : value) {
    if (!item.is_string())
      return fail(ErrorCode::kInvalidArgument, where + " must be an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::map<std::string, std::vector<std::string>>> read_mappers(const Json& value) {
  std::map<std::string, std::vector<std::string>> mappers;
  if (value.is_null()) return mappers;
  if (!value.is_object()) return fail(ErrorCode::kInvalidArgument, "mappers must be an object");
  for (const auto& [kind, values] : value.items()) {
    if (kind != kMapperOperationType && kind != kMapperOperationName && kind != kMapperParamMap &&
        kind != kMapperLabels) {
      return fail(ErrorCode::kInvalidArgument,
                  "mappers." + kind +
                      " is not a mapper kind (operationType, operationName, paramMap, labels)");
    }
    auto list = string_array(values, "mappers." + kind);
    if (!list) return fail(list.error());
    if (kind == kMapperParamMap) {
      for (const auto& entry : *list) {
        const auto equals = entry.find('=');
        if (equals == std::string::npos || equals == 0) {
          return fail(ErrorCode::kInvalidArgument,
                      "mappers.paramMap entry \"" + entry + "\" must be \"key=value\"");
        }
      }
    }
    if (!list->empty()) mappers[kind] = std::move(*list);
  }
  return mappers;
}

}  // namespace

Result<Insight> insight_from_json(const Json& document) {
  if (!document.is_object())
    return fail(ErrorCode::kInvalidArgument, "an insight must be a JSON object");
  Insight insight;
  static constexpr const char* kKnown[] = {
      "id",         "resourcePoolId",      "title",           "queueName",
      "queueSize",  "schedulingAlgorithm", "mappers",         "isGlobal",
      "customerId", "allowedCustomerIds",  "algorithmConfig", "executionLimit"};
  for (const auto& [key, value] : document.items()) {
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown))
      insight.extra[key] = value;
  }
  for (auto [key, slot] :
       {std::pair{"id", &insight.id}, std::pair{"resourcePoolId", &insight.resource_pool_id},
        std::pair{"title", &insight.title}, std::pair{"queueName", &insight.queue_name},
        std::pair{"customerId", &insight.customer_id}}) {
    auto text = optional_string(document, key);
    if (!text) return fail(text.error());
    *slot = std::move(*text);
  }
  auto algorithm = optional_string(document, "schedulingAlgorithm");
  if (!algorithm) return fail(algorithm.error());
  if (!algorithm->empty()) insight.scheduling_algorithm = std::move(*algorithm);
  if (auto size = document.find("queueSize"); size != document.end() && !size->is_null()) {
    if (!size->is_number_integer() || size->get<long long>() < 1 ||
        size->get<long long>() > kMaxQueueSize) {
      return fail(ErrorCode::kInvalidArgument,
                  "queueSize must be an integer from 1 to " + std::to_string(kMaxQueueSize));
    }
    insight.queue_size = size->get<int>();
  }
  if (auto limit = document.find("executionLimit"); limit != document.end() && !limit->is_null()) {
    if (!limit->is_number_integer() || limit->get<long long>() < 1 ||
        limit->get<long long>() > kMaxExecutionLimit) {
      return fail(ErrorCode::kInvalidArgument,
                  "executionLimit must be null or an integer from 1 to " +
                      std::to_string(kMaxExecutionLimit));
    }
    insight.execution_limit = limit->get<int>();
  }
  auto mappers = read_mappers(document.value("mappers", Json()));
  if (!mappers) return fail(mappers.error());
  insight.mappers = std::move(*mappers);
  if (auto global = document.find("isGlobal"); global != document.end() && !global->is_null()) {
    if (!global->is_boolean())
      return fail(ErrorCode::kInvalidArgument, "isGlobal must be true or false");
    insight.is_global = global->get<bool>();
  }
  if (auto allowed = document.find("allowedCustomerIds");
      allowed != document.end() && !allowed->is_null()) {
    auto list = string_array(*allowed, "allowedCustomerIds");
    if (!list) return fail(list.error());
    insight.allowed_customer_ids = std::move(*list);
  }
  if (auto config = document.find("algorithmConfig");
      config != document.end() && !config->is_null()) {
    if (!config->is_object())
      return fail(ErrorCode::kInvalidArgument, "algorithmConfig must be an object");
    insight.algorithm_config = *config;
  }
  return insight;
}

Json insight_to_json(const Insight& insight) {
  Json out = insight.extra;
  out["id"] = insight.id;
  out["resourcePoolId"] = insight.resource_pool_id;
  out["title"] = insight.title;
  out["queueName"] = insight.queue_name;
  out["queueSize"] = insight.queue_size;
  out["executionLimit"] = insight.execution_limit ? Json(*insight.execution_limit) : Json(nullptr);
  out["schedulingAlgorithm"] = insight.scheduling_algorithm;
  out["mappers"] = Json::object();
  for (const auto& [kind, values] : insight.mappers) out["mappers"][kind] = values;
  out["isGlobal"] = insight.is_global;
  out["customerId"] = insight.customer_id;
  out["allowedCustomerIds"] = insight.allowed_customer_ids;
  out["algorithmConfig"] = insight.algorithm_config;
  return out;
}

bool visible_to(const Insight& insight, std::string_view customer_id) {
  return insight.is_global || insight.customer_id == customer_id ||
         std::find(insight.allowed_customer_ids.begin(), insight.allowed_customer_ids.end(),
                   customer_id) != insight.allowed_customer_ids.end();
}

}  // namespace pop::scheduler
