#include "runner/kubernetes/orphan_pods.h"

#include "kubernetes/labels.h"
#include "kubernetes/object_fields.h"

namespace pop::kubernetes_runner {

Result<std::vector<PodName>> find_orphan_pods(kubernetes::KubeClient& client,
                                              const OrphanQuery& query,
                                              const kubernetes::StopSignal* abandon) {
  const std::string selector = kubernetes::selector(
      {{kubernetes::label::kManagedBy, kubernetes::label::kManagedByPop},
       {kubernetes::label::kResourcePoolId, kubernetes::label_value(query.resource_pool_id)}});
  auto pods = client.list_pods("", selector, abandon);
  if (!pods &&
      (pods.error().code == ErrorCode::kForbidden || pods.error().code == ErrorCode::kNotFound)) {
    pods = client.list_pods(query.default_namespace, selector, abandon);
  }
  if (!pods) return fail(std::move(pods).error());
  const std::string own = kubernetes::label_value(query.own_instance_id);
  std::vector<PodName> orphans;
  for (const kubernetes::Json& pod : pods->items) {
    if (kubernetes::metadata_entry(pod, "labels", kubernetes::label::kRunnerInstance) == own)
      continue;
    std::string name_space = kubernetes::metadata_text(pod, "namespace");
    if (name_space.empty()) name_space = query.default_namespace;
    orphans.push_back({std::move(name_space), kubernetes::metadata_text(pod, "name")});
  }
  return orphans;
}

}  // namespace pop::kubernetes_runner
