#include "agenda/agenda_graph.h"

#include <gtest/gtest.h>

namespace pop {
namespace {

using Indexes = std::vector<std::vector<std::size_t>>;
using Cycles = std::vector<std::vector<std::string>>;

Operation op(std::string name, Json payload = nullptr, Json params = Json::object()) {
  return Operation{.name = std::move(name),
                   .type = "sample",
                   .payload = std::move(payload),
                   .params = std::move(params),
                   .extra = Json::object()};
}

Operation depends(std::string name, Json depends_on) {
  return op(std::move(name), nullptr, Json({{"dependsOn", std::move(depends_on)}}));
}

Agenda agenda_of(std::vector<Operation> operations) {
  Agenda agenda;
  agenda.operations = std::move(operations);
  return agenda;
}

TEST(AgendaGraphTest, Diamond) {
  Agenda agenda = agenda_of({
      op("top", Json::parse(R"({"in": "file.mp4"})")),
      op("left", Json::parse(R"({"in": "@<top.out::path>"})")),
      op("right", Json::parse(R"({"in": ["@<TOP.out>", "@<top.out::x>"]})")),
      op("bottom", Json::parse(R"({"l": "@<left.out>", "r": "x=@<Right.out::n>"})")),
  });
  IssueList issues;
  AgendaGraph graph = build_agenda_graph(agenda, issues);
  EXPECT_TRUE(issues.empty()) << issues.lines()[0];
  EXPECT_EQ(graph.dependencies, (Indexes{{}, {0}, {0}, {1, 2}}));
  EXPECT_EQ(graph.dependants, (Indexes{{1, 2}, {3}, {3}, {}}));
  EXPECT_TRUE(find_cycles(agenda, graph).empty());
}

TEST(AgendaGraphTest, PopReferencesAndParamsAreNotDependencies) {
  Agenda agenda = agenda_of({
      op("a", Json("@<pop.agendaId>-@<pop.operationName>")),
      op("b", Json("@<pop.agendaId>"), Json({{"note", "@<a.out>"}})),
  });
  IssueList issues;
  AgendaGraph graph = build_agenda_graph(agenda, issues);
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(graph.dependencies, (Indexes{{}, {}}));
}

TEST(AgendaGraphTest, DependsOnForms) {
  Agenda agenda = agenda_of({
      op("a"),
      op("b"),
      op("c"),
      depends("string", " a,B , ,c,"),
      depends("array", Json::array({"C", " a ", ""})),
      depends("single", "b"),
      depends("empty", ""),
      depends("null", nullptr),
      op("mixed", Json("@<a.out>"), Json({{"dependsOn", "a,b"}})),
  });
  IssueList issues;
  AgendaGraph graph = build_agenda_graph(agenda, issues);
  EXPECT_TRUE(issues.empty()) << issues.lines()[0];
  EXPECT_EQ(graph.dependencies, (Indexes{{}, {}, {}, {0, 1, 2}, {0, 2}, {1}, {}, {}, {0, 1}}));
  EXPECT_EQ(graph.dependants[0], (std::vector<std::size_t>{3, 4, 8}));
}

TEST(AgendaGraphTest, UnknownNamesAndMalformedValuesAreIssues) {
  Agenda agenda = agenda_of({
      op("a", Json::parse(R"({"input": "@<ghost.out>", "list": ["@<a.out> @<bad>"]})")),
      depends("b", "a, nobody"),
      depends("c", Json::array({"a", 7, "nope"})),
      depends("d", 42),
      op("", Json("@<b.out::x>@<phantom.out>")),
  });
  IssueList issues;
  AgendaGraph graph = build_agenda_graph(agenda, issues);
  EXPECT_EQ(
      issues.lines(),
      (std::vector<std::string>{
          R"(operation "a", field payload/input: reference "@<ghost.out>" names unknown operation "ghost")",
          R"(operation "a", field payload/list/0: malformed reference "@<bad>": unknown source "bad"; expected "<operation>.out", "pop.agendaId", "pop.operationName" or "pop.payload")",
          R"(operation "b", field params.dependsOn: names unknown operation "nobody")",
          R"(operation "c", field params.dependsOn: item 1 must be a string, got number)",
          R"(operation "c", field params.dependsOn: names unknown operation "nope")",
          R"(operation "d", field params.dependsOn: must be a comma-separated string or an array of strings, got number)",
          R"(operation "#4", field payload: reference "@<phantom.out>" names unknown operation "phantom")",
      }));
  // What could be resolved is still in the graph; a malformed string contributes nothing.
  EXPECT_EQ(graph.dependencies, (Indexes{{}, {0}, {0}, {}, {1}}));
}

TEST(AgendaGraphTest, DuplicateNamesResolveToTheFirst) {
  Agenda agenda = agenda_of({op("x"), op("X"), depends("user", "x")});
  EXPECT_EQ(index_operation_names(agenda).at("x"), 0u);
  IssueList issues;
  EXPECT_EQ(build_agenda_graph(agenda, issues).dependencies[2], (std::vector<std::size_t>{0}));
}

TEST(AgendaGraphTest, SelfReferenceIsACycle) {
  Agenda agenda = agenda_of({op("start"), op("loop", Json("@<LOOP.out::x>"))});
  IssueList issues;
  AgendaGraph graph = build_agenda_graph(agenda, issues);
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(find_cycles(agenda, graph), (Cycles{{"loop", "loop"}}));
}

TEST(AgendaGraphTest, CycleNotThroughTheFirstOperation) {
  // start <- a -> b -> c -> a : the original POP only looked for cycles through the start.
  Agenda agenda = agenda_of({
      op("start"),
      op("a", Json::parse(R"(["@<start.out>", "@<b.out>"])")),
      depends("b", "c"),
      depends("c", "a"),
      depends("after", "c"),
  });
  IssueList issues;
  AgendaGraph graph = build_agenda_graph(agenda, issues);
  EXPECT_EQ(find_cycles(agenda, graph), (Cycles{{"a", "b", "c", "a"}}));
}

TEST(AgendaGraphTest, MultipleIndependentCyclesEachOnceInOrder) {
  Agenda agenda = agenda_of({
      depends("p", "q"),              // 0: p -> q -> p
      depends("x", "y"),              // 1: x -> y -> z -> x
      depends("q", "p"),              // 2
      depends("y", "z"),              // 3
      depends("z", "x, z"),           // 4: also a self-loop inside the x-y-z cycle
      op("free"), depends("s", "s"),  // 6
  });
  IssueList issues;
  AgendaGraph graph = build_agenda_graph(agenda, issues);
  EXPECT_EQ(find_cycles(agenda, graph), (Cycles{
                                            {"p", "q", "p"},
                                            {"x", "y", "z", "x"},
                                            {"z", "z"},
                                            {"s", "s"},
                                        }));
}

TEST(AgendaGraphTest, CycleReportedIsTheShortestThroughItsFirstOperation) {
  // a -> b -> c -> d -> a and a -> d: one component, reported once, by its shortest loop.
  Agenda agenda = agenda_of({
      depends("a", "b, d"),
      depends("b", "c"),
      depends("c", "d"),
      depends("d", "a"),
  });
  IssueList issues;
  EXPECT_EQ(find_cycles(agenda, build_agenda_graph(agenda, issues)), (Cycles{{"a", "d", "a"}}));
}

TEST(AgendaGraphTest, LongChainNeedsNoDeepRecursion) {
  constexpr std::size_t kCount = 10'000;
  std::vector<Operation> operations;
  operations.push_back(op("op0"));
  for (std::size_t i = 1; i < kCount; ++i) {
    operations.push_back(
        op("op" + std::to_string(i), Json("@<op" + std::to_string(i - 1) + ".out::result>")));
  }
  Agenda chain = agenda_of(std::move(operations));
  IssueList issues;
  AgendaGraph graph = build_agenda_graph(chain, issues);
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(graph.dependencies[kCount - 1], (std::vector<std::size_t>{kCount - 2}));
  EXPECT_TRUE(find_cycles(chain, graph).empty());

  // Closing the chain makes one cycle through all 10,000 operations.
  chain.operations[0].params["dependsOn"] = "op" + std::to_string(kCount - 1);
  graph = build_agenda_graph(chain, issues);
  auto cycles = find_cycles(chain, graph);
  ASSERT_EQ(cycles.size(), 1u);
  EXPECT_EQ(cycles[0].size(), kCount + 1);
  EXPECT_EQ(cycles[0].front(), "op0");
  EXPECT_EQ(cycles[0][1], "op9999");
  EXPECT_EQ(cycles[0].back(), "op0");
}

}  // namespace
}  // namespace pop

namespace pop {
namespace {

TEST(AgendaGraphPopPayload, UnboundTemplateValueIsAnIssue) {
  IssueList issues;
  Agenda agenda;
  agenda.operations.push_back(
      {"a", "sample", Json{{"in", "@<pop.payload::x>"}}, Json::object(), Json::object()});
  build_agenda_graph(agenda, issues);
  ASSERT_EQ(issues.lines().size(), 1u);
  EXPECT_EQ(issues.lines()[0],
            "operation \"a\", field payload/in: reference \"@<pop.payload::x>\" uses pop.payload, "
            "which only agenda templates can bind");
}

}  // namespace
}  // namespace pop
