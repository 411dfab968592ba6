#include "agenda/agenda_validator.h"

#include <gtest/gtest.h>

#include <string>

namespace pop {
namespace {

using Lines = std::vector<std::string>;

bool sample_only(std::string_view type) { return type == "sample"; }

Result<ValidatedAgenda> load(const std::string& text, const AgendaLimits& limits = {}) {
  return load_agenda(text, sample_only, limits);
}

// The detail lines of a load that must fail with kInvalidAgenda.
Lines problems(const std::string& text, const AgendaLimits& limits = {}) {
  auto loaded = load(text, limits);
  if (loaded) return {"<valid>"};
  EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidAgenda) << loaded.error().message;
  return loaded.error().details;
}

std::string with_operations(const std::string& operations) {
  return R"({"operations": [)" + operations + "]}";
}

TEST(AgendaValidatorTest, ValidAgendaCarriesItsGraph) {
  auto loaded = load(R"({"title": "t", "params": {"maximumAttempts": 20, "doNotRun": false},
      "operations": [
        {"name": "a", "type": "sample", "params": {"timeoutSeconds": 0.5,
                                                   "maximumAttempts": 100,
                                                   "retryBackoffSeconds": 0}},
        {"name": "b", "type": "sample", "payload": {"x": "@<A.out::y?>"},
         "params": {"dependsOn": "a"}}
      ]})");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->agenda.operations.size(), 2u);
  EXPECT_EQ(loaded->graph.dependencies[1], (std::vector<std::size_t>{0}));
}

// A document that arrives as a value (a bound template, a leased agenda) is validated as its
// text would be, and held to the same limits in the same words.
TEST(AgendaValidatorTest, ADocumentIsLoadedAsItsTextWouldBe) {
  const std::string valid = with_operations(R"({"name": "a", "type": "sample"})");
  ASSERT_TRUE(load_agenda_document(Json::parse(valid), sample_only).has_value());
  const std::string unknown = with_operations(R"({"name": "a", "type": "nope"})");
  auto refused = load_agenda_document(Json::parse(unknown), sample_only);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().details, load(unknown).error().details);

  AgendaLimits shallow;
  shallow.max_depth = 3;
  const std::string deep =
      with_operations(R"({"name": "a", "type": "sample", "payload": {"x": [[1]]}})");
  auto too_deep = check_agenda_document(Json::parse(deep), shallow);
  ASSERT_FALSE(too_deep.has_value());
  EXPECT_EQ(too_deep.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(too_deep.error().message, load(deep, shallow).error().message);
}

// A text within its limits is not measured again as it would serialise: 1e14 is written back
// as 100000000000000.0, and a body the limit admitted must not be refused for that.
TEST(AgendaValidatorTest, ATextWithinItsLimitIsNotMeasuredAgainAsItWouldSerialise) {
  const std::string text = with_operations(
      R"({"name":"a","type":"sample","payload":{"n":[1e14,1e14,1e14,1e14,1e14,1e14]}})");
  AgendaLimits tight;
  tight.max_document_bytes = text.size();
  ASSERT_GT(Json::parse(text).dump().size(), text.size());
  auto loaded = load(text, tight);
  EXPECT_TRUE(loaded.has_value()) << loaded.error().message;
}

TEST(AgendaValidatorTest, NoOperations) {
  EXPECT_EQ(problems(R"({"operations": []})"),
            (Lines{"agenda, field operations: an agenda needs at least one operation"}));
  EXPECT_EQ(problems(R"({"title": "x"})"),
            (Lines{"agenda, field operations: an agenda needs at least one operation"}));
}

TEST(AgendaValidatorTest, OperationsOfWrongTypeIsOneProblem) {
  EXPECT_EQ(problems(R"({"operations": "a,b"})"),
            (Lines{R"(agenda, field operations: must be an array, got string)"}));
}

TEST(AgendaValidatorTest, LongValuesAreNotEchoed) {
  std::string long_text(65, 'x');
  EXPECT_EQ(problems(R"({"params": {"doNotRun": ")" + long_text +
                     R"("}, "operations": [{"name": "a", "type": "sample"}]})"),
            (Lines{R"(agenda, field params.doNotRun: must be true or false, got a long string)"}));
}

