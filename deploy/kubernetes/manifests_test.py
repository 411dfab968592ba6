#!/usr/bin/python3
"""Checks deploy/kubernetes against the pop binary it deploys, so the manifests cannot drift
from the code: every manifest parses and names what it is; the puller's Roles grant exactly
pods (create, get, list, watch, delete) and pods/log, pods/status (get), nothing else;
every option a container passes to pop exists in that subcommand's --help; the handler
registry ConfigMap is one that pop accepts.

  /usr/bin/python3 deploy/kubernetes/manifests_test.py PATH/TO/pop
"""

import pathlib
import subprocess
import sys
import tempfile
import unittest

import yaml

HERE = pathlib.Path(__file__).resolve().parent
POP = sys.argv.pop(1) if len(sys.argv) > 1 else "build/pop"

PULLER_RULES = [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "get", "list", "watch", "delete"]},
    {"apiGroups": [""], "resources": ["pods/log", "pods/status"], "verbs": ["get"]},
]


def documents():
    for path in sorted(HERE.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None:
                yield path.name, document


def pop_containers():
    for name, document in documents():
        if document["kind"] != "Deployment":
            continue
        for container in document["spec"]["template"]["spec"]["containers"]:
            yield name, document["metadata"]["name"], container


class Manifests(unittest.TestCase):
    def test_every_document_names_what_it_is(self):
        for name, document in documents():
            with self.subTest(file=name, kind=document.get("kind")):
                self.assertIn("apiVersion", document)
                self.assertIn("kind", document)
                self.assertTrue(document["metadata"]["name"])

    def test_puller_roles_grant_only_what_the_runner_uses(self):
        roles = [(name, d) for name, d in documents() if d["kind"] in ("Role", "ClusterRole")]
        self.assertGreaterEqual(len(roles), 2)
        for name, role in roles:
            with self.subTest(file=name, namespace=role["metadata"].get("namespace")):
                self.assertEqual(role["kind"], "Role", "namespaced rights only")
                self.assertEqual(role["rules"], PULLER_RULES)

    def test_every_option_exists_in_the_subcommand(self):
        checked = 0
        for name, deployment, container in pop_containers():
            args = container["args"]
            help_text = subprocess.run([POP, args[0], "--help"], capture_output=True, text=True,
                                       check=True).stdout
            for arg in args[1:]:
                if arg.startswith("--"):
                    with self.subTest(file=name, deployment=deployment, option=arg):
                        self.assertRegex(help_text, r"(^|[\s,])" + arg.split("=")[0] + r"\b")
                        checked += 1
        self.assertGreater(checked, 10)

    def test_the_handler_registry_is_accepted(self):
        registry = next(d for _, d in documents()
                        if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "pop-handlers")
        with tempfile.TemporaryDirectory() as directory:
            path = pathlib.Path(directory) / "handlers.yaml"
            path.write_text(registry["data"]["handlers.yaml"])
            agenda = pathlib.Path(directory) / "agenda.json"
            # An agenda of an unknown type: pop reads the registry, then refuses the agenda
            # naming the type. A bad registry is refused first, naming the file.
            agenda.write_text('{"operations": [{"name": "a", "type": "no-such-type"}]}')
            result = subprocess.run([POP, "run", "--handlers", str(path), str(agenda)],
                                    capture_output=True, text=True)
            self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
            self.assertIn("no-such-type", result.stderr)
            self.assertNotIn(str(path), result.stderr)

if __name__ == "__main__":
    unittest.main()
