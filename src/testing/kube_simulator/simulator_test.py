#!/usr/bin/python3
"""The simulator's Kubernetes semantics and faults, over raw HTTP (http.client), with the
container engine checked directly: resourceVersions, watch replay, 410 Expired,
bookmarks, selectors, storms, dropped watches, scheduling, image pulls, termination
messages, exit codes, graceful deletion, and cleanup at SIGTERM.

  POP_TEST_DOCKER_HOST=unix:///path/docker.sock /usr/bin/python3 simulator_test.py
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import http.client
import re
import threading
import time
import unittest
import urllib.parse

from sim_harness import Engine, Simulator, pod_manifest, read_events, terminated

UNSCHEDULABLE = "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."
NOWHERE = {"nodeSelector": {"disktype": "none-such"}}  # a pod that never gets a container


class SimulatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Simulator("--bookmark-interval", "0.2")
        cls.engine = Engine()

    @classmethod
    def tearDownClass(cls):
        code = cls.sim.stop()
        assert code == 0, f"simulator exited {code}: {cls.sim.stderr()}"
        assert "Traceback" not in cls.sim.stderr(), cls.sim.stderr()

    def setUp(self):
        self.ns = re.sub(r"[^a-z0-9]+", "-", self.id().rsplit(".", 1)[-1].lower()).strip("-")[:60]
        self.sim.create_namespace(self.ns)

    def tearDown(self):
        self.sim.close_watches()
        self.sim.ok("DELETE", "/simulator/storms")
        self.sim.ok("POST", "/simulator/watches/drop-every", {"everyEvents": 0})
        self.sim.ok("PUT", "/simulator/node", {"labels": {"kubernetes.io/hostname": "sim-node",
                                                          "kubernetes.io/os": "linux"}, "taints": []})

    def pods_path(self, name=""):
        return f"/api/v1/namespaces/{self.ns}/pods" + (f"/{name}" if name else "")

    # resourceVersion and watch.

    def test_resource_versions_increase_globally(self):
        first = self.sim.create_pod(self.ns, pod_manifest("a", "true", **NOWHERE))
        second = self.sim.create_pod(self.ns, pod_manifest("b", "true", **NOWHERE))
        self.assertIsInstance(first["metadata"]["resourceVersion"], str)
        self.assertLess(int(first["metadata"]["resourceVersion"]), int(second["metadata"]["resourceVersion"]))
        listed = self.sim.ok("GET", self.pods_path())
        self.assertEqual(listed["kind"], "PodList")
        self.assertGreaterEqual(int(listed["metadata"]["resourceVersion"]),
                                int(second["metadata"]["resourceVersion"]))
        self.assertEqual([p["metadata"]["name"] for p in listed["items"]], ["a", "b"])
        # Any write anywhere moves the one counter on.
        other = self.sim.create_namespace(f"{self.ns}-x")
        self.assertGreater(int(other["metadata"]["resourceVersion"]), int(listed["metadata"]["resourceVersion"]))

    def test_watch_replays_events_after_resource_version(self):
        start = self.sim.ok("GET", self.pods_path())["metadata"]["resourceVersion"]
        self.sim.create_pod(self.ns, pod_manifest("replayed", "echo hi"))
        self.sim.wait_for_phase(self.ns, "replayed", "Succeeded")
        response = self.sim.watch(f"{self.pods_path()}?watch=1&resourceVersion={start}")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.getheader("Transfer-Encoding"), "chunked")
        events = read_events(response, until=lambda e: e["object"]["status"]["phase"] == "Succeeded")
        versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
        self.assertEqual(versions, sorted(versions))
        self.assertGreater(versions[0], int(start))
        self.assertEqual(events[0]["type"], "ADDED")
        self.assertEqual(events[0]["object"]["status"]["phase"], "Pending")
        self.assertTrue(all(e["type"] == "MODIFIED" for e in events[1:]))
        phases = [e["object"]["status"]["phase"] for e in events]
        self.assertEqual(phases.count("Succeeded"), 1)
        self.assertIn("Running", phases)
        self.assertEqual(events[0]["object"]["kind"], "Pod")

    def test_watch_without_resource_version_starts_with_current_objects(self):
        self.sim.create_pod(self.ns, pod_manifest("existing", "true", **NOWHERE))
        response = self.sim.watch(f"{self.pods_path()}?watch=true&timeoutSeconds=1")
        events = read_events(response)
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in events], [("ADDED", "existing")])

    def test_watch_from_expired_history_gets_410(self):
        old = self.sim.ok("GET", self.pods_path())["metadata"]["resourceVersion"]
        self.sim.create_pod(self.ns, pod_manifest("p", "true", **NOWHERE))
        current = self.sim.ok("POST", "/simulator/history/expire")["resourceVersion"]
        response = self.sim.watch(f"{self.pods_path()}?watch=1&resourceVersion={old}")
        self.assertEqual(response.status, 200)  # as the API server: the error is an event
        events = read_events(response)
        self.assertEqual(len(events), 1, events)
        self.assertEqual(events[0]["type"], "ERROR")
        status = events[0]["object"]
        self.assertEqual((status["kind"], status["code"], status["reason"]), ("Status", 410, "Expired"))
        self.assertEqual(status["message"], f"too old resource version: {old} ({current})")
        # From the current version the watch works.
        response = self.sim.watch(f"{self.pods_path()}?watch=1&resourceVersion={current}&timeoutSeconds=1")
        self.assertEqual(read_events(response), [])

    def test_bounded_history_expires_old_versions(self):
        sim = Simulator("--event-history", "10")
        try:
            sim.create_namespace("h")
            start = sim.ok("GET", "/api/v1/namespaces/h/pods")["metadata"]["resourceVersion"]
            for index in range(3):  # two events each: ADDED, and MODIFIED (Unschedulable)
                sim.create_pod("h", pod_manifest(f"p{index}", "true", **NOWHERE))
            response = sim.watch(f"/api/v1/namespaces/h/pods?watch=1&resourceVersion={start}&timeoutSeconds=1")
            types = [e["type"] for e in read_events(response)]
            self.assertEqual(types.count("ADDED"), 3, types)
            self.assertNotIn("ERROR", types)
            for index in range(3, 9):
                sim.create_pod("h", pod_manifest(f"p{index}", "true", **NOWHERE))
            response = sim.watch(f"/api/v1/namespaces/h/pods?watch=1&resourceVersion={start}")
            events = read_events(response)
            self.assertEqual([(e["type"], e["object"]["code"]) for e in events], [("ERROR", 410)])
            self.assertRegex(events[0]["object"]["message"], rf"^too old resource version: {start} \(\d+\)$")
        finally:
            self.assertEqual(sim.stop(), 0)

    def test_bookmarks_only_when_allowed(self):
        self.sim.create_pod(self.ns, pod_manifest("p", "true", **NOWHERE))
        rv = self.sim.ok("GET", self.pods_path())["metadata"]["resourceVersion"]
        started = time.monotonic()
        response = self.sim.watch(
            f"{self.pods_path()}?watch=1&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=1")
        events = read_events(response)
        self.assertGreaterEqual(time.monotonic() - started, 0.9)
        self.assertGreaterEqual(len(events), 3, events)  # every 0.2 s in this simulator
        for event in events:
            self.assertEqual(event["type"], "BOOKMARK")
            self.assertEqual((event["object"]["kind"], event["object"]["apiVersion"]), ("Pod", "v1"))
            self.assertGreaterEqual(int(event["object"]["metadata"]["resourceVersion"]), int(rv))
        response = self.sim.watch(f"{self.pods_path()}?watch=1&resourceVersion={rv}&timeoutSeconds=1")
        self.assertEqual(read_events(response), [])

    def test_watch_selector_turns_changes_into_added_and_deleted(self):
        rv = self.sim.ok("GET", self.pods_path())["metadata"]["resourceVersion"]
        self.sim.create_pod(self.ns, pod_manifest("p", "sleep 0.5"))
        self.sim.wait_for_phase(self.ns, "p", "Succeeded")
        response = self.sim.watch(
            f"{self.pods_path()}?watch=1&resourceVersion={rv}&fieldSelector=status.phase%3DRunning")
        events = read_events(response, until=lambda e: e["type"] == "DELETED")
        self.assertEqual([e["type"] for e in events], ["ADDED", "DELETED"])
        self.assertEqual([e["object"]["status"]["phase"] for e in events], ["Running", "Running"])

    # Selectors.

    def test_label_selector_forms(self):
        for name, labels in (("a", {"app": "x", "tier": "web"}), ("b", {"app": "y", "tier": "db"}),
                             ("c", {"app": "x"})):
            self.sim.create_pod(self.ns, pod_manifest(name, "true", labels=labels, **NOWHERE))
        cases = {
            "app=x": "ac", "app==x": "ac", "app!=x": "b", "app in (x,y)": "abc", "app in (y)": "b",
            "tier notin (web)": "bc", "tier": "ab", "!tier": "c", "app=x,tier": "a",
            "app=x,tier!=web": "c", "app notin (x), tier in (db, web)": "b", "": "abc",
        }
        for selector, expected in cases.items():
            for base in (self.pods_path(), "/api/v1/pods"):
                query = urllib_quote(selector)
                items = self.sim.ok("GET", f"{base}?labelSelector={query}")["items"]
                names = "".join(p["metadata"]["name"] for p in items if p["metadata"]["namespace"] == self.ns)
                self.assertEqual(names, expected, f"{selector} on {base}")
        status, _, body = self.sim.request("GET", f"{self.pods_path()}?labelSelector={urllib_quote('app in x')}")
        self.assertEqual((status, body["reason"]), (400, "BadRequest"))

    def test_field_selectors(self):
        self.sim.create_pod(self.ns, pod_manifest("a", "true", **NOWHERE))
        self.sim.create_pod(self.ns, pod_manifest("b", "true", **NOWHERE))
        def names(selector, base=None):
            path = f"{base or self.pods_path()}?fieldSelector={urllib_quote(selector)}"
            return sorted(p["metadata"]["name"] for p in self.sim.ok("GET", path)["items"])
        self.assertEqual(names("metadata.name=a"), ["a"])
        self.assertEqual(names("metadata.name!=a"), ["b"])
        self.assertEqual(names("status.phase=Pending"), ["a", "b"])
        self.assertEqual(names("status.phase=Running"), [])
        self.assertEqual(names(f"metadata.namespace={self.ns},metadata.name=b", "/api/v1/pods"), ["b"])
        status, _, body = self.sim.request("GET", f"{self.pods_path()}?fieldSelector=spec.bogus%3D1")
        self.assertEqual((status, body["reason"], body["message"]),
                         (400, "BadRequest", "field label not supported: spec.bogus"))

    # Faults.

    def test_429_storm_then_recovery(self):
        self.sim.ok("POST", "/simulator/reset-stats")
        self.sim.ok("POST", "/simulator/storms", {"status": 429, "count": 3, "retryAfterSeconds": 2})
        for _ in range(3):
            status, response, body = self.sim.request("GET", self.pods_path())
            self.assertEqual(status, 429)
            self.assertEqual(response.getheader("Retry-After"), "2")
            self.assertEqual((body["kind"], body["reason"], body["code"]), ("Status", "TooManyRequests", 429))
            self.assertEqual(body["details"]["retryAfterSeconds"], 2)
        self.assertEqual(self.sim.request("GET", self.pods_path())[0], 200)
        stats = self.sim.ok("GET", "/simulator/stats")
        self.assertEqual(stats["tooManyRequestsServed"], 3)
        self.assertEqual(stats["requests"]["GET"], 5)  # and this one: the control API counts too

    def test_storm_limited_to_a_verb_and_for_a_time(self):
        self.sim.ok("POST", "/simulator/storms", {"status": 429, "seconds": 1, "verb": "create",
                                                   "pathPrefix": "/api/v1/namespaces/"})
        status, _, _ = self.sim.request("POST", self.pods_path(), pod_manifest("p", "true", **NOWHERE))
        self.assertEqual(status, 429)
        self.assertEqual(self.sim.request("GET", self.pods_path())[0], 200)  # list is not create
        time.sleep(1.1)
        self.assertEqual(self.sim.request("POST", self.pods_path(), pod_manifest("p", "true", **NOWHERE))[0], 201)

    def test_500_storm_then_recovery(self):
        self.sim.ok("POST", "/simulator/reset-stats")
        self.sim.ok("POST", "/simulator/storms", {"status": 500, "count": 2, "method": "GET"})
        for _ in range(2):
            status, _, body = self.sim.request("GET", f"{self.pods_path()}/x")
            self.assertEqual((status, body["reason"], body["code"]), (500, "InternalError", 500))
            self.assertTrue(body["message"].startswith("Internal error occurred: "))
        status, _, body = self.sim.request("GET", f"{self.pods_path()}/x")
        self.assertEqual((status, body["reason"]), (404, "NotFound"))
        self.assertEqual(self.sim.ok("GET", "/simulator/stats")["internalErrorsServed"], 2)

    def test_dropped_watch_ends_the_stream(self):
        response = self.sim.watch(f"{self.pods_path()}?watch=1", timeout=10)
        self.sim.ok("POST", "/simulator/watches/drop")
        started = time.monotonic()
        self.assertEqual(read_events(response), [])
        self.assertLess(time.monotonic() - started, 3)
        response = self.sim.watch(f"{self.pods_path()}?watch=1", timeout=10)
        self.sim.ok("POST", "/simulator/watches/drop", {"abrupt": True})
        with self.assertRaises((http.client.IncompleteRead, ConnectionError)):
            response.read()

    def test_watch_dropped_after_every_k_events(self):
        for name in "abcd":
            self.sim.create_pod(self.ns, pod_manifest(name, "true", **NOWHERE))
        self.sim.ok("POST", "/simulator/watches/drop-every", {"everyEvents": 2})
        response = self.sim.watch(f"{self.pods_path()}?watch=1")
        events = read_events(response)
        self.assertEqual([e["object"]["metadata"]["name"] for e in events], ["a", "b"])

    # Scheduling and images.

    def test_unschedulable_until_the_node_matches(self):
        manifest = pod_manifest("picky", "echo ran", nodeSelector={"disktype": "ssd"})
        self.sim.create_pod(self.ns, manifest)
        pod = self.sim.wait_for_pod(self.ns, "picky", lambda p: p["status"].get("conditions"))
        self.assertEqual(pod["status"]["phase"], "Pending")
        self.assertEqual(pod["status"]["conditions"], [{
            "type": "PodScheduled", "status": "False", "lastProbeTime": None,
            "lastTransitionTime": pod["status"]["conditions"][0]["lastTransitionTime"],
            "reason": "Unschedulable", "message": UNSCHEDULABLE}])
        self.assertNotIn("nodeName", pod["spec"])
        self.assertEqual(self.engine.containers(f"io.kubernetes.pod.uid={pod['metadata']['uid']}"), [])
        self.sim.ok("PUT", "/simulator/node", {"labels": {"kubernetes.io/hostname": "sim-node", "disktype": "ssd"}})
        pod = self.sim.wait_for_phase(self.ns, "picky", "Succeeded")
        self.assertEqual(pod["spec"]["nodeName"], "sim-node")

    def test_taints_need_tolerations(self):
        self.sim.ok("PUT", "/simulator/node", {"taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]})
        self.sim.create_pod(self.ns, pod_manifest("plain", "true"))
        tolerant = pod_manifest("tolerant", "true", tolerations=[
            {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}])
        self.sim.create_pod(self.ns, tolerant)
        self.sim.wait_for_phase(self.ns, "tolerant", "Succeeded")
        pod = self.sim.wait_for_pod(self.ns, "plain", lambda p: p["status"].get("conditions"))
        self.assertEqual(pod["status"]["conditions"][0]["message"],
                         "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}.")

    def test_missing_image_backs_off(self):
        self.sim.create_pod(self.ns, pod_manifest("pull", "true", image="no-such-image:1"))
        seen = {}
        deadline = time.monotonic() + 15
        while len(seen) < 2 and time.monotonic() < deadline:
            pod = self.sim.pod(self.ns, "pull")
            self.assertEqual(pod["status"]["phase"], "Pending")
            for status in pod["status"].get("containerStatuses") or []:
                waiting = status["state"].get("waiting", {})
                if waiting.get("reason") in ("ErrImagePull", "ImagePullBackOff"):
                    seen[waiting["reason"]] = waiting.get("message", "")
            time.sleep(0.1)
        self.assertEqual(sorted(seen), ["ErrImagePull", "ImagePullBackOff"])
        self.assertEqual(seen["ImagePullBackOff"], 'Back-off pulling image "no-such-image:1"')
        self.assertIn('"no-such-image:1"', seen["ErrImagePull"])
        status, _, body = self.sim.request("GET", f"{self.pods_path('pull')}/log")
        self.assertEqual(status, 400)
        self.assertRegex(body["message"], r'^container "main" in pod "pull" is waiting to start: (ErrImagePull|ImagePullBackOff)$')

    # Containers.

    def test_termination_message_from_the_file(self):
        big = "x" * 5000 + "END"
        self.sim.create_pod(self.ns, pod_manifest("small", "echo -n result > /dev/termination-log"))
        self.sim.create_pod(self.ns, pod_manifest("big", f"printf '{big}' > /dev/termination-log"))
        custom = pod_manifest("custom", "echo -n elsewhere > /tmp/msg; exit 2")
        custom["spec"]["containers"][0]["terminationMessagePath"] = "/tmp/msg"
        self.sim.create_pod(self.ns, custom)
        pod = self.sim.wait_for_phase(self.ns, "small", "Succeeded")
        self.assertEqual(terminated(pod)["message"], "result")
        self.assertEqual(terminated(pod)["reason"], "Completed")
        pod = self.sim.wait_for_phase(self.ns, "big", "Succeeded")
        self.assertEqual(terminated(pod)["message"], big[-4096:])  # the kubelet keeps the tail
        pod = self.sim.wait_for_phase(self.ns, "custom", "Failed")
        self.assertEqual(terminated(pod)["message"], "elsewhere")

    def test_fallback_to_logs_on_error(self):
        manifest = pod_manifest("fallback", "for i in $(seq 1 100); do echo line$i; done; exit 4")
        manifest["spec"]["containers"][0]["terminationMessagePolicy"] = "FallbackToLogsOnError"
        self.sim.create_pod(self.ns, manifest)
        quiet_success = pod_manifest("quiet", "echo only-logs")
        quiet_success["spec"]["containers"][0]["terminationMessagePolicy"] = "FallbackToLogsOnError"
        self.sim.create_pod(self.ns, quiet_success)
        state = terminated(self.sim.wait_for_phase(self.ns, "fallback", "Failed"))
        expected = "".join(f"line{i}\n" for i in range(21, 101))  # the last 80 lines
        self.assertEqual((state["exitCode"], state["message"]), (4, expected))
        self.assertNotIn("message", terminated(self.sim.wait_for_phase(self.ns, "quiet", "Succeeded")))

    def test_failed_container_exit_code_and_details(self):
        self.sim.create_pod(self.ns, pod_manifest("fails", "echo oops >&2; exit 3"))
        pod = self.sim.wait_for_phase(self.ns, "fails", "Failed")
        state = terminated(pod)
        self.assertEqual((state["exitCode"], state["reason"]), (3, "Error"))
        self.assertRegex(state["containerID"], r"^docker://[0-9a-f]{64}$")
        self.assertRegex(state["startedAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertRegex(state["finishedAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        ready = {c["type"]: (c["status"], c.get("reason")) for c in pod["status"]["conditions"]}
        self.assertEqual(ready["Ready"], ("False", "PodCompleted"))
        self.assertEqual(self.sim.ok("GET", f"{self.pods_path('fails')}/log"), "oops\n")

    def test_start_error_is_exit_code_128(self):
        manifest = pod_manifest("bad", "true")
        manifest["spec"]["containers"][0]["command"] = ["/no/such/program"]
        self.sim.create_pod(self.ns, manifest)
        state = terminated(self.sim.wait_for_phase(self.ns, "bad", "Failed"))
        self.assertEqual((state["exitCode"], state["reason"]), (128, "StartError"))
        self.assertIn("/no/such/program", state["message"])

    def test_env_command_args_working_dir_and_limits(self):
        manifest = pod_manifest("env", "")
        container = manifest["spec"]["containers"][0]
        container.update({
            "command": ["sh", "-c"],
            "args": ['echo "$GREETING $POD_NAME/$POD_NAMESPACE $(pwd)"; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'],
            "workingDir": "/tmp",
            "env": [{"name": "NAME", "value": "world"}, {"name": "GREETING", "value": "hello $(NAME)"},
                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}],
            "resources": {"limits": {"memory": "64Mi", "cpu": "500m"}},
        })
        pod = self.sim.create_pod(self.ns, manifest)
        self.assertEqual(pod["status"]["qosClass"], "Guaranteed")
        self.sim.wait_for_phase(self.ns, "env", "Succeeded")
        self.assertEqual(self.sim.ok("GET", f"{self.pods_path('env')}/log"),
                         f"hello world env/{self.ns} /tmp\n{64 * 1024 * 1024}\n")

    def test_init_containers_run_first(self):
        manifest = pod_manifest("ordered", "echo main")
        manifest["spec"]["initContainers"] = [{"name": "init", "image": "pop:local", "command": ["sh", "-c", "echo init"]}]
        self.sim.create_pod(self.ns, manifest)
        failing = pod_manifest("blocked", "echo never")
        failing["spec"]["initContainers"] = [{"name": "init", "image": "pop:local", "command": ["sh", "-c", "exit 5"]}]
        self.sim.create_pod(self.ns, failing)
        pod = self.sim.wait_for_phase(self.ns, "ordered", "Succeeded")
        init = pod["status"]["initContainerStatuses"][0]["state"]["terminated"]
        self.assertLessEqual(init["finishedAt"], terminated(pod)["startedAt"])
        self.assertEqual(self.sim.ok("GET", f"{self.pods_path('ordered')}/log?container=init"), "init\n")
        pod = self.sim.wait_for_phase(self.ns, "blocked", "Failed")
        self.assertEqual(pod["status"]["initContainerStatuses"][0]["state"]["terminated"]["exitCode"], 5)
        self.assertEqual(pod["status"]["containerStatuses"][0]["state"],
                         {"waiting": {"reason": "PodInitializing"}})

    def test_active_deadline_fails_the_pod(self):
        self.sim.create_pod(self.ns, pod_manifest("slow", "sleep 300", activeDeadlineSeconds=1,
                                                  terminationGracePeriodSeconds=1))
        pod = self.sim.wait_for_phase(self.ns, "slow", "Failed", timeout=15)
        self.assertEqual(pod["status"]["reason"], "DeadlineExceeded")
        pod = self.sim.wait_for_pod(self.ns, "slow", terminated, timeout=15)
        self.assertEqual(terminated(pod)["exitCode"], 137)

    def test_logs_options(self):
        manifest = pod_manifest("two", "echo a1; echo a2; echo a3; sleep 3; echo late")
        manifest["spec"]["containers"].append({"name": "other", "image": "pop:local", "command": ["true"]})
        self.sim.create_pod(self.ns, manifest)
        self.sim.wait_for_phase(self.ns, "two", "Running", "Succeeded")
        status, _, body = self.sim.request("GET", f"{self.pods_path('two')}/log")
        self.assertEqual((status, body["message"]),
                         (400, "a container name must be specified for pod two, choose one of: [main other]"))
        started = time.monotonic()
        connection = self.sim.connection()
        connection.request("GET", f"{self.pods_path('two')}/log?container=main&follow=true")
        response = connection.getresponse()
        self.assertLess(time.monotonic() - started, 2.5)  # headers before the output ends
        self.assertEqual(response.read().decode(), "a1\na2\na3\nlate\n")
        connection.close()
        log = f"{self.pods_path('two')}/log?container=main"
        self.assertEqual(self.sim.ok("GET", f"{log}&tailLines=2"), "a3\nlate\n")
        self.assertEqual(self.sim.ok("GET", f"{log}&limitBytes=4"), "a1\na")
        self.assertRegex(self.sim.ok("GET", f"{log}&timestamps=true&tailLines=1"),
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z late\n$")
        status, _, body = self.sim.request("GET", f"{self.pods_path('two')}/log?container=nope")
        self.assertEqual((status, body["message"]), (400, "container nope is not valid for pod two"))

    def test_delete_stops_the_running_container(self):
        self.sim.create_pod(self.ns, pod_manifest("sleeper", "sleep 300"))
        pod = self.sim.wait_for_phase(self.ns, "sleeper", "Running")
        label = f"io.kubernetes.pod.uid={pod['metadata']['uid']}"
        self.assertEqual([c["State"] for c in self.engine.containers(label)], ["running"])
        watch = self.sim.watch(f"{self.pods_path()}?watch=1&resourceVersion={pod['metadata']['resourceVersion']}")
        started = time.monotonic()
        deleted = self.sim.ok("DELETE", f"{self.pods_path('sleeper')}?gracePeriodSeconds=1")
        self.assertEqual(deleted["metadata"]["deletionGracePeriodSeconds"], 1)
        self.assertIn("deletionTimestamp", deleted["metadata"])
        events = read_events(watch, until=lambda e: e["type"] == "DELETED")
        self.assertEqual(events[-1]["type"], "DELETED")
        # sleep as PID 1 ignores SIGTERM: SIGKILL after the grace period.
        self.assertGreaterEqual(time.monotonic() - started, 0.9)
        last = terminated(events[-1]["object"])
        self.assertEqual((last["exitCode"], last["reason"]), (137, "Error"))
        self.assertEqual(self.engine.containers(label), [])
        self.sim.wait_until_gone(self.ns, "sleeper")

    def test_delete_sends_sigterm_first(self):
        command = 'trap "echo got-term; exit 0" TERM; echo started; while true; do sleep 0.1; done'
        self.sim.create_pod(self.ns, pod_manifest("polite", command))
        pod = self.sim.wait_for_phase(self.ns, "polite", "Running")
        watch = self.sim.watch(f"{self.pods_path()}?watch=1&resourceVersion={pod['metadata']['resourceVersion']}")
        started = time.monotonic()
        self.sim.ok("DELETE", self.pods_path("polite"))  # the default grace period: 30 s
        events = read_events(watch, until=lambda e: e["type"] == "DELETED")
        # Exit code 0 shows the trap ran (SIGKILL would be 137); ending well before the 30 s
        # grace shows nothing waited for it. The margin is for a loaded CI machine.
        self.assertLess(time.monotonic() - started, 25)
        self.assertEqual(terminated(events[-1]["object"])["exitCode"], 0)
        self.assertEqual(self.engine.containers(f"io.kubernetes.pod.uid={pod['metadata']['uid']}"), [])

    def test_delete_waits_the_grace_period_between_sigterm_and_sigkill(self):
        # The trap records SIGTERM in the termination message and carries on: only SIGKILL,
        # at the end of the 3 s grace period, ends it.
        command = ('trap "echo -n got-term > /dev/termination-log" TERM; echo started; '
                   'while true; do sleep 0.1; done')
        self.sim.create_pod(self.ns, pod_manifest("stubborn", command))
        pod = self.sim.wait_for_phase(self.ns, "stubborn", "Running")
        watch = self.sim.watch(f"{self.pods_path()}?watch=1&resourceVersion={pod['metadata']['resourceVersion']}")
        started = time.monotonic()
        self.sim.ok("DELETE", f"{self.pods_path('stubborn')}?gracePeriodSeconds=3")
        events = read_events(watch, until=lambda e: e["type"] == "DELETED")
        self.assertGreaterEqual(time.monotonic() - started, 2.9)
        last = terminated(events[-1]["object"])
        self.assertEqual((last["exitCode"], last["message"]), (137, "got-term"))

    def test_deleting_a_finished_pod_is_immediate(self):
        self.sim.create_pod(self.ns, pod_manifest("done", "true"))
        pod = self.sim.wait_for_phase(self.ns, "done", "Succeeded")
        deleted = self.sim.ok("DELETE", self.pods_path("done"))
        self.assertEqual(deleted["metadata"]["deletionGracePeriodSeconds"], 0)
        self.assertEqual(self.sim.request("GET", self.pods_path("done"))[0], 404)
        self.assertEqual(self.engine.wait_for_no_containers(f"io.kubernetes.pod.uid={pod['metadata']['uid']}"), [])

    # Patches.

    def test_strategic_merge_patch_merges_containers_by_name(self):
        self.sim.create_pod(self.ns, pod_manifest("patched", "true", **NOWHERE))
        same_container = {"name": "main", "image": "pop:local", "command": ["sh", "-c", "true"]}
        strategic = {"Content-Type": "application/strategic-merge-patch+json"}
        patch = {"metadata": {"labels": {"tier": "t"}}, "spec": {"containers": [same_container]}}
        status, _, body = self.sim.request("PATCH", self.pods_path("patched"), patch, headers=strategic)
        self.assertEqual((status, body["metadata"]["labels"]), (200, {"tier": "t"}))
        # The container's defaults stay: the spec did not change.
        self.assertEqual(body["spec"]["containers"][0]["terminationMessagePath"], "/dev/termination-log")
        # A JSON merge patch replaces the list, and so changes the spec: refused.
        status, _, body = self.sim.request("PATCH", self.pods_path("patched"), patch,
                                           headers={"Content-Type": "application/merge-patch+json"})
        self.assertEqual((status, body["reason"]), (422, "Invalid"))
        changed = dict(same_container, image="other:tag")
        status, _, body = self.sim.request("PATCH", self.pods_path("patched"),
                                           {"spec": {"containers": [changed]}}, headers=strategic)
        self.assertEqual((status, body["reason"]), (422, "Invalid"))

    # OpenAPI.

    def test_openapi_v2_in_json_and_protobuf(self):
        status, response, body = self.sim.request("GET", "/openapi/v2")
        self.assertEqual((status, response.getheader("Content-Type")), (200, "application/json"))
        pod = body["definitions"]["io.k8s.api.core.v1.Pod"]
        self.assertEqual(pod["x-kubernetes-group-version-kind"], [{"group": "", "kind": "Pod", "version": "v1"}])
        for accept in ("application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
                       "application/com.github.proto-openapi.spec.v2.v1.0+protobuf, application/json"):
            status, response, data = self.sim.request("GET", "/openapi/v2", headers={"Accept": accept})
            self.assertEqual((status, response.getheader("Content-Type")),
                             (200, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"))
            # Document.swagger (field 1) first, then the definitions naming the Pod.
            self.assertTrue(data.startswith(b"\x0a\x032.0"), data[:16])
            self.assertIn(b"io.k8s.api.core.v1.Pod", data)
        status, _, body = self.sim.request("GET", "/openapi/v2", headers={"Accept": "text/html"})
        self.assertEqual((status, body["reason"]), (406, "NotAcceptable"))

    # API errors.

    def test_errors_have_kubernetes_status_bodies(self):
        invalid = pod_manifest("Bad_Name", "true")
        invalid["spec"]["containers"][0]["image"] = ""
        status, _, body = self.sim.request("POST", self.pods_path(), invalid)
        self.assertEqual((status, body["reason"], body["details"]["kind"]), (422, "Invalid", "Pod"))
        self.assertEqual(sorted(c["field"] for c in body["details"]["causes"]),
                         ["metadata.name", "spec.containers[0].image"])
        self.assertTrue(body["message"].startswith('Pod "Bad_Name" is invalid: ['))
        self.sim.create_pod(self.ns, pod_manifest("twice", "true", **NOWHERE))
        status, _, body = self.sim.request("POST", self.pods_path(), pod_manifest("twice", "true"))
        self.assertEqual((status, body["reason"], body["message"]), (409, "AlreadyExists", 'pods "twice" already exists'))
        status, _, body = self.sim.request("POST", "/api/v1/namespaces/nowhere/pods", pod_manifest("p", "true"))
        self.assertEqual((status, body["reason"], body["message"]), (404, "NotFound", 'namespaces "nowhere" not found'))
        status, _, body = self.sim.request("GET", "/api/v1/namespaces/nowhere/pods/p")
        self.assertEqual((status, body["message"]), (404, 'pods "p" not found'))
        status, _, body = self.sim.request("PUT", self.pods_path("twice"), {})
        self.assertEqual((status, body["reason"]), (405, "MethodNotAllowed"))
        generated = self.sim.create_pod(self.ns, dict(pod_manifest("", "true", **NOWHERE),
                                                      metadata={"generateName": "gen-"}))
        self.assertRegex(generated["metadata"]["name"], r"^gen-[a-z0-9]{5}$")

    def test_namespace_deletion_deletes_its_pods(self):
        self.sim.create_pod(self.ns, pod_manifest("running", "sleep 300", terminationGracePeriodSeconds=1))
        pod = self.sim.wait_for_phase(self.ns, "running", "Running")
        deleted = self.sim.ok("DELETE", f"/api/v1/namespaces/{self.ns}")
        self.assertEqual(deleted["status"]["phase"], "Terminating")
        status, _, body = self.sim.request("POST", self.pods_path(), pod_manifest("late", "true"))
        self.assertEqual((status, body["reason"]), (403, "Forbidden"))
        deadline = time.monotonic() + 45
        while self.sim.request("GET", f"/api/v1/namespaces/{self.ns}")[0] != 404:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        self.assertEqual(self.engine.containers(f"io.kubernetes.pod.uid={pod['metadata']['uid']}"), [])

    # Load.

    def test_a_burst_of_100_pods(self):
        self.sim.ok("POST", "/simulator/reset-stats")
        failures = []

        def create(first):
            for index in range(first, 100, 10):
                spec = {} if index % 10 == 0 else NOWHERE  # 10 run containers, 90 wait
                status, _, body = self.sim.request("POST", self.pods_path(), pod_manifest(f"p{index}", "true", **spec))
                if status != 201:
                    failures.append(body)
        threads = [threading.Thread(target=create, args=(i,)) for i in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(failures, [])
        self.assertEqual(len(self.sim.ok("GET", self.pods_path())["items"]), 100)
        for index in range(0, 100, 10):
            self.sim.wait_for_phase(self.ns, f"p{index}", "Succeeded", timeout=60)
        for index in range(100):
            self.sim.ok("DELETE", self.pods_path(f"p{index}"))
        stats = self.sim.ok("GET", "/simulator/stats")
        self.assertEqual((stats["podsCreated"], stats["maxPodsExisting"]), (100, 100))
        self.assertEqual(self.engine.wait_for_no_containers(f"io.kubernetes.pod.namespace={self.ns}"), [])


class AuthenticationTest(unittest.TestCase):
    def test_token_required(self):
        sim = Simulator(token="s3cret")
        try:
            status, _, body = sim.request("GET", "/api/v1/namespaces", token="")
            self.assertEqual((status, body["kind"], body["reason"]), (401, "Status", "Unauthorized"))
            status, _, _ = sim.request("GET", "/api/v1/namespaces", token="wrong")
            self.assertEqual(status, 401)
            self.assertEqual(sim.request("GET", "/api/v1/namespaces")[0], 200)
            with open(sim.kubeconfig) as file:
                kubeconfig = file.read()
            self.assertIn(f"server: {sim.url}", kubeconfig)
            self.assertIn('token: "s3cret"', kubeconfig)
        finally:
            self.assertEqual(sim.stop(), 0)


class ShutdownTest(unittest.TestCase):
    def test_sigterm_removes_every_container(self):
        sim = Simulator()
        engine = Engine()
        try:
            sim.create_namespace("s")
            sim.create_pod("s", pod_manifest("long", "sleep 300"))
            sim.create_pod("s", pod_manifest("done", "true"))
            sim.wait_for_phase("s", "long", "Running")
            sim.wait_for_phase("s", "done", "Succeeded")
            label = sim.ok("GET", "/simulator/info")["containerLabel"]
            self.assertEqual(len(engine.containers(label)), 2)
        finally:
            started = time.monotonic()
            self.assertEqual(sim.stop(), 0)
        self.assertLess(time.monotonic() - started, 20)
        self.assertEqual(engine.containers(label), [])


def urllib_quote(text):
    return urllib.parse.quote(text, safe="")


if __name__ == "__main__":
    unittest.main(verbosity=2)
