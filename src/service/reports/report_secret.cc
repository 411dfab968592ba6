#include "service/reports/report_secret.h"

#include "util/base64url.h"
#include "util/crypto.h"

namespace pop::service {
namespace {

constexpr char kSecretId[] = "report-token-key";

Result<std::string> read_secret(store::Store& store) {
  auto stored = store.get_document(store::DocumentKind::kServerSecret, kSecretId);
  if (!stored) return fail(stored.error());
  const auto& document = stored->document;
  std::optional<std::string> secret;
  if (document.is_object() && document.contains("key") && document["key"].is_string())
    secret = base64url_decode(document["key"].get<std::string>());
  if (!secret || secret->size() != kReportSecretBytes)
    return fail(ErrorCode::kInternal,
                std::string("the stored server secret \"") + kSecretId + "\" is damaged");
  return *secret;
}

}  // namespace

Result<std::string> load_or_create_report_secret(store::Store& store, WallTime now) {
  auto existing = read_secret(store);
  if (existing || existing.error().code != ErrorCode::kNotFound) return existing;
  auto secret = random_bytes(kReportSecretBytes);
  if (!secret) return secret;
  auto created = store.create_document(
      {store::DocumentKind::kServerSecret, kSecretId, "", 0, now, now,
       nlohmann::json{{"algorithm", "HMAC-SHA256"}, {"key", base64url_encode(*secret)}}});
  if (created) return secret;
  // Another replica created it first: theirs is the one every replica uses.
  if (created.error().code == ErrorCode::kConflict) return read_secret(store);
  return fail(created.error());
}

}  // namespace pop::service
