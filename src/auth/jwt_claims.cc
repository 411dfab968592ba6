#include "auth/jwt_claims.h"

#include <algorithm>
#include <optional>
#include <vector>

namespace pop::auth {
using Json = nlohmann::json;

namespace {

// The claim at `pointer`, or null when the claims do not reach it.
const Json* find_claim(const Json& claims, const Json::json_pointer& pointer) {
  try {
    return claims.contains(pointer) ? &claims.at(pointer) : nullptr;
  } catch (const Json::exception&) {
    return nullptr;  // the pointer walks through a value of another shape
  }
}

// A NumericDate claim (seconds since the epoch, possibly fractional); nullopt when absent.
Result<std::optional<double>> numeric_date(const Json& claims, const char* name) {
  const auto claim = claims.find(name);
  if (claim == claims.end()) return std::optional<double>();
  if (!claim->is_number())
    return jwt_refusal(std::string("the JWT claim \"") + name + "\" is not a number");
  return std::optional<double>(claim->get<double>());
}

Result<void> check_times(const Json& claims, std::chrono::seconds leeway,
                         std::chrono::system_clock::time_point now) {
  const double seconds = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double slack = static_cast<double>(leeway.count());
  auto exp = numeric_date(claims, "exp");
  if (!exp) return fail(exp.error());
  if (!*exp) return jwt_refusal("the JWT has no expiry (\"exp\")");
  if (seconds >= **exp + slack) return jwt_refusal("the JWT expired");
  auto nbf = numeric_date(claims, "nbf");
  if (!nbf) return fail(nbf.error());
  if (*nbf && seconds + slack < **nbf) return jwt_refusal("the JWT is not valid yet (\"nbf\")");
  auto iat = numeric_date(claims, "iat");
  if (!iat) return fail(iat.error());
  if (*iat && seconds + slack < **iat)
    return jwt_refusal("the JWT was issued in the future (\"iat\")");
  return {};
}

// A string claim; empty when absent.
Result<std::string> string_claim(const Json& claims, const char* name) {
  const auto claim = claims.find(name);
  if (claim == claims.end()) return std::string();
  if (!claim->is_string())
    return jwt_refusal(std::string("the JWT claim \"") + name + "\" is not a string");
  return claim->get<std::string>();
}

Result<void> check_audience(const Json& claims, const std::string& audience) {
  if (audience.empty()) return {};
  const auto aud = claims.find("aud");
  const bool listed =
      aud != claims.end() &&
      ((aud->is_string() && *aud == audience) ||
       (aud->is_array() && std::find(aud->begin(), aud->end(), audience) != aud->end()));
  if (!listed)
    return jwt_refusal("the JWT audience (\"aud\") does not include \"" + audience + "\"");
  return {};
}

// A claim that is one string or an array of non-empty strings; empty when absent.
Result<std::vector<std::string>> string_list_claim(const Json& claims,
                                                   const Json::json_pointer& pointer) {
  const Json* claim = find_claim(claims, pointer);
  std::vector<std::string> values;
  if (claim == nullptr) return values;
  const auto malformed = [&] {
    return jwt_refusal("the JWT claim \"" + pointer.to_string() +
                       "\" is not a string or an array of non-empty strings");
  };
  if (claim->is_string()) {
    values.push_back(claim->get<std::string>());
  } else if (claim->is_array()) {
    for (const Json& value : *claim) {
      if (!value.is_string()) return malformed();
      values.push_back(value.get<std::string>());
    }
  } else {
    return malformed();
  }
  if (std::find(values.begin(), values.end(), "") != values.end()) return malformed();
  return values;
}

}  // namespace

tl::unexpected<Error> jwt_refusal(std::string reason) {
  return fail(ErrorCode::kUnauthenticated, std::move(reason));
}

Result<Json::json_pointer> jwt_claim_pointer(std::string_view claim) {
  if (claim.empty()) return fail(ErrorCode::kInvalidArgument, "a JWT claim name is empty");
  std::string pointer;
  if (claim.front() == '/') {
    pointer = claim;
  } else {
    pointer = "/";
    for (char c : claim) {
      if (c == '~')
        pointer += "~0";
      else if (c == '/')
        pointer += "~1";
      else
        pointer += c;
    }
  }
  try {
    return Json::json_pointer(pointer);
  } catch (const Json::exception& error) {
    return fail(ErrorCode::kInvalidArgument, "the JWT claim \"" + std::string(claim) +
                                                 "\" is not a JSON pointer: " + error.what());
  }
}

Result<Principal> jwt_principal(const Json& claims, const JwtClaimRules& rules,
                                std::chrono::system_clock::time_point now) {
  if (!claims.is_object()) return jwt_refusal("the JWT payload is not a JSON object");
  if (auto times = check_times(claims, rules.leeway, now); !times) return fail(times.error());
  auto iss = string_claim(claims, "iss");
  if (!iss) return fail(iss.error());
  if (!rules.issuer.empty() && *iss != rules.issuer)
    return jwt_refusal("the JWT issuer (\"iss\") is not \"" + rules.issuer + "\"");
  if (auto audience = check_audience(claims, rules.audience); !audience)
    return fail(audience.error());
  auto sub = string_claim(claims, "sub");
  if (!sub) return fail(sub.error());
  if (sub->empty()) return jwt_refusal("the JWT has no subject (\"sub\")");
  const std::string name = "jwt:" + *iss + "/" + *sub;

  auto roles = string_list_claim(claims, rules.roles);
  if (!roles) return fail(roles.error());
  if (!rules.admin_role.empty() &&
      std::find(roles->begin(), roles->end(), rules.admin_role) != roles->end())
    return admin_principal(name);
  auto customers = string_list_claim(claims, rules.customers);
  if (!customers) return fail(customers.error());
  if (customers->empty()) return jwt_refusal("the token grants no customer account");
  return member_principal(name, std::move(*customers));
}

}  // namespace pop::auth
