// The dependency graph of an agenda: an operation depends on every operation whose `.out`
// its payload references and on those named in `params.dependsOn`.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "agenda/agenda.h"
#include "agenda/validation_issue.h"

namespace pop {

struct AgendaGraph {
  // Both indexed by operation position in Agenda::operations; entries sorted, no duplicates.
  std::vector<std::vector<std::size_t>> dependencies;
  std::vector<std::vector<std::size_t>> dependants;
};

// Maps fold_name(name) to the operation's index. Duplicate names keep the first.
std::unordered_map<std::string, std::size_t> index_operation_names(const Agenda& agenda);

// Builds the graph. Unknown names in references or dependsOn, malformed tokens and
// malformed dependsOn values are added to `issues` and left out of the graph.
AgendaGraph build_agenda_graph(const Agenda& agenda, IssueList& issues);

// Every dependency cycle, each once, as the names along it with the first repeated at the
// end ("a", "b", "c", "a"): a depends on b, b on c, c on a. Self-dependency is ["a", "a"].
// Finds cycles anywhere in the graph, not only through the first operation.
std::vector<std::vector<std::string>> find_cycles(const Agenda& agenda, const AgendaGraph& graph);

}  // namespace pop
