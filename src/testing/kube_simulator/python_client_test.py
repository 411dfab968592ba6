#!/usr/bin/python3
"""The official Python client (Debian's python3-kubernetes) against the simulator, with
the kubeconfig the simulator writes and a bearer token: it must take the simulator for
a real API server.

  POP_TEST_DOCKER_HOST=unix:///path/docker.sock /usr/bin/python3 python_client_test.py
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import time
import unittest

from kubernetes import client, config, watch

from sim_harness import Engine, Simulator


def pod(name, command, labels=None, generate=False, **spec):
    metadata = client.V1ObjectMeta(labels=labels or {})
    if generate:
        metadata.generate_name = name
    else:
        metadata.name = name
    return client.V1Pod(metadata=metadata, spec=client.V1PodSpec(
        restart_policy="Never",
        containers=[client.V1Container(name="main", image="pop:local", command=["sh", "-c", command])],
        **spec))


class PythonClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Simulator(token="python-client-token")
        api_client = config.new_client_from_config(config_file=cls.sim.kubeconfig)
        cls.api = client.CoreV1Api(api_client)
        cls.api.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py")))

    @classmethod
    def tearDownClass(cls):
        cls.api.api_client.close()
        code = cls.sim.stop()
        assert code == 0, f"simulator exited {code}: {cls.sim.stderr()}"
        assert "Traceback" not in cls.sim.stderr(), cls.sim.stderr()

    def test_namespaces(self):
        names = [n.metadata.name for n in self.api.list_namespace().items]
        self.assertIn("default", names)
        self.assertIn("py", names)
        self.assertEqual(self.api.read_namespace("py").status.phase, "Active")
        with self.assertRaises(client.ApiException) as raised:
            self.api.read_namespace("absent")
        self.assertEqual((raised.exception.status, raised.exception.reason), (404, "Not Found"))

    def test_pod_lifecycle_through_watch_and_logs(self):
        created = self.api.create_namespaced_pod("py", pod("job-", "echo first; echo second; echo -n '{\"x\":1}' > /dev/termination-log",
                                                           labels={"app": "lifecycle"}, generate=True))
        name = created.metadata.name
        self.assertTrue(name.startswith("job-"))
        self.assertEqual(created.status.phase, "Pending")
        read = self.api.read_namespaced_pod(name, "py")
        self.assertEqual((read.metadata.uid, read.spec.containers[0].image), (created.metadata.uid, "pop:local"))

        phases = []
        stream = watch.Watch()
        for event in stream.stream(self.api.list_namespaced_pod, "py", label_selector="app=lifecycle",
                                   resource_version=created.metadata.resource_version, timeout_seconds=30):
            self.assertIsInstance(event["object"], client.V1Pod)
            phases.append((event["type"], event["object"].status.phase))
            if event["object"].status.phase in ("Succeeded", "Failed"):
                stream.stop()
        self.assertEqual(phases[-1], ("MODIFIED", "Succeeded"))
        self.assertIn(("MODIFIED", "Running"), phases)

        finished = self.api.read_namespaced_pod_status(name, "py")
        state = finished.status.container_statuses[0].state.terminated
        self.assertEqual((state.exit_code, state.reason, state.message), (0, "Completed", '{"x":1}'))
        self.assertEqual(self.api.read_namespaced_pod_log(name, "py"), "first\nsecond\n")
        self.assertEqual(self.api.read_namespaced_pod_log(name, "py", tail_lines=1), "second\n")
        self.assertEqual(self.api.read_namespaced_pod_log(name, "py", container="main", limit_bytes=3), "fir")

        deleted = self.api.delete_namespaced_pod(name, "py")
        self.assertIsNotNone(deleted.metadata.deletion_timestamp)
        with self.assertRaises(client.ApiException) as raised:
            self.api.read_namespaced_pod(name, "py")
        self.assertEqual(raised.exception.status, 404)
        self.assertIn(f'pods \\"{name}\\" not found', raised.exception.body)

    def test_list_with_label_selector(self):
        for name, app in (("sel-a", "one"), ("sel-b", "two"), ("sel-c", "one")):
            self.api.create_namespaced_pod("py", pod(name, "true", labels={"app": app, "suite": "sel"},
                                                     node_selector={"disktype": "none"}))
        pods = self.api.list_namespaced_pod("py", label_selector="suite=sel,app=one")
        self.assertEqual(sorted(p.metadata.name for p in pods.items), ["sel-a", "sel-c"])
        self.assertTrue(pods.metadata.resource_version.isdigit())
        everywhere = self.api.list_pod_for_all_namespaces(label_selector="app notin (one),suite")
        self.assertEqual([p.metadata.name for p in everywhere.items], ["sel-b"])
        pending = self.api.list_namespaced_pod("py", field_selector="metadata.name=sel-b,status.phase=Pending")
        self.assertEqual(len(pending.items), 1)
        condition = self.wait_for_condition("sel-b")
        self.assertEqual((condition.status, condition.reason), ("False", "Unschedulable"))

    def test_errors_404_409_422(self):
        with self.assertRaises(client.ApiException) as raised:
            self.api.read_namespaced_pod("absent", "py")
        self.assertEqual((raised.exception.status, raised.exception.reason), (404, "Not Found"))
        self.assertIn('"reason":"NotFound"', raised.exception.body)

        self.api.create_namespaced_pod("py", pod("dup", "true", node_selector={"disktype": "none"}))
        with self.assertRaises(client.ApiException) as raised:
            self.api.create_namespaced_pod("py", pod("dup", "true"))
        self.assertEqual((raised.exception.status, raised.exception.reason), (409, "Conflict"))
        self.assertIn('"reason":"AlreadyExists"', raised.exception.body)

        bad = pod("bad", "true")
        bad.spec.containers[0].image = None
        with self.assertRaises(client.ApiException) as raised:
            self.api.create_namespaced_pod("py", bad)
        self.assertEqual(raised.exception.status, 422)
        self.assertIn('"field":"spec.containers[0].image"', raised.exception.body)

        with self.assertRaises(client.ApiException) as raised:
            self.api.create_namespaced_pod("nowhere", pod("p", "true"))
        self.assertEqual(raised.exception.status, 404)
        self.assertIn('namespaces \\"nowhere\\" not found', raised.exception.body)

    def test_delete_with_grace_period_stops_container(self):
        self.api.create_namespaced_pod("py", pod("sleeper", "sleep 300"))
        running = self.wait_for_phase("sleeper", "Running")
        deleted = self.api.delete_namespaced_pod("sleeper", "py", grace_period_seconds=1,
                                                 propagation_policy="Background")
        self.assertEqual(deleted.metadata.deletion_grace_period_seconds, 1)
        stream = watch.Watch()
        types = []
        for event in stream.stream(self.api.list_namespaced_pod, "py", field_selector="metadata.name=sleeper",
                                   resource_version=deleted.metadata.resource_version, timeout_seconds=20):
            types.append(event["type"])
            if event["type"] == "DELETED":
                stream.stop()
        self.assertEqual(types[-1], "DELETED")
        self.assertEqual(Engine().containers(f"io.kubernetes.pod.uid={running.metadata.uid}"), [])

    def test_log_follow_streams_until_exit(self):
        self.api.create_namespaced_pod("py", pod("follow", "for i in 1 2 3; do echo tick$i; sleep 0.2; done"))
        self.wait_for_phase("follow", "Running", "Succeeded")
        lines = list(watch.Watch().stream(self.api.read_namespaced_pod_log, "follow", "py"))
        self.assertEqual(lines, ["tick1", "tick2", "tick3"])

    def wait_for_phase(self, name, *phases):
        deadline = time.monotonic() + 30
        while (current := self.api.read_namespaced_pod(name, "py")).status.phase not in phases:
            self.assertLess(time.monotonic(), deadline, f"{name} stays {current.status.phase}")
            time.sleep(0.1)
        return current

    def wait_for_condition(self, name):
        deadline = time.monotonic() + 10
        while not (conditions := self.api.read_namespaced_pod(name, "py").status.conditions):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        return conditions[0]


if __name__ == "__main__":
    unittest.main(verbosity=2)
