"""Test support for the simulator's tests: starts a kube_simulator on a free port with a
kubeconfig of its own, talks HTTP to it, and looks at the container engine directly
(through its API, not through the simulator's code) to see which containers exist.

The engine's address comes from POP_TEST_DOCKER_HOST (unix:///path/docker.sock); without
it the tests exit with 77 (ctest's usual skip code)."""

import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SIMULATOR = os.path.join(HERE, "kube_simulator.py")


def docker_host():
    host = os.environ.get("POP_TEST_DOCKER_HOST", "")
    if not host.startswith("unix://"):
        print("POP_TEST_DOCKER_HOST is not set to unix:///path/docker.sock: "
              "start an engine with src/testing/container_engine.sh", file=sys.stderr)
        sys.exit(77)
    return host


class Simulator:
    """A running kube_simulator. stop() sends SIGTERM and returns its exit code."""

    def __init__(self, *arguments, token=None):
        self.dir = tempfile.mkdtemp(prefix="kube-sim-test-")
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        self.token = token
        self._watches = []
        command = [sys.executable, SIMULATOR, "--docker-host", docker_host(), "--listen", "127.0.0.1:0",
                   "--port-file", os.path.join(self.dir, "port"), "--kubeconfig-out", self.kubeconfig,
                   *arguments]
        if token:
            command += ["--token", token]
        self._stderr_path = os.path.join(self.dir, "stderr")
        with open(self._stderr_path, "w") as stderr:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
        line = _read_line(self.process.stdout, 20)
        if not line.startswith("kube_simulator listening on http://127.0.0.1:"):
            self.process.kill()
            raise AssertionError(f"simulator did not start: {line!r}; stderr: {self.stderr()}")
        self.url = line.split()[-1]
        self.port = int(self.url.rsplit(":", 1)[1])
        with open(os.path.join(self.dir, "port")) as file:
            assert int(file.read()) == self.port, "the port file names another port"

    def stop(self, timeout=30):
        self.close_watches()
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
                    raise AssertionError(f"simulator did not stop within {timeout} s after SIGTERM")
        finally:
            self.process.stdout.close()
        return self.process.returncode

    def stderr(self):
        with open(self._stderr_path) as file:
            return file.read()

    def connection(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, token=None):
        """(status, headers, JSON body, text or bytes) of one request, with the simulator's token
        unless token is given ("" sends none)."""
        connection = self.connection()
        try:
            connection.request(method, path, body=None if body is None else json.dumps(body),
                               headers=self._headers(headers, token, body is not None))
            response = connection.getresponse()
            data = response.read()
            content_type = response.getheader("Content-Type", "")
            if content_type.startswith("application/json"):
                parsed = json.loads(data)
            else:
                parsed = data.decode() if content_type.startswith("text/") else data
            return response.status, response, parsed
        finally:
            connection.close()

    def ok(self, method, path, body=None, expect=(200, 201)):
        status, _, parsed = self.request(method, path, body)
        if status not in expect:
            raise AssertionError(f"{method} {path}: {status} {parsed}")
        return parsed

    def watch(self, path, timeout=30, **headers):
        """The response of a watch request, to read events from with read_events; its
        connection stays open until close_watches()."""
        connection = self.connection(timeout)
        self._watches.append(connection)
        connection.request("GET", path, headers=self._headers(headers, None, False))
        return connection.getresponse()

    def close_watches(self):
        for connection in self._watches:
            connection.close()
        self._watches.clear()

    def create_pod(self, namespace, pod):
        return self.ok("POST", f"/api/v1/namespaces/{namespace}/pods", pod)

    def create_namespace(self, name):
        return self.ok("POST", "/api/v1/namespaces", {"metadata": {"name": name}})

    def pod(self, namespace, name):
        return self.ok("GET", f"/api/v1/namespaces/{namespace}/pods/{name}")

    def wait_for_pod(self, namespace, name, predicate, timeout=30):
        """The pod once predicate(pod) holds; fails after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            pod = self.pod(namespace, name)
            if predicate(pod):
                return pod
            if time.monotonic() > deadline:
                raise AssertionError(f"pod {namespace}/{name} never got there: {json.dumps(pod['status'])}")
            time.sleep(0.1)

    def wait_for_phase(self, namespace, name, *phases, timeout=30):
        return self.wait_for_pod(namespace, name, lambda p: p["status"].get("phase") in phases, timeout)

    def wait_until_gone(self, namespace, name, timeout=30):
        deadline = time.monotonic() + timeout
        while self.request("GET", f"/api/v1/namespaces/{namespace}/pods/{name}")[0] != 404:
            if time.monotonic() > deadline:
                raise AssertionError(f"pod {namespace}/{name} still exists after {timeout} s")
            time.sleep(0.1)

    def _headers(self, headers, token, has_body):
        result = dict(headers or {})
        token = self.token if token is None else token
        if token:
            result["Authorization"] = f"Bearer {token}"
        if has_body:
            result.setdefault("Content-Type", "application/json")
        return result


def read_events(response, count=None, until=None):
    """Watch events from a response until count events, until(event) is true, or the
    stream ends (then also returns: check for a clean end with stream_ended)."""
    events = []
    while count is None or len(events) < count:
        line = response.readline()
        if not line:
            break
        events.append(json.loads(line))
        if until and until(events[-1]):
            break
    return events


def pod_manifest(name, command, image="pop:local", labels=None, **spec):
    manifest = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": dict({"restartPolicy": "Never", "containers": [
            {"name": "main", "image": image, "command": ["sh", "-c", command]}]}, **spec),
    }
    return manifest


def terminated(pod, container=0):
    statuses = pod["status"].get("containerStatuses") or []
    return statuses[container]["state"].get("terminated") if statuses else None


class Engine:
    """The container engine, through its own API."""

    def __init__(self):
        self._socket = docker_host()[len("unix://"):]

    def containers(self, label):
        """Every container (running or not) that has the label (k=v)."""
        filters = urllib.parse.quote(json.dumps({"label": [label]}))
        return self._get(f"/containers/json?all=1&filters={filters}")

    def wait_for_no_containers(self, label, timeout=20):
        deadline = time.monotonic() + timeout
        while (left := self.containers(label)) and time.monotonic() < deadline:
            time.sleep(0.1)
        return left

    def _get(self, path):
        connection = http.client.HTTPConnection("engine", timeout=30)
        connection.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.sock.connect(self._socket)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            data = response.read()
            if response.status != 200:
                raise AssertionError(f"engine GET {path}: {response.status} {data!r}")
            return json.loads(data)
        finally:
            connection.close()


def _read_line(stream, timeout):
    readable, _, _ = select.select([stream], [], [], timeout)
    return stream.readline().strip() if readable else ""
