#!/usr/bin/env python3
"""Compares the include graph of src/ with the layers written down in docs/architecture.md.

The ```layers block there names each layer, the folders it owns and the layers it depends on;
a layer may include its own headers and those of every layer it reaches through its
dependencies. The build enforces the same table (cmake/layers.cmake gives each layer an
include path of its own headers and its dependencies'); this check also covers tests, which
the build links together, and keeps the table honest: every folder has a layer, the graph has
no cycle, and every declared dependency is used.

Usage: check_layers.py [PROJECT_ROOT]. Prints one line per finding; exit status 1 if any.
"""
import os
import re
import sys

LINE = re.compile(r"^([a-z0-9_]+):\s+([^-(]+?)\s*(?:->\s*([^(]*?))?\s*(?:\(tests\s*->\s*([^)]*)\))?$")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# Test code: tests, and the headers that only tests include.
TEST_FOLDERS = ("testing", "e2e", "store/conformance")
TEST_HEADER = re.compile(r"(^test_.*|.*_fixture|.*_test_support)\.h$")


def read_layers(document):
    text = open(document, encoding="utf-8").read()
    block = re.search(r"^```layers\n(.*?)^```", text, re.M | re.S)
    if not block:
        sys.exit(f"{document}: no ```layers block")
    layers = {}
    for number, line in enumerate(block.group(1).splitlines(), 1):
        line = line.split("#", 1)[0].rstrip()
        if not line:
            continue
        match = LINE.match(line)
        if not match:
            sys.exit(f"{document}: layers line {number} is not "
                     f"'name: folders -> layers (tests -> layers)': {line}")
        name, folders = match.group(1), match.group(2).split()
        deps, test_deps = (match.group(3) or "").split(), (match.group(4) or "").split()
        if name in layers:
            sys.exit(f"{document}: layer {name} is declared twice")
        layers[name] = {"folders": folders, "deps": deps, "test_deps": test_deps}
    return layers


def closure(layers, name, seen=None):
    seen = set() if seen is None else seen
    for dep in layers[name]["deps"]:
        if dep not in seen:
            seen.add(dep)
            closure(layers, dep, seen)
    return seen


def find_cycle(layers):
    state = {}

    def visit(name, path):
        state[name] = "open"
        for dep in layers[name]["deps"]:
            if state.get(dep) == "open":
                return path + [name, dep]
            if dep not in state:
                cycle = visit(dep, path + [name])
                if cycle:
                    return cycle
        state[name] = "done"
        return None

    for name in layers:
        if name not in state:
            cycle = visit(name, [])
            if cycle:
                return cycle
    return None


def owner(layers, relative):
    """The layer owning src/<relative>: the one with the longest folder prefix."""
    best, best_length = None, -1
    for name, layer in layers.items():
        for folder in layer["folders"]:
            if relative.startswith(folder + "/") and len(folder) > best_length:
                best, best_length = name, len(folder)
    return best


def is_test_code(relative):
    name = os.path.basename(relative)
    return (name.endswith("_test.cc") or relative.startswith(tuple(f + "/" for f in TEST_FOLDERS))
            or bool(TEST_HEADER.match(name)))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(__file__))
    src = os.path.join(root, "src")
    layers = read_layers(os.path.join(root, "docs", "architecture.md"))
    findings = []

    for name, layer in layers.items():
        for dep in layer["deps"] + layer["test_deps"]:
            if dep not in layers:
                findings.append(f"layer {name} depends on {dep}, which is no layer")
        for folder in layer["folders"]:
            if not os.path.isdir(os.path.join(src, folder)):
                findings.append(f"layer {name} owns src/{folder}, which does not exist")
    if findings:
        return report(findings)
    cycle = find_cycle(layers)
    if cycle:
        return report(["the layers form a cycle: " + " -> ".join(cycle)])
    reach = {name: closure(layers, name) | {name} for name in layers}
    # What tests of a layer may include besides: test support, and the layers their tests
    # declare (the real store under the services' tests rather than a fake one).
    test_reach = {
        name: reach["testing"].union(*(reach[dep] for dep in layer["test_deps"]))
        for name, layer in layers.items()
    }

    files = []
    for directory, _, names in os.walk(src):
        for file_name in names:
            if file_name.endswith((".h", ".cc")):
                files.append(os.path.relpath(os.path.join(directory, file_name), src))
    used = set()  # (layer, layer it includes), from library code and from test-only layers
    test_only = {owner(layers, f) for f in files} - {owner(layers, f) for f in files
                                                      if not is_test_code(f)}
    for relative in sorted(files):
        layer = owner(layers, relative)
        if layer is None:
            findings.append(f"src/{relative}: its folder belongs to no layer")
            continue
        test = is_test_code(relative)
        allowed = reach[layer] | (test_reach[layer] if test else set())
        text = open(os.path.join(src, relative), encoding="utf-8", errors="replace").read()
        for number, included in ((text.count("\n", 0, m.start()) + 1, m.group(1))
                                 for m in INCLUDE.finditer(text)):
            where = f"src/{relative}:{number}"
            if ".." in included.split("/") or "/" not in included:
                findings.append(f'{where}: #include "{included}" is not a path from src/')
                continue
            if not os.path.isfile(os.path.join(src, included)):
                findings.append(f'{where}: #include "{included}" names no file of src/')
                continue
            target = owner(layers, included)
            if target is None:
                continue  # reported for the file itself
            if is_test_code(included) and not test:
                findings.append(f'{where}: library code includes test support "{included}"')
            elif target not in allowed:
                findings.append(f'{where}: layer {layer} includes "{included}" of layer {target}, '
                                f"which it does not depend on")
            elif target != layer and (not test or layer in test_only):
                used.add((layer, target))

    # A dependency must bring something no other dependency of the layer brings.
    for name, layer in layers.items():
        for dep in layer["deps"]:
            others = set().union(*(reach[d] for d in layer["deps"] if d != dep))
            brought = reach[dep] - others
            if not brought:
                findings.append(f"layer {name} declares {dep}, which its other dependencies "
                                f"already bring")
            elif not any((name, reached) in used for reached in brought):
                findings.append(f"layer {name} is declared to depend on {dep} but includes "
                                f"nothing of it")
    return report(findings)


def report(findings):
    for finding in findings:
        print(finding)
    if findings:
        print(f"{len(findings)} finding(s) against the layers of docs/architecture.md")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
