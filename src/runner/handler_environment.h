// The environment a local handler starts with: this process's own, less POP's own variables
// (every POP_* but POP_REPORT_CA: the puller's token, an executor's assignment), then the
// handler spec's env, then the handler contract's variables, each layer replacing same-named
// variables of the layers below. The contract's names are reserved: spec values for them are
// dropped even when the contract leaves one unset, so that a handler never sees, say, a
// POP_PAYLOAD_FILE that is not its own.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pop {

namespace contract_env {
inline constexpr char kPayload[] = "POP_PAYLOAD";
inline constexpr char kPayloadFile[] = "POP_PAYLOAD_FILE";
inline constexpr char kOutputFile[] = "POP_OUTPUT_FILE";
inline constexpr char kAgendaId[] = "POP_AGENDA_ID";
inline constexpr char kOperationName[] = "POP_OPERATION_NAME";
inline constexpr char kCustomerId[] = "POP_CUSTOMER_ID";
inline constexpr char kAttempt[] = "POP_ATTEMPT";
inline constexpr char kProgressFd[] = "POP_PROGRESS_FD";
inline constexpr char kReportUrl[] = "POP_REPORT_URL";
inline constexpr char kReportToken[] = "POP_REPORT_TOKEN";

bool is_reserved(std::string_view name);
}  // namespace contract_env

class HandlerEnvironment {
 public:
  using Variables = std::vector<std::pair<std::string, std::string>>;

  // `inherited` is a NULL-terminated NAME=value array such as environ; it must outlive this
  // object, whose envp() points into it.
  HandlerEnvironment(const char* const* inherited, const std::map<std::string, std::string>& spec,
                     const Variables& contract);
  HandlerEnvironment(const HandlerEnvironment&) = delete;
  HandlerEnvironment& operator=(const HandlerEnvironment&) = delete;

  // NULL-terminated, for posix_spawn.
  char* const* envp() const { return pointers_.data(); }

 private:
  std::vector<std::string> owned_;  // NAME=value from the spec and the contract
  std::vector<char*> pointers_;
};

}  // namespace pop
