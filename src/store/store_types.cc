#include "store/store_types.h"

#include <array>
#include <string>
#include <utility>

namespace pop::store {
namespace {

constexpr std::array<std::pair<DocumentKind, std::string_view>, 7> kKindNames{{
    {DocumentKind::kCustomer, "customer"},
    {DocumentKind::kResourcePool, "resource_pool"},
    {DocumentKind::kInsight, "insight"},
    {DocumentKind::kAgendaTemplate, "agenda_template"},
    {DocumentKind::kApiToken, "api_token"},
    {DocumentKind::kReportedOutput, "reported_output"},
    {DocumentKind::kServerSecret, "server_secret"},
}};

}  // namespace

std::string_view document_kind_name(DocumentKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

Result<DocumentKind> parse_document_kind(std::string_view name) {
  for (const auto& [kind, n] : kKindNames) {
    if (n == name) return kind;
  }
  return fail(ErrorCode::kInvalidArgument, "unknown document kind '" + std::string(name) + "'");
}

}  // namespace pop::store
