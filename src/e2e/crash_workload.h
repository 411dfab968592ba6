// Test support for the crash tests: the agendas they submit (a mix of one operation, a
// chain of three and a diamond, all on the ledger handler) and the check of each one's
// final progress. Header-only so it stays out of pop_core.
#pragma once

#include <cstddef>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "e2e/ledger.h"

namespace pop::e2e {

using Json = nlohmann::json;

struct PlannedAgenda {
  std::string idempotency_key;
  std::string body;
  std::vector<std::string> operations;
  // Operation -> the operations whose names its output must carry (passed by reference),
  // e.g. join -> [left, right]: proves that outputs survive a resume in continue mode.
  std::vector<std::pair<std::string, Json>> expected_inputs;
};

namespace workload_detail {

inline Json operation(const std::string& name, Json payload, std::mt19937_64& rng) {
  // 10 to 100 ms, as text so the handler's sed needs no number parsing.
  const int millis = std::uniform_int_distribution<int>(10, 100)(rng);
  char pause[16];
  std::snprintf(pause, sizeof pause, "0.%03d", millis);
  payload["sleepSeconds"] = pause;
  return {{"name", name}, {"type", kLedgerType}, {"payload", std::move(payload)}};
}

}  // namespace workload_detail

// `count` agendas, shapes in turn (single, chain, diamond), keys "<key_prefix><index>".
inline std::vector<PlannedAgenda> plan_agendas(std::size_t count, const std::string& key_prefix,
                                               std::mt19937_64& rng) {
  using workload_detail::operation;
  std::vector<PlannedAgenda> plan;
  for (std::size_t index = 0; index < count; ++index) {
    PlannedAgenda agenda;
    agenda.idempotency_key = key_prefix + std::to_string(index);
    Json operations = Json::array();
    switch (index % 3) {
      case 0:
        operations.push_back(operation("only", Json::object(), rng));
        break;
      case 1:
        operations.push_back(operation("a", Json::object(), rng));
        operations.push_back(operation("b", {{"input", "@<a.out::op>"}}, rng));
        operations.push_back(operation("c", {{"input", "@<b.out::op>"}}, rng));
        agenda.expected_inputs = {{"b", {{"input", "a"}}}, {"c", {{"input", "b"}}}};
        break;
      default:
        operations.push_back(operation("top", Json::object(), rng));
        operations.push_back(operation("left", {{"input", "@<top.out::op>"}}, rng));
        operations.push_back(operation("right", {{"input", "@<top.out::op>"}}, rng));
        operations.push_back(
            operation("join", {{"inputs", {"@<left.out::op>", "@<right.out::op>"}}}, rng));
        agenda.expected_inputs = {{"left", {{"input", "top"}}},
                                  {"right", {{"input", "top"}}},
                                  {"join", {{"inputs", {"left", "right"}}}}};
        break;
    }
    for (const auto& op : operations) agenda.operations.push_back(op["name"]);
    agenda.body = Json{{"title", agenda.idempotency_key}, {"operations", operations}}.dump();
    plan.push_back(std::move(agenda));
  }
  return plan;
}

// What is wrong with an agenda's final progress: empty when it is COMPLETE/succeeded with
// every operation succeeded and every output carrying what its references resolved to.
inline std::vector<std::string> outcome_problems(const PlannedAgenda& agenda,
                                                 const Json& progress) {
  std::vector<std::string> problems;
  if (progress.value("processingState", "") != "COMPLETE" ||
      progress.value("processingStateMessage", "") != "succeeded") {
    problems.push_back("agenda is " + progress.value("processingState", "?") + "/" +
                       progress.value("processingStateMessage", "?"));
  }
  const Json operations = progress.value("operationProgress", Json::array());
  for (const auto& name : agenda.operations) {
    const Json* found = nullptr;
    for (const auto& op : operations)
      if (op.value("operation", "") == name) found = &op;
    if (found == nullptr) {
      problems.push_back("operation " + name + " is missing from the progress");
      continue;
    }
    if (found->value("processingStateMessage", "") != "succeeded")
      problems.push_back("operation " + name + " is " + found->value("processingStateMessage", ""));
    const Json output = found->value("resultPayload", Json());
    if (!output.is_object() || output.value("op", "") != name)
      problems.push_back("operation " + name + " has output " + output.dump());
    for (const auto& [consumer, inputs] : agenda.expected_inputs) {
      if (consumer != name || !output.is_object()) continue;
      for (const auto& [field, value] : inputs.items()) {
        const Json got = output.value("payload", Json::object()).value(field, Json());
        if (got != value)
          problems.push_back("operation " + name + " got " + field + " = " + got.dump() +
                             ", expected " + value.dump());
      }
    }
  }
  return problems;
}

}  // namespace pop::e2e
