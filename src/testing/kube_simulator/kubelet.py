"""The simulated node's agent: one PodWorker per pod, and the cleanup of every container
the simulator created when it stops."""

import sys
import threading
import time

from container_config import INSTANCE_LABEL
from engine_client import EngineError
from pod_worker import PodWorker


class Kubelet:
    def __init__(self, store, engine, node, instance_id, state_dir, timing):
        self.store = store
        self.engine = engine
        self.node = node
        self.instance_id = instance_id
        self.state_dir = state_dir
        self.timing = timing
        self.stopping = False
        self._lock = threading.Lock()
        self._workers = {}  # pod uid -> PodWorker

    def admit(self, pod):
        """Takes a newly created pod: schedules and runs it on a worker thread."""
        worker = PodWorker(self, pod)
        with self._lock:
            if self.stopping:
                return
            self._workers[worker.uid] = worker
        worker.start()

    def delete(self, uid, grace_seconds, object_removed):
        """The pod is being deleted. object_removed: the API has already removed the object
        (immediate deletion); otherwise the worker deletes it once its containers are gone."""
        with self._lock:
            worker = self._workers.get(uid)
        if worker is not None:  # else it has just finished deleting the pod itself
            worker.request_deletion(grace_seconds, object_removed)

    def forget(self, worker):
        with self._lock:
            self._workers.pop(worker.uid, None)

    def stop(self, timeout=20.0):
        """Kills and removes every container this simulator created (found by its label,
        including any a worker is creating right now)."""
        with self._lock:
            self.stopping = True
            workers = list(self._workers.values())
        for worker in workers:
            worker.wake()
        self._remove_my_containers()
        deadline = time.monotonic() + timeout
        for worker in workers:
            worker.join(max(0.1, deadline - time.monotonic()))
        self._remove_my_containers()

    def _remove_my_containers(self):
        try:
            for container_id in self.engine.containers_with_label(f"{INSTANCE_LABEL}={self.instance_id}"):
                self.engine.remove(container_id)
        except EngineError as error:
            print(f"kube_simulator: removing containers: {error.message}", file=sys.stderr, flush=True)
