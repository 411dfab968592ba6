// Who makes a request, once an authenticator has vouched for it. Every access rule of the
// server (docs/server.md, "Authentication and access") is a function of the principal and
// of the object's owner; nothing else about the request is trusted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pop::auth {

enum class Role {
  kAdmin,     // POP's superuser: every object, every verb
  kMember,    // a member of one or more customer accounts: their objects only
  kPuller,    // bound to one resource pool: pulls it, reports on and reads what it was handed
  kReporter,  // one operation attempt: reports its progress and output, nothing else
};

const char* role_name(Role role);  // "admin", "member", "puller", "reporter"

// The one attempt a reporter may report on (model/report_token.h).
struct ReportScope {
  std::string agenda_id;
  std::uint64_t epoch = 0;
  std::string operation;
  int attempt = 0;
};

struct Principal {
  Role role = Role::kMember;
  // Names the credential for logs and the audit log, never its secret: "token:<id>",
  // "jwt:<iss>/<sub>", "reporter:<agenda>/<operation>#<attempt>", "embedded-puller".
  std::string name;
  std::vector<std::string> customer_ids;  // kMember: its accounts, sorted, without duplicates
  std::string resource_pool_id;           // kPuller: its pool
  ReportScope report_scope;               // kReporter: its attempt

  bool is_admin() const { return role == Role::kAdmin; }
  // Whether the caller acts for `customer_id`: an admin for every customer, a member for its
  // own accounts, nobody else.
  bool acts_for(std::string_view customer_id) const;
};

Principal admin_principal(std::string name);
// REQUIRES: `customer_ids` non-empty.
Principal member_principal(std::string name, std::vector<std::string> customer_ids);
Principal puller_principal(std::string name, std::string resource_pool_id);

}  // namespace pop::auth
