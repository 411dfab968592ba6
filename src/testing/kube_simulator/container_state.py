"""One container's lifecycle as the kubelet tracks it (waiting, running, terminated) and
how it appears in a pod's containerStatuses."""

import time

WAITING, RUNNING, TERMINATED = "waiting", "running", "terminated"


def now_rfc3339():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def engine_time(text):
    """The engine's RFC 3339 nanosecond timestamp at the API's second precision."""
    if not text or text.startswith("0001-"):
        return None
    return text[:19] + "Z"


class ContainerState:
    def __init__(self, spec, init, initial_reason):
        self.spec = spec
        self.name = spec["name"]
        self.init = init
        self.state = WAITING
        self.reason = initial_reason
        self.message = None
        self.container_id = None  # the engine's, once created
        self.image_id = None
        self.started_at = None
        self.finished_at = None
        self.exit_code = None
        # Image pull back-off: when the next pull is tried, and how long the one after waits.
        self.next_attempt = 0.0
        self.backoff = None

    def wait(self, reason, message=None):
        self.state, self.reason, self.message = WAITING, reason, message

    def run(self, started_at):
        self.state, self.reason, self.message = RUNNING, None, None
        self.started_at = started_at

    def terminate(self, exit_code, reason, message, finished_at):
        self.state, self.exit_code, self.reason, self.message = TERMINATED, exit_code, reason, message
        self.finished_at = finished_at

    @property
    def succeeded(self):
        return self.state == TERMINATED and self.exit_code == 0

    def status(self):
        if self.state == WAITING:
            state = {"waiting": _without_none({"reason": self.reason, "message": self.message})}
        elif self.state == RUNNING:
            state = {"running": {"startedAt": self.started_at}}
        else:
            state = {"terminated": _without_none({
                "exitCode": self.exit_code, "reason": self.reason, "message": self.message or None,
                "startedAt": self.started_at, "finishedAt": self.finished_at,
                "containerID": self._runtime_id()})}
        ready = self.state == RUNNING or (self.init and self.succeeded)
        return _without_none({
            "name": self.name, "state": state, "lastState": {}, "ready": ready, "restartCount": 0,
            "image": self.spec["image"], "imageID": f"docker://{self.image_id}" if self.image_id else "",
            "containerID": self._runtime_id() if self.state != WAITING else None,
            "started": self.state == RUNNING,
        })

    def _runtime_id(self):
        return f"docker://{self.container_id}" if self.container_id else None


def _without_none(fields):
    return {k: v for k, v in fields.items() if v is not None}