TEST(AgendaValidatorTest, TenThousandOperationChain) {
  std::string operations = R"({"name": "op0", "type": "sample"})";
  for (int i = 1; i < 10'000; ++i) {
    operations += R"(, {"name": "op)" + std::to_string(i) +
                  R"(", "type": "sample", "payload": "@<op)" + std::to_string(i - 1) +
                  R"(.out::x>"})";
  }
  auto loaded = load(with_operations(operations));
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->graph.dependants[0], (std::vector<std::size_t>{1}));
}

TEST(AgendaValidatorTest, ErrorSummaryCountsProblems) {
  auto loaded = load(R"({"operations": []})");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message, "agenda is invalid: 1 problem");
  loaded = load(with_operations(R"({"type": "sample"}, {"name": "b"})"));
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message, "agenda is invalid: 2 problems");
}

TEST(AgendaValidatorTest, Names) {
  EXPECT_EQ(
      problems(with_operations(R"(
        {"type": "sample"},
        {"name": "", "type": "sample"},
        {"name": 4, "type": "sample"},
        {"name": "Same", "type": "sample"},
        {"name": "same", "type": "sample"},
        {"name": "SAME", "type": "sample"})")),
      (Lines{
          R"(operation "#2", field name: must be a string, got number)",
          R"(operation "#0", field name: is required)",
          R"(operation "#1", field name: is required)",
          R"(operation "same", field name: duplicates the name of operation #3 (names are compared case-insensitively))",
          R"(operation "SAME", field name: duplicates the name of operation #3 (names are compared case-insensitively))",
      }));
}

TEST(AgendaValidatorTest, NameLength) {
  AgendaLimits limits;
  limits.max_name_length = 5;
  EXPECT_TRUE(load(with_operations(R"({"name": "abcde", "type": "sample"})"), limits));
  EXPECT_EQ(problems(with_operations(R"({"name": "abcdef", "type": "sample"})"), limits),
            (Lines{R"(operation "abcdef", field name: is 6 bytes long, over the limit of 5)"}));
}

TEST(AgendaValidatorTest, Types) {
  EXPECT_EQ(problems(with_operations(R"(
        {"name": "a"},
        {"name": "b", "type": ""},
        {"name": "c", "type": false},
        {"name": "d", "type": "ffmpeg"})")),
            (Lines{
                R"(operation "c", field type: must be a string, got boolean)",
                R"(operation "a", field type: is required)",
                R"(operation "b", field type: is required)",
                R"(operation "d", field type: no handler for operation type "ffmpeg")",
            }));
}

TEST(AgendaValidatorTest, EmptyTypeKnownAcceptsAnyType) {
  EXPECT_TRUE(load_agenda(with_operations(R"({"name": "a", "type": "anything"})"), nullptr));
}

TEST(AgendaValidatorTest, NonObjectOperationIsOneProblem) {
  EXPECT_EQ(problems(with_operations(R"("a", {"name": "b", "type": "sample"})")),
            (Lines{R"(operation "#0": an operation must be a JSON object, got string)"}));
}

TEST(AgendaValidatorTest, PayloadSize) {
  AgendaLimits limits;
  limits.max_payload_bytes = 10;
  // {"k":"ab"} serialises to exactly 10 bytes.
  EXPECT_TRUE(
      load(with_operations(R"({"name": "a", "type": "sample", "payload": {"k": "ab"}})"), limits));
  EXPECT_EQ(problems(with_operations(R"({"name": "a", "type": "sample", "payload": {"k": "abc"}})"),
                     limits),
            (Lines{R"(operation "a", field payload: is 11 bytes, over the limit of 10)"}));
}

TEST(AgendaValidatorTest, PayloadValues) {
  AgendaLimits limits;
  limits.max_payload_values = 4;
  EXPECT_TRUE(
      load(with_operations(R"({"name": "a", "type": "sample", "payload": [1, 2, 3]})"), limits));
  EXPECT_EQ(problems(with_operations(R"({"name": "a", "type": "sample", "payload": [1, 2, 3, 4]})"),
                     limits),
            (Lines{R"(operation "a", field payload: holds 5 JSON values, over the limit of 4)"}));
}

// POP's own top-level fields (cid, externalId, ...) are kept, but are no place for bulk data:
// every read of the agenda serves them back.
TEST(AgendaValidatorTest, OtherTopLevelFieldsAreKeptSmall) {
  AgendaLimits limits;
  limits.max_extra_bytes = 29;
  const std::string operation = R"([{"name": "a", "type": "sample"}])";
  // {"cid":"c1","externalId":"e"} is 29 bytes.
  auto kept = load(R"({"cid": "c1", "externalId": "e", "operations": )" + operation + "}", limits);
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_EQ(kept->agenda.extra["externalId"], "e");
  EXPECT_EQ(
      problems(R"({"cid": "c1", "externalId": "ex", "operations": )" + operation + "}", limits),
      (Lines{"agenda: its fields other than id, customerId, linkId, title, operations and "
             "params are 30 bytes together (serialised), over the limit of 29"}));
}

// The title and linkId are shown in every listing's summary of the agenda, up to a thousand
// a page: short texts, not a place for bulk data.
TEST(AgendaValidatorTest, TitleAndLinkIdAreKeptShort) {
  AgendaLimits limits;
  limits.max_title_bytes = 5;
  limits.max_link_id_bytes = 4;
  const std::string operation = R"([{"name": "a", "type": "sample"}])";
  EXPECT_TRUE(
      load(R"({"title": "abcde", "linkId": "abcd", "operations": )" + operation + "}", limits));
  EXPECT_EQ(problems(R"({"title": "abcdef", "linkId": "abcde", "operations": )" + operation + "}",
                     limits),
            (Lines{"agenda, field title: is 6 bytes long, over the limit of 5",
                   "agenda, field linkId: is 5 bytes long, over the limit of 4"}));
  EXPECT_EQ(AgendaLimits{}.max_title_bytes, 1024u);
  EXPECT_EQ(AgendaLimits{}.max_link_id_bytes, 1024u);
}

TEST(AgendaValidatorTest, OperationParams) {
  EXPECT_EQ(
      problems(with_operations(R"(
        {"name": "a", "type": "sample", "params": {"timeoutSeconds": 0,
            "maximumAttempts": 0, "retryBackoffSeconds": -1}},
        {"name": "b", "type": "sample", "params": {"timeoutSeconds": "10",
            "maximumAttempts": 101, "retryBackoffSeconds": {"s": 1}}},
        {"name": "c", "type": "sample", "params": {"maximumAttempts": 2.5}},
        {"name": "d", "type": "sample", "params": {"maximumAttempts": 18446744073709551615}},
        {"name": "e", "type": "sample", "params": {"dependsOn": {"a": 1}}},
        {"name": "f", "type": "sample", "params": []})")),
      (Lines{
          R"(operation "f", field params: must be an object, got array)",
          R"(operation "a", field params.timeoutSeconds: must be a number > 0 and <= 2592000 (30 days), got 0)",
          R"(operation "a", field params.maximumAttempts: must be an integer from 1 to 100, got 0)",
          R"(operation "a", field params.retryBackoffSeconds: must be a number from 0 to 86400, got -1)",
          R"(operation "b", field params.timeoutSeconds: must be a number > 0 and <= 2592000 (30 days), got "10")",
          R"(operation "b", field params.maximumAttempts: must be an integer from 1 to 100, got 101)",
          R"(operation "b", field params.retryBackoffSeconds: must be a number from 0 to 86400, got an object)",
          R"(operation "c", field params.maximumAttempts: must be an integer from 1 to 100, got 2.5)",
          R"(operation "d", field params.maximumAttempts: must be an integer from 1 to 100, got 18446744073709551615)",
          R"(operation "e", field params.dependsOn: must be a comma-separated string or an array of strings, got object)",
      }));
}

TEST(AgendaValidatorTest, AgendaParams) {
  const std::string operations = R"(, "operations": [{"name": "a", "type": "sample"}]})";
  EXPECT_TRUE(load(R"({"params": {"maximumAttempts": 1, "doNotRun": true})" + operations));
  EXPECT_EQ(problems(R"({"params": {"maximumAttempts": 21, "doNotRun": "yes"})" + operations),
            (Lines{
                R"(agenda, field params.maximumAttempts: must be an integer from 1 to 20, got 21)",
                R"(agenda, field params.doNotRun: must be true or false, got "yes")",
            }));
  EXPECT_EQ(
      problems(R"({"params": {"maximumAttempts": 0})" + operations),
      (Lines{R"(agenda, field params.maximumAttempts: must be an integer from 1 to 20, got 0)"}));
}

TEST(AgendaValidatorTest, References) {
  EXPECT_EQ(
      problems(with_operations(R"(
        {"name": "a", "type": "sample", "payload": {"in": "@<missing.out>", "ok": "@<pop.agendaId>"}},
        {"name": "b", "type": "sample", "payload": ["@<a.out::x~9>"],
         "params": {"dependsOn": ["a", "ghost"]}})")),
      (Lines{
          R"(operation "a", field payload/in: reference "@<missing.out>" names unknown operation "missing")",
          R"(operation "b", field payload/0: malformed reference "@<a.out::x~9>": bad "~" escape in pointer "x~9"; "~" must be followed by 0 or 1)",
          R"(operation "b", field params.dependsOn: names unknown operation "ghost")",
      }));
}

TEST(AgendaValidatorTest, CyclesAreNamedWithTheirPath) {
  EXPECT_EQ(problems(with_operations(R"(
        {"name": "start", "type": "sample"},
        {"name": "a", "type": "sample", "payload": "@<c.out>"},
        {"name": "b", "type": "sample", "params": {"dependsOn": "a"}},
        {"name": "c", "type": "sample", "payload": {"x": "@<b.out::y>"}},
        {"name": "self", "type": "sample", "params": {"dependsOn": "self"}})")),
            (Lines{
                R"(operation "a": dependency cycle: a -> c -> b -> a)",
                R"(operation "self": dependency cycle: self -> self)",
            }));
}

TEST(AgendaValidatorTest, EveryProblemIsReportedAtOnce) {
  Lines lines = problems(R"({"title": 1, "params": {"doNotRun": 1}, "operations": [
        {"type": "sample"},
        {"name": "dup", "type": "nope", "params": {"timeoutSeconds": -5}},
        {"name": "DUP", "type": "sample", "payload": "@<x.out>"},
        {"name": "loop", "type": "sample", "params": {"dependsOn": "loop"}}
      ]})");
  EXPECT_EQ(
      lines,
      (Lines{
          R"(agenda, field title: must be a string, got number)",
          R"(agenda, field params.doNotRun: must be true or false, got 1)",
          R"(operation "#0", field name: is required)",
          R"(operation "dup", field type: no handler for operation type "nope")",
          R"(operation "dup", field params.timeoutSeconds: must be a number > 0 and <= 2592000 (30 days), got -5)",
          R"(operation "DUP", field name: duplicates the name of operation #1 (names are compared case-insensitively))",
          R"(operation "DUP", field payload: reference "@<x.out>" names unknown operation "x")",
          R"(operation "loop": dependency cycle: loop -> loop)",
      }));
}

TEST(AgendaValidatorTest, IssuesAreCappedAndCounted) {
  std::string operations;
  for (int i = 0; i < 8; ++i) {
    if (i > 0) operations += ",";
    operations += R"({"name": "op)" + std::to_string(i) + R"(", "type": "unknown"})";
  }
  AgendaLimits limits;
  limits.max_issues = 3;
  auto loaded = load(with_operations(operations), limits);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message, "agenda is invalid: 8 problems");
  EXPECT_EQ(loaded.error().details,
            (Lines{
                R"(operation "op0", field type: no handler for operation type "unknown")",
                R"(operation "op1", field type: no handler for operation type "unknown")",
                R"(operation "op2", field type: no handler for operation type "unknown")",
                "... and 5 more problems",
            }));
}

TEST(AgendaValidatorTest, OperationCountLimit) {
  AgendaLimits limits;
  limits.max_operations = 2;
  const std::string two = R"({"name": "a", "type": "sample"}, {"name": "b", "type": "sample"})";
  EXPECT_TRUE(load(with_operations(two), limits));
  auto loaded = load(with_operations(two + R"(, {"name": "c", "type": "sample"})"), limits);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(loaded.error().message, "agenda has 3 operations, over the limit of 2");

  Agenda agenda;
  agenda.operations.resize(3);
  auto validated = validate_agenda(agenda, sample_only, limits, IssueList());
  ASSERT_FALSE(validated);
  EXPECT_EQ(validated.error().code, ErrorCode::kTooLarge);
}

TEST(AgendaValidatorTest, DocumentLimitsPassThrough) {
  AgendaLimits limits;
  limits.max_document_bytes = 20;
  auto big = load(with_operations(R"({"name": "a", "type": "sample"})"), limits);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kTooLarge);

  limits = AgendaLimits{};
  limits.max_depth = 4;
  auto deep = load(with_operations(R"({"name": "a", "type": "sample", "payload": [[1]]})"), limits);
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(deep.error().message, "JSON nesting depth exceeds the limit of 4");
  EXPECT_TRUE(load(with_operations(R"({"name": "a", "type": "sample", "payload": [1]})"), limits));

  limits = AgendaLimits{};
  limits.max_values = 5;  // the document, its array, one operation object with two fields
  auto many = load(with_operations(R"({"name": "a", "type": "sample", "payload": 1})"), limits);
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(many.error().message,
            "JSON document exceeds the limit of 5 JSON values (each scalar, object and array "
            "counts)");
  EXPECT_TRUE(load(with_operations(R"({"name": "a", "type": "sample"})"), limits));

  auto syntax = load(R"({"operations": [})");
  ASSERT_FALSE(syntax);
  EXPECT_EQ(syntax.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(syntax.error().message.starts_with("invalid JSON at byte offset 16"))
      << syntax.error().message;
}

TEST(AgendaValidatorTest, NonObjectDocument) {
  auto loaded = load(R"([{"name": "a", "type": "sample"}])");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidAgenda);
  EXPECT_EQ(loaded.error().details, (Lines{"agenda: an agenda must be a JSON object, got array"}));
}

TEST(AgendaValidatorTest, ValidateAgendaKeepsIssuesFromParsing) {
  IssueList issues;
  Agenda agenda = parse_agenda(Json::parse(R"({"linkId": 3, "operations": [
      {"name": "a", "type": "sample"}]})"),
                               issues);
  auto validated = validate_agenda(std::move(agenda), sample_only, AgendaLimits{}, issues);
  ASSERT_FALSE(validated);
  EXPECT_EQ(validated.error().details,
            (Lines{"agenda, field linkId: must be a string, got number"}));
}

TEST(AgendaValidatorNames, UnreferenceableNamesAreRejectedAndLabelsBounded) {
  auto result = load_agenda(R"({"operations": [
      {"name": "a>b", "type": "sample"}, {"name": "c,d", "type": "sample"},
      {"name": "e::f", "type": "sample"}, {"name": "g\u001bh", "type": "sample"}]})",
                            {});
  ASSERT_FALSE(result.has_value());
  const std::string rule =
      R"(field name: must not contain control characters, "<", ">", "," or "::")";
  EXPECT_EQ(
      result.error().details,
      (std::vector<std::string>{"operation \"a>b\", " + rule, "operation \"c,d\", " + rule,
                                "operation \"e::f\", " + rule, "operation \"g?h\", " + rule}));
  auto long_name = load_agenda(
      R"({"operations": [{"name": ")" + std::string(300, 'x') + R"(", "type": "sample"}]})", {});
  ASSERT_FALSE(long_name.has_value());
  EXPECT_EQ(long_name.error().details[0],
            "operation \"" + std::string(80, 'x') +
                "...\", field name: is 300 bytes long, over the limit of 256");
}

}  // namespace
}  // namespace pop
