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
    if (contract_env::is_reserved(name)) continue;
    if (!spec.empty() && spec.contains(std::string(name))) continue;
    // posix_spawn's prototype predates const; it does not modify the strings.
    pointers_.push_back(const_cast<char*>(*entry));
  }
  for (auto& variable : owned_) pointers_.push_back(variable.data());
  pointers_.push_back(nullptr);
}

}  // namespace pop
