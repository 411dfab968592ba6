#include "agenda/agenda_graph.h"

#include <algorithm>
#include <limits>

#include "agenda/reference.h"

namespace pop {
namespace {

using NameIndex = std::unordered_map<std::string, std::size_t>;
using Adjacency = std::vector<std::vector<std::size_t>>;

constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

// Collects the dependencies of one operation and reports what cannot be resolved.
class DependencyCollector {
 public:
  DependencyCollector(const NameIndex& names, std::string label, IssueList& issues)
      : names_(names), label_(std::move(label)), issues_(issues) {}

  void scan_payload(const Json& payload) {
    for_each_string(payload, [this](const std::string& path, const std::string& text) {
      scan_string("payload" + path, text);
    });
  }

  void scan_depends_on(const Json& params) {
    auto value = params.find("dependsOn");
    if (value == params.end() || value->is_null()) return;
    if (value->is_string()) {
      add_list(value->get_ref<const std::string&>());
    } else if (value->is_array()) {
      add_array(*value);
    } else {
      issues_.add(label_, kDependsOn,
                  std::string("must be a comma-separated string or an array of strings, got ") +
                      value->type_name());
    }
  }

  std::vector<std::size_t> take() {
    std::sort(found_.begin(), found_.end());
    found_.erase(std::unique(found_.begin(), found_.end()), found_.end());
    return std::move(found_);
  }

 private:
  static constexpr const char* kDependsOn = "params.dependsOn";

  void scan_string(const std::string& field, const std::string& text) {
    auto references = find_references(text);
    if (!references) {
      issues_.add(label_, field, references.error().message);
      return;
    }
    for (const auto& reference : *references) {
      if (reference.source == Reference::Source::kPopValue) {
        // Running a template binds pop.payload before the agenda exists; in an agenda it
        // could never resolve, so it is caught here rather than when the operation starts.
        if (reference.name == "payload") {
          issues_.add(label_, field,
                      "reference \"" + reference.text +
                          "\" uses pop.payload, which only agenda templates can bind");
        }
        continue;
      }
      add(reference.name, field,
          "reference \"" + reference.text + "\" names unknown operation \"" + reference.name +
              "\"");
    }
  }

