#include "agenda/agenda.h"

#include <gtest/gtest.h>

namespace pop {
namespace {

Agenda parse(const Json& document, IssueList& issues) { return parse_agenda(document, issues); }

TEST(AgendaTest, ReadsKnownFields) {
  IssueList issues;
  Agenda agenda = parse(Json::parse(R"({
    "id": "ag-1", "customerId": "c-1", "linkId": "l-1", "title": "demo",
    "params": {"maximumAttempts": 2},
    "operations": [
      {"name": "a", "type": "sample", "payload": {"x": 1}, "params": {"timeoutSeconds": 5}},
      {"name": "b", "type": "sample"}
    ]})"),
                        issues);
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(agenda.id, "ag-1");
  EXPECT_EQ(agenda.customer_id, "c-1");
  EXPECT_EQ(agenda.link_id, "l-1");
  EXPECT_EQ(agenda.title, "demo");
  EXPECT_EQ(agenda.params, Json({{"maximumAttempts", 2}}));
  ASSERT_EQ(agenda.operations.size(), 2u);
  EXPECT_EQ(agenda.operations[0].name, "a");
  EXPECT_EQ(agenda.operations[0].type, "sample");
  EXPECT_EQ(agenda.operations[0].payload, Json({{"x", 1}}));
  EXPECT_EQ(agenda.operations[0].params, Json({{"timeoutSeconds", 5}}));
  EXPECT_TRUE(agenda.operations[1].payload.is_null());
  EXPECT_EQ(agenda.operations[1].params, Json::object());
  EXPECT_EQ(agenda.operations[1].extra, Json::object());
  EXPECT_EQ(agenda.extra, Json::object());
}

TEST(AgendaTest, UnknownFieldsRoundTrip) {
  Json document = Json::parse(R"({
    "id": "ag-1", "title": "t", "cid": "corr-9", "externalId": "ext",
    "priority": 7, "agendaInsight": {"insightId": "i"},
    "params": {"doNotRun": true, "custom": [1, 2]},
    "operations": [
      {"name": "a", "type": "sample", "id": "op-1", "payload": "@<b.out>",
       "params": {"dependsOn": "b"}, "future": {"nested": null}},
      {"name": "b", "type": "sample", "payload": [false, 0.5]}
    ]})");
  IssueList issues;
  Agenda agenda = parse(document, issues);
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(agenda.extra, Json::parse(R"({"cid": "corr-9", "externalId": "ext", "priority": 7,
                                          "agendaInsight": {"insightId": "i"}})"));
  EXPECT_EQ(agenda.operations[0].extra,
            Json::parse(R"({"id": "op-1", "future": {"nested": null}})"));
  EXPECT_EQ(agenda_to_json(agenda), document);
}

TEST(AgendaTest, AbsentOptionalFieldsStayAbsent) {
  Json document = Json::parse(R"({"operations": [{"name": "a", "type": "t"}]})");
  IssueList issues;
  EXPECT_EQ(agenda_to_json(parse(document, issues)), document);
  EXPECT_TRUE(issues.empty());
}

TEST(AgendaTest, NullPayloadIsOmittedAndNullFieldsCountAsAbsent) {
  IssueList issues;
  Agenda agenda = parse(Json::parse(R"({"title": null, "params": null, "operations": [
      {"name": "a", "type": "t", "payload": null, "params": null}]})"),
                        issues);
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(agenda.params, Json::object());
  EXPECT_EQ(operation_to_json(agenda.operations[0]), Json::parse(R"({"name": "a", "type": "t"})"));
}

TEST(AgendaTest, NonObjectDocumentIsOneIssue) {
  IssueList issues;
  Agenda agenda = parse(Json::array(), issues);
  EXPECT_TRUE(agenda.operations.empty());
  ASSERT_EQ(issues.lines().size(), 1u);
  EXPECT_EQ(issues.lines()[0], "agenda: an agenda must be a JSON object, got array");
}

TEST(AgendaTest, ShapeProblemsAreAllCollected) {
  IssueList issues;
  Agenda agenda = parse(Json::parse(R"({"title": 5, "params": [], "operations": [
      7,
      {"name": 3, "type": "t", "params": "x"},
      {"name": "c", "type": ["t"]}
    ]})"),
                        issues);
  ASSERT_EQ(agenda.operations.size(), 3u);  // placeholders keep "#<index>" aligned
  EXPECT_EQ(issues.lines(), (std::vector<std::string>{
                                "operation \"#0\": an operation must be a JSON object, got number",
                                "operation \"#1\", field name: must be a string, got number",
                                "operation \"#1\", field params: must be an object, got string",
                                "operation \"c\", field type: must be a string, got array",
                                "agenda, field params: must be an object, got array",
                                "agenda, field title: must be a string, got number",
                            }));
}

TEST(AgendaTest, OperationsNotAnArray) {
  IssueList issues;
  Agenda agenda = parse(Json::parse(R"({"operations": {"name": "a"}})"), issues);
  EXPECT_TRUE(agenda.operations.empty());
  EXPECT_EQ(issues.lines(),
            (std::vector<std::string>{"agenda, field operations: must be an array, got object"}));
}

TEST(AgendaTest, FoldNameLowersAsciiOnly) {
  EXPECT_EQ(fold_name("MixedCase_09-Z"), "mixedcase_09-z");
  EXPECT_EQ(fold_name("\xC3\x89t\xC3\xA9"), "\xC3\x89t\xC3\xA9");  // "Été": bytes beyond ASCII kept
}

TEST(AgendaTest, OperationLabelFallsBackToIndex) {
  Operation nameless;
  EXPECT_EQ(operation_label(nameless, 4), "#4");
  Operation named;
  named.name = "x";
  EXPECT_EQ(operation_label(named, 4), "x");
}

}  // namespace
}  // namespace pop
