// Resources an agenda declares for admission, `params.resources`: names mapped to
// non-negative amounts, in whatever units the pool's pullers count in (e.g.
// {"cpu": 2, "memoryMiB": 4096, "gpu": 1}). A puller that advertises what it has free is
// handed only agendas that fit; one that advertises nothing is limited by its slots alone.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace pop {

using Resources = std::map<std::string, double, std::less<>>;

// Reads an object of resource amounts. kInvalidArgument naming `field` and the entry for
// anything but an object of finite numbers >= 0.
Result<Resources> resources_from_json(const nlohmann::json& value, std::string_view field);

// The agenda's declaration: params.resources, empty when absent.
Result<Resources> declared_resources(const nlohmann::json& agenda_params);

// Whether `demand` fits into `available`: every resource it asks for is advertised and
// has at least that much left.
bool fits(const Resources& demand, const Resources& available);

// `available` minus `demand`, for resources present in both.
void take_from(Resources& available, const Resources& demand);

nlohmann::json resources_to_json(const Resources& resources);

// Command-line form, one "name=amount" per entry (e.g. --resource cpu=8). kInvalidArgument
// naming the entry for anything else; nullopt for no entries.
Result<std::optional<Resources>> resources_from_flags(const std::vector<std::string>& flags);

}  // namespace pop