  void add_list(std::string_view list) {
    while (!list.empty()) {
      std::size_t comma = list.find(',');
      add_name(list.substr(0, comma));
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }

  void add_array(const Json& array) {
    for (std::size_t i = 0; i < array.size(); ++i) {
      if (array[i].is_string()) {
        add_name(array[i].get_ref<const std::string&>());
      } else {
        issues_.add(label_, kDependsOn,
                    "item " + std::to_string(i) + " must be a string, got " + array[i].type_name());
      }
    }
  }

  // Names in dependsOn are written by hand, often as "a, b"; the padding is not part of them.
  void add_name(std::string_view name) {
    constexpr std::string_view kSpace = " \t\r\n";
    std::size_t first = name.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return;
    name = name.substr(first, name.find_last_not_of(kSpace) + 1 - first);
    add(name, kDependsOn, "names unknown operation \"" + std::string(name) + "\"");
  }

  void add(std::string_view name, const std::string& field, const std::string& unknown_message) {
    auto it = names_.find(fold_name(name));
    if (it == names_.end()) {
      issues_.add(label_, field, unknown_message);
    } else {
      found_.push_back(it->second);
    }
  }

  const NameIndex& names_;
  std::string label_;
  IssueList& issues_;
  std::vector<std::size_t> found_;
};

// Tarjan's algorithm with an explicit stack, so a long chain cannot overflow the call stack.
// Returns the component of every node.
std::vector<std::size_t> strongly_connected_components(const Adjacency& edges) {
  std::size_t n = edges.size();
  std::vector<std::size_t> order(n, kNone), low(n, 0), component(n, kNone);
  std::vector<std::size_t> stack;
  std::vector<std::pair<std::size_t, std::size_t>> calls;  // node, next edge to follow
  std::size_t next_order = 0;
  std::size_t next_component = 0;
  auto enter = [&](std::size_t node) {
    order[node] = low[node] = next_order++;
    stack.push_back(node);
    calls.emplace_back(node, 0);
  };
  for (std::size_t root = 0; root < n; ++root) {
    if (order[root] != kNone) continue;
    enter(root);
    while (!calls.empty()) {
      auto [node, edge] = calls.back();
      if (edge < edges[node].size()) {
        ++calls.back().second;
        std::size_t target = edges[node][edge];
        if (order[target] == kNone) {
          enter(target);
        } else if (component[target] == kNone) {  // still on the stack
          low[node] = std::min(low[node], order[target]);
        }
        continue;
      }
      calls.pop_back();
      if (!calls.empty()) {
        std::size_t parent = calls.back().first;
        low[parent] = std::min(low[parent], low[node]);
      }
      if (low[node] != order[node]) continue;
      std::size_t member = kNone;
      while (member != node) {
        member = stack.back();
        stack.pop_back();
        component[member] = next_component;
      }
      ++next_component;
    }
  }
  return component;
}

// The shortest cycle through `start` inside its component (breadth-first), as node indexes
// with `start` at both ends. `parent` is scratch space of kNone, restored before returning.
std::vector<std::size_t> cycle_through(std::size_t start, const Adjacency& edges,
                                       const std::vector<std::size_t>& component,
                                       std::vector<std::size_t>& parent) {
  std::vector<std::size_t> queue = {start};
  parent[start] = start;
  std::size_t last = kNone;  // the node whose edge closes the cycle back to start
  for (std::size_t head = 0; head < queue.size() && last == kNone; ++head) {
    std::size_t node = queue[head];
    for (std::size_t target : edges[node]) {
      if (target == start && node != start) {
        last = node;
        break;
      }
      if (component[target] != component[start] || parent[target] != kNone) continue;
      parent[target] = node;
      queue.push_back(target);
    }
  }
  std::vector<std::size_t> cycle = {start};
  for (std::size_t node = last; node != start; node = parent[node]) cycle.push_back(node);
  cycle.push_back(start);
  std::reverse(cycle.begin() + 1, cycle.end() - 1);
  for (std::size_t node : queue) parent[node] = kNone;
  return cycle;
}

bool has_self_loop(const Adjacency& edges, std::size_t node) {
  return std::binary_search(edges[node].begin(), edges[node].end(), node);
}

}  // namespace

std::unordered_map<std::string, std::size_t> index_operation_names(const Agenda& agenda) {
  NameIndex names;
  for (std::size_t i = 0; i < agenda.operations.size(); ++i) {
    const auto& name = agenda.operations[i].name;
    if (!name.empty()) names.emplace(fold_name(name), i);
  }
  return names;
}

AgendaGraph build_agenda_graph(const Agenda& agenda, IssueList& issues) {
  NameIndex names = index_operation_names(agenda);
  std::size_t n = agenda.operations.size();
  AgendaGraph graph{Adjacency(n), Adjacency(n)};
  for (std::size_t i = 0; i < n; ++i) {
    const Operation& operation = agenda.operations[i];
    DependencyCollector collector(names, operation_label(operation, i), issues);
    collector.scan_payload(operation.payload);
    collector.scan_depends_on(operation.params);
    graph.dependencies[i] = collector.take();
    // i grows, so every dependants list stays sorted.
    for (std::size_t dependency : graph.dependencies[i]) graph.dependants[dependency].push_back(i);
  }
  return graph;
}

std::vector<std::vector<std::string>> find_cycles(const Agenda& agenda, const AgendaGraph& graph) {
  const Adjacency& edges = graph.dependencies;
  std::vector<std::size_t> component = strongly_connected_components(edges);
  std::vector<std::vector<std::size_t>> members(edges.size());
  for (std::size_t node = 0; node < edges.size(); ++node) members[component[node]].push_back(node);

  auto names = [&agenda](const std::vector<std::size_t>& nodes) {
    std::vector<std::string> out;
    for (std::size_t node : nodes) out.push_back(operation_label(agenda.operations[node], node));
    return out;
  };
  std::vector<std::vector<std::string>> cycles;
  std::vector<std::size_t> parent(edges.size(), kNone);
  std::vector<bool> reported(edges.size(), false);
  // Walking nodes in order and taking each component at its first member orders the cycles
  // by their smallest operation index.
  for (std::size_t node = 0; node < edges.size(); ++node) {
    const auto& group = members[component[node]];
    if (reported[component[node]]) continue;
    reported[component[node]] = true;
    if (group.size() > 1) cycles.push_back(names(cycle_through(node, edges, component, parent)));
    for (std::size_t member : group) {
      if (has_self_loop(edges, member)) cycles.push_back(names({member, member}));
    }
  }
  return cycles;
}

}  // namespace pop
