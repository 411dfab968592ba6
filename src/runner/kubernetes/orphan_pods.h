// The Pods an earlier process left behind in a resource pool: at start-up the Kubernetes
// runner deletes the pool's Pods that another runner instance labelled (see
// KubernetesRunner::Options::reap_orphans for when that is safe).
#pragma once

#include <string>
#include <vector>

#include "kubernetes/kube_client.h"
#include "kubernetes/stop_signal.h"
#include "util/result.h"

namespace pop::kubernetes_runner {

struct PodName {
  std::string name_space;
  std::string name;
};

struct OrphanQuery {
  std::string resource_pool_id;   // pop.resourcePoolId of the Pods to look at
  std::string own_instance_id;    // pop.runnerInstance of the Pods that are not orphans
  std::string default_namespace;  // where to look when listing all namespaces is refused
};

// The POP-managed Pods of the pool that are not the runner's own, listed across namespaces
// when the account may list them all, else in the default namespace. Errors: the list's
// (kUnavailable, kForbidden, ...); nothing is deleted here.
Result<std::vector<PodName>> find_orphan_pods(kubernetes::KubeClient& client,
                                              const OrphanQuery& query,
                                              const kubernetes::StopSignal* abandon);

}  // namespace pop::kubernetes_runner
