#include "auth/principal.h"

#include <algorithm>

namespace pop::auth {

const char* role_name(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kMember:
      return "member";
    case Role::kPuller:
      return "puller";
    case Role::kReporter:
      return "reporter";
  }
  return "unknown";
}

bool Principal::acts_for(std::string_view customer_id) const {
  if (role == Role::kAdmin) return true;
  if (role != Role::kMember) return false;
  return std::binary_search(customer_ids.begin(), customer_ids.end(), customer_id);
}

Principal admin_principal(std::string name) {
  Principal principal;
  principal.role = Role::kAdmin;
  principal.name = std::move(name);
  return principal;
}

Principal member_principal(std::string name, std::vector<std::string> customer_ids) {
  std::sort(customer_ids.begin(), customer_ids.end());
  customer_ids.erase(std::unique(customer_ids.begin(), customer_ids.end()), customer_ids.end());
  Principal principal;
  principal.role = Role::kMember;
  principal.name = std::move(name);
  principal.customer_ids = std::move(customer_ids);
  return principal;
}

Principal puller_principal(std::string name, std::string resource_pool_id) {
  Principal principal;
  principal.role = Role::kPuller;
  principal.name = std::move(name);
  principal.resource_pool_id = std::move(resource_pool_id);
  return principal;
}

}  // namespace pop::auth
