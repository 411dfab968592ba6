// The whole access policy as tables: each row a caller, an object and a verb, and the
// answer the server must give. A change of a rule changes a row here.
#include "access/access_policy.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace pop::access {
namespace {

using auth::Principal;
using auth::Role;
using store::DocumentKind;
using Json = nlohmann::json;

const Principal kAdmin = auth::admin_principal("token:admin");
const Principal kAcme = auth::member_principal("token:acme", {"acme"});
const Principal kAcmeAndBeta = auth::member_principal("token:both", {"acme", "beta"});
const Principal kBeta = auth::member_principal("token:beta", {"beta"});
const Principal kGpuPuller = auth::puller_principal("token:gpu", "gpu");
const Principal kCpuPuller = auth::puller_principal("token:cpu", "cpu");
const Principal kReporter{Role::kReporter, "reporter:a/op#1", {}, {}, {"a", 1, "op", 1}};

// The code of an answer; nothing for success.
std::optional<ErrorCode> code_of(const Result<void>& answer) {
  if (answer) return std::nullopt;
  return answer.error().code;
}

constexpr std::optional<ErrorCode> kOk;

struct AgendaRow {
  const Principal* caller;
  AgendaVerb verb;
  std::optional<ErrorCode> expected;
};

// An agenda of customer acme bound to pool gpu.
TEST(AccessPolicy, Agendas) {
  const AgendaOwner acme_on_gpu{"acme", "gpu"};
  const std::vector<AgendaRow> rows = {
      {&kAdmin, AgendaVerb::kRead, kOk},
      {&kAdmin, AgendaVerb::kChange, kOk},
      {&kAdmin, AgendaVerb::kLease, kOk},
      {&kAcme, AgendaVerb::kRead, kOk},
      {&kAcme, AgendaVerb::kChange, kOk},
      {&kAcme, AgendaVerb::kLease, ErrorCode::kForbidden},
      {&kAcmeAndBeta, AgendaVerb::kChange, kOk},
      {&kBeta, AgendaVerb::kRead, ErrorCode::kNotFound},
      {&kBeta, AgendaVerb::kChange, ErrorCode::kNotFound},
      {&kBeta, AgendaVerb::kLease, ErrorCode::kNotFound},
      {&kGpuPuller, AgendaVerb::kRead, kOk},
      {&kGpuPuller, AgendaVerb::kChange, ErrorCode::kForbidden},
      {&kGpuPuller, AgendaVerb::kLease, kOk},
      {&kCpuPuller, AgendaVerb::kRead, ErrorCode::kNotFound},
      {&kCpuPuller, AgendaVerb::kLease, ErrorCode::kNotFound},
      {&kReporter, AgendaVerb::kRead, ErrorCode::kForbidden},
      {&kReporter, AgendaVerb::kLease, ErrorCode::kForbidden},
  };
  for (const AgendaRow& row : rows) {
    EXPECT_EQ(code_of(check_agenda(*row.caller, "a1", acme_on_gpu, row.verb)), row.expected)
        << row.caller->name << " verb " << static_cast<int>(row.verb);
  }
  // Invisible is indistinguishable from missing.
  EXPECT_EQ(check_agenda(kBeta, "a1", acme_on_gpu, AgendaVerb::kRead).error().message,
            "no agenda a1");
}

TEST(AccessPolicy, SubmittingListingAndPulling) {
  struct Row {
    const Principal* caller;
    std::optional<ErrorCode> submit, list, pull_gpu, post_report;
  };
  const std::vector<Row> rows = {
      {&kAdmin, kOk, kOk, kOk, ErrorCode::kForbidden},
      {&kAcme, kOk, kOk, ErrorCode::kForbidden, ErrorCode::kForbidden},
      {&kGpuPuller, ErrorCode::kForbidden, ErrorCode::kForbidden, kOk, ErrorCode::kForbidden},
      {&kCpuPuller, ErrorCode::kForbidden, ErrorCode::kForbidden, ErrorCode::kForbidden,
       ErrorCode::kForbidden},
      {&kReporter, ErrorCode::kForbidden, ErrorCode::kForbidden, ErrorCode::kForbidden, kOk},
  };
  for (const Row& row : rows) {
    const Principal& caller = *row.caller;
    EXPECT_EQ(code_of(check_submit(caller)), row.submit) << caller.name;
    EXPECT_EQ(code_of(check_run_template(caller)), row.submit) << caller.name;
    auto listing = check_list_agendas(caller);
    EXPECT_EQ(listing ? kOk : listing.error().code, row.list) << caller.name;
    EXPECT_EQ(code_of(check_pull(caller, "gpu")), row.pull_gpu) << caller.name;
    EXPECT_EQ(code_of(check_post_report(caller)), row.post_report) << caller.name;
  }
  EXPECT_TRUE(check_list_agendas(kAdmin)->everything);
  EXPECT_EQ(check_list_agendas(kAcmeAndBeta)->customer_ids,
            (std::vector<std::string>{"acme", "beta"}));
}

TEST(AccessPolicy, TheCustomerAnAgendaNames) {
  EXPECT_TRUE(may_submit_for(kAdmin, "anyone"));
  EXPECT_TRUE(may_submit_for(kAcmeAndBeta, "beta"));
  EXPECT_FALSE(may_submit_for(kAcme, "beta"));
  EXPECT_FALSE(may_submit_for(kGpuPuller, "acme"));
}

TEST(AccessPolicy, TheCustomerAnUnnamedAgendaOrTemplateBelongsTo) {
  EXPECT_EQ(implied_customer(kAdmin), "default");
  EXPECT_EQ(implied_customer(kAcme), "acme");
  EXPECT_EQ(implied_customer(kAcmeAndBeta), "");  // must name one
  EXPECT_EQ(implied_customer(kGpuPuller), "");
}

TEST(AccessPolicy, ReadingConfiguration) {
  const Json gpu_pool = {{"id", "gpu"}};
  const Json acme = {{"id", "acme"}};
  const Json acme_private = {{"id", "i"}, {"customerId", "acme"}};
  const Json acme_global = {{"id", "g"}, {"customerId", "acme"}, {"isGlobal", true}};
  const Json acme_shared_with_beta = {
      {"id", "s"}, {"customerId", "acme"}, {"allowedCustomerIds", {"beta"}}};
  struct Row {
    const Principal* caller;
    DocumentKind kind;
    const Json* document;
    std::optional<ErrorCode> read_kind;
    bool sees;
  };
  const std::vector<Row> rows = {
      {&kAdmin, DocumentKind::kCustomer, &acme, kOk, true},
      {&kAcme, DocumentKind::kCustomer, &acme, kOk, true},
      {&kBeta, DocumentKind::kCustomer, &acme, kOk, false},
      {&kBeta, DocumentKind::kResourcePool, &gpu_pool, kOk, true},
      {&kGpuPuller, DocumentKind::kResourcePool, &gpu_pool, kOk, true},
      {&kCpuPuller, DocumentKind::kResourcePool, &gpu_pool, kOk, false},
      {&kGpuPuller, DocumentKind::kInsight, &acme_global, ErrorCode::kForbidden, false},
      {&kReporter, DocumentKind::kResourcePool, &gpu_pool, ErrorCode::kForbidden, false},
      {&kAcme, DocumentKind::kInsight, &acme_private, kOk, true},
      {&kBeta, DocumentKind::kInsight, &acme_private, kOk, false},
      {&kBeta, DocumentKind::kAgendaTemplate, &acme_global, kOk, true},
      {&kBeta, DocumentKind::kAgendaTemplate, &acme_shared_with_beta, kOk, true},
      {&kAcmeAndBeta, DocumentKind::kInsight, &acme_private, kOk, true},
  };
  for (const Row& row : rows) {
    const Principal& caller = *row.caller;
    const bool may_read = check_read_configuration(caller, row.kind).has_value();
    EXPECT_EQ(code_of(check_read_configuration(caller, row.kind)), row.read_kind)
        << caller.name << " " << store::document_kind_name(row.kind);
    if (may_read) {
      EXPECT_EQ(sees_document(caller, row.kind, *row.document), row.sees)
          << caller.name << " " << row.document->dump();
    }
  }
  // A global template is not every principal's: pullers see no templates at all.
  EXPECT_FALSE(shared_with(kGpuPuller, "acme", true, {}));
}

TEST(AccessPolicy, WritingConfiguration) {
  const Json acme_template = {{"id", "t"}, {"customerId", "acme"}};
  const Json beta_template = {{"id", "t"}, {"customerId", "beta"}};
  const Json global = {{"isGlobal", true}};
  const Json unowned = {{"id", "t"}};
  struct Row {
    const Principal* caller;
    DocumentKind kind;
    const Json* stored;
    const Json* body;
    std::optional<ErrorCode> expected;
  };
  const std::vector<Row> rows = {
      {&kAdmin, DocumentKind::kResourcePool, nullptr, &unowned, kOk},
      {&kAdmin, DocumentKind::kAgendaTemplate, nullptr, &global, kOk},
      {&kAcme, DocumentKind::kResourcePool, nullptr, &unowned, ErrorCode::kForbidden},
      {&kAcme, DocumentKind::kInsight, nullptr, &acme_template, ErrorCode::kForbidden},
      {&kAcme, DocumentKind::kAgendaTemplate, nullptr, &acme_template, kOk},
      {&kAcme, DocumentKind::kAgendaTemplate, nullptr, &unowned, kOk},
      {&kAcme, DocumentKind::kAgendaTemplate, nullptr, &beta_template, ErrorCode::kForbidden},
      {&kAcme, DocumentKind::kAgendaTemplate, nullptr, &global, ErrorCode::kForbidden},
      {&kAcme, DocumentKind::kAgendaTemplate, &beta_template, nullptr, ErrorCode::kForbidden},
      {&kAcme, DocumentKind::kAgendaTemplate, &acme_template, &acme_template, kOk},
      {&kAcmeAndBeta, DocumentKind::kAgendaTemplate, nullptr, &unowned,
       ErrorCode::kInvalidArgument},
      {&kGpuPuller, DocumentKind::kResourcePool, nullptr, &unowned, ErrorCode::kForbidden},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(code_of(check_write_configuration(*row.caller, row.kind, row.stored, row.body)),
              row.expected)
        << row.caller->name << " " << store::document_kind_name(row.kind) << " "
        << (row.body ? row.body->dump() : "delete");
  }
}

TEST(AccessPolicy, TokensAndTheAuditLog) {
  struct Row {
    const Principal* caller;
    Role role;
    std::vector<std::string> customers;
    std::optional<ErrorCode> issue;
    bool manages;
  };
  const std::vector<Row> rows = {
      {&kAdmin, Role::kAdmin, {}, kOk, true},
      {&kAdmin, Role::kPuller, {}, kOk, true},
      {&kAcme, Role::kMember, {"acme"}, kOk, true},
      {&kAcme, Role::kMember, {"acme", "beta"}, ErrorCode::kForbidden, false},
      {&kAcme, Role::kPuller, {}, ErrorCode::kForbidden, false},
      {&kAcme, Role::kAdmin, {}, ErrorCode::kForbidden, false},
      {&kAcmeAndBeta, Role::kMember, {"acme", "beta"}, kOk, true},
      {&kAcme, Role::kMember, {}, kOk, false},  // a token of no customer
      {&kGpuPuller, Role::kMember, {"acme"}, ErrorCode::kForbidden, false},
      {&kReporter, Role::kMember, {"acme"}, ErrorCode::kForbidden, false},
  };
  for (const Row& row : rows) {
    const Principal& caller = *row.caller;
    auto issue = check_issue_role(caller, row.role);
    if (issue) issue = check_issue_for(caller, row.customers);
    EXPECT_EQ(code_of(issue), row.issue) << caller.name << " issuing " << auth::role_name(row.role);
    EXPECT_EQ(manages_token(caller, row.role, row.customers), row.manages)
        << caller.name << " managing " << auth::role_name(row.role);
  }
  // A stored token whose role is not known (a damaged record) is an admin's to clear.
  EXPECT_TRUE(manages_token(kAdmin, std::nullopt, {"acme"}));
  EXPECT_FALSE(manages_token(kAcme, std::nullopt, {"acme"}));
  EXPECT_EQ(code_of(check_manage_tokens(kAcme)), kOk);
  EXPECT_EQ(code_of(check_manage_tokens(kGpuPuller)), ErrorCode::kForbidden);
  EXPECT_EQ(code_of(check_read_audit(kAdmin)), kOk);
  for (const Principal* caller : {&kAcme, &kGpuPuller, &kReporter})
    EXPECT_EQ(code_of(check_read_audit(*caller)), ErrorCode::kForbidden) << caller->name;
}

}  // namespace
}  // namespace pop::access
