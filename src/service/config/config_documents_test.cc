#include "service/config/config_documents.h"

#include <gtest/gtest.h>

namespace pop::service {
namespace {

TEST(ConfigDocumentsTest, CustomerRoundTripsWithDefaultsFilledIn) {
  const Json full = Json::parse(R"({"id": "acme", "title": "Acme", "billingCode": "B-1",
      "resourcePoolId": "gpu", "weight": 2.5, "maxWaitingAgendas": 100,
      "maxRunningAgendas": 0, "kubernetesNamespace": "acme-prod"})");
  auto customer = customer_from_json(full);
  ASSERT_TRUE(customer.has_value()) << customer.error().message;
  EXPECT_EQ(customer_to_json(*customer), full);
  auto bare = customer_from_json(Json::parse(R"({"id": "b", "weight": null})"));
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(customer_to_json(*bare),
            Json::parse(R"({"id": "b", "title": "", "billingCode": "", "resourcePoolId": "",
                            "weight": 1.0, "maxWaitingAgendas": null, "maxRunningAgendas": null,
                            "kubernetesNamespace": ""})"));
}

TEST(ConfigDocumentsTest, KubernetesNamespacesAreRfc1123Labels) {
  for (const std::string& good : std::vector<std::string>{"a", "a-b", "0x", std::string(63, 'n')}) {
    EXPECT_TRUE(customer_from_json(Json{{"kubernetesNamespace", good}})) << good;
  }
  for (const std::string& bad :
       std::vector<std::string>{"-a", "a-", "A", "a_b", "a.b", std::string(64, 'n')}) {
    EXPECT_FALSE(customer_from_json(Json{{"kubernetesNamespace", bad}})) << bad;
  }
}

TEST(ConfigDocumentsTest, ServerOwnedFieldsAreIgnored) {
  const Json read_back = Json::parse(R"({"id": "gpu", "title": "GPUs", "version": 3,
      "addedTime": "2026-11-28T08:00:00.000Z", "updatedTime": 1, "insightIds": ["x"]})");
  auto pool = resource_pool_from_json(read_back);
  ASSERT_TRUE(pool.has_value()) << pool.error().message;
  EXPECT_EQ(resource_pool_to_json(*pool), Json::parse(R"({"id": "gpu", "title": "GPUs"})"));
  // An insight keeps the fields it does not know, but not these.
  auto insight = insight_document_from_json(Json::parse(
      R"({"id": "i", "resourcePoolId": "p", "version": 2, "addedTime": 5, "color": "red"})"));
  ASSERT_TRUE(insight.has_value()) << insight.error().message;
  EXPECT_EQ(insight->extra, Json::parse(R"({"color": "red"})"));
}

TEST(ConfigDocumentsTest, TemplateVisibilityFollowsPop) {
  auto agenda_template = agenda_template_from_json(Json::parse(R"({"customerId": "owner",
      "allowedCustomerIds": ["friend"], "agenda": {"operations": []}})"));
  ASSERT_TRUE(agenda_template.has_value()) << agenda_template.error().message;
  EXPECT_TRUE(visible_to(*agenda_template, "owner"));
  EXPECT_TRUE(visible_to(*agenda_template, "friend"));
  EXPECT_FALSE(visible_to(*agenda_template, "stranger"));
  agenda_template->is_global = true;
  EXPECT_TRUE(visible_to(*agenda_template, "stranger"));
}

TEST(ConfigDocumentsTest, IdsAreUsableAsOnePathSegment) {
  EXPECT_TRUE(check_document_id("gpu pool #1 (é)"));
  EXPECT_TRUE(check_document_id(std::string(256, 'x')));
  for (const std::string& bad : {std::string(), std::string(257, 'x'), std::string("a/b"),
                                 std::string("a\nb"), std::string("a\x7f")}) {
    auto checked = check_document_id(bad);
    ASSERT_FALSE(checked.has_value()) << bad;
    EXPECT_EQ(checked.error().code, kInvalidDocument);
    EXPECT_EQ(checked.error().message.rfind("id: ", 0), 0u);
  }
}

}  // namespace
}  // namespace pop::service
