// What a puller is given to run: an agenda under a lease, as the server hands it out in a
// pull answer (docs/api.md, "pull") and as the executor Pod gets it in POP_ASSIGNMENT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pop {

using Json = nlohmann::json;

struct Assignment {
  Json agenda;              // the stored agenda document (with id)
  Json progress;            // progress so far; its succeeded operations are not run again
  std::uint64_t epoch = 0;  // the lease's fencing token: every report carries it
  // The lease's key (raw bytes, see model/report_token.h): presented on every report and
  // completion, and what handlers' report tokens are minted with. Empty when the server
  // issues none (an older one), and then handlers get no report endpoint.
  std::string report_key;
  // The customer's kubernetesNamespace, when it has one (the Kubernetes runner's namespace).
  std::string kubernetes_namespace;
};

struct PullAnswer {
  std::vector<Assignment> assignments;
  // The executionLimit of each of the pool's insights that has one, by insight id, as the
  // server knew them when it answered (empty from a server that has no limits).
  std::map<std::string, std::size_t> execution_limits;
};

}  // namespace pop
