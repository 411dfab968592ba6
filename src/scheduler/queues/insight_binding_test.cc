#include "scheduler/queues/insight_binding.h"

#include <gtest/gtest.h>

namespace pop::scheduler {
namespace {

Insight insight(std::string id, std::map<std::string, std::vector<std::string>> mappers,
                std::string owner = "acme", std::string pool = "pool") {
  Insight out;
  out.id = std::move(id);
  out.resource_pool_id = std::move(pool);
  out.customer_id = std::move(owner);
  out.mappers = std::move(mappers);
  return out;
}

Agenda agenda(const std::string& json) {
  IssueList issues;
  Agenda out = parse_agenda(Json::parse(json), issues);
  EXPECT_TRUE(issues.empty());
  return out;
}

std::string bound(const Agenda& a, const std::vector<Insight>& insights,
                  std::string customer = "acme") {
  auto result = bind_insight(a, customer, "pool", insights);
  return result ? (*result)->id : "error: " + result.error().message;
}

const char* kEncode =
    R"({"operations": [{"name": "Encode-720", "type": "FFMPEG", "params": {"tier": "gold"}}]})";

TEST(InsightBinding, FirstMatchingMapperWinsInOrder) {
  std::vector<Insight> insights = {insight("other", {{"operationType", {"sample"}}}),
                                   insight("by-type", {{"operationType", {"ffmpeg"}}}),
                                   insight("by-name", {{"operationName", {"encode-720"}}})};
  EXPECT_EQ(bound(agenda(kEncode), insights), "by-type");
  insights.erase(insights.begin() + 1);
  EXPECT_EQ(bound(agenda(kEncode), insights), "by-name");
}

TEST(InsightBinding, ParamMapLooksAtAgendaAndOperationParams) {
  std::vector<Insight> insights = {insight("gold", {{"paramMap", {"tier=GOLD"}}})};
  EXPECT_EQ(bound(agenda(kEncode), insights), "gold");
  EXPECT_EQ(
      bound(agenda(R"({"params": {"tier": "gold"}, "operations": [{"name": "a", "type": "x"}]})"),
            insights),
      "gold");
  EXPECT_EQ(
      bound(agenda(R"({"params": {"retries": 3}, "operations": [{"name": "a", "type": "x"}]})"),
            {insight("three", {{"paramMap", {"retries=3"}}})}),
      "three");
}

TEST(InsightBinding, LabelsMatchTheAgendaLabels) {
  std::vector<Insight> insights = {insight("urgent", {{"labels", {"Urgent"}}})};
  EXPECT_EQ(bound(agenda(R"({"labels": ["urgent"], "operations": [{"name": "a", "type": "x"}]})"),
                  insights),
            "urgent");
}

TEST(InsightBinding, CatchAllOnlyWhenNoMapperMatches) {
  std::vector<Insight> insights = {insight("catch-all", {}),
                                   insight("by-type", {{"operationType", {"ffmpeg"}}})};
  EXPECT_EQ(bound(agenda(kEncode), insights), "by-type");
  EXPECT_EQ(bound(agenda(R"({"operations": [{"name": "a", "type": "x"}]})"), insights),
            "catch-all");
}

TEST(InsightBinding, VisibilityAndPoolFilter) {
  Insight foreign = insight("foreign", {}, "globex");
  Insight shared = insight("shared", {}, "globex");
  shared.allowed_customer_ids = {"acme"};
  Insight global = insight("global", {}, "globex");
  global.is_global = true;
  Insight elsewhere = insight("elsewhere", {}, "acme", "other-pool");
  const Agenda a = agenda(R"({"operations": [{"name": "a", "type": "x"}]})");
  EXPECT_EQ(bound(a, {foreign, elsewhere, shared}), "shared");
  EXPECT_EQ(bound(a, {foreign, global}), "global");
  EXPECT_EQ(bound(a, {foreign, elsewhere}),
            "error: resource pool \"pool\" has no insight available to you; ask an administrator "
            "for one");
}

TEST(InsightBinding, DefaultInsightIsPreferredButMustBeVisible) {
  std::vector<Insight> insights = {insight("by-type", {{"operationType", {"ffmpeg"}}}),
                                   insight("special", {{"operationType", {"nothing-matches"}}}),
                                   insight("theirs", {}, "globex")};
  EXPECT_EQ(
      bound(
          agenda(
              R"({"params": {"defaultInsight": "special"}, "operations": [{"name": "a", "type": "ffmpeg"}]})"),
          insights),
      "special");
  const std::string missing = bound(
      agenda(
          R"({"params": {"defaultInsight": "nope"}, "operations": [{"name": "a", "type": "ffmpeg"}]})"),
      insights);
  const std::string invisible = bound(
      agenda(
          R"({"params": {"defaultInsight": "theirs"}, "operations": [{"name": "a", "type": "ffmpeg"}]})"),
      insights);
  EXPECT_EQ(invisible,
            "error: params.defaultInsight \"theirs\" is not an insight of resource pool \"pool\" "
            "available to you");
  EXPECT_EQ(missing,
            "error: params.defaultInsight \"nope\" is not an insight of resource pool \"pool\" "
            "available to you");
}

TEST(InsightBinding, NoMatchSaysWhy) {
  EXPECT_EQ(bound(agenda(kEncode), {insight("other", {{"operationType", {"sample"}}})}),
            "error: no insight of resource pool \"pool\" matches this agenda (by operation type or "
            "name, params, or "
            "labels) and the pool has no catch-all insight; name one in params.defaultInsight or "
            "add a mapper");
}

TEST(Insight, JsonRoundTripAndValidation) {
  auto parsed = insight_from_json(Json::parse(R"({"id": "i1", "resourcePoolId": "p", "queueSize": 4,
      "schedulingAlgorithm": "priority", "mappers": {"operationType": ["a"], "paramMap": ["k=v"]},
      "isGlobal": true, "allowedCustomerIds": ["c"], "algorithmConfig": {"agingIntervalSeconds": 5},
      "futureField": {"x": 1}})"));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->queue_size, 4);
  EXPECT_EQ(insight_to_json(*parsed)["futureField"], Json::parse(R"({"x": 1})"));
  auto again = insight_from_json(insight_to_json(*parsed));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(insight_to_json(*again), insight_to_json(*parsed));

  EXPECT_EQ(insight_from_json(Json::parse(R"({"queueSize": 0})")).error().message,
            "queueSize must be an integer from 1 to 10000");
  EXPECT_EQ(insight_from_json(Json::parse(R"({"mappers": {"color": ["red"]}})")).error().message,
            "mappers.color is not a mapper kind (operationType, operationName, paramMap, labels)");
  EXPECT_EQ(
      insight_from_json(Json::parse(R"({"mappers": {"paramMap": ["novalue"]}})")).error().message,
      "mappers.paramMap entry \"novalue\" must be \"key=value\"");
}

TEST(Insight, ExecutionLimitIsOptionalAndBounded) {
  auto limited = insight_from_json(Json::parse(R"({"id": "i1", "executionLimit": 3})"));
  ASSERT_TRUE(limited.has_value()) << limited.error().message;
  EXPECT_EQ(limited->execution_limit, 3);
  EXPECT_EQ(insight_to_json(*limited)["executionLimit"], 3);
  auto again = insight_from_json(insight_to_json(*limited));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->execution_limit, 3);
  EXPECT_TRUE(limited->extra.empty()) << "a known field, not one kept as unknown";

  for (const char* unlimited : {R"({"id": "i1"})", R"({"id": "i1", "executionLimit": null})"}) {
    auto parsed = insight_from_json(Json::parse(unlimited));
    ASSERT_TRUE(parsed.has_value()) << unlimited;
    EXPECT_FALSE(parsed->execution_limit.has_value()) << unlimited;
    EXPECT_TRUE(insight_to_json(*parsed)["executionLimit"].is_null()) << unlimited;
    EXPECT_FALSE(insight_from_json(insight_to_json(*parsed))->execution_limit.has_value());
  }
  EXPECT_EQ(insight_from_json(Json::parse(R"({"executionLimit": 100000})"))->execution_limit,
            100000);
  for (const char* bad : {R"({"executionLimit": 0})", R"({"executionLimit": -1})",
                          R"({"executionLimit": 100001})", R"({"executionLimit": 1.5})",
                          R"({"executionLimit": "2"})", R"({"executionLimit": true})"}) {
    auto parsed = insight_from_json(Json::parse(bad));
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().message, "executionLimit must be null or an integer from 1 to 100000")
        << bad;
  }
}

}  // namespace
}  // namespace pop::scheduler
