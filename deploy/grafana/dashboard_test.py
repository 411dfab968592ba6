#!/usr/bin/python3
"""Checks deploy/grafana/pop-dashboard.json against the code's documentation and Prometheus,
so the dashboard cannot drift: it parses; every query is PromQL that Prometheus' promtool
accepts (Grafana's variables replaced by what Grafana would send); every metric a query reads
is one docs/observability.md documents; every variable a query uses is defined; panels do not
overlap the 24-column grid.

  /usr/bin/python3 deploy/grafana/dashboard_test.py [PATH/TO/promtool]
"""

import json
import pathlib
import re
import subprocess
import sys
import tempfile
import unittest

import yaml

HERE = pathlib.Path(__file__).resolve().parent
DOCS = HERE.parent.parent / "docs" / "observability.md"
PROMTOOL = sys.argv.pop(1) if len(sys.argv) > 1 else "/usr/bin/promtool"
METRIC = re.compile(r"\b((?:pop|process)_[a-z_]+)")
VARIABLE = re.compile(r"\$(\w+)")
GRAFANA_VARIABLES = {"__rate_interval": "1m", "__interval": "1m"}


def dashboard():
    return json.loads((HERE / "pop-dashboard.json").read_text())


def queries():
    for panel in dashboard()["panels"]:
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]


def as_sent(expr):
    """The query as Grafana sends it: its own variables as values, ours as "match all"."""
    return VARIABLE.sub(lambda m: GRAFANA_VARIABLES.get(m.group(1), ".*"), expr)


class DashboardTest(unittest.TestCase):
    def test_every_query_is_promql_that_prometheus_accepts(self):
        rules = [{"record": f"dashboard:query_{i}", "expr": as_sent(expr)}
                 for i, (_, expr) in enumerate(queries())]
        self.assertGreater(len(rules), 10)
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as file:
            yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, file)
            file.flush()
            checked = subprocess.run([PROMTOOL, "check", "rules", file.name],
                                     capture_output=True, text=True)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)

    def test_every_metric_read_is_documented(self):
        documented = set(re.findall(r"`((?:pop|process)_[a-z_]+)`", DOCS.read_text()))
        for title, expr in queries():
            for name in METRIC.findall(expr):
                base = re.sub(r"_(bucket|sum|count)$", "", name)
                self.assertIn(base, documented, f"panel {title!r} reads {name}")

    def test_every_variable_used_is_defined(self):
        defined = {v["name"] for v in dashboard()["templating"]["list"]} | set(GRAFANA_VARIABLES)
        for title, expr in queries():
            for name in VARIABLE.findall(expr):
                self.assertIn(name, defined, f"panel {title!r} uses ${name}")

    def test_panels_have_unique_ids_and_fit_the_grid(self):
        panels = dashboard()["panels"]
        self.assertEqual(len({p["id"] for p in panels}), len(panels))
        taken = set()
        for panel in panels:
            box = panel["gridPos"]
            self.assertLessEqual(box["x"] + box["w"], 24, panel["title"])
            cells = {(x, y) for x in range(box["x"], box["x"] + box["w"])
                     for y in range(box["y"], box["y"] + box["h"])}
            self.assertFalse(cells & taken, f"panel {panel['title']!r} overlaps another")
            taken |= cells


if __name__ == "__main__":
    unittest.main()
