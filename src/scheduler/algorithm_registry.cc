#include "scheduler/algorithm_registry.h"

#include <array>
#include <string>

#include "scheduler/fifo.h"
#include "scheduler/priority.h"
#include "scheduler/round_robin.h"
#include "scheduler/weighted_fair.h"

namespace pop::scheduler {
namespace {

using Factory = std::unique_ptr<SchedulingAlgorithm> (*)(const AlgorithmConfig&);

struct Builtin {
  std::string_view name;
  Factory make;
};

constexpr std::array<Builtin, 4> kBuiltins = {{
    {Fifo::kName,
     [](const AlgorithmConfig&) -> std::unique_ptr<SchedulingAlgorithm> {
       return std::make_unique<Fifo>();
     }},
    {RoundRobin::kName,
     [](const AlgorithmConfig&) -> std::unique_ptr<SchedulingAlgorithm> {
       return std::make_unique<RoundRobin>();
     }},
    {WeightedFair::kName,
     [](const AlgorithmConfig& config) -> std::unique_ptr<SchedulingAlgorithm> {
       return std::make_unique<WeightedFair>(config);
     }},
    {Priority::kName,
     [](const AlgorithmConfig& config) -> std::unique_ptr<SchedulingAlgorithm> {
       return std::make_unique<Priority>(config);
     }},
}};

constexpr std::array<std::string_view, kBuiltins.size()> kNames = {
    kBuiltins[0].name, kBuiltins[1].name, kBuiltins[2].name, kBuiltins[3].name};

std::string_view canonical_name(std::string_view name) {
  if (name == "FirstInFirstOut") return Fifo::kName;
  if (name == "RoundRobin") return RoundRobin::kName;
  return name;
}

}  // namespace

std::span<const std::string_view> algorithm_names() { return kNames; }

Result<std::unique_ptr<SchedulingAlgorithm>> make_algorithm(std::string_view name,
                                                            const AlgorithmConfig& config) {
  const std::string_view canonical = canonical_name(name);
  for (const Builtin& builtin : kBuiltins) {
    if (builtin.name != canonical) continue;
    if (auto valid = validate(config); !valid) return fail(std::move(valid).error());
    return builtin.make(config);
  }
  std::string known;
  for (std::string_view each : kNames) {
    if (!known.empty()) known += ", ";
    known += each;
  }
  return fail(ErrorCode::kInvalidArgument, "schedulingAlgorithm: unknown algorithm \"" +
                                               std::string(name) + "\"; known: " + known);
}

}  // namespace pop::scheduler
