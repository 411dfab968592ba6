#include "model/report_token.h"

#include <nlohmann/json.hpp>

#include "util/base64url.h"
#include "util/crypto.h"
#include "util/json_limits.h"

namespace pop {
using Json = nlohmann::json;

namespace {

constexpr std::string_view kPrefix = "popr1.";

std::string signature(std::string_view lease_key, std::string_view signed_part) {
  return base64url_encode(hmac_sha256(lease_key, signed_part));
}

// Only the exact shape minted above is accepted: the MAC covers the text, but a lenient
// reader would still accept claims a puller never issued.
std::optional<ReportClaims> claims_from_json(const Json& json) {
  if (!json.is_object() || json.size() != 4) return std::nullopt;
  auto agenda = json.find("agenda");
  auto epoch = json.find("epoch");
  auto operation = json.find("operation");
  auto attempt = json.find("attempt");
  if (agenda == json.end() || !agenda->is_string() || agenda->get<std::string>().empty() ||
      epoch == json.end() || !epoch->is_number_unsigned() || epoch->get<std::uint64_t>() == 0 ||
      operation == json.end() || !operation->is_string() || operation->get<std::string>().empty() ||
      attempt == json.end() || !attempt->is_number_unsigned() ||
      attempt->get<std::uint64_t>() < 1 || attempt->get<std::uint64_t>() > 1000000)
    return std::nullopt;
  return ReportClaims{agenda->get<std::string>(), epoch->get<std::uint64_t>(),
                      operation->get<std::string>(), attempt->get<int>()};
}

}  // namespace

std::string report_lease_key(std::string_view secret, std::string_view agenda_id,
                             std::uint64_t epoch) {
  std::string label = "report-lease";
  label.push_back('\0');
  label.append(agenda_id);
  label.push_back('\0');
  label.append(std::to_string(epoch));
  return hmac_sha256(secret, label);
}

std::string mint_report_token(std::string_view lease_key, const ReportClaims& claims) {
  const Json json = {{"agenda", claims.agenda_id},
                     {"epoch", claims.epoch},
                     {"operation", claims.operation},
                     {"attempt", claims.attempt}};
  std::string token(kPrefix);
  token += base64url_encode(json.dump(-1, ' ', false, Json::error_handler_t::replace));
  const std::string mac = signature(lease_key, token);
  token += '.';
  token += mac;
  return token;
}

std::optional<ReportClaims> verify_report_token(std::string_view secret, std::string_view token) {
  if (token.size() > kMaxReportTokenBytes || !token.starts_with(kPrefix)) return std::nullopt;
  const std::size_t dot = token.rfind('.');
  if (dot < kPrefix.size()) return std::nullopt;
  const std::string_view signed_part = token.substr(0, dot);
  auto text = base64url_decode(signed_part.substr(kPrefix.size()));
  if (!text) return std::nullopt;
  // The claims are one flat object of four fields.
  auto json = parse_json_limited(
      *text, {.max_bytes = kMaxReportTokenBytes, .max_depth = 2, .max_values = 16});
  if (!json) return std::nullopt;
  auto claims = claims_from_json(*json);
  if (!claims) return std::nullopt;
  const std::string expected =
      signature(report_lease_key(secret, claims->agenda_id, claims->epoch), signed_part);
  if (!constant_time_equal(token.substr(dot + 1), expected)) return std::nullopt;
  return claims;
}

}  // namespace pop
