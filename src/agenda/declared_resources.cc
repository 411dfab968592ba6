#include "agenda/declared_resources.h"

#include <cmath>

namespace pop {

Result<Resources> resources_from_json(const nlohmann::json& value, std::string_view field) {
  if (!value.is_object())
    return fail(ErrorCode::kInvalidArgument,
                std::string(field) + " must be an object of resource amounts");
  Resources resources;
  for (const auto& [name, amount] : value.items()) {
    if (name.empty() || name.size() > 64)
      return fail(ErrorCode::kInvalidArgument,
                  std::string(field) + ": resource names must have 1 to 64 bytes");
    if (!amount.is_number() || !std::isfinite(amount.get<double>()) || amount.get<double>() < 0)
      return fail(ErrorCode::kInvalidArgument,
                  std::string(field) + "." + name + " must be a number >= 0");
    resources[name] = amount.get<double>();
  }
  return resources;
}

Result<Resources> declared_resources(const nlohmann::json& agenda_params) {
  if (!agenda_params.is_object()) return Resources{};
  auto it = agenda_params.find("resources");
  if (it == agenda_params.end() || it->is_null()) return Resources{};
  return resources_from_json(*it, "params.resources");
}

bool fits(const Resources& demand, const Resources& available) {
  for (const auto& [name, amount] : demand) {
    if (amount == 0) continue;
    auto free = available.find(name);
    if (free == available.end() || free->second < amount) return false;
  }
  return true;
}

void take_from(Resources& available, const Resources& demand) {
  for (const auto& [name, amount] : demand) {
    auto free = available.find(name);
    if (free != available.end()) free->second -= amount;
  }
}

Result<std::optional<Resources>> resources_from_flags(const std::vector<std::string>& flags) {
  if (flags.empty()) return std::nullopt;
  nlohmann::json object = nlohmann::json::object();
  for (const auto& flag : flags) {
    const auto equals = flag.find('=');
    double amount = 0;
    std::size_t used = 0;
    try {
      if (equals != std::string::npos) amount = std::stod(flag.substr(equals + 1), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (equals == std::string::npos || used == 0 || used != flag.size() - equals - 1)
      return fail(ErrorCode::kInvalidArgument,
                  "--resource must be NAME=AMOUNT (e.g. cpu=8), not \"" + flag + "\"");
    object[flag.substr(0, equals)] = amount;
  }
  auto resources = resources_from_json(object, "--resource");
  if (!resources) return fail(resources.error());
  return std::optional<Resources>(std::move(*resources));
}

nlohmann::json resources_to_json(const Resources& resources) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, amount] : resources) out[name] = amount;
  return out;
}

}  // namespace pop
