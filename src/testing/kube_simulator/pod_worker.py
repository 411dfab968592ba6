"""The scheduler and kubelet for one pod, on a thread of its own: binds the pod to the node
(or leaves it Unschedulable), pulls (looks up) images with ErrImagePull/ImagePullBackOff,
runs init containers one after another and then the containers through the engine,
publishes every change of state as the pod's status, and on deletion stops the
containers (SIGTERM, SIGKILL after the grace period), removes them and deletes the pod.

Every restartPolicy is treated as Never: containers are not restarted.
"""

import os
import shutil
import sys
import threading
import time
import traceback

import container_config
from container_state import RUNNING, TERMINATED, WAITING, ContainerState, engine_time, now_rfc3339
from engine_client import EngineError
from pod_spec import qos_class

MAX_MESSAGE_BYTES = 4096  # kubelet: MaxContainerTerminationMessageLength, the file's tail
MAX_LOG_MESSAGE_BYTES = 2048  # kubelet: MaxContainerTerminationMessageLogLength
MAX_LOG_MESSAGE_LINES = 80  # kubelet: MaxContainerTerminationMessageLogLines


class Timing:
    """How long ErrImagePull shows before ImagePullBackOff, and the back-off between pulls
    (doubling up to max_backoff): seconds here, where the kubelet waits 10 s to 5 min."""

    def __init__(self, err_image_pull=1.0, backoff=1.0, max_backoff=10.0):
        self.err_image_pull = err_image_pull
        self.backoff = backoff
        self.max_backoff = max_backoff


