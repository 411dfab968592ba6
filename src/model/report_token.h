// Tokens of the operation report endpoint (docs/handler-contract.md): each one lets one
// handler attempt report progress and output for its own operation, and the server checks
// it without having stored it.
//
//   secret S       256 random bits held by the server (see report_secret.h)
//   lease key K    HMAC-SHA256(S, "report-lease" 0x00 agendaId 0x00 epoch), handed to the
//                  puller with the lease, so a puller can mint tokens for its leases only;
//                  the puller also presents it (base64url, in kLeaseKeyHeader) on every
//                  progress report and completion, which proves that it holds the lease
//   token          "popr1." + b64url(claims) + "." + b64url(HMAC-SHA256(K, "popr1." +
//                  b64url(claims))), claims = {"agenda", "epoch", "operation", "attempt"}
//
// The handler sees only its token, never K: it cannot make a token for another operation,
// attempt, lease or agenda. A token says nothing about whether its lease is still held;
// the report service checks that on every use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pop {

struct ReportClaims {
  std::string agenda_id;
  std::uint64_t epoch = 0;  // the lease's fencing epoch
  std::string operation;    // the operation's name as the agenda spells it
  int attempt = 0;          // 1-based, as POP_ATTEMPT

  bool operator==(const ReportClaims&) const = default;
};

// The header that carries K, base64url, on PUT .../leases/{epoch}/progress and POST
// .../leases/{epoch}/complete.
inline constexpr char kLeaseKeyHeader[] = "Pop-Lease-Key";

// Longer Authorization values are refused before any parsing.
inline constexpr std::size_t kMaxReportTokenBytes = 4096;

// K for one lease: raw bytes (kSha256Bytes).
std::string report_lease_key(std::string_view secret, std::string_view agenda_id,
                             std::uint64_t epoch);

// The token for one attempt, made with its lease's key.
std::string mint_report_token(std::string_view lease_key, const ReportClaims& claims);

// The claims of `token` when it is well formed and its MAC was made with the lease key that
// `secret` gives for the agenda and epoch it names; nullopt for anything else (truncated,
// altered, made with another key, not a token at all). Constant-time in the MAC comparison.
std::optional<ReportClaims> verify_report_token(std::string_view secret, std::string_view token);

}  // namespace pop
