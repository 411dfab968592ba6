#include "service/tokens/token_service.h"

#include <algorithm>

#include "access/access_policy.h"
#include "auth/api_token.h"
#include "util/crypto.h"
#include "util/json_fields.h"
#include "util/time_format.h"

namespace pop::service {

using auth::Principal;
using auth::Role;
using store::DocumentKind;

namespace {

constexpr std::size_t kMaxDescriptionBytes = 200;
constexpr std::size_t kMaxCustomerIds = 100;
constexpr long long kMaxLifetimeSeconds = 10LL * 366 * 24 * 3600;

Result<Role> role_from(const Json& value) {
  if (value.is_string()) {
    const std::string name = value.get<std::string>();
    if (name == "admin") return Role::kAdmin;
    if (name == "member") return Role::kMember;
    if (name == "puller") return Role::kPuller;
  }
  return fail(ErrorCode::kInvalidArgument, "role must be \"admin\", \"member\" or \"puller\"");
}

Result<std::vector<std::string>> customer_ids_from(const Json& value) {
  if (!value.is_array() || value.size() > kMaxCustomerIds)
    return fail(ErrorCode::kInvalidArgument, "customerIds must be an array of at most 100 ids");
  std::vector<std::string> ids;
  for (const Json& id : value) {
    if (!id.is_string() || id.get<std::string>().empty())
      return fail(ErrorCode::kInvalidArgument, "customerIds must hold non-empty strings");
    ids.push_back(id.get<std::string>());
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// A stored token's customers; none when they are unreadable (not an array of ids), so that
// such a token acts for no customer.
std::vector<std::string> customer_ids_of(const Json& token) {
  const auto found = token.find("customerIds");
  if (found == token.end()) return {};
  auto ids = customer_ids_from(*found);
  return ids ? std::move(*ids) : std::vector<std::string>();
}

// The stored document without what only the server may see.
Json public_view(Json document) {
  document.erase("secretHash");
  return document;
}

// Why a stored token no longer holds, if it does not.
std::optional<std::string> lapsed(const Json& token, WallTime now) {
  if (!token.value("revokedAt", Json()).is_null()) return "the API token was revoked";
  const Json& expires = token.value("expiresAt", Json());
  if (!expires.is_null()) {
    auto at = parse_time(expires);
    if (!at || *at <= now) return "the API token expired";
  }
  return std::nullopt;
}

}  // namespace

TokenService::TokenService(store::Store& store, const Clock& clock)
    : store_(store), clock_(clock) {}

Result<IssuedToken> TokenService::create(const Principal& caller, const Json& body) {
  if (auto allowed = access::check_manage_tokens(caller); !allowed) return fail(allowed.error());
  if (!body.is_object()) return fail(ErrorCode::kInvalidArgument, "request body must be an object");
  for (const auto& [name, value] : body.items()) {
    static const char* const kFields[] = {"role",        "customerIds",      "resourcePoolId",
                                          "description", "expiresInSeconds", "expiresAt"};
    if (std::none_of(std::begin(kFields), std::end(kFields),
                     [&name](const char* field) { return name == field; }))
      return fail(ErrorCode::kInvalidArgument,
                  "unknown field \"" + name +
                      "\" (expected role, customerIds, resourcePoolId, description, "
                      "expiresInSeconds, expiresAt)");
  }
  NewToken token;
  auto role = role_from(body.value("role", Json("member")));
  if (!role) return fail(role.error());
  token.role = *role;
  if (auto allowed = access::check_issue_role(caller, token.role); !allowed)
    return fail(allowed.error());
  if (auto ids = body.find("customerIds"); ids != body.end()) {
    auto parsed = customer_ids_from(*ids);
    if (!parsed) return fail(parsed.error());
    token.customer_ids = std::move(*parsed);
  } else if (caller.role == Role::kMember) {
    token.customer_ids = caller.customer_ids;
  }
  if (auto pool = body.find("resourcePoolId"); pool != body.end()) {
    if (!pool->is_string() || pool->get<std::string>().empty())
      return fail(ErrorCode::kInvalidArgument, "resourcePoolId must be a non-empty string");
    token.resource_pool_id = pool->get<std::string>();
  }
  if (auto description = body.find("description"); description != body.end()) {
    if (!description->is_string() || description->get<std::string>().size() > kMaxDescriptionBytes)
      return fail(ErrorCode::kInvalidArgument, "description must be a string of at most 200 bytes");
    token.description = description->get<std::string>();
  }
  const WallTime now = clock_.now();
  token.expires_at = now + kDefaultLifetime;
  if (body.contains("expiresInSeconds") && body.contains("expiresAt"))
    return fail(ErrorCode::kInvalidArgument, "give expiresInSeconds or expiresAt, not both");
  if (auto seconds = body.find("expiresInSeconds"); seconds != body.end()) {
    if (!seconds->is_number_integer() || seconds->get<long long>() < 1 ||
        seconds->get<long long>() > kMaxLifetimeSeconds)
      return fail(ErrorCode::kInvalidArgument,
                  "expiresInSeconds must be an integer from 1 to 316224000 (ten years)");
    token.expires_at = now + std::chrono::seconds(seconds->get<long long>());
  }
  if (auto at = body.find("expiresAt"); at != body.end()) {
    auto parsed = parse_time(*at);
    if (!parsed || *parsed <= now || *parsed > now + std::chrono::seconds(kMaxLifetimeSeconds))
      return fail(ErrorCode::kInvalidArgument,
                  "expiresAt must be a time (2026-12-31T00:00:00Z) in the next ten years");
    token.expires_at = *parsed;
  }

  switch (token.role) {
    case Role::kMember:
      if (token.customer_ids.empty())
        return fail(ErrorCode::kInvalidArgument, "a member token needs customerIds");
      if (!token.resource_pool_id.empty())
        return fail(ErrorCode::kInvalidArgument, "only a puller token has a resourcePoolId");
      break;
    case Role::kPuller:
    case Role::kAdmin:
      if (!token.customer_ids.empty())
        return fail(ErrorCode::kInvalidArgument, "only a member token has customerIds");
      if (token.role == Role::kAdmin && !token.resource_pool_id.empty())
        return fail(ErrorCode::kInvalidArgument, "only a puller token has a resourcePoolId");
      if (token.role == Role::kPuller && token.resource_pool_id.empty())
        return fail(ErrorCode::kInvalidArgument, "a puller token needs a resourcePoolId");
      break;
    case Role::kReporter:
      break;  // not a role a body can name
  }
  if (auto allowed = access::check_issue_for(caller, token.customer_ids); !allowed)
    return fail(allowed.error());
  if (token.role == Role::kPuller) {
    auto pool = store_.get_document(DocumentKind::kResourcePool, token.resource_pool_id);
    if (!pool) {
      if (pool.error().code != ErrorCode::kNotFound) return fail(pool.error());
      return fail(ErrorCode::kInvalidArgument,
                  "resourcePoolId: no resource pool \"" + token.resource_pool_id + "\"");
    }
  }
  return issue(token, caller.name);
}

Result<IssuedToken> TokenService::issue(const NewToken& token, std::string_view created_by) {
  auto minted = auth::mint_api_token();
  if (!minted) return fail(minted.error());
  const WallTime now = clock_.now();
  Json document = {{"id", minted->parts.id},
                   {"role", auth::role_name(token.role)},
                   {"customerIds", token.customer_ids},
                   {"resourcePoolId", token.resource_pool_id},
                   {"description", token.description},
                   {"createdBy", created_by},
                   {"createdAt", format_time(now)},
                   {"expiresAt", token.expires_at ? Json(format_time(*token.expires_at)) : Json()},
                   {"revokedAt", nullptr},
                   {"secretHash", auth::api_token_secret_hash(minted->parts.secret)}};
  store::DocumentRecord record;
  record.kind = DocumentKind::kApiToken;
  record.id = minted->parts.id;
  record.owner_customer_id = token.customer_ids.size() == 1 ? token.customer_ids.front() : "";
  record.added_time = now;
  record.updated_time = now;
  record.document = document;
  if (auto created = store_.create_document(record); !created) return fail(created.error());
  return IssuedToken{public_view(std::move(document)), std::move(minted->text)};
}

bool TokenService::manages(const Principal& caller, const Json& token) {
  auto role = role_from(Json(string_field(token, "role")));
  return access::manages_token(caller, role ? std::optional<Role>(*role) : std::nullopt,
                               customer_ids_of(token));
}

Result<TokenPage> TokenService::list(const Principal& caller, const std::string& cursor,
                                     std::size_t limit) {
  if (auto allowed = access::check_manage_tokens(caller); !allowed) return fail(allowed.error());
  limit = std::clamp<std::size_t>(limit, 1, store::kMaxPageLimit);
  TokenPage page;
  store::DocumentQuery query;
  query.kind = DocumentKind::kApiToken;
  query.cursor = cursor;
  // Invisible tokens are skipped, not counted: read on until the page is full, asking for
  // no more than the places left so that a page ends where a store page ends.
  for (;;) {
    query.limit = limit - page.items.size();
    auto stored = store_.list_documents(query);
    if (!stored) return fail(stored.error());
    for (auto& record : stored->items) {
      if (manages(caller, record.document))
        page.items.push_back(public_view(std::move(record.document)));
    }
    if (!stored->more || page.items.size() == limit) {
      if (stored->more) page.next_cursor = stored->next_cursor;
      return page;
    }
    query.cursor = stored->next_cursor;
  }
}

Result<store::DocumentRecord> TokenService::visible(const Principal& caller, std::string_view id) {
  if (auto allowed = access::check_manage_tokens(caller); !allowed) return fail(allowed.error());
  auto record = store_.get_document(DocumentKind::kApiToken, id);
  if (record && !manages(caller, record->document)) record = fail(ErrorCode::kNotFound, "");
  if (!record && record.error().code == ErrorCode::kNotFound)
    return fail(ErrorCode::kNotFound, "no API token \"" + std::string(id) + "\"");
  return record;
}

Result<Json> TokenService::get(const Principal& caller, std::string_view id) {
  auto record = visible(caller, id);
  if (!record) return fail(record.error());
  return public_view(std::move(record->document));
}

Result<Json> TokenService::revoke(const Principal& caller, std::string_view id) {
  for (;;) {
    auto record = visible(caller, id);
    if (!record) return fail(record.error());
    if (!record->document.value("revokedAt", Json()).is_null())
      return public_view(std::move(record->document));
    record->document["revokedAt"] = format_time(clock_.now());
    record->updated_time = clock_.now();
    auto updated = store_.update_document(*record, record->version);
    if (updated) return public_view(std::move(record->document));
    if (updated.error().code != ErrorCode::kConflict) return fail(updated.error());
  }
}

Result<std::optional<Principal>> TokenService::authenticate(std::string_view token) const {
  if (!token.starts_with(auth::kApiTokenPrefix)) return std::nullopt;
  auto parts = auth::parse_api_token(token);
  if (!parts) return fail(ErrorCode::kUnauthenticated, "the API token is malformed");
  auto record = store_.get_document(DocumentKind::kApiToken, parts->id);
  if (!record) {
    if (record.error().code != ErrorCode::kNotFound) return fail(record.error());
    return fail(ErrorCode::kUnauthenticated, "unknown API token " + parts->id);
  }
  const Json& document = record->document;
  if (!constant_time_equal(auth::api_token_secret_hash(parts->secret),
                           string_field(document, "secretHash")))
    return fail(ErrorCode::kUnauthenticated, "unknown API token " + parts->id);
  if (auto why = lapsed(document, clock_.now()))
    return fail(ErrorCode::kUnauthenticated, *why + " (" + parts->id + ")");
  const std::string name = "token:" + parts->id;
  const std::string role = string_field(document, "role");
  if (role == "admin") return auth::admin_principal(name);
  if (role == "puller")
    return auth::puller_principal(name, string_field(document, "resourcePoolId"));
  if (role == "member") return auth::member_principal(name, customer_ids_of(document));
  return fail(ErrorCode::kInternal, "API token " + parts->id + " has no known role");
}

}  // namespace pop::service