class PodWorker:
    def __init__(self, kubelet, pod):
        self._kubelet = kubelet
        self._pod = pod  # as created; spec does not change
        meta = pod["metadata"]
        self.uid, self._namespace, self._name = meta["uid"], meta["namespace"], meta["name"]
        spec = pod["spec"]
        has_init = bool(spec.get("initContainers"))
        self._init = [ContainerState(c, True, "PodInitializing") for c in spec.get("initContainers") or []]
        self._main = [ContainerState(c, False, "PodInitializing" if has_init else "ContainerCreating")
                      for c in spec["containers"]]
        self._lock = threading.RLock()  # guards the fields below and orders publications
        self._wake = threading.Event()
        self._scheduled = False
        self._unschedulable = None
        self._started = None  # startTime, once the kubelet has the pod
        self._deletion = None  # (grace seconds, whether the API already removed the object)
        self._deadline = None  # monotonic time of activeDeadlineSeconds, once started
        self._deadline_exceeded = False
        self._waiters = []
        self._message_dir = os.path.join(kubelet.state_dir, self.uid)
        self._thread = threading.Thread(target=self._run, name=f"pod-{self._name}", daemon=True)

    def start(self):
        self._thread.start()

    def join(self, timeout):
        self._thread.join(timeout)

    def request_deletion(self, grace_seconds, object_removed):
        """The pod is being deleted: stop its containers within grace_seconds. A later
        request may shorten the grace period (a force delete)."""
        with self._lock:
            if self._deletion is None:
                self._deletion = (grace_seconds, object_removed)
            else:
                old_grace, old_removed = self._deletion
                self._deletion = (min(old_grace, grace_seconds), old_removed or object_removed)
                if grace_seconds < old_grace:
                    self._stop_running_containers(grace_seconds, wait=False)
        self._wake.set()

    def wake(self):
        self._wake.set()

    # The worker thread.

    def _run(self):
        try:
            try:
                if self._schedule():
                    self._begin()
                    if self._run_containers(self._init, one_by_one=True):
                        self._run_containers(self._main, one_by_one=False)
            except Exception:  # the simulator must outlive any one pod's trouble
                print(f"kube_simulator: pod {self._namespace}/{self._name}: {traceback.format_exc()}",
                      file=sys.stderr, flush=True)
            while not self._ending():  # the pod stays until it is deleted
                self._sleep(5.0)
                self._check_deadline()
        finally:
            self._finish()

    def _schedule(self):
        node = self._kubelet.node
        wanted = self._pod["spec"].get("nodeName")
        if wanted:
            # Bound by its creator: the kubelet of that node runs it, or nobody does.
            if wanted != node.name:
                return False
            self._scheduled = True
            return True
        while not self._ending():
            generation = node.generation()
            message = node.unschedulable_message(self._pod["spec"])
            if message is None:
                with self._lock:
                    self._scheduled = True
                    self._unschedulable = None
                    self._publish()
                return True
            if message != self._unschedulable:
                with self._lock:
                    self._unschedulable = message
                    self._publish()
            node.wait_for_change(generation, 0.5)
        return False

    def _begin(self):
        with self._lock:
            self._started = now_rfc3339()
            deadline = self._pod["spec"].get("activeDeadlineSeconds")
            if deadline:
                self._deadline = time.monotonic() + deadline
            os.makedirs(self._message_dir, exist_ok=True)
            self._publish()

    def _run_containers(self, containers, one_by_one):
        """Starts the containers (one at a time, each waited for, when one_by_one) and
        waits until all have terminated. False when one failed or the pod is ending."""
        pending = list(containers)
        while pending and not self._halted():
            now = time.monotonic()
            candidates = pending[:1] if one_by_one else pending
            for container in [c for c in candidates if c.next_attempt <= now]:
                if self._advance(container):
                    pending.remove(container)
                    if one_by_one and not self._await_exit([container]):
                        return False
            if pending:
                self._sleep(min(c.next_attempt for c in pending) - time.monotonic())
        return not pending and self._await_exit(containers)

    def _await_exit(self, containers):
        while not self._halted():
            with self._lock:
                if all(c.state == TERMINATED for c in containers):
                    return all(c.succeeded for c in containers)
            self._sleep(1.0)
        return False

    def _advance(self, container):
        """One step toward running the container. True once it has been started (or could
        not be); False while its image is missing or creating it fails (retried later)."""
        engine = self._kubelet.engine
        image = container.spec["image"]
        if container.reason == "ErrImagePull":
            # Shown for a while after the failed pull; then the back-off before the next one.
            with self._lock:
                container.wait("ImagePullBackOff", f'Back-off pulling image "{image}"')
                container.next_attempt = time.monotonic() + container.backoff
                self._publish()
            return False
        image_id = engine.image_id(image)
        if image_id is None:
            with self._lock:
                if container.spec.get("imagePullPolicy") == "Never":
                    container.wait("ErrImageNeverPull",
                                   f'Container image "{image}" is not present with pull policy of Never')
                    container.next_attempt = time.monotonic() + self._kubelet.timing.max_backoff
                else:
                    # No registry: a pull succeeds only if the image is imported meanwhile.
                    container.wait("ErrImagePull", f'failed to pull and unpack image "{image}": '
                                   "not found in the container engine (the simulator has no registry)")
                    timing = self._kubelet.timing
                    container.backoff = (timing.backoff if container.backoff is None
                                         else min(2 * container.backoff, timing.max_backoff))
                    container.next_attempt = time.monotonic() + timing.err_image_pull
                self._publish()
            return False
        container.image_id = image_id
        config = container_config.engine_config(
            self._pod, container.spec, self._kubelet.instance_id, self._message_file(container),
            self._kubelet.node.name)
        try:
            container_id = engine.create_container(
                container_config.engine_name(self._pod, container.name), config)
        except EngineError as error:
            with self._lock:
                container.wait("CreateContainerError", error.message)
                container.next_attempt = time.monotonic() + self._kubelet.timing.backoff
                self._publish()
            return False
        with self._lock:
            container.container_id = container_id
        if self._ending():
            return True  # _finish removes it
        try:
            engine.start(container_id)
        except EngineError as error:
            with self._lock:
                container.terminate(128, "StartError", error.message, now_rfc3339())
                container.started_at = container.finished_at
                self._publish()
            return True
        started_at = engine_time(engine.inspect(container_id)["State"].get("StartedAt")) or now_rfc3339()
        with self._lock:
            container.run(started_at)
            self._publish()
        waiter = threading.Thread(target=self._watch_exit, args=(container,), daemon=True,
                                  name=f"wait-{self._name}-{container.name}")
        self._waiters.append(waiter)
        waiter.start()
        return True

    def _watch_exit(self, container):
        engine = self._kubelet.engine
        try:
            engine.wait(container.container_id)
            state = engine.inspect(container.container_id)["State"]
        except EngineError:
            state = None  # removed under us (the simulator is stopping)
        if state is None:
            exit_code, reason = 137, "ContainerStatusUnknown"
            message = "The container could not be located when the pod was terminated"
            finished_at = now_rfc3339()
        else:
            exit_code = state.get("ExitCode", 0)
            reason = "OOMKilled" if state.get("OOMKilled") else ("Completed" if exit_code == 0 else "Error")
            message = self._termination_message(container, exit_code)
            finished_at = engine_time(state.get("FinishedAt")) or now_rfc3339()
        with self._lock:
            container.terminate(exit_code, reason, message, finished_at)
            self._publish()
        self._wake.set()

    def _termination_message(self, container, exit_code):
        try:
            with open(self._message_file(container), "rb") as file:
                file.seek(0, os.SEEK_END)
                file.seek(max(0, file.tell() - MAX_MESSAGE_BYTES))
                message = file.read()
        except OSError:
            message = b""
        if (not message and exit_code != 0
                and container.spec.get("terminationMessagePolicy") == "FallbackToLogsOnError"):
            try:
                logs = self._kubelet.engine.logs(container.container_id, bool(container.spec.get("tty")),
                                                 tail=MAX_LOG_MESSAGE_LINES).read_all()
            except EngineError as error:
                return f"Error on reading termination message from logs: {error.message}"
            message = logs[-MAX_LOG_MESSAGE_BYTES:]
        return message.decode(errors="replace")

    def _message_file(self, container):
        path = os.path.join(self._message_dir, container.name)
        if not os.path.exists(path):
            with open(path, "wb"):
                pass
            os.chmod(path, 0o666)  # writable by any user the container runs as
        return path

    # Ending: deletion of the pod, or the simulator stopping.

    def _ending(self):
        if self._kubelet.stopping:
            return True
        with self._lock:
            return self._deletion is not None

    def _halted(self):
        """Ending, or past activeDeadlineSeconds: no container is started any more."""
        self._check_deadline()
        return self._ending() or self._deadline_exceeded

    def _check_deadline(self):
        """Past activeDeadlineSeconds the kubelet kills the pod: Failed, DeadlineExceeded."""
        with self._lock:
            if (self._deadline is None or self._deadline_exceeded
                    or time.monotonic() < self._deadline
                    or self._phase() in ("Succeeded", "Failed")):
                return
            self._deadline_exceeded = True
            self._stop_running_containers(self._pod["spec"]["terminationGracePeriodSeconds"], wait=False)
            self._publish()

    def _sleep(self, seconds):
        if self._deadline is not None and not self._deadline_exceeded:
            seconds = min(seconds, self._deadline - time.monotonic())
        self._wake.wait(max(0.0, min(seconds, 5.0)))
        self._wake.clear()

    def _finish(self):
        stopping = self._kubelet.stopping
        grace, object_removed = self._deletion or (0, True)
        if stopping:
            grace = 0
        try:
            self._stop_running_containers(grace, wait=True)
            for waiter in self._waiters:
                waiter.join(grace + 30)
            with self._lock:
                for container in self._init + self._main:
                    if container.state == WAITING and self._started:
                        container.terminate(137, "ContainerStatusUnknown",
                                            "The container could not be located when the pod was terminated",
                                            now_rfc3339())
                if not object_removed and not stopping:
                    self._publish()
            for container in self._init + self._main:
                if container.container_id:
                    self._kubelet.engine.remove(container.container_id)
        except EngineError as error:
            print(f"kube_simulator: pod {self._namespace}/{self._name}: {error.message}",
                  file=sys.stderr, flush=True)
        finally:
            shutil.rmtree(self._message_dir, ignore_errors=True)
            if not object_removed and not stopping:
                self._kubelet.store.delete("pods", self._namespace, self._name, uid=self.uid)
            self._kubelet.forget(self)

    def _stop_running_containers(self, grace_seconds, wait):
        """REQUIRES: when wait is False, nothing; the stops run on threads of their own."""
        engine = self._kubelet.engine
        with self._lock:
            running = [c.container_id for c in self._init + self._main
                       if c.state == RUNNING and c.container_id]
        stoppers = [threading.Thread(target=_stop_quietly, args=(engine, cid, grace_seconds), daemon=True)
                    for cid in running]
        for stopper in stoppers:
            stopper.start()
        if wait:
            for stopper in stoppers:
                stopper.join()

    # Status.

    def _publish(self):
        """Writes the pod's status as this worker sees it. REQUIRES: self._lock held."""
        status = self._status()
        node_name = self._kubelet.node.name if self._scheduled else None

        def mutate(pod):
            status["conditions"] = _keep_transition_times(
                status.get("conditions", []), pod.get("status", {}).get("conditions", []))
            changed = pod.get("status") != status
            if node_name and pod["spec"].get("nodeName") != node_name:
                pod["spec"]["nodeName"] = node_name
                changed = True
            pod["status"] = status
            return changed
        self._kubelet.store.update("pods", self._namespace, self._name, mutate, uid=self.uid)

    def _status(self):
        status = {"phase": self._phase()}
        conditions = []
        if self._started:
            conditions.append(_condition("PodReadyToStartContainers", True))
            incomplete = [c.name for c in self._init if not c.succeeded]
            conditions.append(_condition("Initialized", not incomplete, "ContainersNotInitialized",
                                         f"containers with incomplete status: [{' '.join(incomplete)}]"))
            unready = [c.name for c in self._main if c.state != RUNNING]
            terminal = status["phase"] in ("Succeeded", "Failed")
            reason = "PodCompleted" if terminal else "ContainersNotReady"
            message = None if terminal else f"containers with unready status: [{' '.join(unready)}]"
            conditions.append(_condition("Ready", not unready, reason, message))
            conditions.append(_condition("ContainersReady", not unready, reason, message))
        if self._scheduled:
            conditions.append(_condition("PodScheduled", True))
        elif self._unschedulable:
            conditions.append(_condition("PodScheduled", False, "Unschedulable", self._unschedulable))
        if conditions:
            status["conditions"] = conditions
        if self._started:
            ip = container_config.HOST_IP
            status.update({"hostIP": ip, "hostIPs": [{"ip": ip}], "podIP": ip, "podIPs": [{"ip": ip}],
                           "startTime": self._started})
            if self._init:
                status["initContainerStatuses"] = [c.status() for c in self._init]
            status["containerStatuses"] = [c.status() for c in self._main]
        if self._deadline_exceeded:
            status["reason"] = "DeadlineExceeded"
            status["message"] = "Pod was active on the node longer than the specified deadline"
        status["qosClass"] = qos_class(self._pod["spec"])
        return status

    def _phase(self):
        """The kubelet's getPhase for restartPolicy Never."""
        if not self._started:
            return "Pending"
        if self._deadline_exceeded:
            return "Failed"  # at once, while the containers are being killed
        if any(c.state == TERMINATED and not c.succeeded for c in self._init):
            return "Failed"
        if not all(c.succeeded for c in self._init):
            return "Pending"
        states = [c.state for c in self._main]
        if WAITING in states:
            return "Pending"
        if RUNNING in states:
            return "Running"
        return "Succeeded" if all(c.succeeded for c in self._main) else "Failed"


def _stop_quietly(engine, container_id, grace_seconds):
    try:
        engine.stop(container_id, grace_seconds)
    except EngineError:
        pass  # already gone: its waiter reports what happened


def _condition(kind, true, reason=None, message=None):
    condition = {"type": kind, "status": "True" if true else "False", "lastProbeTime": None,
                 "lastTransitionTime": now_rfc3339()}
    if not true:
        if reason:
            condition["reason"] = reason
        if message:
            condition["message"] = message
    return condition


def _keep_transition_times(conditions, previous):
    """A condition's lastTransitionTime changes only when its status does."""
    before = {c["type"]: c for c in previous}
    for condition in conditions:
        old = before.get(condition["type"])
        if old is not None and old["status"] == condition["status"]:
            condition["lastTransitionTime"] = old["lastTransitionTime"]
    return conditions
