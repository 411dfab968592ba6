#include "util/quantity.h"

#include <charconv>
#include <cmath>
#include <utility>

namespace pop {
namespace {

constexpr double kMaxBytes = 4611686018427387904.0;  // 2^62
constexpr double kMaxCores = 1e6;

struct Suffix {
  std::string_view text;
  double factor;
};

constexpr Suffix kMemorySuffixes[] = {{"Ki", 1024.0},
                                      {"Mi", 1048576.0},
                                      {"Gi", 1073741824.0},
                                      {"Ti", 1099511627776.0},
                                      {"Pi", 1125899906842624.0},
                                      {"k", 1e3},
                                      {"M", 1e6},
                                      {"G", 1e9},
                                      {"T", 1e12},
                                      {"P", 1e15}};

// A plain decimal number ("1", "0.5", "12.25"): no sign, exponent, spaces or hex.
bool parse_decimal(std::string_view text, double& value) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  int dots = 0;
  for (char c : text) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  if (dots > 1) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

tl::unexpected<Error> bad_quantity(const nlohmann::json& quantity, std::string_view expected) {
  return fail(ErrorCode::kInvalidArgument,
              "\"" + (quantity.is_string() ? quantity.get<std::string>() : quantity.dump()) +
                  "\" is not " + std::string(expected));
}

}  // namespace

Result<std::int64_t> memory_bytes_from(const nlohmann::json& quantity) {
  constexpr std::string_view kExpected =
      "a memory quantity (bytes, or a number with Ki, Mi, Gi, Ti, k, M, G or T)";
  double bytes = 0;
  if (quantity.is_number_unsigned() || quantity.is_number_integer()) {
    bytes = quantity.get<double>();
  } else if (quantity.is_string()) {
    std::string_view text = quantity.get_ref<const std::string&>();
    double factor = 1;
    for (const auto& suffix : kMemorySuffixes) {
      if (text.size() > suffix.text.size() && text.ends_with(suffix.text)) {
        factor = suffix.factor;
        text.remove_suffix(suffix.text.size());
        break;
      }
    }
    double number = 0;
    const bool fraction_of_a_byte = factor == 1 && text.find('.') != std::string_view::npos;
    if (fraction_of_a_byte || !parse_decimal(text, number))
      return bad_quantity(quantity, kExpected);
    bytes = std::ceil(number * factor);
  } else {
    return bad_quantity(quantity, kExpected);
  }
  if (!(bytes >= 1) || bytes > kMaxBytes) return bad_quantity(quantity, kExpected);
  return static_cast<std::int64_t>(bytes);
}

Result<double> cpu_cores_from(const nlohmann::json& quantity) {
  constexpr std::string_view kExpected =
      "a cpu quantity (cores such as 0.5 or 2, or millicores such as \"500m\")";
  double cores = 0;
  if (quantity.is_number()) {
    cores = quantity.get<double>();
  } else if (quantity.is_string()) {
    std::string_view text = quantity.get_ref<const std::string&>();
    double divisor = 1;
    if (text.size() > 1 && text.back() == 'm') {
      divisor = 1000;
      text.remove_suffix(1);
    }
    if (!parse_decimal(text, cores)) return bad_quantity(quantity, kExpected);
    cores /= divisor;
  } else {
    return bad_quantity(quantity, kExpected);
  }
  if (!std::isfinite(cores) || cores < 0.001 || cores > kMaxCores)
    return bad_quantity(quantity, kExpected);
  return std::round(cores * 1000) / 1000;
}

std::string cpu_quantity(double cores) { return std::to_string(std::llround(cores * 1000)) + "m"; }

std::string memory_quantity(std::int64_t bytes) { return std::to_string(bytes); }

}  // namespace pop
