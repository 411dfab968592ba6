#include "runner/handler_environment.h"

#include <algorithm>

namespace pop {

namespace contract_env {
bool is_reserved(std::string_view name) {
  static constexpr std::string_view kReserved[] = {
      kPayload,    kPayloadFile, kOutputFile, kAgendaId,  kOperationName,
      kCustomerId, kAttempt,     kProgressFd, kReportUrl, kReportToken};
  return std::find(std::begin(kReserved), std::end(kReserved), name) != std::end(kReserved);
}
}  // namespace contract_env

namespace {
// POP's own variables in this process's environment (a puller's POP_TOKEN, an executor's
// POP_ASSIGNMENT with its lease key, kubeconfig and CA documents, POP_DATA) are credentials
// and configuration of POP, not of the handler. POP_REPORT_CA is the one a handler is meant
// to inherit: how it trusts POP_REPORT_URL.
bool is_pops_own(std::string_view name) {
  return name.starts_with("POP_") && name != "POP_REPORT_CA";
}
}  // namespace

HandlerEnvironment::HandlerEnvironment(const char* const* inherited,
                                       const std::map<std::string, std::string>& spec,
                                       const Variables& contract) {
  owned_.reserve(spec.size() + contract.size());
  for (const auto& [name, value] : spec) {
    if (!contract_env::is_reserved(name)) owned_.push_back(name + "=" + value);
  }
  for (const auto& [name, value] : contract) owned_.push_back(name + "=" + value);

  for (const char* const* entry = inherited; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    const std::string_view name = variable.substr(0, variable.find('='));
    if (is_pops_own(name)) continue;
    if (!spec.empty() && spec.contains(std::string(name))) continue;
    // posix_spawn's prototype predates const; it does not modify the strings.
    pointers_.push_back(const_cast<char*>(*entry));
  }
  for (auto& variable : owned_) pointers_.push_back(variable.data());
  pointers_.push_back(nullptr);
}

}  // namespace pop
