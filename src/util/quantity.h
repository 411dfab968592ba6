// Kubernetes resource quantities ("256Mi", "1G", "500m", "2"), as handler registries write
// cpu and memory so that one entry means the same under the container and Pod runners.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "util/result.h"

namespace pop {

// Bytes from a memory quantity: a non-negative integer, or a string with a binary (Ki, Mi,
// Gi, Ti, Pi) or decimal (k, M, G, T, P) suffix; fractions allowed with a suffix ("1.5Gi").
// kInvalidArgument naming the text for anything else, zero, or more than 2^62 bytes.
Result<std::int64_t> memory_bytes_from(const nlohmann::json& quantity);

// Cores from a cpu quantity: a positive number (0.5, 2) or a string ("500m", "2", "0.25").
// Precision is a millicore, as in Kubernetes; less than one millicore is refused.
Result<double> cpu_cores_from(const nlohmann::json& quantity);

// The canonical Kubernetes forms: "1500m" style millicores; plain bytes.
std::string cpu_quantity(double cores);
std::string memory_quantity(std::int64_t bytes);

}  // namespace pop
