"""A Docker Engine API client over the engine's Unix socket: the container runtime behind
the simulated kubelet. One connection per call, so any thread may call any method."""

import http.client
import json
import socket
import struct
import urllib.parse


class EngineError(Exception):
    """The engine answered an error status (status) or could not be reached (status 0)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, socket_path, timeout):
        super().__init__("engine", timeout=timeout)
        self._socket_path = socket_path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.timeout is not None:
            self.sock.settimeout(self.timeout)
        self.sock.connect(self._socket_path)


class EngineClient:
    def __init__(self, docker_host):
        if not docker_host.startswith("unix://"):
            raise ValueError(f"--docker-host must be unix:///path/to/docker.sock, not {docker_host}")
        self._socket_path = docker_host[len("unix://"):]

    def ping(self):
        self._call("GET", "/_ping", raw=True)

    def image_id(self, image):
        """The local image's ID, or None when the engine does not have it."""
        try:
            return self._call("GET", f"/images/{_quote(image)}/json")["Id"]
        except EngineError as error:
            if error.status == 404:
                return None
            raise

    def create_container(self, name, config):
        return self._call("POST", f"/containers/create?name={_quote(name)}", config)["Id"]

    def start(self, container_id):
        self._call("POST", f"/containers/{container_id}/start")

    def wait(self, container_id):
        """Blocks until the container is not running; returns its exit code."""
        return self._call("POST", f"/containers/{container_id}/wait", timeout=None)["StatusCode"]

    def inspect(self, container_id):
        return self._call("GET", f"/containers/{container_id}/json")

    def stop(self, container_id, grace_seconds):
        """The container's stop signal (SIGTERM), then SIGKILL after grace_seconds."""
        try:
            self._call("POST", f"/containers/{container_id}/stop?t={int(grace_seconds)}",
                       timeout=grace_seconds + 60)
        except EngineError as error:
            if error.status not in (304, 404):  # already stopped, or gone
                raise

    def remove(self, container_id):
        try:
            self._call("DELETE", f"/containers/{container_id}?force=1&v=1")
        except EngineError as error:
            if error.status != 404:
                raise

    def containers_with_label(self, label):
        filters = urllib.parse.quote(json.dumps({"label": [label]}))
        return [c["Id"] for c in self._call("GET", f"/containers/json?all=1&filters={filters}")]

    def logs(self, container_id, tty, follow=False, tail=None, timestamps=False, since=None):
        """The container's stdout and stderr, demultiplexed: a LogStream, whose request has
        been answered (errors raise here). With follow it ends when the container exits."""
        query = urllib.parse.urlencode({
            "stdout": 1, "stderr": 1, "follow": int(follow), "timestamps": int(timestamps),
            "tail": "all" if tail is None else str(tail), "since": since or 0})
        connection = _UnixConnection(self._socket_path, None if follow else 60)
        try:
            connection.request("GET", f"/containers/{container_id}/logs?{query}")
            response = connection.getresponse()
            if response.status >= 400:
                raise EngineError(response.status, _error_message(response.read()))
        except OSError as error:
            connection.close()
            raise EngineError(0, f"container engine at {self._socket_path}: {error}") from error
        except EngineError:
            connection.close()
            raise
        return LogStream(connection, response, tty)

    def _call(self, method, path, body=None, timeout=60, raw=False):
        connection = _UnixConnection(self._socket_path, timeout)
        try:
            headers = {}
            payload = None
            if body is not None:
                payload = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except OSError as error:
            raise EngineError(0, f"container engine at {self._socket_path}: {error}") from error
        finally:
            connection.close()
        if response.status >= 300:
            raise EngineError(response.status, _error_message(data))
        if raw:
            return data
        return json.loads(data) if data.strip() else None


class LogStream:
    """Iterates over byte chunks of a container's output; close() ends the request."""

    def __init__(self, connection, response, tty):
        self._connection = connection
        self._response = response
        self._tty = tty

    def __iter__(self):
        try:
            if self._tty:
                while chunk := self._response.read1(65536):
                    yield chunk
            else:
                # Without a TTY the engine frames each write: stream type, 3 zero bytes, size.
                while header := _read_exactly(self._response, 8):
                    (size,) = struct.unpack(">I", header[4:])
                    payload = _read_exactly(self._response, size)
                    if payload:
                        yield payload
        except OSError as error:
            raise EngineError(0, f"reading container output: {error}") from error

    def read_all(self):
        try:
            return b"".join(self)
        finally:
            self.close()

    def close(self):
        self._connection.close()


def _read_exactly(response, size):
    """size bytes, or what is left when the stream ends first (b"" at a clean end)."""
    data = b""
    while len(data) < size:
        chunk = response.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _error_message(data):
    try:
        return json.loads(data)["message"]
    except (ValueError, KeyError, TypeError):
        return data.decode(errors="replace").strip()


def _quote(text):
    return urllib.parse.quote(text, safe="")
