// An insight: a queue of a resource pool, with the mappers that bind agendas to it, the
// depth its ready queue is kept at, its scheduling algorithm and who may use it (POP's
// Insight, kept JSON-compatible: fields it does not know round-trip in `extra`).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace pop::scheduler {

using Json = nlohmann::json;

// Mapper kinds an insight may use; any other key in `mappers` is rejected.
inline constexpr const char* kMapperOperationType = "operationType";
inline constexpr const char* kMapperOperationName = "operationName";
inline constexpr const char* kMapperParamMap = "paramMap";  // values are "key=value"
inline constexpr const char* kMapperLabels = "labels";

struct Insight {
  std::string id;
  std::string resource_pool_id;
  std::string title;
  std::string queue_name;
  int queue_size = 1;  // ready-queue depth; POP defaulted to 0, which never admits anything
  // POP's insight.execution.limit: how many handlers of this insight may be active at once
  // on a puller's platform; pullers admit no agenda of the insight while that many are.
  // Unset: no limit.
  std::optional<int> execution_limit;
  std::string scheduling_algorithm = "fifo";
  // Kind -> accepted values, compared case-insensitively. No mappers: a catch-all insight.
  std::map<std::string, std::vector<std::string>> mappers;
  bool is_global = false;
  std::string customer_id;  // owner
  std::vector<std::string> allowed_customer_ids;
  Json algorithm_config = Json::object();  // e.g. {"agingIntervalSeconds": 60}
  Json extra = Json::object();
};

// Reads an insight document. Errors (kInvalidArgument) name the field: queueSize must be an
// integer from 1 to 10000, executionLimit null or an integer from 1 to 100000, mappers an object of
// string arrays with known kinds, paramMap values "key=value", ids and algorithm names strings.
Result<Insight> insight_from_json(const Json& document);
Json insight_to_json(const Insight& insight);

// POP's visibility: the owner, any customer when global, and the allowed customers.
bool visible_to(const Insight& insight, std::string_view customer_id);

}  // namespace pop::scheduler
